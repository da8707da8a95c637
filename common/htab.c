/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * htab.c - chained hash table; see htab.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "htab.h"

static size_t slot(uint64_t key, size_t nbuckets)
{
        key ^= key >> 33;
        key *= 0xff51afd7ed558ccdULL;
        key ^= key >> 33;
        return (size_t)(key & (nbuckets - 1));
}

static int grow(struct htab *t)
{
        size_t n = t->nbuckets ? t->nbuckets * 2 : 16;
        struct hnode **b = calloc(n, sizeof(*b));

        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < t->nbuckets; i++) {
                struct hnode *e = t->buckets[i];

                while (e) {
                        struct hnode *next = e->next;
                        size_t s = slot(e->key, n);

                        e->next = b[s];
                        b[s] = e;
                        e = next;
                }
        }
        free(t->buckets);
        t->buckets = b;
        t->nbuckets = n;
        return 0;
}

int htab_insert(struct htab *t, struct hnode *n, uint64_t key)
{
        size_t s;

        if (t->count >= t->nbuckets && grow(t) < 0 && t->nbuckets == 0)
                return -ENOMEM;
        n->key = key;
        s = slot(key, t->nbuckets);
        n->next = t->buckets[s];
        t->buckets[s] = n;
        t->count++;
        return 0;
}

struct hnode *htab_find(const struct htab *t, uint64_t key)
{
        if (!t->nbuckets)
                return NULL;
        for (struct hnode *e = t->buckets[slot(key, t->nbuckets)]; e; e = e->next)
                if (e->key == key)
                        return e;
        return NULL;
}

void htab_remove(struct htab *t, struct hnode *n)
{
        struct hnode **pp;

        if (!t->nbuckets)
                return;
        for (pp = &t->buckets[slot(n->key, t->nbuckets)]; *pp; pp = &(*pp)->next) {
                if (*pp == n) {
                        *pp = n->next;
                        n->next = NULL;
                        t->count--;
                        return;
                }
        }
}

void htab_foreach(struct htab *t, void (*fn)(struct hnode *n, void *ctx), void *ctx)
{
        for (size_t i = 0; i < t->nbuckets; i++) {
                struct hnode *e = t->buckets[i];

                while (e) {
                        struct hnode *next = e->next;

                        fn(e, ctx);
                        e = next;
                }
        }
}

void htab_free(struct htab *t)
{
        free(t->buckets);
        t->buckets = NULL;
        t->nbuckets = t->count = 0;
}
