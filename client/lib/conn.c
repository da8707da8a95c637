/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * conn.c - the connection to hugepaged; see conn.h.
 *
 * Blocking and synchronous by design: one request, one reply, but never a
 * wait without bound: a daemon silent for longer than the timeout is taken
 * for gone (ENOSYS), and the connection dropped. A daemon that dies does not
 * end the connection (systemd keeps the daemon's end, and the next daemon
 * resumes it): the answer comes from the next daemon, and an answer given
 * twice across the restart is recognised by its seq and skipped. The socket is
 * close-on-exec, so an exec'd program holds nothing of ours.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "hugepages.h"

void conn_drop(struct conn *c)
{
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        c->gen++;
}

/* How long the daemon may stay silent before a call gives up on it: from
 * $HUGEPAGED_TIMEOUT (seconds), else CONN_TIMEOUT_SECONDS. A create that
 * takes longer is no silence: the daemon sends PROGRESS every second. */
static int timeout_ms(void)
{
        const char *e = getenv("HUGEPAGED_TIMEOUT");
        char *end;
        double s = e && *e ? strtod(e, &end) : 0;

        if (!e || !*e || *end || s <= 0 || s > 86400)
                return CONN_TIMEOUT_SECONDS * 1000;
        return (int)(s * 1000);
}

/* The next datagram, if it comes within the bound: its length, 0 at end
 * of stream, -ETIMEDOUT, or a negative errno. */
static int recv_within(struct conn *c, char *buf, size_t cap, int *got, unsigned max_fds)
{
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int r;

        do
                r = poll(&p, 1, timeout_ms());
        while (r < 0 && errno == EINTR);
        if (r == 0)
                return -ETIMEDOUT;
        if (r < 0)
                return -errno;
        return hp_proto_recv(c->fd, buf, cap, got, max_fds, 0, NULL, NULL);
}

static int round_trip(struct conn *c, uint16_t type, const void *body, size_t len,
                      uint16_t reply_type, struct hp_msg *reply, int *fd)
{
        char buf[HP_MSG_MAX + 1];
        uint64_t seq = ++c->seq;
        int n, r, got = -1;

        n = hp_proto_encode(buf, sizeof(buf), type, seq, body, len);
        if (n < 0)
                return n;
        r = hp_proto_send(c->fd, buf, (size_t)n, -1, 0);
        if (r == -EAGAIN)
                return -ETIMEDOUT; /* SO_SNDTIMEO: the daemon takes nothing */
        if (r < 0)
                return r == -EPIPE || r == -ECONNRESET || r == -ENOTCONN ? -ECONNRESET : r;
        for (;;) {
                n = recv_within(c, buf, sizeof(buf), &got, fd ? 1 : 0);
                if (n == 0 || n == -ECONNRESET)
                        return -ECONNRESET;
                if (n < 0)
                        return n == -EBADMSG ? -EPROTO : n;
                r = hp_proto_decode(buf, (size_t)n, HP_DIR_REPLY, reply);
                /* An answer to an earlier request, given again by a daemon
                 * restarted before it knew the first had arrived: we had it. */
                if (r == 0 && reply->hdr.seq < seq) {
                        if (got >= 0)
                                close(got);
                        got = -1;
                        continue;
                }
                /* Still working on it: wait on, the bound afresh. */
                if (r == 0 && reply->hdr.type == HP_MSG_PROGRESS && reply->hdr.seq == seq &&
                    got < 0)
                        continue;
                break;
        }
        if (r == 0 && (reply->hdr.type != reply_type || reply->hdr.seq != seq))
                r = -EPROTO;
        /* A descriptor comes with, and only with, a successful ALLOC reply;
         * HELLO's reply may bring the key epoch's page. */
        if (r == 0 && reply_type == HP_MSG_ALLOC_REPLY &&
            (got >= 0) != (reply->u.alloc_reply.st.status == 0))
                r = -EPROTO;
        if (r == 0 && got >= 0 && reply_type != HP_MSG_ALLOC_REPLY &&
            reply_type != HP_MSG_HELLO_REPLY)
                r = -EPROTO;
        if (r < 0) {
                if (got >= 0)
                        close(got);
                return -EPROTO;
        }
        if (fd)
                *fd = got;
        return 0;
}

/* The key epoch's page that came with HELLO's reply (fd, closed here), in
 * place of the last connection's. Without one, or with one that is not what
 * it should be, every key is asked of the daemon. */
static void map_epoch(struct conn *c, int fd)
{
        struct stat st;
        void *p = MAP_FAILED;

        if (c->epoch)
                munmap((void *)c->epoch, HP_EPOCH_SIZE);
        c->epoch = NULL;
        if (fd < 0)
                return;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == HP_EPOCH_SIZE)
                p = mmap(NULL, HP_EPOCH_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        if (p == MAP_FAILED)
                return;
        if (((const struct hp_epoch *)p)->magic != HP_EPOCH_MAGIC) {
                munmap(p, HP_EPOCH_SIZE);
                return;
        }
        c->epoch = p;
}

static int conn_open(struct conn *c)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        const char *path = getenv("HUGEPAGED_SOCKET");
        struct hp_hello hello = {
            .version = HP_PROTO_VERSION,
            .flags = HP_HELLO_PROGRESS | (c->want_epoch ? HP_HELLO_EPOCH : 0),
        };
        struct timeval send_bound = {timeout_ms() / 1000, timeout_ms() % 1000 * 1000};
        struct hp_msg reply;
        int r, page = -1;

        if (!path || !*path)
                path = HUGEPAGES_DEFAULT_SOCKET;
        if (strlen(path) >= sizeof(addr.sun_path))
                return -ENOSYS;
        strcpy(addr.sun_path, path);
        c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
                return -errno;
        /* connect() and send() wait for room at the daemon's end: not forever. */
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &send_bound, sizeof(send_bound));
        do
                r = connect(c->fd, (struct sockaddr *)&addr, sizeof(addr));
        while (r < 0 && errno == EINTR);
        c->connect_errno = r < 0 ? errno : 0;
        if (r < 0) {
                conn_drop(c);
                return -ENOSYS;
        }
        r = round_trip(c, HP_MSG_HELLO, &hello, sizeof(hello), HP_MSG_HELLO_REPLY, &reply,
                       c->want_epoch ? &page : NULL);
        if (r == 0 && reply.u.hello_reply.st.status)
                r = -reply.u.hello_reply.st.status;
        if (r == 0)
                map_epoch(c, page);
        else if (page >= 0)
                close(page);
        if (r < 0) {
                conn_drop(c);
                return r == -ECONNRESET || r == -ETIMEDOUT ? -ENOSYS : r;
        }
        c->default_page_size = reply.u.hello_reply.default_page_size;
        if (c->on_connect && (r = c->on_connect(c)) < 0) {
                conn_drop(c);
                return r == -ECONNRESET || r == -ETIMEDOUT ? -ENOSYS : r;
        }
        return 0;
}

int conn_request(struct conn *c, uint16_t type, const void *body, size_t len, uint16_t reply_type,
                 struct hp_msg *reply, int *fd)
{
        int r;

        if (c->fd < 0)
                return -ENOSYS;
        r = round_trip(c, type, body, len, reply_type, reply, fd);
        if (r < 0)
                conn_drop(c);
        return r;
}

int conn_post(struct conn *c, uint16_t type, const void *body, size_t len)
{
        char buf[HP_MSG_MAX + 1];
        int n, r;

        if (c->fd < 0)
                return -ENOSYS;
        n = hp_proto_encode(buf, sizeof(buf), type, ++c->seq, body, len);
        if (n < 0)
                return n;
        r = hp_proto_send(c->fd, buf, (size_t)n, -1, MSG_DONTWAIT);
        if (r < 0 && r != -EAGAIN)
                conn_drop(c);
        return r < 0 ? r : 0;
}

int conn_ensure(struct conn *c)
{
        return c->fd >= 0 ? 0 : conn_open(c);
}

int conn_call(struct conn *c, uint16_t type, const void *body, size_t len, uint16_t reply_type,
              struct hp_msg *reply, int *fd, int may_retry)
{
        int r;

        for (int attempt = 0;; attempt++) {
                if ((r = conn_ensure(c)) < 0)
                        return r;
                r = round_trip(c, type, body, len, reply_type, reply, fd);
                if (r == 0)
                        return 0;
                /* Whatever went wrong, this connection is no longer in step. */
                conn_drop(c);
                if (r == -ETIMEDOUT)
                        return -ENOSYS; /* the daemon does not answer */
                if (r != -ECONNRESET)
                        return r;
                if (!may_retry || attempt > 0)
                        return -ENOSYS;
        }
}
