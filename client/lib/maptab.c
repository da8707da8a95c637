/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * maptab.c - the process's mappings; see maptab.h.
 *
 * A plain array: a process holds few huge-page mappings (each is at least
 * one huge page), and free_hugepages() is not on anyone's hot path.
 */
#include <errno.h>
#include <stdlib.h>

#include "maptab.h"

static struct mapping *maps;
static size_t nmaps, cap;

int maptab_add(const struct mapping *m)
{
        if (nmaps == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct mapping *n = realloc(maps, ncap * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                maps = n;
                cap = ncap;
        }
        maps[nmaps++] = *m;
        return 0;
}

struct mapping *maptab_find(const void *addr)
{
        for (size_t i = 0; i < nmaps; i++)
                if (maps[i].addr == addr)
                        return &maps[i];
        return NULL;
}

void maptab_remove(struct mapping *m)
{
        *m = maps[--nmaps];
}

struct mapping *maptab_at(size_t i)
{
        return i < nmaps ? &maps[i] : NULL;
}
