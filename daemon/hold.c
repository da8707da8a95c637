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

#include "client.h"
#include "hold.h"
#include "hpd.h"
#include "log.h"
#include "request.h"

struct hold_ref {
        struct segment *seg;
        uint64_t count;
};

struct hold {
        struct hnode node; /* key: token */
        struct hpd *hpd;
        struct client *parent; /* NULL once the parent is gone */
        pid_t parent_pid;
        pid_t child; /* 0 until named */
        int pidfd;
        struct event *ev; /* expiry timer, then the pidfd watch */
        size_t nrefs;
        struct hold_ref *refs;
};

static void reply(struct client *c, uint16_t type, const void *body, size_t len)
{
        client_reply(c, type, body, len, -1);
}

static void reply_status(struct client *c, uint16_t type, int err)
{
        struct hp_status st = {.status = err};

        reply(c, type, &st, sizeof(st));
}

/* Free the hold; its references go with it unless moved (refs NULL). */
static void hold_free(struct hold *h)
{
        htab_remove(&h->hpd->holds, &h->node);
        if (h->parent)
                h->parent->nholds--;
        for (size_t i = 0; i < h->nrefs; i++)
                request_unref(h->hpd, h->refs[i].seg, h->refs[i].count);
        if (h->ev)
                event_free(h->ev);
        if (h->pidfd >= 0)
                close(h->pidfd);
        free(h->refs);
        free(h);
}

static void on_expire_or_exit(evutil_socket_t fd, short what, void *arg)
{
        struct hold *h = arg;

        (void)fd;
        if (what & EV_TIMEOUT)
                log_info("fork hold of pid=%d: no child claimed it or was named, dropped",
                         h->parent_pid);
        else
                log_debug("fork hold of pid=%d: child pid=%d exited unclaimed", h->parent_pid,
                          h->child);
        hold_free(h);
}

struct collect {
        struct hold *h;
        size_t cap;
        int err;
};

static void collect_ref(struct segment *s, uint64_t n, void *arg)
{
        struct collect *col = arg;
        struct hold *h = col->h;

        if (s->key == 0 || col->err) /* private segments are not inherited */
                return;
        if (h->nrefs == col->cap) {
                size_t cap = col->cap ? col->cap * 2 : 8;
                struct hold_ref *r = realloc(h->refs, cap * sizeof(*r));

                if (!r) {
                        col->err = -ENOMEM;
                        return;
                }
                h->refs = r;
                col->cap = cap;
        }
        h->refs[h->nrefs++] = (struct hold_ref){s, n};
}

static uint64_t new_token(struct hpd *hpd)
{
        uint64_t t = 0;

        while (t == 0 || htab_find(&hpd->holds, t)) {
                if (getrandom(&t, sizeof(t), 0) != sizeof(t)) {
                        log_err("getrandom: %m");
                        abort(); /* no safe token without it */
                }
        }
        return t;
}

void hold_fork(struct client *c)
{
        struct timeval expiry = {HOLD_UNNAMED_SECONDS, 0};
        struct hp_fork_reply r = {0};
        struct collect col = {0};
        struct hold *h;

        if (c->nholds >= HOLD_MAX_PER_CLIENT) {
                r.st.status = EAGAIN;
                reply(c, HP_MSG_FORK_REPLY, &r, sizeof(r));
                return;
        }
        h = calloc(1, sizeof(*h));
        if (!h) {
                r.st.status = ENOMEM;
                reply(c, HP_MSG_FORK_REPLY, &r, sizeof(r));
                return;
        }
        h->hpd = c->hpd;
        h->parent = c;
        h->parent_pid = c->cred.pid;
        h->pidfd = -1;
        col.h = h;
        request_foreach_ref(c, collect_ref, &col);
        h->ev = evtimer_new(c->hpd->base, on_expire_or_exit, h);
        if (col.err || !h->ev || htab_insert(&c->hpd->holds, &h->node, new_token(c->hpd)) < 0) {
                if (h->ev)
                        event_free(h->ev);
                free(h->refs);
                free(h);
                r.st.status = ENOMEM;
                reply(c, HP_MSG_FORK_REPLY, &r, sizeof(r));
                return;
        }
        /* From here on the hold is a user of each segment. */
        for (size_t i = 0; i < h->nrefs; i++)
                h->refs[i].seg->users += h->refs[i].count;
        c->nholds++;
        evtimer_add(h->ev, &expiry);
        r.token = h->node.key;
        reply(c, HP_MSG_FORK_REPLY, &r, sizeof(r));
}

/* The parent pid of pid, from /proc, or -1. */
static pid_t parent_of(pid_t pid)
{
        char path[32], buf[512], *p;
        int fd, ppid = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        /* "pid (comm) state ppid ...": comm may hold spaces and parentheses. */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
                return -1;
        return ppid;
}

static struct hold *find(struct hpd *hpd, uint64_t token)
{
        struct hnode *n = htab_find(&hpd->holds, token);

        return n ? container_of(n, struct hold, node) : NULL;
}

void hold_fork_done(struct client *c)
{
        struct hold *h = find(c->hpd, c->req.u.fork_done.token);
        pid_t pid = c->req.u.fork_done.pid;

        if (!h) {
                /* Already claimed by the child, or never ours: nothing to do. */
                reply_status(c, HP_MSG_FORK_DONE_REPLY, ENOENT);
                return;
        }
        if (h->parent != c || h->child) {
                reply_status(c, HP_MSG_FORK_DONE_REPLY, EINVAL);
                return;
        }
        if (pid == -1) {
                hold_free(h);
                reply_status(c, HP_MSG_FORK_DONE_REPLY, 0);
                return;
        }
        if (parent_of(pid) != c->cred.pid) {
                log_warn("client pid=%d uid=%u: names pid=%d as its child; it is not", c->cred.pid,
                         c->cred.uid, pid);
                hold_free(h);
                reply_status(c, HP_MSG_FORK_DONE_REPLY, EINVAL);
                return;
        }
        h->pidfd = pidfd_open(pid, 0);
        if (h->pidfd < 0) {
                hold_free(h); /* gone already */
                reply_status(c, HP_MSG_FORK_DONE_REPLY, 0);
                return;
        }
        h->child = pid;
        event_free(h->ev);
        h->ev = event_new(c->hpd->base, h->pidfd, EV_READ, on_expire_or_exit, h);
        if (!h->ev || event_add(h->ev, NULL) < 0) {
                hold_free(h);
                reply_status(c, HP_MSG_FORK_DONE_REPLY, ENOMEM);
                return;
        }
        reply_status(c, HP_MSG_FORK_DONE_REPLY, 0);
}

void hold_claim(struct client *c)
{
        struct hold *h = find(c->hpd, c->req.u.token.token);
        int err = 0;

        if (!h) {
                reply_status(c, HP_MSG_CLAIM_REPLY, ENOENT);
                return;
        }
        /* Move the references: the users they count stay counted. */
        for (size_t i = 0; i < h->nrefs; i++) {
                if (!err)
                        err = request_ref_add(c, h->refs[i].seg, h->refs[i].count, 1);
                if (!err)
                        h->refs[i].count = 0;
        }
        log_debug("client pid=%d uid=%u: claimed the fork hold of pid=%d (%zu segments)",
                  c->cred.pid, c->cred.uid, h->parent_pid, h->nrefs);
        hold_free(h); /* unrefs only what could not be moved */
        reply_status(c, HP_MSG_CLAIM_REPLY, -err);
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
