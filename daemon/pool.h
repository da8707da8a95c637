/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pool.h - the kernel's huge page pools, one per page size.
 *
 * Owns: reading /sys/kernel/mm/hugepages/hugepages-<N>kB/ and growing a
 * pool for the moment a segment's memory is made. The daemon never keeps
 * pages in the pool: it raises the pool by what a segment lacks
 * (nr_overcommit_hugepages where the kernel allows surplus pages of that
 * size, else nr_hugepages), allocates, and takes the raise straight back
 * (pool_ungrow), so that those pages are surplus pages, which the kernel
 * frees by itself when their last user lets go. The pool is then always the
 * administrator's figure. Only the worker grows and ungrows; the loop reads
 * at any time. Must never persist anything (keep.c does) nor know of
 * segments.
 */
#ifndef HPD_POOL_H
#define HPD_POOL_H

#include <stddef.h>
#include <stdint.h>

#define POOL_MAX_SIZES 8

struct pool_size {
        uint64_t page_size; /* bytes */
        int surplus;        /* grows by nr_overcommit_hugepages (else nr_hugepages) */
        char dir[320];      /* /sys/kernel/mm/hugepages/hugepages-<N>kB */
        /* Since start (atomic: the worker's): pages the daemon raised the
         * setting by, and lowered it by again. */
        uint64_t pages_added, pages_returned;
        uint64_t warm_ready; /* bytes ready in the warm pool (atomic: the worker's) */
};

struct pool {
        struct pool_size sizes[POOL_MAX_SIZES];
        size_t nsizes;
        uint64_t default_size; /* Hugepagesize from /proc/meminfo */
        int may_grow;          /* grow the pool when short (atomic: set on the loop) */
        uint64_t max_grow;     /* bytes of surplus pages the daemon may bring about (atomic) */
};

/* A growth in progress: pages raised, and the setting's value before. */
struct pool_growth {
        uint64_t pages, base;
};

/* Discover the page sizes. Returns 0, or -ENOENT without huge page support. */
int pool_init(struct pool *p, int may_grow);

/* The pool entry for a page size, or NULL if the kernel has no such pool. */
struct pool_size *pool_find(struct pool *p, uint64_t page_size);

/* Make sure npages pages of that size can be had now, growing the pool if
 * allowed and need be (*g says by how much; pages 0: not at all). 0 or
 * -ENOMEM. After the memory is made, or not, pool_ungrow(g). A raise is
 * first told to record (if not NULL), before the setting is written: a
 * daemon killed in between leaves a record of it, never a raise unrecorded
 * (pool_undo() never goes below the base, so a record of a raise that did
 * not happen undoes nothing). *planned is what was recorded (pages 0: none). */
int pool_grow(struct pool *p, struct pool_size *ps, uint64_t npages, struct pool_growth *g,
              void (*record)(void *arg, const struct pool_growth *planned), void *arg,
              struct pool_growth *planned);
void pool_ungrow(struct pool_size *ps, const struct pool_growth *g);

/* At start: a growth a daemon that died before taking it back left. */
void pool_undo(struct pool_size *ps, const struct pool_growth *g);

/* Whether, and by how many bytes at most (all sizes together), the pool may
 * grow: from the loop, at start and on reload. */
void pool_set_growth(struct pool *p, int may_grow, uint64_t max_grow);

/* A /proc/meminfo figure in bytes ("MemTotal"), or 0. */
uint64_t pool_meminfo(const char *field);

/* Surplus pages of that size now: what growth brought about and users
 * still hold. */
uint64_t pool_surplus(const struct pool_size *ps);

/* Current kernel figures for one size. Returns 0 or a negative errno. */
int pool_read(const struct pool_size *ps, uint64_t *total, uint64_t *free, uint64_t *resv);

/* The arithmetic, apart from the files (unit-tested):
 * pages of page_size the pool may grow by, leaving an eighth of mem_total
 * as ordinary memory beyond what mem_available says; */
uint64_t pool_grow_room(uint64_t mem_available, uint64_t mem_total, uint64_t page_size);
/* pages free for the taking: free and unreserved. */
uint64_t pool_unused(uint64_t free, uint64_t resv);
/* pages of page_size that growth may still bring about under max_grow bytes,
 * with surplus bytes already out. */
uint64_t pool_grow_allowed(uint64_t max_grow, uint64_t surplus, uint64_t page_size);

#endif
