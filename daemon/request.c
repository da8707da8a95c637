/*
 * request.c - the meaning of each request; see request.h.
 *
 * A reference is one successful alloc_hugepages() (or one inherited mapping
 * registered by a forked child) on one connection. A segment lives while any
 * connection holds a reference to it; the moment the count reaches zero the
 * key is free again and the memory goes to the worker to be released.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin.h"
#include "client.h"
#include "hold.h"
#include "hpd.h"
#include "log.h"
#include "policy.h"
#include "request.h"
#include "store.h"
#include "worker.h"

struct ref {
        struct hnode node; /* key: segment id */
        struct segment *seg;
        uint64_t count;
};

static const char *ename(int err)
{
        const char *n = strerrorname_np(err);

        return n ? n : "?";
}

static void destroy(struct hpd *hpd, struct segment *s)
{
        /* Stopping is not destroying: what systemd's store or the hugetlbfs
         * directory holds is for the next daemon (systemd empties its store
         * on "systemctl stop"). main() closes what is left in the table. */
        if (hpd->stopping)
                return;
        log_debug("segment id=%" PRIu64 " key=%" PRId32 ": destroyed", s->id, s->key);
        store_remove(s);
        segment_unlink(&hpd->segs, s);
        worker_destroy(hpd->worker, s);
}

void request_unref(struct hpd *hpd, struct segment *s, uint64_t n)
{
        s->users -= n;
        if (s->users == 0)
                destroy(hpd, s);
}

int request_ref_add(struct client *c, struct segment *s, uint64_t n, int already_counted)
{
        struct hnode *h = htab_find(&c->refs, s->id);
        struct ref *r;

        if (h) {
                r = container_of(h, struct ref, node);
        } else {
                r = calloc(1, sizeof(*r));
                if (!r)
                        return -ENOMEM;
                if (htab_insert(&c->refs, &r->node, s->id) < 0) {
                        free(r);
                        return -ENOMEM;
                }
                r->seg = s;
        }
        r->count += n;
        if (!already_counted)
                s->users += n;
        return 0;
}

struct foreach_ref_ctx {
        void (*fn)(struct segment *s, uint64_t n, void *ctx);
        void *ctx;
};

static void foreach_ref_one(struct hnode *h, void *arg)
{
        struct foreach_ref_ctx *f = arg;
        struct ref *r = container_of(h, struct ref, node);

        f->fn(r->seg, r->count, f->ctx);
}

void request_foreach_ref(struct client *c, void (*fn)(struct segment *s, uint64_t n, void *ctx),
                         void *ctx)
{
        struct foreach_ref_ctx f = {fn, ctx};

        htab_foreach(&c->refs, foreach_ref_one, &f);
}

static void reply_alloc_error(struct client *c, int err)
{
        struct hp_alloc_reply r = {.st.status = err};

        client_reply(c, HP_MSG_ALLOC_REPLY, &r, sizeof(r), -1);
}

static void reply_status(struct client *c, uint16_t type, int err)
{
        struct hp_status st = {.status = err};

        client_reply(c, type, &st, sizeof(st), -1);
}

/* Give c a reference to the ready segment s and its descriptor. */
static void grant(struct client *c, struct segment *s)
{
        int writable = (c->req.u.alloc.prot & HP_PROT_WRITE) != 0;
        struct hp_alloc_reply r = {
            .id = s->id,
            .size = s->size,
            .page_size = s->page_size,
            .access = writable ? HP_ACCESS_RDWR : HP_ACCESS_RDONLY,
        };
        int fd = segment_fd(s, writable), err;

        if (fd < 0) {
                log_warn("segment id=%" PRIu64 ": no descriptor for pid=%d: %s", s->id, c->cred.pid,
                         ename(-fd));
                reply_alloc_error(c, ENOMEM);
                return;
        }
        err = request_ref_add(c, s, 1, 0);
        if (err < 0) {
                reply_alloc_error(c, -err);
                return;
        }
        client_reply(c, HP_MSG_ALLOC_REPLY, &r, sizeof(r), fd);
}

static int len_ok(uint64_t len, uint64_t page_size)
{
        return len != 0 && len % page_size == 0;
}

/* Start making a new segment for c, who waits as its creator. */
static void create(struct client *c, struct pool_size *ps)
{
        const struct hp_alloc *a = &c->req.u.alloc;
        struct segment *s;

        if (!len_ok(a->len, ps->page_size)) {
                reply_alloc_error(c, EINVAL);
                return;
        }
        s = segment_new(&c->hpd->segs, a->key, a->len, ps, c->cred.uid, c->cred.gid,
                        a->flag & HP_FLAG_MODE);
        if (!s) {
                reply_alloc_error(c, ENOMEM);
                return;
        }
        s->creator = c;
        c->wait_seg = s;
        log_info("client pid=%d uid=%u: key=%" PRId32 " id=%" PRIu64 " %" PRIu64
                 " bytes of %" PRIu64 " kB pages, mode %03o: creating",
                 c->cred.pid, c->cred.uid, s->key, s->id, s->size, s->page_size / 1024,
                 (unsigned)s->mode);
        worker_create(c->hpd->worker, s);
}

static void alloc(struct client *c)
{
        const struct hp_alloc *a = &c->req.u.alloc;
        struct hpd *hpd = c->hpd;
        unsigned shift = (a->flag & HP_FLAG_SIZE_MASK) >> HP_FLAG_SIZE_SHIFT;
        uint64_t want = shift ? UINT64_C(1) << shift : 0;
        struct pool_size *ps = pool_find(&hpd->pool, want ? want : hpd->pool.default_size);
        struct segment *s;
        int err;

        /* The hugetlbfs backend has one page size: its mount's. */
        if (!ps || (segment_backend_page_size() &&
                    (want ? want : ps->page_size) != segment_backend_page_size())) {
                reply_alloc_error(c, EINVAL);
                return;
        }
        if (a->key == 0) {
                create(c, ps);
                return;
        }
        s = segment_by_key(&hpd->segs, a->key);
        if (!s) {
                if (!(a->flag & HP_FLAG_CREAT)) {
                        reply_alloc_error(c, ENOENT);
                        return;
                }
                create(c, ps);
                return;
        }
        if (!s->ready) {
                /* Someone is making it: ask again when it is made. */
                c->wait_seg = s;
                list_append(&s->waiters, &c->wait_link);
                return;
        }
        if ((a->flag & (HP_FLAG_CREAT | HP_FLAG_EXCL)) == (HP_FLAG_CREAT | HP_FLAG_EXCL))
                err = EEXIST;
        else if (want && want != s->page_size)
                err = EINVAL;
        else if (policy_check(&c->cred, s, a->prot) < 0)
                err = EACCES;
        else if (!len_ok(a->len, s->page_size) || a->len > s->size)
                err = EINVAL;
        else
                err = 0;
        if (err) {
                log_debug("client pid=%d uid=%u: key=%" PRId32 ": %s", c->cred.pid, c->cred.uid,
                          a->key, ename(err));
                reply_alloc_error(c, err);
                return;
        }
        grant(c, s);
}

void request_created(struct segment *s, void *arg)
{
        struct hpd *hpd = arg;
        struct client *creator = s->creator;
        struct list waiters;

        s->creator = NULL;
        list_init(&waiters);
        if (!list_empty(&s->waiters)) {
                waiters = s->waiters;
                waiters.next->prev = &waiters;
                waiters.prev->next = &waiters;
                list_init(&s->waiters);
        }
        if (s->error == 0) {
                s->ready = 1;
                store_add(s);
        } else
                segment_unlink(&hpd->segs, s); /* the key is free for the next try */

        if (creator) {
                creator->wait_seg = NULL;
                if (s->error) {
                        log_info("client pid=%d uid=%u: key=%" PRId32 ": %s", creator->cred.pid,
                                 creator->cred.uid, s->key, ename(-s->error));
                        reply_alloc_error(creator, -s->error);
                } else {
                        grant(creator, s);
                }
        }
        /* Everyone who waited asks again, now that the segment is made or gone. */
        while (!list_empty(&waiters)) {
                struct client *c = container_of(waiters.next, struct client, wait_link);

                list_unlink(&c->wait_link);
                c->wait_seg = NULL;
                alloc(c);
        }
        if (s->error)
                segment_free(s);
        else if (s->users == 0)
                destroy(hpd, s);
}

static void release(struct client *c)
{
        struct hnode *n = htab_find(&c->refs, c->req.u.ref.id);
        struct segment *s;
        struct ref *r;

        if (!n) {
                reply_status(c, HP_MSG_RELEASE_REPLY, EINVAL);
                return;
        }
        r = container_of(n, struct ref, node);
        s = r->seg;
        if (--r->count == 0) {
                htab_remove(&c->refs, &r->node);
                free(r);
        }
        /* Reply first: the client need not wait for the teardown. */
        reply_status(c, HP_MSG_RELEASE_REPLY, 0);
        request_unref(c->hpd, s, 1);
}

/* After a daemon restart: a mapping made before it, proved by the memory's
 * device and inode. */
static void register_mapping(struct client *c)
{
        const struct hp_register *r = &c->req.u.reg;
        struct segment *s = segment_by_id(&c->hpd->segs, r->id);
        struct stat st;
        int err;

        if (!s || !s->ready || fstat(s->fd, &st) < 0 || (uint64_t)st.st_dev != r->dev ||
            (uint64_t)st.st_ino != r->ino)
                err = ENOENT;
        else if (c->cred.uid != s->uid && policy_check(&c->cred, s, HP_PROT_READ) < 0)
                err = EACCES;
        else
                err = -request_ref_add(c, s, 1, 0);
        if (!err)
                log_debug("client pid=%d uid=%u: key=%" PRId32 " id=%" PRIu64 ": registered again",
                          c->cred.pid, c->cred.uid, s->key, s->id);
        reply_status(c, HP_MSG_REGISTER_REPLY, err);
}

static void hello(struct client *c)
{
        struct hp_hello_reply r = {
            .version = HP_PROTO_VERSION,
            .default_page_size = c->hpd->pool.default_size,
        };

        c->greeted = 1;
        client_reply(c, HP_MSG_HELLO_REPLY, &r, sizeof(r), -1);
}

void request_dispatch(struct client *c)
{
        switch (c->req.hdr.type) {
        case HP_MSG_HELLO:
                hello(c);
                break;
        case HP_MSG_ALLOC:
                alloc(c);
                break;
        case HP_MSG_RELEASE:
                release(c);
                break;
        case HP_MSG_FORK:
                hold_fork(c);
                break;
        case HP_MSG_FORK_DONE:
                hold_fork_done(c);
                break;
        case HP_MSG_CLAIM:
                hold_claim(c);
                break;
        case HP_MSG_REGISTER:
                register_mapping(c);
                break;
        case HP_MSG_LIST:
                admin_list(c);
                break;
        case HP_MSG_STATUS:
                admin_status(c);
                break;
        case HP_MSG_REMOVE:
                admin_remove(c);
                break;
        default:
                /* The codec lets only requests through. */
                log_err("internal: request type %u reached dispatch", c->req.hdr.type);
                abort();
        }
}

static void drop_ref(struct hnode *n, void *ctx)
{
        struct client *c = ctx;
        struct ref *r = container_of(n, struct ref, node);

        htab_remove(&c->refs, n);
        request_unref(c->hpd, r->seg, r->count);
        free(r);
}

void request_client_gone(struct client *c)
{
        if (c->wait_seg) {
                if (c->wait_seg->creator == c)
                        c->wait_seg->creator = NULL;
                list_unlink(&c->wait_link);
                c->wait_seg = NULL;
        }
        hold_client_gone(c);
        htab_foreach(&c->refs, drop_ref, c);
        htab_free(&c->refs);
}
