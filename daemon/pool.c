/*
 * pool.c - the huge page pools; see pool.h.
 *
 * Growth is bounded: the daemon never asks for more huge pages than leave
 * a reserve of ordinary memory (MemAvailable minus an eighth of MemTotal), so
 * an absurd request fails with ENOMEM at once instead of squeezing the machine.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "store.h"

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

#define STATE_MAGIC UINT64_C(0x68756765706f6f31) /* "hugepoo1" */

struct state {
        uint64_t magic;
        struct {
                uint64_t page_size, added;
        } sizes[POOL_MAX_SIZES];
};

static void save_markers(struct pool *p)
{
        for (size_t i = 0; i < p->nsizes; i++) {
                struct pool_size *ps = &p->sizes[i];
                char name[64];
                int fd;

                if (ps->marked == ps->added)
                        continue;
                if (ps->marked) {
                        snprintf(name, sizeof(name), "pool-%" PRIu64 "-%" PRIu64, ps->page_size,
                                 ps->marked);
                        unlinkat(p->marker_dir, name, 0);
                }
                if (ps->added) {
                        snprintf(name, sizeof(name), "pool-%" PRIu64 "-%" PRIu64, ps->page_size,
                                 ps->added);
                        fd = openat(p->marker_dir, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                        if (fd >= 0)
                                close(fd);
                }
                ps->marked = ps->added;
        }
}

void pool_use_markers(struct pool *p, int dirfd)
{
        struct dirent *de;
        int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

        p->marker_dir = dirfd;
        if (!d)
                return;
        while ((de = readdir(d))) {
                unsigned long long size, added;
                struct pool_size *ps;
                int end = 0;

                if (sscanf(de->d_name, "pool-%llu-%llu%n", &size, &added, &end) != 2 ||
                    de->d_name[end] || !(ps = pool_find(p, size))) {
                        continue;
                }
                ps->added = ps->marked = added;
                log_info("pool: %llu pages of %llu kB were added before the restart", added,
                         size / 1024);
        }
        closedir(d);
}

/* Remember the added counts where a restarted daemon finds them. */
static void save_state(struct pool *p)
{
        struct state st = {.magic = STATE_MAGIC};
        int any = 0;

        if (p->marker_dir >= 0)
                save_markers(p);
        if (!store_active())
                return;
        if (p->state_fd < 0)
                p->state_fd = memfd_create("hugepaged-pool-state", MFD_CLOEXEC);
        if (p->state_fd < 0)
                return;
        for (size_t i = 0; i < p->nsizes; i++) {
                st.sizes[i].page_size = p->sizes[i].page_size;
                st.sizes[i].added = p->sizes[i].added;
                any |= p->sizes[i].added != 0;
        }
        if (pwrite(p->state_fd, &st, sizeof(st), 0) != sizeof(st))
                log_warn("pool: cannot save its state: %m");
        store_pool_state(p->state_fd, any);
}

int pool_load_state(struct pool *p, int fd)
{
        struct state st;

        if (pread(fd, &st, sizeof(st), 0) != sizeof(st) || st.magic != STATE_MAGIC)
                return -EINVAL;
        for (size_t i = 0; i < POOL_MAX_SIZES; i++) {
                struct pool_size *ps = pool_find(p, st.sizes[i].page_size);

                if (ps && st.sizes[i].added) {
                        ps->added = st.sizes[i].added;
                        log_info("pool: %" PRIu64 " pages of %" PRIu64
                                 " kB were added before the restart",
                                 ps->added, ps->page_size / 1024);
                }
        }
        p->state_fd = fd;
        return 0;
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
        p->state_fd = -1;
        p->marker_dir = -1;
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

        if (pool_read(ps, &total, &free, &resv) < 0 || resv > free)
                return 0;
        return free - resv;
}

int pool_take(struct pool *p, struct pool_size *ps, uint64_t npages)
{
        uint64_t have = available(ps), total, after, missing, reserve, room;

        if (have >= npages)
                return 0;
        if (!p->may_grow)
                return -ENOMEM;
        missing = npages - have;
        reserve = meminfo("MemTotal") / 8;
        room = meminfo("MemAvailable");
        room = room > reserve ? (room - reserve) / ps->page_size : 0;
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
                ps->added += after - total;
                save_state(p);
                log_info("pool: added %" PRIu64 " pages of %" PRIu64 " kB (now %" PRIu64 ")",
                         after - total, ps->page_size / 1024, after);
        }
        if (available(ps) < npages) {
                pool_give_back(p, ps);
                return -ENOMEM;
        }
        return 0;
}

void pool_give_back(struct pool *p, struct pool_size *ps)
{
        uint64_t total, after, give;

        if (!ps->added)
                return;
        give = available(ps);
        if (give > ps->added)
                give = ps->added;
        if (!give || read_u64(ps->dir, "nr_hugepages", &total) < 0 || give > total)
                return;
        if (write_u64(ps->dir, "nr_hugepages", total - give) < 0 ||
            read_u64(ps->dir, "nr_hugepages", &after) < 0)
                return;
        if (after < total) {
                ps->added -= total - after < ps->added ? total - after : ps->added;
                save_state(p);
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
                ps->added = 0;
        }
        save_state(p);
}
