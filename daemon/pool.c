/*
 * pool.c - the huge page pools; see pool.h.
 *
 * Growth is bounded: the daemon never asks for more huge pages than leave
 * a reserve of ordinary memory (MemAvailable minus an eighth of MemTotal), so
 * an absurd request fails with ENOMEM at once instead of squeezing the machine.
 * The added counts are written by the worker and read by the loop: atomics.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"

#define SYSFS_HUGEPAGES "/sys/kernel/mm/hugepages"

static int read_u64(const char *dir, const char *name, uint64_t *out)
{
        char path[384], buf[32];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        *out = strtoull(buf, NULL, 10);
        return 0;
}

static int write_u64(const char *dir, const char *name, uint64_t v)
{
        char path[384], buf[32];
        int fd, len, r = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", v);
        if (write(fd, buf, (size_t)len) != len)
                r = -errno;
        close(fd);
        return r;
}

/* A /proc/meminfo figure in bytes, or 0. */
static uint64_t meminfo(const char *field)
{
        char line[128];
        uint64_t v = 0;
        size_t flen = strlen(field);
        FILE *f = fopen("/proc/meminfo", "re");

        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
                        v = strtoull(line + flen + 1, NULL, 10) * 1024;
                        break;
                }
        }
        fclose(f);
        return v;
}

uint64_t pool_added(const struct pool_size *ps)
{
        return __atomic_load_n(&ps->added, __ATOMIC_RELAXED);
}

void pool_set_added(struct pool_size *ps, uint64_t added)
{
        __atomic_store_n(&ps->added, added, __ATOMIC_RELAXED);
}

uint64_t pool_grow_room(uint64_t mem_available, uint64_t mem_total, uint64_t page_size)
{
        uint64_t reserve = mem_total / 8;

        return mem_available > reserve ? (mem_available - reserve) / page_size : 0;
}

uint64_t pool_may_give(uint64_t free, uint64_t resv, uint64_t added)
{
        uint64_t unused = free > resv ? free - resv : 0;

        return unused < added ? unused : added;
}

int pool_read(const struct pool_size *ps, uint64_t *total, uint64_t *free, uint64_t *resv)
{
        int r;

        if ((r = read_u64(ps->dir, "nr_hugepages", total)) < 0)
                return r;
        if ((r = read_u64(ps->dir, "free_hugepages", free)) < 0)
                return r;
        return read_u64(ps->dir, "resv_hugepages", resv);
}

static int by_size(const void *a, const void *b)
{
        const struct pool_size *x = a, *y = b;

        return (x->page_size > y->page_size) - (x->page_size < y->page_size);
}

int pool_init(struct pool *p, int may_grow)
{
        struct dirent *de;
        DIR *d;

        memset(p, 0, sizeof(*p));
        p->may_grow = may_grow;
        p->default_size = meminfo("Hugepagesize");
        d = opendir(SYSFS_HUGEPAGES);
        if (!d)
                return -ENOENT;
        while ((de = readdir(d)) && p->nsizes < POOL_MAX_SIZES) {
                unsigned long long kb;
                struct pool_size *ps;

                if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1)
                        continue;
                ps = &p->sizes[p->nsizes++];
                ps->page_size = (uint64_t)kb * 1024;
                snprintf(ps->dir, sizeof(ps->dir), "%s/%s", SYSFS_HUGEPAGES, de->d_name);
        }
        closedir(d);
        qsort(p->sizes, p->nsizes, sizeof(p->sizes[0]), by_size);
        if (!p->nsizes || !pool_find(p, p->default_size))
                return -ENOENT;
        return 0;
}

struct pool_size *pool_find(struct pool *p, uint64_t page_size)
{
        for (size_t i = 0; i < p->nsizes; i++)
                if (p->sizes[i].page_size == page_size)
                        return &p->sizes[i];
        return NULL;
}

static uint64_t available(const struct pool_size *ps)
{
        uint64_t total, free, resv;

        if (pool_read(ps, &total, &free, &resv) < 0)
                return 0;
        return pool_may_give(free, resv, UINT64_MAX);
}

int pool_take(struct pool *p, struct pool_size *ps, uint64_t npages)
{
        uint64_t have = available(ps), total, after, missing, room;

        if (have >= npages)
                return 0;
        if (!p->may_grow)
                return -ENOMEM;
        missing = npages - have;
        room = pool_grow_room(meminfo("MemAvailable"), meminfo("MemTotal"), ps->page_size);
        if (missing > room) {
                log_info("pool: %" PRIu64 " pages of %" PRIu64 " kB would leave too little memory",
                         missing, ps->page_size / 1024);
                return -ENOMEM;
        }
        if (read_u64(ps->dir, "nr_hugepages", &total) < 0)
                return -ENOMEM;
        if (write_u64(ps->dir, "nr_hugepages", total + missing) < 0 ||
            read_u64(ps->dir, "nr_hugepages", &after) < 0) {
                log_warn("pool: cannot raise %s/nr_hugepages: %m", ps->dir);
                return -ENOMEM;
        }
        if (after > total) {
                pool_set_added(ps, ps->added + (after - total));
                log_info("pool: added %" PRIu64 " pages of %" PRIu64 " kB (now %" PRIu64 ")",
                         after - total, ps->page_size / 1024, after);
        }
        if (available(ps) < npages) {
                pool_give_back(ps);
                return -ENOMEM;
        }
        return 0;
}

void pool_give_back(struct pool_size *ps)
{
        uint64_t total, after, give;

        if (!ps->added)
                return;
        give = pool_may_give(available(ps), 0, ps->added);
        if (!give || read_u64(ps->dir, "nr_hugepages", &total) < 0 || give > total)
                return;
        if (write_u64(ps->dir, "nr_hugepages", total - give) < 0 ||
            read_u64(ps->dir, "nr_hugepages", &after) < 0)
                return;
        if (after < total) {
                pool_set_added(ps,
                               ps->added - (total - after < ps->added ? total - after : ps->added));
                log_info("pool: gave back %" PRIu64 " pages of %" PRIu64 " kB (now %" PRIu64 ")",
                         total - after, ps->page_size / 1024, after);
        }
}

void pool_shutdown(struct pool *p)
{
        for (size_t i = 0; i < p->nsizes; i++) {
                struct pool_size *ps = &p->sizes[i];
                uint64_t total;

                if (!ps->added || read_u64(ps->dir, "nr_hugepages", &total) < 0)
                        continue;
                if (write_u64(ps->dir, "nr_hugepages", total > ps->added ? total - ps->added : 0) ==
                    0)
                        log_info("pool: returned %" PRIu64 " pages of %" PRIu64 " kB at exit",
                                 ps->added, ps->page_size / 1024);
                pool_set_added(ps, 0);
        }
}
