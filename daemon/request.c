/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * request.c - the meaning of ALLOC, RELEASE, REGISTER and HELLO; see
 * request.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "hpd.h"
#include "log.h"
#include "memory.h"
#include "policy.h"
#include "request.h"
#include "segref.h"
#include "session.h"

int request_hello(struct client *c, const struct hp_msg *m, struct reply *r)
{
        c->greeted = 1;
        c->wants_progress = (m->u.hello.flags & HP_HELLO_PROGRESS) != 0;
        c->wants_epoch = (m->u.hello.flags & HP_HELLO_EPOCH) != 0;
        r->u.hello = (struct hp_hello_reply){
            .version = HP_PROTO_VERSION,
            .default_page_size = c->hpd->pool.default_size,
        };
        /* Without a page, the client asks the daemon for every key. */
        r->fd = c->wants_epoch ? epoch_client_fd(&c->hpd->epoch) : -1;
        return 0;
}

/* Give c a reference to the ready segment s and its descriptor. */
static int grant(struct client *c, struct segment *s, struct reply *r)
{
        int writable = (c->req.u.alloc.prot & HP_PROT_WRITE) != 0;
        int fd = memory_fd(s, writable), err;

        if (fd < 0) {
                log_warn("segment id=%" PRIu64 ": no descriptor for pid=%d: %s", s->id, c->cred.pid,
                         errname(fd));
                return -ENOMEM;
        }
        err = segref_take(c->hpd, &c->refs, s, 1);
        if (err < 0)
                return err;
        r->u.alloc = (struct hp_alloc_reply){
            .id = s->id,
            .size = s->size,
            .page_size = s->page_size,
            .access = writable ? HP_ACCESS_RDWR : HP_ACCESS_RDONLY,
        };
        r->fd = fd;
        return 0;
}

static int len_ok(uint64_t len, uint64_t page_size)
{
        return len != 0 && len % page_size == 0;
}

/* Start making a new segment for c, who waits as its creator. */
static int create(struct client *c, struct pool_size *ps)
{
        const struct hp_alloc *a = &c->req.u.alloc;
        struct segment *s;
        int r;

        if (!len_ok(a->len, ps->page_size))
                return -EINVAL;
        r = segref_create(c->hpd, &c->cred, a->key, a->len, ps, a->flag & HP_FLAG_MODE, &s);
        if (r < 0)
                return r;
        s->creator = c;
        c->wait_seg = s;
        return REPLY_LATER;
}

/* What ALLOC of c->req comes to: a grant, a wait, or a refusal. */
static int decide(struct client *c, struct reply *r)
{
        const struct hp_alloc *a = &c->req.u.alloc;
        struct hpd *hpd = c->hpd;
        unsigned shift = (a->flag & HP_FLAG_SIZE_MASK) >> HP_FLAG_SIZE_SHIFT;
        uint64_t want = shift ? UINT64_C(1) << shift : 0;
        struct pool_size *ps = pool_find(&hpd->pool, want ? want : hpd->pool.default_size);
        struct segment *s;
        int err;

        /* The hugetlbfs backend has one page size: its mount's. */
        if (!ps || (hpd->backend.page_size && ps->page_size != hpd->backend.page_size))
                return -EINVAL;
        if (a->key == 0)
                return create(c, ps);
        s = segment_by_key(&hpd->segs, a->key);
        if (!s)
                return (a->flag & HP_FLAG_CREAT) ? create(c, ps) : -ENOENT;
        if (!s->ready) {
                /* Someone is making it: ask again when it is made. */
                c->wait_seg = s;
                list_append(&s->waiters, &c->wait_link);
                return REPLY_LATER;
        }
        if ((a->flag & (HP_FLAG_CREAT | HP_FLAG_EXCL)) == (HP_FLAG_CREAT | HP_FLAG_EXCL))
                err = -EEXIST;
        else if (want && want != s->page_size)
                err = -EINVAL;
        else if (policy_check(&c->cred, s, a->prot) < 0)
                err = -EACCES;
        else if (!len_ok(a->len, s->page_size) || a->len > s->size)
                err = -EINVAL;
        else
                return grant(c, s, r);
        return err;
}

/* The whole of ALLOC, from c->req; also run again for those who waited. A
 * refusal is logged at debug: refusals are a program's business, and many. */
static int alloc(struct client *c, struct reply *r)
{
        int err = decide(c, r);

        if (err < 0)
                log_event(LOG_DEBUG, &LOG_REFUSED_KEY(&c->cred, c->req.u.alloc.key, err),
                          "client pid=%d uid=%u: key=%" PRId32 ": %s", c->cred.pid, c->cred.uid,
                          c->req.u.alloc.key, errname(err));
        return err;
}

int request_alloc(struct client *c, const struct hp_msg *m, struct reply *r)
{
        (void)m; /* c->req: a waiter runs it again from there */
        return alloc(c, r);
}

/* Answer a request that waited, unless it waits again. */
static void finish(struct client *c, int result, const struct reply *r)
{
        if (result != REPLY_LATER)
                client_finish(c, result, r);
}

void request_created(struct hpd *hpd, struct segment *s)
{
        struct client *creator = s->creator;
        struct reply r = {.fd = -1};
        struct list waiters;

        s->creator = NULL;
        list_init(&waiters);
        if (!list_empty(&s->waiters)) {
                waiters = s->waiters;
                waiters.next->prev = &waiters;
                waiters.prev->next = &waiters;
                list_init(&s->waiters);
        }
        segref_made(hpd, s);
        if (creator) {
                creator->wait_seg = NULL;
                if (s->error)
                        log_event(LOG_INFO, &LOG_REFUSED_KEY(&creator->cred, s->key, s->error),
                                  "client pid=%d uid=%u: key=%" PRId32 ": %s", creator->cred.pid,
                                  creator->cred.uid, s->key, errname(s->error));
                finish(creator, s->error ? s->error : grant(creator, s, &r), &r);
        }
        /* Everyone who waited asks again, now that the segment is made or gone. */
        while (!list_empty(&waiters)) {
                struct client *c = container_of(waiters.next, struct client, wait_link);

                list_unlink(&c->wait_link);
                c->wait_seg = NULL;
                r.fd = -1;
                finish(c, alloc(c, &r), &r);
        }
        segref_settle(hpd, s);
}

int request_release(struct client *c, const struct hp_msg *m, struct reply *r)
{
        (void)r;
        return segref_release(c->hpd, &c->refs, m->u.ref.id);
}

/* After a daemon restart: a mapping made before it, proved by the memory's
 * device and inode. */
int request_register(struct client *c, const struct hp_msg *m, struct reply *r)
{
        const struct hp_register *reg = &m->u.reg;
        struct segment *s = segment_by_id(&c->hpd->segs, reg->id);
        struct stat st;
        int err;

        (void)r;
        if (!s || !s->ready || fstat(s->fd, &st) < 0 || (uint64_t)st.st_dev != reg->dev ||
            (uint64_t)st.st_ino != reg->ino)
                return -ENOENT;
        if (c->cred.uid != s->uid && policy_check(&c->cred, s, HP_PROT_READ) < 0)
                return -EACCES;
        err = segref_take(c->hpd, &c->refs, s, 1);
        if (!err) {
                /* Counted already for this process, from before the restart
                 * (no store): the count moves to the new connection. */
                struct refs *old = session_absent_of(c->hpd, c->cred.pid, s->id);

                if (old) {
                        segref_release(c->hpd, old, s->id);
                        session_absent_settle(c->hpd, old);
                }
        }
        if (!err)
                log_debug("client pid=%d uid=%u: key=%" PRId32 " id=%" PRIu64 ": registered again",
                          c->cred.pid, c->cred.uid, s->key, s->id);
        return err;
}

/* Every second: those who wait for a segment being made hear that it is. */
static void on_progress(evutil_socket_t fd, short what, void *arg)
{
        struct clients *cs = &((struct hpd *)arg)->clients;

        (void)fd;
        (void)what;
        for (struct list *l = cs->all.next; l != &cs->all; l = l->next) {
                struct client *c = container_of(l, struct client, link);

                if (c->wait_seg && c->wants_progress)
                        client_progress(c);
        }
}

int request_start(struct hpd *hpd)
{
        struct event *ev = event_new(hpd->base, -1, EV_PERSIST, on_progress, hpd);

        if (!ev || event_add(ev, &(struct timeval){REQUEST_PROGRESS_SECONDS, 0}) < 0)
                return -ENOMEM;
        hpd->progress = ev;
        return 0;
}

void request_client_gone(struct client *c)
{
        if (c->wait_seg) {
                if (c->wait_seg->creator == c)
                        c->wait_seg->creator = NULL;
                list_unlink(&c->wait_link);
                c->wait_seg = NULL;
        }
        segref_release_all(c->hpd, &c->refs);
}
