/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * segment.c - the table of segments; see segment.h.
 *
 * Everything here runs on the loop and is O(1), but segment_foreach. Nothing
 * here makes memory (memory.c), decides who may use a segment (policy.c), or
 * when it dies (segref.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "persist.h"
#include "pool.h"
#include "segment.h"

static struct segment *insert(struct segtab *t, uint64_t id, int32_t key, uint64_t size,
                              struct pool_size *pool, uint64_t page_size, uid_t uid, gid_t gid,
                              mode_t mode)
{
        struct segment *s;

        if (htab_find(&t->by_id, id) || (key > 0 && htab_find(&t->by_key, (uint64_t)key)))
                return NULL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->id = id;
        s->key = key;
        s->size = size;
        s->page_size = page_size;
        s->pool = pool;
        s->uid = uid;
        s->gid = gid;
        s->mode = mode & 0777;
        s->ctime = time(NULL);
        s->fd = s->ro_fd = -1;
        list_init(&s->waiters);
        if (htab_insert(&t->by_id, &s->by_id, s->id) < 0) {
                free(s);
                return NULL;
        }
        s->in_id_index = 1;
        if (key > 0) {
                if (htab_insert(&t->by_key, &s->by_key, (uint64_t)key) < 0) {
                        htab_remove(&t->by_id, &s->by_id);
                        free(s);
                        return NULL;
                }
                s->in_key_index = 1;
        }
        if (id > t->last_id)
                t->last_id = id;
        return s;
}

struct segment *segment_new(struct segtab *t, int32_t key, uint64_t size, struct pool_size *pool,
                            uid_t uid, gid_t gid, mode_t mode)
{
        return insert(t, t->last_id + 1, key, size, pool, pool->page_size, uid, gid, mode);
}

struct segment *segment_restore(struct segtab *t, const struct persist_rec *r,
                                struct pool_size *pool, int fd)
{
        struct segment *s;

        if (r->kind != PERSIST_SEGMENT)
                return NULL;
        s = insert(t, r->u.seg.id, r->u.seg.key, r->u.seg.size, pool, r->u.seg.page_size,
                   r->u.seg.uid, r->u.seg.gid, r->u.seg.mode);
        if (!s)
                return NULL;
        s->fd = fd;
        s->ready = 1;
        s->ctime = (time_t)r->u.seg.ctime;
        return s;
}

struct segment *segment_by_id(struct segtab *t, uint64_t id)
{
        struct hnode *n = htab_find(&t->by_id, id);

        return n ? container_of(n, struct segment, by_id) : NULL;
}

struct segment *segment_by_key(struct segtab *t, int32_t key)
{
        struct hnode *n = htab_find(&t->by_key, (uint64_t)key);

        return n ? container_of(n, struct segment, by_key) : NULL;
}

void segment_forget_key(struct segtab *t, struct segment *s)
{
        if (s->in_key_index)
                htab_remove(&t->by_key, &s->by_key);
        s->in_key_index = 0;
        s->removed = 1;
}

void segment_unlink(struct segtab *t, struct segment *s)
{
        if (s->in_id_index)
                htab_remove(&t->by_id, &s->by_id);
        if (s->in_key_index)
                htab_remove(&t->by_key, &s->by_key);
        s->in_id_index = s->in_key_index = 0;
}

void segment_record(const struct segment *s, struct persist_rec *r)
{
        memset(r, 0, sizeof(*r));
        r->kind = PERSIST_SEGMENT;
        r->u.seg.id = s->id;
        r->u.seg.key = s->removed ? 0 : s->key;
        r->u.seg.uid = (uint32_t)s->uid;
        r->u.seg.gid = (uint32_t)s->gid;
        r->u.seg.mode = (uint32_t)s->mode;
        r->u.seg.size = s->size;
        r->u.seg.page_size = s->page_size;
        r->u.seg.ctime = (int64_t)s->ctime;
}

int segment_name(const struct segment *s, char *buf, size_t cap)
{
        struct persist_rec r;
        int n;

        segment_record(s, &r);
        n = persist_format(&r, buf, cap);
        return n < 0 ? n : 0;
}

void segment_free(struct segment *s)
{
        if (s->fd >= 0)
                close(s->fd);
        if (s->ro_fd >= 0)
                close(s->ro_fd);
        free(s);
}

struct foreach_ctx {
        void (*fn)(struct segment *s, void *ctx);
        void *ctx;
};

static void foreach_one(struct hnode *n, void *ctx)
{
        struct foreach_ctx *f = ctx;

        f->fn(container_of(n, struct segment, by_id), f->ctx);
}

void segment_foreach(struct segtab *t, void (*fn)(struct segment *s, void *ctx), void *ctx)
{
        struct foreach_ctx f = {fn, ctx};

        htab_foreach(&t->by_id, foreach_one, &f);
}
