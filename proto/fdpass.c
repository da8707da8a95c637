/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fdpass.c - one message, and at most one descriptor, per datagram.
 *
 * Owns: sendmsg/recvmsg and SCM_RIGHTS handling. Every descriptor that
 * arrives is handed to the caller, to its discard function, or closed here;
 * none is leaked, and none is installed without O_CLOEXEC. Knows nothing of
 * message contents.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hp_proto.h"

/* Room for more descriptors than any message may carry, so that a peer that
 * sends extra ones is caught (and they are closed) rather than truncated. */
#define HP_FDS_ROOM 8

int hp_proto_send(int sock, const void *buf, size_t len, int fd, int flags)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n;

        if (fd >= 0) {
                struct cmsghdr *c;

                memset(&ctl, 0, sizeof(ctl));
                mh.msg_control = ctl.buf;
                mh.msg_controllen = sizeof(ctl.buf);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        do
                n = sendmsg(sock, &mh, MSG_NOSIGNAL | flags);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if ((size_t)n != len)
                return -EMSGSIZE;
        return 0;
}

static void discard_fd(int fd, hp_discard_fn discard, void *ctx)
{
        if (discard)
                discard(fd, ctx);
        else
                close(fd);
}

int hp_proto_recv(int sock, void *buf, size_t cap, int *fd, unsigned max_fds, int flags,
                  hp_discard_fn discard, void *ctx)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * HP_FDS_ROOM)];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = buf, .iov_len = cap};
        struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = ctl.buf,
            .msg_controllen = sizeof(ctl.buf),
        };
        unsigned got = 0;
        int bad = 0;
        ssize_t n;

        *fd = -1;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                size_t nfds;

                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
                        bad = 1;
                        continue;
                }
                nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < nfds; i++) {
                        int f;

                        memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (got++ < max_fds && *fd < 0)
                                *fd = f;
                        else
                                discard_fd(f, discard, ctx);
                }
        }
        if (got > max_fds)
                bad = 1;
        if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
                bad = 1;
        if ((size_t)n >= cap)
                bad = 1; /* cap is one more than the largest message */
        if (bad) {
                if (*fd >= 0)
                        discard_fd(*fd, discard, ctx);
                *fd = -1;
                return -EBADMSG;
        }
        return (int)n;
}

int hp_proto_peek(int sock, void *buf, size_t cap, int flags)
{
        struct iovec iov = {.iov_base = buf, .iov_len = cap};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n;

        /* No control buffer: descriptors stay in the socket (MSG_CTRUNC). */
        do
                n = recvmsg(sock, &mh, MSG_PEEK | flags);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n >= cap)
                return -EBADMSG;
        return (int)n;
}

int hp_proto_skip(int sock, int flags, hp_discard_fn discard, void *ctx)
{
        char one;
        int fd, r = hp_proto_recv(sock, &one, sizeof(one), &fd, 0, flags, discard, ctx);

        /* A message longer than one byte is "truncated": that is the point. */
        return r < 0 && r != -EBADMSG ? r : 0;
}
