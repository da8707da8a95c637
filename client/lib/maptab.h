/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * maptab.h - what this process maps with alloc_hugepages().
 *
 * Owns: the segments this process holds (struct held: one per segment, with
 * the descriptor kept for it and the number of its mappings) and the mappings
 * (struct mapping: where each is, and which segment). The daemon counts one
 * reference per segment per connection, however many times this process maps
 * it; the count of mappings is ours (docs/lifetimes.md). Not thread-safe:
 * api.c holds its lock.
 */
#ifndef HPLIB_MAPTAB_H
#define HPLIB_MAPTAB_H

#include <stddef.h>
#include <stdint.h>

#include "htab.h"

/* A held segment's epoch when nothing says what its key names now. */
#define HELD_STALE UINT64_C(0)

struct held {
        struct hnode by_id;  /* the segment's id */
        struct hnode by_key; /* its key, while the key names it (keyed) */
        uint64_t id;         /* the daemon's segment id */
        uint64_t gen;        /* connection generation that holds our reference; 0: none */
        uint64_t dev, ino;   /* the memory's file, to prove it after a daemon restart;
                              * 0, 0: not asked yet (a descriptor is kept) */
        uint64_t size, page_size;
        uint64_t epoch;     /* the key epoch at which the daemon last named it by key */
        unsigned long maps; /* mappings of it that this process has */
        size_t index;       /* in the table's array */
        int key;
        int keyed; /* found by key: the last ALLOC of the key gave this segment */
        int fd[2]; /* kept for mapping it again: [0] read-only, [1] read-write; or -1 */
};

struct mapping {
        struct hnode by_addr;
        void *addr;
        size_t len;
        size_t index; /* in the table's array */
        struct held *seg;
};

/* The segment with that id, or the one that key names (as far as this
 * process knows), or NULL. */
struct held *held_by_id(uint64_t id);
struct held *held_by_key(int key);
/* A new held segment (a copy of h, with no mappings, not keyed); NULL when out
 * of memory. */
struct held *held_add(const struct held *h);
/* The key names h now, and no other segment this process holds. */
void held_name(struct held *h);
/* Forget h, closing its descriptor (its mappings must be gone). */
void held_remove(struct held *h);
/* Iterate: for (i = 0; (h = held_at(i)); i++); held_remove(h) keeps i valid
 * for the next element only if the loop then does not advance. */
struct held *held_at(size_t i);
/* Learn h's device and inode, from fd or a kept descriptor, unless known:
 * 0, or a negative errno. */
int held_identify(struct held *h, int fd);
/* Descriptors kept, against the budget (a share of RLIMIT_NOFILE). */
int held_may_keep_fd(void);
/* Keep fd as h's read-only ([0]) or read-write ([1]) descriptor. */
void held_keep_fd(struct held *h, int writable, int fd);

/* Record a mapping of seg. 0 or -ENOMEM; seg->maps counts it. */
int maptab_add(void *addr, size_t len, struct held *seg);
/* The mapping that starts at addr, or NULL. */
struct mapping *maptab_find(const void *addr);
/* Forget m (seg->maps drops); the held segment stays. */
void maptab_remove(struct mapping *m);
/* Iterate as held_at(). */
struct mapping *maptab_at(size_t i);

#endif
