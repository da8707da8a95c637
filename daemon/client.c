/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client.c - connections; see client.h.
 *
 * Must never block and never let one client disturb another: every socket is
 * non-blocking, a protocol violation costs the offender its connection and
 * one log line, and descriptors a client sends us are closed unread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "closer.h"
#include "config.h"
#include "log.h"

/* Connections accepted, or one-way requests read, per readiness callback
 * before others get a turn. */
#define CLIENT_BATCH 16

/* A descriptor the client sent (no request carries one): closed elsewhere. */
static void discard(int fd, void *arg)
{
        struct client *c = arg;

        closer_add(c->owner->closer, fd, c->cred.uid);
}

/* Before the socket goes: nothing more may come in, and what came but was
 * not read is read now, so that no descriptor in it is closed with the
 * socket, on the loop. (Even where the kernel refuses descriptors: some
 * may have come before the socket was told to.) */
static void drain(struct client *c)
{
        char buf[HP_MSG_MAX + 1];
        int fd;

        shutdown(c->fd, SHUT_RD);
        for (int i = 0; i < 4096; i++) {
                int r = hp_proto_recv(c->fd, buf, sizeof(buf), &fd, 0, MSG_DONTWAIT, discard, c);

                if (r <= 0 && r != -EBADMSG)
                        break;
        }
}

static void client_free(struct client *c)
{
        c->owner->ops->gone(c);
        /* Stopping, the socket stays in systemd's store with what is queued
         * in it, for the next daemon: not a byte is read, nor shut down. */
        if (!c->owner->stopping)
                drain(c);
        if (c->ev_read)
                event_free(c->ev_read);
        if (c->ev_write)
                event_free(c->ev_write);
        if (c->out_fd >= 0)
                close(c->out_fd);
        close(c->fd);
        list_unlink(&c->link);
        c->owner->count--;
        user_uncharge(c->owner->users, &c->conn);
        log_debug("client pid=%d uid=%u: disconnected", c->cred.pid, c->cred.uid);
        policy_creds_free(&c->cred);
        free(c);
}

static void violation(struct client *c, const char *what, int err)
{
        log_warn("client pid=%d uid=%u: %s (%s), disconnecting", c->cred.pid, c->cred.uid, what,
                 errname(err));
        client_free(c);
}

/* The request just answered out of the socket. */
static void consume(struct client *c)
{
        (void)hp_proto_skip(c->fd, MSG_DONTWAIT, discard, c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
        struct client *c = arg;
        char buf[HP_MSG_MAX + 1];
        int r;

        (void)what;
        /* One request per readiness, or a few if they need no answer: the
         * loop is level-triggered, so what is left comes back at once, after
         * the other clients' turns; a client that waits for each answer
         * costs no read that finds nothing, and one that sent a one-way
         * request (free_hugepages()) has its next one read at once. */
        for (int i = 0; i < CLIENT_BATCH; i++) {
                if (c->busy)
                        return;
                r = hp_proto_peek(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (r == -EAGAIN)
                        return;
                if (r == 0 || r == -ECONNRESET) {
                        client_free(c);
                        return;
                }
                if (r < 0) {
                        violation(c, "bad datagram", r);
                        return;
                }
                r = hp_proto_decode(buf, (size_t)r, HP_DIR_REQUEST, &c->req);
                if (r < 0) {
                        violation(c, "malformed message", r);
                        return;
                }
                c->busy = 1;
                r = c->owner->ops->request(c);
                if (r < 0) {
                        violation(c, "protocol violation", r);
                        return;
                }
                if (c->busy) {
                        event_del(c->ev_read);
                        return;
                }
                if (c->reply_type != 0)
                        return;
        }
}

static void resume(struct client *c)
{
        c->busy = 0;
        event_add(c->ev_read, NULL);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
        struct client *c = arg;
        int r;

        if (what & EV_TIMEOUT) {
                log_warn("client pid=%d uid=%u: took no reply for %d s, disconnecting", c->cred.pid,
                         c->cred.uid, CLIENT_REPLY_SECONDS);
                client_free(c);
                return;
        }
        r = hp_proto_send(fd, c->out, c->out_len, c->out_fd, MSG_DONTWAIT);
        if (r == -EAGAIN)
                return;
        if (c->out_fd >= 0)
                close(c->out_fd);
        c->out_fd = -1;
        c->out_len = 0;
        event_del(c->ev_write);
        consume(c);
        /* On a send error the peer is gone; reading notices and frees. */
        resume(c);
}

static const int answer_errno[CLIENT_ANSWER_KINDS] = {
    0, EINVAL, ENOENT, EEXIST, EACCES, EPERM, ENOMEM, EDQUOT, ENOSPC, -1,
};

unsigned client_answer_kind(int status)
{
        for (unsigned k = 0; k < CLIENT_ANSWER_KINDS - 1; k++)
                if (answer_errno[k] == status)
                        return k;
        return CLIENT_ANSWER_KINDS - 1;
}

int client_answer_errno(unsigned kind)
{
        return kind < CLIENT_ANSWER_KINDS ? answer_errno[kind] : -1;
}

void client_finish(struct client *c, int result, const struct reply *r)
{
        size_t len = hp_proto_body_size(c->reply_type);
        struct reply err = {.fd = -1};
        char buf[HP_MSG_MAX];
        int n, sent, fd;

        if (result < 0) {
                err.u.st.status = -result;
                r = &err;
        }
        if (c->reply_type == 0) {
                /* A one-way request: recorded as answered, and taken out. */
                c->owner->ops->answered(c, result, r);
                consume(c);
                resume(c);
                return;
        }
        fd = r->fd;
        n = hp_proto_encode(buf, sizeof(buf), c->reply_type, c->req.hdr.seq, &r->u, len);
        if (n < 0 || len > sizeof(r->u)) {
                log_err("internal: cannot encode %s", hp_proto_type_name(c->reply_type));
                abort();
        }
        /* Recorded before it goes: a daemon killed after this answers again. */
        c->owner->ops->answered(c, result, r);
        c->owner->answers[client_answer_kind(r->u.st.status)]++;
        sent = hp_proto_send(c->fd, buf, (size_t)n, fd, MSG_DONTWAIT);
        if (sent == -EAGAIN) {
                /* The client is not reading. Keep this one reply (and a
                 * duplicate of its descriptor, so the segment may change
                 * meanwhile) and read nothing more until it is out. */
                memcpy(c->out, buf, (size_t)n);
                c->out_len = (size_t)n;
                c->out_fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
                event_del(c->ev_read);
                event_add(c->ev_write, &(struct timeval){CLIENT_REPLY_SECONDS, 0});
                return;
        }
        if (sent < 0)
                log_debug("client pid=%d uid=%u: reply lost: %s", c->cred.pid, c->cred.uid,
                          errname(sent));
        consume(c);
        resume(c);
}

/* One of the peer's MaxConnections=; the extra one is refused, and logged
 * once until the user is under its limit again. So is one from a user with
 * too many sent descriptors not yet closed (closer.h). */
static int charge_connection(struct clients *cs, struct client *c)
{
        const struct user *u = user_find(cs->users, c->cred.uid);
        struct limits l;
        int r;

        if (u && u->count[USER_SENT_FDS] >= CLOSER_MAX_PER_USER) {
                if (user_should_log(cs->users, c->cred.uid, USER_SENT_FDS))
                        log_event(LOG_WARNING, &LOG_REFUSED(&c->cred, EDQUOT),
                                  "client pid=%d uid=%u: connection refused: %u descriptors it "
                                  "sent are not closed yet (logged once)",
                                  c->cred.pid, c->cred.uid, CLOSER_MAX_PER_USER);
                return -EDQUOT;
        }
        config_limits_for(*cs->config, &c->cred, &l);
        r = user_charge(cs->users, &c->conn, c->cred.uid, USER_CONNECTIONS, 0, 1, l.connections, 0,
                        0, 0);
        if (r == -EDQUOT && user_should_log(cs->users, c->cred.uid, USER_CONNECTIONS))
                log_event(LOG_WARNING, &LOG_REFUSED(&c->cred, EDQUOT),
                          "client pid=%d uid=%u: connection refused: %" PRIu64
                          " is its MaxConnections= (logged once)",
                          c->cred.pid, c->cred.uid, l.connections);
        return r;
}

void client_progress(struct client *c)
{
        struct hp_status st = {0};
        char buf[HP_MSG_MAX];
        int n;

        if (!c->busy || c->out_len)
                return;
        n = hp_proto_encode(buf, sizeof(buf), HP_MSG_PROGRESS, c->req.hdr.seq, &st, sizeof(st));
        if (n > 0)
                (void)hp_proto_send(c->fd, buf, (size_t)n, -1, MSG_DONTWAIT);
}

static void pause_accept(struct clients *cs)
{
        struct timeval tv = {0, 100 * 1000};

        event_del(cs->accept_ev);
        event_add(cs->accept_pause, &tv);
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
        struct clients *cs = arg;

        (void)fd;
        (void)what;
        event_add(cs->accept_ev, NULL);
}

/* A client on fd (taken): credentials, the connection charge (forced for
 * one restored), events. NULL, fd closed, if it cannot be. */
static struct client *client_new(struct clients *cs, int fd, int restored)
{
        struct client *c = calloc(1, sizeof(*c));
        int r;

        if (!c) {
                close(fd);
                return NULL;
        }
        c->owner = cs;
        c->hpd = cs->hpd;
        c->fd = fd;
        c->out_fd = -1;
        list_init(&c->wait_link);
        r = policy_peer_creds(fd, &c->cred);
        if (r < 0) {
                /* No credentials, no service. */
                log_warn("connection without credentials: %s", errname(r));
                close(fd);
                free(c);
                return NULL;
        }
        if (restored) {
                struct limits l;

                config_limits_for(*cs->config, &c->cred, &l);
                r = user_charge(cs->users, &c->conn, c->cred.uid, USER_CONNECTIONS, 0, 1,
                                l.connections, 0, 0, 1);
        } else {
                r = charge_connection(cs, c);
        }
        if (r < 0) {
                policy_creds_free(&c->cred);
                close(fd);
                free(c);
                return NULL;
        }
        c->ev_read = event_new(cs->base, fd, EV_READ | EV_PERSIST, on_read, c);
        c->ev_write = event_new(cs->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
        list_append(&cs->all, &c->link);
        cs->count++;
        if (!c->ev_read || !c->ev_write || event_add(c->ev_read, NULL) < 0) {
                client_free(c);
                return NULL;
        }
        return c;
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
        struct clients *cs = arg;

        (void)what;
        for (int i = 0; i < CLIENT_BATCH; i++) {
                struct client *c;
                int fd, r;

                fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                            errno == ENOMEM) {
                                log_warn("accept: %s; pausing new connections", errname(errno));
                                pause_accept(cs);
                        }
                        return;
                }
                if (cs->count >= cs->max) {
                        log_warn("too many clients (%u), refusing one", cs->count);
                        close(fd);
                        pause_accept(cs);
                        return;
                }
                c = client_new(cs, fd, 0);
                if (c && (r = cs->ops->connected(c)) < 0) {
                        log_debug("client pid=%d uid=%u: refused: %s", c->cred.pid, c->cred.uid,
                                  errname(r));
                        client_free(c);
                        continue;
                }
                if (c)
                        log_debug("client pid=%d uid=%u: connected", c->cred.pid, c->cred.uid);
        }
}

struct client *client_adopt(struct clients *cs, int fd)
{
        return client_new(cs, fd, 1);
}

void client_drop(struct client *c)
{
        client_free(c);
}

int client_listen(struct clients *cs, struct event_base *base, int listen_fd, unsigned max,
                  const struct client_ops *ops, struct hpd *hpd, struct users *users,
                  struct config *const *config, struct closer *closer)
{
        *cs = (struct clients){.base = base,
                               .hpd = hpd,
                               .ops = ops,
                               .users = users,
                               .closer = closer,
                               .config = config,
                               .listen_fd = listen_fd,
                               .max = max};
        list_init(&cs->all);
        /* Refused at the listening socket, the option holds for connections
         * not yet accepted too, from their first message on. */
        cs->rights_refused = closer_refuse_rights(listen_fd) == 1;
        log_info("descriptors clients send: %s",
                 cs->rights_refused ? "refused by the kernel (SO_PASSRIGHTS)"
                                    : "closed off the event loop (no SO_PASSRIGHTS)");
        cs->accept_ev = event_new(base, listen_fd, EV_READ | EV_PERSIST, on_accept, cs);
        cs->accept_pause = evtimer_new(base, on_accept_resume, cs);
        if (!cs->accept_ev || !cs->accept_pause || event_add(cs->accept_ev, NULL) < 0)
                return -ENOMEM;
        return 0;
}

void client_free_all(struct clients *cs)
{
        cs->stopping = 1;
        while (!list_empty(&cs->all))
                client_free(container_of(cs->all.next, struct client, link));
        if (cs->accept_ev)
                event_free(cs->accept_ev);
        if (cs->accept_pause)
                event_free(cs->accept_pause);
        cs->accept_ev = cs->accept_pause = NULL;
}
