/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * segref.c - segments' lives; see segref.h.
 *
 * A reference is one successful alloc_hugepages() (or one inherited mapping
 * a forked child claimed, or one mapping registered again after a restart)
 * held by one holder. A segment lives while any holder has a reference to
 * it; the moment the count reaches zero the key is free again and the memory
 * goes to the worker to be released.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "config.h"
#include "hpd.h"
#include "log.h"
#include "memory.h"
#include "persist.h"
#include "segref.h"
#include "worker.h"

struct ref {
        struct hnode node; /* key: segment id */
        struct segment *seg;
        uint64_t count;
        uint32_t slot; /* in the ledger; 0: not recorded */
};

static void destroy(struct hpd *hpd, struct segment *s)
{
        /* Stopping is not destroying: what systemd's store or the hugetlbfs
         * directory holds is for the next daemon. segref_shutdown() frees
         * what is left in the table. (A create that failed has nothing kept.) */
        if (hpd->stopping && s->ready)
                return;
        if (s->ready) {
                hpd->destroyed++;
                log_event(LOG_INFO,
                          &(struct log_ctx){.fields = LOG_KEY | LOG_SEGMENT,
                                            .message_id = LOG_ID_DESTROYED,
                                            .key = s->key,
                                            .segment = s->id},
                          "segment id=%" PRIu64 " key=%" PRId32 ": destroyed, its last user gone",
                          s->id, s->key);
        }
        keep_forget(&hpd->keep, s);
        segment_unlink(&hpd->segs, s);
        user_uncharge(&hpd->users, &s->bytes);
        user_uncharge(&hpd->users, &s->count);
        worker_destroy(hpd->worker, s);
}

static void drop_users(struct hpd *hpd, struct segment *s, uint64_t n)
{
        s->users -= n;
        if (s->users == 0 && s->ready)
                destroy(hpd, s);
}

void refs_init(struct refs *holder, uint32_t kind, uint64_t id)
{
        *holder = (struct refs){.holder = id, .kind = kind};
}

/* Stage r's count in the ledger. */
static void record(struct hpd *hpd, const struct refs *holder, const struct ref *r)
{
        struct persist_slot s = {
            .kind = PERSIST_SLOT_REF,
            .sub = holder->kind,
            .id = holder->holder,
            .a = r->seg->id,
            .b = r->count,
        };

        ledger_set(&hpd->ledger, r->slot, &s);
}

static struct ref *find(const struct refs *holder, uint64_t id)
{
        struct hnode *h = htab_find(&holder->by_seg, id);

        return h ? container_of(h, struct ref, node) : NULL;
}

/* The holder's entry for s, made if need be, in ledger slot (0: a new one
 * if the holder is recorded). */
static struct ref *entry_at(struct hpd *hpd, struct refs *holder, struct segment *s, uint32_t slot)
{
        struct ref *r = find(holder, s->id);

        if (r)
                return r;
        r = calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        if ((!slot && holder->holder && ledger_alloc(&hpd->ledger, &slot) < 0) ||
            htab_insert(&holder->by_seg, &r->node, s->id) < 0) {
                free(r);
                return NULL;
        }
        r->seg = s;
        r->slot = slot;
        return r;
}

static struct ref *entry(struct hpd *hpd, struct refs *holder, struct segment *s)
{
        return entry_at(hpd, holder, s, 0);
}

static void unentry(struct hpd *hpd, struct refs *holder, struct ref *r)
{
        ledger_free(&hpd->ledger, r->slot);
        htab_remove(&holder->by_seg, &r->node);
        free(r);
}

int segref_take(struct hpd *hpd, struct refs *holder, struct segment *s, uint64_t n)
{
        struct ref *r = entry(hpd, holder, s);

        if (!r)
                return -ENOMEM;
        r->count += n;
        s->users += n;
        record(hpd, holder, r);
        return 0;
}

int segref_adopt(struct hpd *hpd, struct refs *holder, struct segment *s, uint64_t count,
                 uint32_t slot)
{
        struct ref *r = entry_at(hpd, holder, s, slot);

        if (!r)
                return -ENOMEM;
        if (r->slot != slot) {
                /* Two slots for one pair (never written so): one is enough. */
                ledger_free(&hpd->ledger, slot);
                r->count += count;
                record(hpd, holder, r);
        } else {
                r->count += count;
        }
        s->users += count;
        return 0;
}

int segref_release(struct hpd *hpd, struct refs *holder, uint64_t id)
{
        struct ref *r = find(holder, id);
        struct segment *s;

        if (!r)
                return -EINVAL;
        s = r->seg;
        if (--r->count == 0)
                unentry(hpd, holder, r);
        else
                record(hpd, holder, r);
        drop_users(hpd, s, 1);
        return 0;
}

struct walk {
        struct hpd *hpd;
        struct refs *holder, *to;
        int err;
};

static void release_one(struct hnode *n, void *arg)
{
        struct walk *w = arg;
        struct ref *r = container_of(n, struct ref, node);
        struct segment *s = r->seg;
        uint64_t count = r->count;

        unentry(w->hpd, w->holder, r);
        drop_users(w->hpd, s, count);
}

void segref_release_all(struct hpd *hpd, struct refs *holder)
{
        struct walk w = {hpd, holder, NULL, 0};

        htab_foreach(&holder->by_seg, release_one, &w);
        htab_free(&holder->by_seg);
}

static void copy_one(struct hnode *n, void *arg)
{
        struct walk *w = arg;
        struct ref *r = container_of(n, struct ref, node);

        if (w->err || r->seg->key == 0) /* private segments are not inherited */
                return;
        w->err = segref_take(w->hpd, w->to, r->seg, r->count);
}

int segref_copy_keyed(struct hpd *hpd, const struct refs *from, struct refs *to)
{
        struct walk w = {hpd, NULL, to, 0};

        htab_foreach((struct htab *)&from->by_seg, copy_one, &w);
        if (w.err)
                segref_release_all(hpd, to);
        return w.err;
}

static void move_one(struct hnode *n, void *arg)
{
        struct walk *w = arg;
        struct ref *r = container_of(n, struct ref, node);
        struct ref *t;

        if (w->err)
                return;
        t = entry(w->hpd, w->to, r->seg);
        if (!t) {
                w->err = -ENOMEM;
                return;
        }
        /* The two slots change together, or a restart would count twice. */
        ledger_room(&w->hpd->ledger, 2);
        t->count += r->count;
        record(w->hpd, w->to, t);
        unentry(w->hpd, w->holder, r);
}

int segref_move_all(struct hpd *hpd, struct refs *from, struct refs *to)
{
        struct walk w = {hpd, from, to, 0};

        htab_foreach(&from->by_seg, move_one, &w);
        return w.err;
}

uint64_t segref_count(const struct refs *holder, uint64_t id)
{
        struct ref *r = find(holder, id);

        return r ? r->count : 0;
}

size_t segref_nsegments(const struct refs *holder)
{
        return holder->by_seg.count;
}

/* The owner's charges for s: its bytes (of its page size, and all sizes
 * together, and all non-root users together) and one segment. force: what
 * exists already is counted, never refused. */
static int charge(struct hpd *hpd, struct segment *s, const struct limits *l, int force)
{
        size_t size = (size_t)(s->pool - hpd->pool.sizes);
        int r;

        r = user_charge(&hpd->users, &s->bytes, s->uid, USER_BYTES, size, s->size, l->bytes,
                        config_bytes_limit(l, s->page_size), hpd->config->all_users, force);
        if (r == 0)
                r = user_charge(&hpd->users, &s->count, s->uid, USER_SEGMENTS, 0, 1, l->segments, 0,
                                0, force);
        if (r < 0)
                user_uncharge(&hpd->users, &s->bytes);
        return r;
}

int segref_create(struct hpd *hpd, const struct creds *cr, int32_t key, uint64_t size,
                  struct pool_size *ps, mode_t mode, struct segment **out)
{
        struct segment *s;
        struct limits l;
        int r;

        if (!keep_room(&hpd->keep)) {
                if (user_should_log(&hpd->users, cr->uid, USER_SEGMENTS))
                        log_event(LOG_WARNING, &LOG_REFUSED_KEY(cr, key, ENOSPC),
                                  "client pid=%d uid=%u: key=%" PRId32 " refused: systemd's store "
                                  "is full (%u entries; ENOSPC; logged once)",
                                  cr->pid, (unsigned)cr->uid, key, hpd->keep.store_max);
                return -ENOSPC;
        }
        s = segment_new(&hpd->segs, key, size, ps, cr->uid, cr->gid, mode);
        if (!s)
                return -ENOMEM;
        config_limits_for(hpd->config, cr, &l);
        r = charge(hpd, s, &l, 0);
        if (r < 0) {
                if (r == -EDQUOT && user_should_log(&hpd->users, cr->uid, USER_BYTES))
                        log_event(LOG_WARNING, &LOG_REFUSED_KEY(cr, key, EDQUOT),
                                  "client pid=%d uid=%u: key=%" PRId32 " %" PRIu64
                                  " bytes refused: over its limits (EDQUOT; logged once)",
                                  cr->pid, (unsigned)cr->uid, key, size);
                segment_unlink(&hpd->segs, s);
                segment_free(s);
                return r;
        }
        log_debug("client pid=%d uid=%u: key=%" PRId32 " id=%" PRIu64 ": creating", cr->pid,
                  (unsigned)cr->uid, s->key, s->id);
        s->creator_pid = cr->pid;
        worker_create(hpd->worker, s);
        *out = s;
        return 0;
}

void segref_made(struct hpd *hpd, struct segment *s)
{
        if (s->error == 0) {
                s->ready = 1;
                hpd->created++;
                keep_segment(&hpd->keep, s);
                log_event(LOG_INFO,
                          &(struct log_ctx){.fields = LOG_KEY | LOG_SEGMENT | LOG_PEER,
                                            .message_id = LOG_ID_CREATED,
                                            .key = s->key,
                                            .segment = s->id,
                                            .pid = s->creator_pid,
                                            .uid = s->uid},
                          "client pid=%d uid=%u: key=%" PRId32 " id=%" PRIu64 " %" PRIu64
                          " bytes of %" PRIu64 " kB pages, mode %03o: created",
                          (int)s->creator_pid, (unsigned)s->uid, s->key, s->id, s->size,
                          s->page_size / 1024, (unsigned)s->mode);
        } else {
                segment_unlink(&hpd->segs, s); /* the key is free for the next try */
        }
}

void segref_settle(struct hpd *hpd, struct segment *s)
{
        if (s->users == 0)
                destroy(hpd, s);
}

struct segment *segref_restore(struct hpd *hpd, const struct persist_rec *r, struct pool_size *ps,
                               int fd, int kept)
{
        struct segment *s = segment_restore(&hpd->segs, r, ps, fd);

        if (!s)
                return NULL;
        s->kept = kept;
        if (charge(hpd, s, &(struct limits){0}, 1) < 0) {
                user_uncharge(&hpd->users, &s->bytes);
                user_uncharge(&hpd->users, &s->count);
                segment_unlink(&hpd->segs, s);
                s->fd = -1; /* still the caller's */
                segment_free(s);
                return NULL;
        }
        return s;
}

void segref_remove_key(struct hpd *hpd, struct segment *s)
{
        char old[PERSIST_MAX + 1];
        int named = segment_name(s, old, sizeof(old)) == 0;

        keep_forget(&hpd->keep, s);
        segment_forget_key(&hpd->segs, s);
        if (named)
                memory_rename(&hpd->backend, s, old);
        keep_segment(&hpd->keep, s);
}

static void free_one(struct segment *s, void *arg)
{
        struct hpd *hpd = arg;

        segment_unlink(&hpd->segs, s);
        user_uncharge(&hpd->users, &s->bytes);
        user_uncharge(&hpd->users, &s->count);
        segment_free(s);
}

void segref_shutdown(struct hpd *hpd)
{
        segment_foreach(&hpd->segs, free_one, hpd);
        htab_free(&hpd->segs.by_id);
        htab_free(&hpd->segs.by_key);
}
