/*
 * pool.h - the kernel's huge page pools, one per page size.
 *
 * Owns: reading /sys/kernel/mm/hugepages/hugepages-<N>kB/ and, when allowed,
 * raising nr_hugepages there, counting how many pages the daemon added and
 * giving them back. Only the worker thread calls pool_take(),
 * pool_give_back() and pool_shutdown() while it runs; the loop reads the
 * added counts with pool_added() at any time. Must never persist anything
 * (keep.c does) nor know of segments.
 */
#ifndef HPD_POOL_H
#define HPD_POOL_H

#include <stddef.h>
#include <stdint.h>

#define POOL_MAX_SIZES 8

struct pool_size {
        uint64_t page_size; /* bytes */
        uint64_t added;     /* pages this daemon added: atomic, see pool_added() */
        char dir[320];      /* /sys/kernel/mm/hugepages/hugepages-<N>kB */
};

struct pool {
        struct pool_size sizes[POOL_MAX_SIZES];
        size_t nsizes;
        uint64_t default_size; /* Hugepagesize from /proc/meminfo */
        int may_grow;          /* raise nr_hugepages when short */
};

/* Discover the page sizes. Returns 0, or -ENOENT without huge page support. */
int pool_init(struct pool *p, int may_grow);

/* The pool entry for a page size, or NULL if the kernel has no such pool. */
struct pool_size *pool_find(struct pool *p, uint64_t page_size);

/* Make sure npages pages of that size are free, growing the pool if allowed.
 * Returns 0 or -ENOMEM. */
int pool_take(struct pool *p, struct pool_size *ps, uint64_t npages);

/* Hand back to the kernel as many added pages as are free now. */
void pool_give_back(struct pool_size *ps);

/* At exit: take every page this daemon added out of the pool. Pages still
 * mapped by clients become surplus pages, which the kernel frees when they
 * are unmapped. */
void pool_shutdown(struct pool *p);

/* The added count, from any thread; and setting it at start-up (restore). */
uint64_t pool_added(const struct pool_size *ps);
void pool_set_added(struct pool_size *ps, uint64_t added);

/* Current kernel figures for one size. Returns 0 or a negative errno. */
int pool_read(const struct pool_size *ps, uint64_t *total, uint64_t *free, uint64_t *resv);

/* The arithmetic, apart from the files (unit-tested):
 * pages of page_size the pool may grow by, leaving an eighth of mem_total
 * as ordinary memory beyond what mem_available says; */
uint64_t pool_grow_room(uint64_t mem_available, uint64_t mem_total, uint64_t page_size);
/* pages that may go back to the kernel: free and unreserved, up to added. */
uint64_t pool_may_give(uint64_t free, uint64_t resv, uint64_t added);

#endif
