/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * session.c - connections across restarts; see session.h.
 *
 * Order matters at both ends. A new connection is in the ledger before it
 * is in the store, and leaves the store before the ledger: a record
 * without a socket in the store means "gone", never the other way round.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <event2/event.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "hpd.h"
#include "log.h"
#include "memory.h"
#include "segment.h"
#include "policy.h"
#include "segref.h"
#include "session.h"

static struct persist_slot record_of(const struct client *c)
{
        return (struct persist_slot){
            .kind = PERSIST_SLOT_CONN,
            .id = c->id,
            .a = (c->greeted ? PERSIST_CONN_GREETED : 0) |
                 (c->wants_progress ? PERSIST_CONN_PROGRESS : 0) |
                 (c->wants_epoch ? PERSIST_CONN_EPOCH : 0),
            .d = (uint64_t)c->cred.pid,
            .e = c->start,
            .f = c->cred.uid,
        };
}

int session_open(struct client *c)
{
        struct hpd *hpd = c->hpd;
        struct persist_slot rec;
        uint32_t slot;
        int r;

        if (!keep_room(&hpd->keep)) {
                log_warn("client pid=%d uid=%u: refused: systemd's store is full (%u entries)",
                         c->cred.pid, c->cred.uid, hpd->keep.store_max);
                return -ENOSPC;
        }
        if (ledger_alloc(&hpd->ledger, &slot) < 0)
                return -ENOMEM;
        c->id = ledger_new_conn_id(&hpd->ledger);
        c->slot = slot;
        /* Without a store the socket will not outlive us: the process is
         * then known by its pid and start time (see session_absent()). */
        if (slot && !hpd->keep.active)
                (void)policy_proc(c->cred.pid, &c->start);
        if (htab_insert(&hpd->sessions, &c->session, c->id) < 0) {
                ledger_free(&hpd->ledger, slot);
                ledger_commit(&hpd->ledger);
                c->id = 0;
                c->slot = 0;
                return -ENOMEM;
        }
        refs_init(&c->refs, PERSIST_SLOT_CONN, ledger_active(&hpd->ledger) ? c->id : 0);
        rec = record_of(c);
        ledger_set(&hpd->ledger, slot, &rec);
        ledger_commit(&hpd->ledger);
        r = keep_connection(&hpd->keep, c->id, c->fd);
        if (r < 0)
                return r; /* client_free() -> session_close() undoes the rest */
        return 0;
}

void session_close(struct client *c)
{
        struct hpd *hpd = c->hpd;

        if (!c->id)
                return;
        if (!hpd->stopping)
                keep_forget_connection(&hpd->keep, c->id);
        htab_remove(&hpd->sessions, &c->session);
        ledger_free(&hpd->ledger, c->slot);
        ledger_commit(&hpd->ledger);
        c->id = 0;
        c->slot = 0;
}

void session_answered(struct client *c, int effect, int result, const struct reply *r)
{
        struct hpd *hpd = c->hpd;
        struct persist_slot rec;

        c->resume.pending = 0;
        /* A request that changes nothing leaves the record as it is: done
         * again after a restart, it does no harm. */
        if (c->slot && effect) {
                uint16_t type = c->req.hdr.type;

                rec = record_of(c);
                rec.a |= PERSIST_CONN_ANSWERED | PERSIST_CONN_TYPE(type);
                if (type == HP_MSG_ALLOC && (c->req.u.alloc.prot & HP_PROT_WRITE))
                        rec.a |= PERSIST_CONN_RDWR;
                rec.b = c->req.hdr.seq;
                rec.sub = (uint32_t)(result < 0 ? -result : 0);
                if (result >= 0 && type == HP_MSG_ALLOC)
                        rec.c = r->u.alloc.id;
                else if (result >= 0 && type == HP_MSG_FORK)
                        rec.c = r->u.fork.token;
                ledger_set(&hpd->ledger, c->slot, &rec);
        }
        ledger_commit(&hpd->ledger);
}

int session_resume(struct hpd *hpd, uint64_t id, int fd, uint32_t slot,
                   const struct persist_slot *rec)
{
        struct client *c = client_adopt(&hpd->clients, fd);

        if (!c)
                return -ENOMEM;
        c->id = id;
        c->slot = slot;
        if (htab_insert(&hpd->sessions, &c->session, id) < 0) {
                c->id = 0;
                c->slot = 0;
                client_drop(c);
                return -ENOMEM;
        }
        refs_init(&c->refs, PERSIST_SLOT_CONN, id);
        c->greeted = (rec->a & PERSIST_CONN_GREETED) != 0;
        c->wants_progress = (rec->a & PERSIST_CONN_PROGRESS) != 0;
        c->wants_epoch = (rec->a & PERSIST_CONN_EPOCH) != 0;
        if (rec->a & PERSIST_CONN_ANSWERED) {
                c->resume.pending = 1;
                c->resume.type = PERSIST_CONN_TYPE_OF(rec->a);
                c->resume.writable = (rec->a & PERSIST_CONN_RDWR) != 0;
                c->resume.seq = rec->b;
                c->resume.status = (int)rec->sub;
                c->resume.value = rec->c;
        }
        log_debug("client pid=%d uid=%u: connection %" PRIu64 " resumed", c->cred.pid, c->cred.uid,
                  id);
        return 0;
}

struct client *session_find(struct hpd *hpd, uint64_t id)
{
        struct hnode *n = htab_find(&hpd->sessions, id);

        return n ? container_of(n, struct client, session) : NULL;
}

int session_replay(struct client *c)
{
        struct reply r = {.fd = -1};
        struct segment *s;
        int writable;

        if (!c->resume.pending)
                return 0;
        c->resume.pending = 0;
        /* Only the very request answered: its seq, its type, and for ALLOC
         * the access it asked for. Anything else a client sends under that
         * seq is a new request, checked as every request is. */
        writable = c->req.hdr.type == HP_MSG_ALLOC && (c->req.u.alloc.prot & HP_PROT_WRITE);
        if (c->req.hdr.seq != c->resume.seq || c->req.hdr.type != c->resume.type ||
            writable != c->resume.writable)
                return 0;
        if (c->resume.status) {
                client_finish(c, -c->resume.status, &r);
                return 1;
        }
        switch (c->req.hdr.type) {
        case HP_MSG_HELLO:
                r.u.hello = (struct hp_hello_reply){
                    .version = HP_PROTO_VERSION,
                    .default_page_size = c->hpd->pool.default_size,
                };
                r.fd = c->wants_epoch ? epoch_client_fd(&c->hpd->epoch) : -1;
                break;
        case HP_MSG_ALLOC:
                s = segment_by_id(&c->hpd->segs, c->resume.value);
                if (!s || !s->ready || (r.fd = memory_fd(s, writable)) < 0) {
                        /* Held by this connection since: cannot happen. */
                        client_finish(c, -ENOENT, &r);
                        return 1;
                }
                r.u.alloc = (struct hp_alloc_reply){
                    .id = s->id,
                    .size = s->size,
                    .page_size = s->page_size,
                    .access = writable ? HP_ACCESS_RDWR : HP_ACCESS_RDONLY,
                };
                break;
        case HP_MSG_FORK:
                r.u.fork.token = c->resume.value;
                break;
        default:
                break;
        }
        log_debug("client pid=%d uid=%u: %s seq %" PRIu64 " answered again after the restart",
                  c->cred.pid, c->cred.uid, hp_proto_type_name(c->req.hdr.type), c->req.hdr.seq);
        client_finish(c, 0, &r);
        return 1;
}

/*
 * Without systemd's store (the hugetlbfs backend), a restart ends every
 * connection: what each held is kept for its process, known by pid and
 * start time, until the process exits (a pidfd says when) or registers its
 * mappings again on a new connection (request_register() moves the count).
 */
struct absent {
        struct hnode node; /* hpd->absent, by connection id */
        struct hpd *hpd;
        struct refs refs;
        pid_t pid;
        uint32_t slot;
        int pidfd;
        struct event *ev;
};

static void absent_free(struct absent *a)
{
        segref_release_all(a->hpd, &a->refs);
        ledger_free(&a->hpd->ledger, a->slot);
        htab_remove(&a->hpd->absent, &a->node);
        if (a->ev)
                event_free(a->ev);
        if (a->pidfd >= 0)
                close(a->pidfd);
        free(a);
}

static void on_absent_exit(evutil_socket_t fd, short what, void *arg)
{
        struct absent *a = arg;
        struct ledger *l = &a->hpd->ledger;

        (void)fd;
        (void)what;
        log_debug("pid=%d: exited; what it held before the restart is let go", a->pid);
        absent_free(a);
        ledger_commit(l);
}

int session_absent(struct hpd *hpd, uint64_t id, uint32_t slot, const struct persist_slot *rec)
{
        struct absent *a;
        uint64_t start = 0;
        pid_t pid = (pid_t)rec->d;

        if (pid <= 0 || policy_proc(pid, &start) < 0 || start != rec->e)
                return -ESRCH; /* gone, or another process has its pid */
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->hpd = hpd;
        a->pid = pid;
        a->slot = slot;
        a->pidfd = pidfd_open(pid, 0);
        refs_init(&a->refs, PERSIST_SLOT_CONN, id);
        if (a->pidfd < 0 || htab_insert(&hpd->absent, &a->node, id) < 0) {
                if (a->pidfd >= 0)
                        close(a->pidfd);
                free(a);
                return -ESRCH;
        }
        a->ev = event_new(hpd->base, a->pidfd, EV_READ, on_absent_exit, a);
        if (!a->ev || event_add(a->ev, NULL) < 0) {
                a->slot = 0; /* the caller frees it */
                absent_free(a);
                return -ENOMEM;
        }
        return 0;
}

struct refs *session_refs(struct hpd *hpd, uint64_t id)
{
        struct client *c = session_find(hpd, id);
        struct hnode *n;

        if (c)
                return &c->refs;
        n = htab_find(&hpd->absent, id);
        return n ? &container_of(n, struct absent, node)->refs : NULL;
}

struct by_pid {
        pid_t pid;
        uint64_t seg;
        struct absent *found;
};

static void match_pid(struct hnode *n, void *arg)
{
        struct absent *a = container_of(n, struct absent, node);
        struct by_pid *w = arg;

        if (!w->found && a->pid == w->pid && segref_count(&a->refs, w->seg))
                w->found = a;
}

struct refs *session_absent_of(struct hpd *hpd, pid_t pid, uint64_t seg)
{
        struct by_pid w = {pid, seg, NULL};

        if (hpd->absent.count)
                htab_foreach(&hpd->absent, match_pid, &w);
        return w.found ? &w.found->refs : NULL;
}

void session_absent_settle(struct hpd *hpd, struct refs *holder)
{
        struct absent *a = container_of(holder, struct absent, refs);

        (void)hpd;
        if (segref_nsegments(holder) == 0)
                absent_free(a);
}

static void drop_absent(struct hnode *n, void *arg)
{
        struct absent *a = container_of(n, struct absent, node);

        (void)arg;
        if (a->ev)
                event_free(a->ev);
        if (a->pidfd >= 0)
                close(a->pidfd);
        free(a);
}

void session_stop(struct hpd *hpd)
{
        /* Stopping: what they held stays in the ledger for the next daemon. */
        htab_foreach(&hpd->absent, drop_absent, NULL);
        htab_free(&hpd->absent);
        htab_free(&hpd->sessions);
}
