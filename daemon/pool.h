/*
 * pool.h - the kernel's huge page pools, one per page size.
 *
 * Owns: reading /sys/kernel/mm/hugepages/hugepages-<N>kB/ and, when allowed,
 * raising nr_hugepages there, remembering how many pages the daemon added
 * and giving them back. Only the worker thread calls pool_take() and
 * pool_give_back(); the loop may read pool_sizes() at any time (set once).
 */
#ifndef HPD_POOL_H
#define HPD_POOL_H

#include <stddef.h>
#include <stdint.h>

#define POOL_MAX_SIZES 8

struct pool_size {
        uint64_t page_size; /* bytes */
        uint64_t added;     /* pages this daemon added to nr_hugepages */
        uint64_t marked;    /* the added count the marker file says (hugetlbfs backend) */
        char dir[320];      /* /sys/kernel/mm/hugepages/hugepages-<N>kB */
};

struct pool {
        struct pool_size sizes[POOL_MAX_SIZES];
        size_t nsizes;
        uint64_t default_size; /* Hugepagesize from /proc/meminfo */
        int may_grow;          /* raise nr_hugepages when short */
        int state_fd;          /* memfd with the added counts (store.c keeps it), or -1 */
        int marker_dir;        /* hugetlbfs backend: "pool-SIZE-ADDED" files there, or -1 */
};

/* Discover the page sizes. Returns 0, or -ENOENT without huge page support. */
int pool_init(struct pool *p, int may_grow);

/* The pool entry for a page size, or NULL if the kernel has no such pool. */
struct pool_size *pool_find(struct pool *p, uint64_t page_size);

/* Make sure npages pages of that size are free, growing the pool if allowed.
 * Returns 0 or -ENOMEM. */
int pool_take(struct pool *p, struct pool_size *ps, uint64_t npages);

/* Hand back to the kernel as many added pages as are free now. */
void pool_give_back(struct pool *p, struct pool_size *ps);

/* At exit: take every page this daemon added out of the pool. Pages still
 * mapped by clients become surplus pages, which the kernel frees when they
 * are unmapped. */
void pool_shutdown(struct pool *p);

/* Take the added counts from a state memfd a previous daemon left in
 * systemd's store; the pool keeps fd. 0 or -EINVAL. */
int pool_load_state(struct pool *p, int fd);

/* With the hugetlbfs backend: keep the added counts as empty files named
 * "pool-PAGESIZE-ADDED" in dirfd (hugetlbfs files hold no bytes), and take
 * them from there now. */
void pool_use_markers(struct pool *p, int dirfd);

/* Current kernel figures for one size. Returns 0 or a negative errno. */
int pool_read(const struct pool_size *ps, uint64_t *total, uint64_t *free, uint64_t *resv);

#endif
