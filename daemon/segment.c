/*
 * segment.c - segments and their memory; see segment.h.
 *
 * segment_make_memory() runs on the worker thread and may take long
 * (fallocate zeroes every page); everything else runs on the loop and is
 * O(1). Nothing here decides who may use a segment: that is policy.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26 /* <linux/memfd.h>; glibc's <sys/mman.h> lacks it */
#endif

#include "log.h"
#include "pool.h"
#include "segment.h"

static struct segment *insert(struct segtab *t, uint64_t id, int32_t key, uint64_t size,
                              struct pool_size *pool, uid_t uid, gid_t gid, mode_t mode)
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
        s->page_size = pool->page_size;
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
        if (key > 0) {
                if (htab_insert(&t->by_key, &s->by_key, (uint64_t)key) < 0) {
                        htab_remove(&t->by_id, &s->by_id);
                        free(s);
                        return NULL;
                }
                s->in_key_index = 1;
        }
        return s;
}

struct segment *segment_new(struct segtab *t, int32_t key, uint64_t size, struct pool_size *pool,
                            uid_t uid, gid_t gid, mode_t mode)
{
        struct segment *s = insert(t, t->last_id + 1, key, size, pool, uid, gid, mode);

        if (s)
                t->last_id = s->id;
        return s;
}

struct segment *segment_restore(struct segtab *t, uint64_t id, int32_t key, uint64_t size,
                                struct pool_size *pool, uid_t uid, gid_t gid, mode_t mode, int fd)
{
        struct segment *s = insert(t, id, key, size, pool, uid, gid, mode);

        if (!s)
                return NULL;
        s->fd = fd;
        s->ready = 1;
        s->restored = 1;
        s->users = 1; /* the grace period, until it ends */
        if (id > t->last_id)
                t->last_id = id;
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

void segment_unlink(struct segtab *t, struct segment *s)
{
        htab_remove(&t->by_id, &s->by_id);
        if (s->in_key_index)
                htab_remove(&t->by_key, &s->by_key);
        s->in_key_index = 0;
}

static int log2u64(uint64_t v)
{
        return 63 - __builtin_clzll(v);
}

int segment_make_memory(struct segment *s)
{
        char name[48];
        unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB;
        int fd, r;

        snprintf(name, sizeof(name), "hugepaged:key=%" PRId32 ":id=%" PRIu64, s->key, s->id);
        flags |= (unsigned)log2u64(s->page_size) << MFD_HUGE_SHIFT;
        fd = memfd_create(name, flags);
        if (fd < 0)
                return -errno;
        /* The inode carries the segment's owner and mode, so that a client
         * holding a read-only descriptor cannot reopen it for writing through
         * /proc/self/fd unless the mode lets it. */
        if (geteuid() == 0 && fchown(fd, s->uid, s->gid) < 0) {
                r = -errno;
                goto fail;
        }
        if (fchmod(fd, s->mode & 0666) < 0) {
                r = -errno;
                goto fail;
        }
        do
                r = fallocate(fd, 0, 0, (off_t)s->size);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
                r = errno == ENOSPC ? -ENOMEM : -errno;
                goto fail;
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
                r = -errno;
                goto fail;
        }
        s->fd = fd;
        return 0;
fail:
        close(fd);
        return r;
}

int segment_fd(struct segment *s, int writable)
{
        char path[32];

        if (writable)
                return s->fd;
        if (s->ro_fd < 0) {
                snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
                s->ro_fd = open(path, O_RDONLY | O_CLOEXEC);
                if (s->ro_fd < 0)
                        return -errno;
        }
        return s->ro_fd;
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
