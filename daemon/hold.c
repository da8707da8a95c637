/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hold.c - holds for fork(); see hold.h.
 *
 * Tokens are 64 random bits from getrandom(): holding one is the proof of
 * having inherited it. Nothing here trusts a pid a client names without
 * checking with the kernel that it is the client's own child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "config.h"
#include "hold.h"
#include "hpd.h"
#include "log.h"
#include "segref.h"
#include "session.h"

struct hold {
        struct hnode node; /* key: token */
        struct hpd *hpd;
        struct client *parent; /* NULL once the parent is gone */
        pid_t parent_pid;
        pid_t child; /* 0 until named */
        int pidfd;
        struct event *ev;     /* expiry timer, then the pidfd watch */
        struct refs refs;     /* what the child will be counted for */
        struct charge charge; /* one of the parent's user's MaxForkHolds= */
        uint32_t slot;        /* its record in the ledger */
        uint64_t parent_id;   /* the parent's connection */
        uid_t uid;            /* the parent's */
        uint64_t child_start; /* the child's start time, once named */
};

/* Stage h's record in the ledger. */
static void record(struct hold *h)
{
        struct persist_slot s = {
            .kind = PERSIST_SLOT_HOLD,
            .id = h->node.key,
            .a = h->parent_id,
            .b = (uint64_t)h->parent_pid,
            .c = (uint64_t)h->child,
            .d = h->child_start,
            .e = h->uid,
        };

        ledger_set(&h->hpd->ledger, h->slot, &s);
}

/* Free the hold; its references go with it (unless moved already). The
 * caller commits the ledger. */
static void hold_free(struct hold *h)
{
        ledger_free(&h->hpd->ledger, h->slot);
        htab_remove(&h->hpd->holds, &h->node);
        if (h->parent)
                h->parent->nholds--;
        segref_release_all(h->hpd, &h->refs);
        user_uncharge(&h->hpd->users, &h->charge);
        if (h->ev)
                event_free(h->ev);
        if (h->pidfd >= 0)
                close(h->pidfd);
        free(h);
}

static void on_expire_or_exit(evutil_socket_t fd, short what, void *arg)
{
        struct hold *h = arg;
        struct ledger *l = &h->hpd->ledger;

        (void)fd;
        if (what & EV_TIMEOUT)
                log_info("fork hold of pid=%d: no child claimed it or was named, dropped",
                         h->parent_pid);
        else
                log_debug("fork hold of pid=%d: child pid=%d exited unclaimed", h->parent_pid,
                          h->child);
        hold_free(h);
        ledger_commit(l);
}

static uint64_t new_token(struct hpd *hpd)
{
        uint64_t t = 0;

        while (t == 0 || htab_find(&hpd->holds, t)) {
                if (getrandom(&t, sizeof(t), 0) != sizeof(t)) {
                        log_err("getrandom: %s", errname(errno));
                        abort(); /* no safe token without it */
                }
        }
        return t;
}

int hold_fork(struct client *c, const struct hp_msg *m, struct reply *r)
{
        struct timeval expiry = {HOLD_UNNAMED_SECONDS, 0};
        struct limits l;
        struct hold *h;
        int err;

        (void)m;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        config_limits_for(c->hpd->config, &c->cred, &l);
        err = user_charge(&c->hpd->users, &h->charge, c->cred.uid, USER_FORK_HOLDS, 0, 1,
                          l.fork_holds, 0, 0, 0);
        if (err < 0) {
                if (err == -EDQUOT && user_should_log(&c->hpd->users, c->cred.uid, USER_FORK_HOLDS))
                        log_event(LOG_WARNING, &LOG_REFUSED(&c->cred, EDQUOT),
                                  "client pid=%d uid=%u: fork hold refused: %" PRIu64
                                  " is its MaxForkHolds= (logged once)",
                                  c->cred.pid, c->cred.uid, l.fork_holds);
                free(h);
                return err;
        }
        h->hpd = c->hpd;
        h->pidfd = -1;
        h->ev = evtimer_new(c->hpd->base, on_expire_or_exit, h);
        if (!h->ev || htab_insert(&c->hpd->holds, &h->node, new_token(c->hpd)) < 0 ||
            ledger_alloc(&c->hpd->ledger, &h->slot) < 0) {
                if (h->ev)
                        event_free(h->ev);
                if (h->node.key)
                        htab_remove(&c->hpd->holds, &h->node);
                user_uncharge(&c->hpd->users, &h->charge);
                free(h);
                return -ENOMEM;
        }
        refs_init(&h->refs, PERSIST_SLOT_HOLD, h->slot ? h->node.key : 0);
        h->parent = c;
        h->parent_pid = c->cred.pid;
        h->parent_id = c->id;
        h->uid = c->cred.uid;
        c->nholds++;
        /* From here on the hold is a user of each keyed segment. Its record
         * comes after its references: references without a record are
         * nobody's, to a restarted daemon. */
        if (segref_copy_keyed(c->hpd, &c->refs, &h->refs) < 0) {
                hold_free(h);
                return -ENOMEM;
        }
        record(h);
        evtimer_add(h->ev, &expiry);
        r->u.fork.token = h->node.key;
        return 0;
}

static struct hold *find(struct hpd *hpd, uint64_t token)
{
        struct hnode *n = htab_find(&hpd->holds, token);

        return n ? container_of(n, struct hold, node) : NULL;
}

int hold_fork_done(struct client *c, const struct hp_msg *m, struct reply *r)
{
        struct hold *h = find(c->hpd, m->u.fork_done.token);
        pid_t pid = m->u.fork_done.pid;

        (void)r;
        if (!h)
                return -ENOENT; /* already claimed by the child, or never ours */
        if (h->parent != c || h->child)
                return -EINVAL;
        if (pid == -1) {
                hold_free(h);
                return 0;
        }
        if (policy_proc(pid, &h->child_start) != c->cred.pid) {
                log_warn("client pid=%d uid=%u: names pid=%d as its child; it is not", c->cred.pid,
                         c->cred.uid, pid);
                hold_free(h);
                return -EINVAL;
        }
        h->pidfd = pidfd_open(pid, 0);
        if (h->pidfd < 0) {
                hold_free(h); /* gone already */
                return 0;
        }
        h->child = pid;
        event_free(h->ev);
        h->ev = event_new(c->hpd->base, h->pidfd, EV_READ, on_expire_or_exit, h);
        if (!h->ev || event_add(h->ev, NULL) < 0) {
                hold_free(h);
                return -ENOMEM;
        }
        record(h);
        return 0;
}

int hold_claim(struct client *c, const struct hp_msg *m, struct reply *r)
{
        struct hold *h = find(c->hpd, m->u.token.token);
        int err;

        (void)r;
        if (!h)
                return -ENOENT;
        /* Move the references: the users they count stay counted. */
        err = segref_move_all(c->hpd, &h->refs, &c->refs);
        log_debug("client pid=%d uid=%u: claimed the fork hold of pid=%d (%zu segments)",
                  c->cred.pid, c->cred.uid, h->parent_pid, segref_nsegments(&c->refs));
        hold_free(h); /* lets go of only what could not be moved */
        return err;
}

static void detach(struct hnode *n, void *arg)
{
        struct hold *h = container_of(n, struct hold, node);
        struct timeval grace = {HOLD_ORPHAN_SECONDS, 0};

        if (h->parent != arg)
                return;
        h->parent = NULL;
        if (!h->child)
                evtimer_add(h->ev, &grace); /* still the expiry timer: shorten it */
}

struct refs *hold_restore(struct hpd *hpd, uint32_t slot, const struct persist_slot *rec)
{
        struct hold *h = calloc(1, sizeof(*h));
        struct timeval expiry = {HOLD_UNNAMED_SECONDS, 0};
        uint64_t start = 0;

        if (!h)
                return NULL;
        h->hpd = hpd;
        h->pidfd = -1;
        h->slot = slot;
        h->parent_id = rec->a;
        h->parent_pid = (pid_t)rec->b;
        h->child = (pid_t)rec->c;
        h->child_start = rec->d;
        h->uid = (uid_t)rec->e;
        if (htab_insert(&hpd->holds, &h->node, rec->id) < 0) {
                free(h);
                return NULL;
        }
        refs_init(&h->refs, PERSIST_SLOT_HOLD, rec->id);
        user_charge(&hpd->users, &h->charge, h->uid, USER_FORK_HOLDS, 0, 1, 0, 0, 0, 1);
        h->parent = session_find(hpd, h->parent_id);
        if (h->parent)
                h->parent->nholds++;
        else
                expiry.tv_sec = HOLD_ORPHAN_SECONDS;
        if (h->child) {
                /* The same process, not one that took its pid since. */
                if (policy_proc(h->child, &start) < 0 || start != h->child_start ||
                    (h->pidfd = pidfd_open(h->child, 0)) < 0) {
                        h->ev = evtimer_new(hpd->base, on_expire_or_exit, h);
                        expiry = (struct timeval){0, 0}; /* gone: dropped at once */
                } else {
                        h->ev = event_new(hpd->base, h->pidfd, EV_READ, on_expire_or_exit, h);
                }
        } else {
                h->ev = evtimer_new(hpd->base, on_expire_or_exit, h);
        }
        if (!h->ev || (h->pidfd >= 0 ? event_add(h->ev, NULL) : evtimer_add(h->ev, &expiry)) < 0) {
                h->slot = 0; /* the caller frees it: once */
                hold_free(h);
                return NULL;
        }
        return &h->refs;
}

struct refs *hold_refs(struct hpd *hpd, uint64_t token)
{
        struct hold *h = find(hpd, token);

        return h ? &h->refs : NULL;
}

void hold_client_gone(struct client *c)
{
        if (c->nholds)
                htab_foreach(&c->hpd->holds, detach, c);
        c->nholds = 0;
}

static void drop(struct hnode *n, void *arg)
{
        (void)arg;
        hold_free(container_of(n, struct hold, node));
}

void hold_free_all(struct hpd *hpd)
{
        htab_foreach(&hpd->holds, drop, NULL);
        htab_free(&hpd->holds);
}
