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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "hpd.h"
#include "log.h"
#include "request.h"

/* Requests handled per readiness callback before others get a turn. */
#define CLIENT_BATCH 16

static void client_free(struct client *c)
{
        request_client_gone(c);
        if (c->ev_read)
                event_free(c->ev_read);
        if (c->ev_write)
                event_free(c->ev_write);
        if (c->out_fd >= 0)
                close(c->out_fd);
        close(c->fd);
        list_unlink(&c->link);
        c->hpd->nclients--;
        log_debug("client pid=%d uid=%u: disconnected", c->cred.pid, c->cred.uid);
        policy_creds_free(&c->cred);
        free(c);
}

static void violation(struct client *c, const char *what, int err)
{
        log_warn("client pid=%d uid=%u: %s (%s), disconnecting", c->cred.pid, c->cred.uid, what,
                 strerrorname_np(-err) ? strerrorname_np(-err) : "?");
        client_free(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
        struct client *c = arg;
        char buf[HP_MSG_MAX + 1];

        (void)what;
        for (int i = 0; i < CLIENT_BATCH && !c->busy; i++) {
                int r, passed;

                r = hp_proto_recv(fd, buf, sizeof(buf), &passed, 0, MSG_DONTWAIT);
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
                if ((c->req.hdr.type == HP_MSG_HELLO) == c->greeted) {
                        violation(c, c->greeted ? "second HELLO" : "no HELLO first", -EPROTO);
                        return;
                }
                c->busy = 1;
                request_dispatch(c);
        }
        if (c->busy)
                event_del(c->ev_read);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
        struct client *c = arg;
        int r;

        (void)what;
        r = hp_proto_send(fd, c->out, c->out_len, c->out_fd, MSG_DONTWAIT);
        if (r == -EAGAIN)
                return;
        if (c->out_fd >= 0)
                close(c->out_fd);
        c->out_fd = -1;
        c->out_len = 0;
        event_del(c->ev_write);
        c->busy = 0;
        /* On a send error the peer is gone; reading notices and frees. */
        event_add(c->ev_read, NULL);
}

void client_reply(struct client *c, uint16_t type, const void *body, size_t len, int fd)
{
        char buf[HP_MSG_MAX];
        int n, r;

        n = hp_proto_encode(buf, sizeof(buf), type, c->req.hdr.seq, body, len);
        if (n < 0) {
                log_err("internal: cannot encode %s", hp_proto_type_name(type));
                abort();
        }
        r = hp_proto_send(c->fd, buf, (size_t)n, fd, MSG_DONTWAIT);
        if (r == -EAGAIN) {
                /* The client is not reading. Keep this one reply (and a
                 * duplicate of its descriptor, so the segment may change
                 * meanwhile) and read nothing more until it is out. */
                memcpy(c->out, buf, (size_t)n);
                c->out_len = (size_t)n;
                c->out_fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
                event_del(c->ev_read);
                event_add(c->ev_write, NULL);
                return;
        }
        if (r < 0)
                log_debug("client pid=%d uid=%u: reply lost: %s", c->cred.pid, c->cred.uid,
                          strerrorname_np(-r));
        c->busy = 0;
        event_add(c->ev_read, NULL);
}

static void pause_accept(struct hpd *hpd)
{
        struct timeval tv = {0, 100 * 1000};

        event_del(hpd->accept_ev);
        event_add(hpd->accept_pause, &tv);
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
        struct hpd *hpd = arg;

        (void)fd;
        (void)what;
        event_add(hpd->accept_ev, NULL);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
        struct hpd *hpd = arg;

        (void)what;
        for (int i = 0; i < CLIENT_BATCH; i++) {
                struct client *c;
                int fd, r;

                fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                            errno == ENOMEM) {
                                log_warn("accept: %m; pausing new connections");
                                pause_accept(hpd);
                        }
                        return;
                }
                if (hpd->nclients >= hpd->max_clients) {
                        log_warn("too many clients (%u), refusing one", hpd->nclients);
                        close(fd);
                        pause_accept(hpd);
                        return;
                }
                c = calloc(1, sizeof(*c));
                if (!c) {
                        close(fd);
                        continue;
                }
                c->hpd = hpd;
                c->fd = fd;
                c->out_fd = -1;
                list_init(&c->wait_link);
                r = policy_peer_creds(fd, &c->cred);
                if (r < 0) {
                        /* No credentials, no service. */
                        log_warn("connection without credentials: %s", strerrorname_np(-r));
                        close(fd);
                        free(c);
                        continue;
                }
                c->ev_read = event_new(hpd->base, fd, EV_READ | EV_PERSIST, on_read, c);
                c->ev_write = event_new(hpd->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
                list_append(&hpd->clients, &c->link);
                hpd->nclients++;
                if (!c->ev_read || !c->ev_write || event_add(c->ev_read, NULL) < 0) {
                        client_free(c);
                        continue;
                }
                log_debug("client pid=%d uid=%u: connected", c->cred.pid, c->cred.uid);
        }
}

int client_listen(struct hpd *hpd)
{
        list_init(&hpd->clients);
        hpd->accept_ev = event_new(hpd->base, hpd->listen_fd, EV_READ | EV_PERSIST, on_accept, hpd);
        hpd->accept_pause = evtimer_new(hpd->base, on_accept_resume, hpd);
        if (!hpd->accept_ev || !hpd->accept_pause || event_add(hpd->accept_ev, NULL) < 0)
                return -ENOMEM;
        return 0;
}

void client_free_all(struct hpd *hpd)
{
        while (!list_empty(&hpd->clients))
                client_free(container_of(hpd->clients.next, struct client, link));
        if (hpd->accept_ev)
                event_free(hpd->accept_ev);
        if (hpd->accept_pause)
                event_free(hpd->accept_pause);
        hpd->accept_ev = hpd->accept_pause = NULL;
}
