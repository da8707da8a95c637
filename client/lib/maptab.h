/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * maptab.h - the mappings this process made with alloc_hugepages().
 *
 * Owns: the list of live mappings and what free_hugepages() needs to undo
 * each one. Not thread-safe: api.c holds its lock.
 */
#ifndef HPLIB_MAPTAB_H
#define HPLIB_MAPTAB_H

#include <stddef.h>
#include <stdint.h>

struct mapping {
        void *addr;
        size_t len;
        uint64_t id;       /* the daemon's segment id */
        uint64_t gen;      /* connection generation that holds our reference; 0: none */
        uint64_t dev, ino; /* the memory's file, to prove it after a daemon restart */
        int key;
};

/* Record a mapping. 0 or -ENOMEM. */
int maptab_add(const struct mapping *m);

/* The mapping that starts at addr, or NULL. Valid until the next add/remove. */
struct mapping *maptab_find(const void *addr);
void maptab_remove(struct mapping *m);

/* Iterate: for (i = 0; (m = maptab_at(i)); i++). */
struct mapping *maptab_at(size_t i);

#endif
