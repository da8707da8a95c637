/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pool.c - the huge page pools; see pool.h.
 *
 * Growth is bounded: by MaxGrow= (the surplus pages there are, all sizes
 * together), and never so far that less than a reserve of ordinary memory
 * would be left (MemAvailable minus an eighth of MemTotal), so an absurd
 * request fails with ENOMEM at once instead of squeezing the machine.
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
uint64_t pool_meminfo(const char *field)
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

uint64_t pool_grow_room(uint64_t mem_available, uint64_t mem_total, uint64_t page_size)
{
        uint64_t reserve = mem_total / 8;

        return mem_available > reserve ? (mem_available - reserve) / page_size : 0;
}

uint64_t pool_unused(uint64_t free, uint64_t resv)
{
        return free > resv ? free - resv : 0;
}

uint64_t pool_grow_allowed(uint64_t max_grow, uint64_t surplus, uint64_t page_size)
{
        return surplus < max_grow ? (max_grow - surplus) / page_size : 0;
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

uint64_t pool_surplus(const struct pool_size *ps)
{
        uint64_t n = 0;

        read_u64(ps->dir, "surplus_hugepages", &n);
        return n;
}

static int by_size(const void *a, const void *b)
{
        const struct pool_size *x = a, *y = b;

        return (x->page_size > y->page_size) - (x->page_size < y->page_size);
}

/* Can this size have surplus pages? Writing the overcommit setting its own
 * value is a no-op where it can, and EINVAL where it cannot (gigantic
 * pages, such as 1 GiB ones). */
static int surplus_possible(const struct pool_size *ps)
{
        uint64_t v;

        return read_u64(ps->dir, "nr_overcommit_hugepages", &v) == 0 &&
               write_u64(ps->dir, "nr_overcommit_hugepages", v) == 0;
}

int pool_init(struct pool *p, int may_grow)
{
        struct dirent *de;
        DIR *d;

        memset(p, 0, sizeof(*p));
        p->may_grow = may_grow;
        p->default_size = pool_meminfo("Hugepagesize");
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
                ps->surplus = surplus_possible(ps);
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

void pool_set_growth(struct pool *p, int may_grow, uint64_t max_grow)
{
        __atomic_store_n(&p->may_grow, may_grow, __ATOMIC_RELAXED);
        __atomic_store_n(&p->max_grow, max_grow, __ATOMIC_RELAXED);
}

static const char *setting(const struct pool_size *ps)
{
        return ps->surplus ? "nr_overcommit_hugepages" : "nr_hugepages";
}

/* What growth raises: the overcommit setting, or the persistent pages
 * (sysfs counts surplus pages in nr_hugepages). */
static int read_setting(const struct pool_size *ps, uint64_t *v)
{
        uint64_t surplus = pool_surplus(ps);
        int r = read_u64(ps->dir, setting(ps), v);

        if (r == 0 && !ps->surplus)
                *v = *v > surplus ? *v - surplus : 0;
        return r;
}

static int write_setting(const struct pool_size *ps, uint64_t v)
{
        return write_u64(ps->dir, setting(ps), v);
}

int pool_grow(struct pool *p, struct pool_size *ps, uint64_t npages, struct pool_growth *g,
              void (*record)(void *arg, const struct pool_growth *planned), void *arg,
              struct pool_growth *planned)
{
        uint64_t total, free, resv, have, missing, surplus = 0, from, after, mem_total;
        int r;

        *g = (struct pool_growth){0};
        *planned = (struct pool_growth){0};
        /* A file that cannot be read (out of descriptors, say) is logged as
         * what it is, not as a pool too small. */
        if ((r = pool_read(ps, &total, &free, &resv)) < 0) {
                log_warn("pool: cannot read %s: %s", ps->dir, errname(r));
                return -ENOMEM;
        }
        have = pool_unused(free, resv);
        if (have >= npages)
                return 0;
        if (!__atomic_load_n(&p->may_grow, __ATOMIC_RELAXED))
                return -ENOMEM;
        missing = npages - have;
        for (size_t i = 0; i < p->nsizes; i++)
                surplus += pool_surplus(&p->sizes[i]) * p->sizes[i].page_size;
        if (missing > pool_grow_allowed(__atomic_load_n(&p->max_grow, __ATOMIC_RELAXED), surplus,
                                        ps->page_size)) {
                log_info("pool: %" PRIu64 " more pages of %" PRIu64
                         " kB would take the daemon past MaxGrow=",
                         missing, ps->page_size / 1024);
                return -ENOMEM;
        }
        mem_total = pool_meminfo("MemTotal");
        if (!mem_total) {
                log_warn("pool: cannot read /proc/meminfo: %s", errname(errno));
                return -ENOMEM;
        }
        if (missing > pool_grow_room(pool_meminfo("MemAvailable"), mem_total, ps->page_size)) {
                log_info("pool: %" PRIu64 " pages of %" PRIu64 " kB would leave too little memory",
                         missing, ps->page_size / 1024);
                return -ENOMEM;
        }
        /* Surplus pages already out count against the overcommit setting:
         * the raise starts from them. */
        if (read_setting(ps, &g->base) < 0)
                return -ENOMEM;
        from = ps->surplus && pool_surplus(ps) > g->base ? pool_surplus(ps) : g->base;
        *planned = (struct pool_growth){.pages = from + missing - g->base, .base = g->base};
        if (record)
                record(arg, planned);
        if (write_setting(ps, from + missing) < 0 || read_setting(ps, &after) < 0) {
                log_warn("pool: cannot raise %s/%s: %s", ps->dir, setting(ps), errname(errno));
                return -ENOMEM;
        }
        /* A persistent pool may grow by less than asked (no contiguous memory). */
        g->pages = after > from ? after - from : 0;
        __atomic_add_fetch(&ps->pages_added, g->pages, __ATOMIC_RELAXED);
        g->pages = after > g->base ? after - g->base : 0;
        if (!ps->surplus && g->pages < missing) {
                pool_ungrow(ps, g);
                *g = (struct pool_growth){0};
                return -ENOMEM;
        }
        return 0;
}

void pool_ungrow(struct pool_size *ps, const struct pool_growth *g)
{
        uint64_t now;

        if (!g->pages)
                return;
        /* What pages the raise made and a segment now holds become surplus
         * pages; what it made and nobody took goes at once. */
        if (read_setting(ps, &now) < 0 ||
            write_setting(ps, now > g->pages ? now - g->pages : 0) < 0)
                log_warn("pool: cannot lower %s/%s: %s", ps->dir, setting(ps), errname(errno));
        else
                __atomic_add_fetch(&ps->pages_returned, now > g->pages ? g->pages : now,
                                   __ATOMIC_RELAXED);
}

void pool_undo(struct pool_size *ps, const struct pool_growth *g)
{
        uint64_t now;

        if (!g->pages || read_setting(ps, &now) < 0)
                return;
        /* Down by the raise, never below where it started from. */
        if (now > g->base) {
                uint64_t to = now - g->base > g->pages ? now - g->pages : g->base;

                if (write_setting(ps, to) == 0)
                        __atomic_add_fetch(&ps->pages_returned, now - to, __ATOMIC_RELAXED);
                log_info("pool: took back %" PRIu64 " pages of %" PRIu64
                         " kB a previous daemon raised %s by",
                         now - to, ps->page_size / 1024, setting(ps));
        }
}
