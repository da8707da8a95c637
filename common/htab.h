/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * htab.h - a chained hash table from a 64-bit key to an intrusive node.
 *
 * Owns only its bucket array; nodes belong to whatever embeds them. Lookups
 * are O(1) on average; the table doubles when it holds more nodes than buckets.
 */
#ifndef HP_HTAB_H
#define HP_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct hnode {
        struct hnode *next;
        uint64_t key;
};

struct htab {
        struct hnode **buckets;
        size_t nbuckets; /* a power of two, or 0 before the first insert */
        size_t count;
};

/* Insert n under key. Returns 0 or -ENOMEM. The key must not be present. */
int htab_insert(struct htab *t, struct hnode *n, uint64_t key);
struct hnode *htab_find(const struct htab *t, uint64_t key);
void htab_remove(struct htab *t, struct hnode *n);
void htab_free(struct htab *t);

/* Visit every node; the callback may remove the node it is given. */
void htab_foreach(struct htab *t, void (*fn)(struct hnode *n, void *ctx), void *ctx);

#endif
