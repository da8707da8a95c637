/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * maptab.c - the process's held segments and mappings; see maptab.h.
 *
 * Each table is an array (to iterate, and to remove from in O(1)) and hash
 * tables (to find by id, key or address in O(1)): a process may hold
 * thousands of segments, and every alloc_hugepages() looks its key up.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maptab.h"

#define node_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* Kept descriptors: at most a quarter of RLIMIT_NOFILE, and never more
 * than this, so that the program's own open() does not run short for us. */
#define KEEP_FDS_MAX 1024u

struct vec {
        void **v;
        size_t n, cap;
};

static struct vec helds, maps;
static struct htab ids, keys, addrs;
static size_t kept;

static int vec_push(struct vec *v, void *p)
{
        if (v->n == v->cap) {
                size_t ncap = v->cap ? v->cap * 2 : 16;
                void **n = realloc(v->v, ncap * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                v->v = n;
                v->cap = ncap;
        }
        v->v[v->n++] = p;
        return 0;
}

struct held *held_by_id(uint64_t id)
{
        struct hnode *n = htab_find(&ids, id);

        return n ? node_of(n, struct held, by_id) : NULL;
}

struct held *held_by_key(int key)
{
        struct hnode *n = htab_find(&keys, (uint64_t)key);

        return n ? node_of(n, struct held, by_key) : NULL;
}

struct held *held_add(const struct held *tmpl)
{
        struct held *h = malloc(sizeof(*h));

        if (!h)
                return NULL;
        *h = *tmpl;
        h->maps = 0;
        h->keyed = 0;
        h->index = helds.n;
        if (vec_push(&helds, h) < 0) {
                free(h);
                return NULL;
        }
        if (htab_insert(&ids, &h->by_id, h->id) < 0) {
                helds.n--;
                free(h);
                return NULL;
        }
        return h;
}

static void unname(struct held *h)
{
        if (h->keyed)
                htab_remove(&keys, &h->by_key);
        h->keyed = 0;
}

void held_name(struct held *h)
{
        struct held *was = held_by_key(h->key);

        if (was == h)
                return;
        if (was)
                unname(was);
        /* Out of memory, the key is asked of the daemon every time. */
        h->keyed = h->key > 0 && htab_insert(&keys, &h->by_key, (uint64_t)h->key) == 0;
}

void held_remove(struct held *h)
{
        struct held *last = helds.v[--helds.n];

        unname(h);
        htab_remove(&ids, &h->by_id);
        if (last != h) {
                helds.v[h->index] = last;
                last->index = h->index;
        }
        for (int i = 0; i < 2; i++)
                held_keep_fd(h, i, -1);
        free(h);
}

struct held *held_at(size_t i)
{
        return i < helds.n ? helds.v[i] : NULL;
}

int held_identify(struct held *h, int fd)
{
        struct stat st;

        if (h->ino)
                return 0;
        if (fd < 0)
                fd = h->fd[1] >= 0 ? h->fd[1] : h->fd[0];
        if (fd < 0)
                return -EBADF;
        if (fstat(fd, &st) < 0)
                return -errno;
        h->dev = (uint64_t)st.st_dev;
        h->ino = (uint64_t)st.st_ino;
        return 0;
}

/* The budget, read again from the limit every 64 asks (the program may
 * have changed its limit). */
int held_may_keep_fd(void)
{
        static size_t budget, until_check;
        static int known;
        struct rlimit rl;

        if (!known || until_check-- == 0) {
                known = 1;
                budget = KEEP_FDS_MAX;
                if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur / 4 < budget)
                        budget = (size_t)(rl.rlim_cur / 4);
                until_check = 64;
        }
        return kept < budget;
}

void held_keep_fd(struct held *h, int writable, int fd)
{
        int *slot = &h->fd[writable != 0];

        if (*slot >= 0) {
                close(*slot);
                kept--;
        }
        *slot = fd;
        if (fd >= 0)
                kept++;
}

int maptab_add(void *addr, size_t len, struct held *seg)
{
        struct mapping *m = malloc(sizeof(*m));

        if (!m)
                return -ENOMEM;
        *m = (struct mapping){.addr = addr, .len = len, .index = maps.n, .seg = seg};
        if (vec_push(&maps, m) < 0) {
                free(m);
                return -ENOMEM;
        }
        if (htab_insert(&addrs, &m->by_addr, (uint64_t)(uintptr_t)addr) < 0) {
                maps.n--;
                free(m);
                return -ENOMEM;
        }
        seg->maps++;
        return 0;
}

struct mapping *maptab_find(const void *addr)
{
        struct hnode *n = htab_find(&addrs, (uint64_t)(uintptr_t)addr);

        return n ? node_of(n, struct mapping, by_addr) : NULL;
}

void maptab_remove(struct mapping *m)
{
        struct mapping *last = maps.v[--maps.n];

        if (last != m) {
                maps.v[m->index] = last;
                last->index = m->index;
        }
        htab_remove(&addrs, &m->by_addr);
        m->seg->maps--;
        free(m);
}

struct mapping *maptab_at(size_t i)
{
        return i < maps.n ? maps.v[i] : NULL;
}
