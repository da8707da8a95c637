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
};

/* Free the hold; its references go with it (unless moved already). */
static void hold_free(struct hold *h)
{
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

        (void)fd;
        if (what & EV_TIMEOUT)
                log_info("fork hold of pid=%d: no child claimed it or was named, dropped",
                         h->parent_pid);
        else
                log_debug("fork hold of pid=%d: child pid=%d exited unclaimed", h->parent_pid,
                          h->child);
        hold_free(h);
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
                        log_warn("client pid=%d uid=%u: fork hold refused: %" PRIu64
                                 " is its MaxForkHolds= (logged once)",
                                 c->cred.pid, c->cred.uid, l.fork_holds);
                free(h);
                return err;
        }
        h->hpd = c->hpd;
        h->pidfd = -1;
        refs_init(&h->refs);
        h->ev = evtimer_new(c->hpd->base, on_expire_or_exit, h);
        if (!h->ev || htab_insert(&c->hpd->holds, &h->node, new_token(c->hpd)) < 0) {
                if (h->ev)
                        event_free(h->ev);
                user_uncharge(&c->hpd->users, &h->charge);
                free(h);
                return -ENOMEM;
        }
        /* From here on the hold is a user of each keyed segment. */
        if (segref_copy_keyed(c->hpd, &c->refs, &h->refs) < 0) {
                hold_free(h);
                return -ENOMEM;
        }
        h->parent = c;
        h->parent_pid = c->cred.pid;
        c->nholds++;
        evtimer_add(h->ev, &expiry);
        r->u.fork.token = h->node.key;
        return 0;
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
        if (parent_of(pid) != c->cred.pid) {
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
