/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wire.c - the hand-made protocol client; see wire.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "wire.h"

int wire_connect(const char *sock)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int fd, r;

        if (strlen(sock) >= sizeof(a.sun_path))
                return -ENAMETOOLONG;
        strcpy(a.sun_path, sock);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int wire_send(int fd, uint16_t type, uint64_t seq, const void *body, size_t len)
{
        char buf[HP_MSG_MAX];
        int n = hp_proto_encode(buf, sizeof(buf), type, seq, body, len);

        return n < 0 ? n : hp_proto_send(fd, buf, (size_t)n, -1, 0);
}

int wire_recv(int fd, struct hp_msg *m, int *passed)
{
        char buf[HP_MSG_MAX + 1];
        int got, n = hp_proto_recv(fd, buf, sizeof(buf), &got, passed ? 1 : 0, 0, NULL, NULL);

        if (n <= 0)
                return n < 0 ? n : -ECONNRESET;
        if ((n = hp_proto_decode(buf, (size_t)n, HP_DIR_REPLY, m)) < 0) {
                if (got >= 0)
                        close(got);
                return n;
        }
        if (passed)
                *passed = got;
        return 0;
}

int wire_greet(int fd)
{
        struct hp_hello h = {.version = HP_PROTO_VERSION};
        struct hp_msg m;
        int r = wire_send(fd, HP_MSG_HELLO, 1, &h, sizeof(h));

        if (r == 0)
                r = wire_recv(fd, &m, NULL);
        if (r == 0 && m.u.hello_reply.st.status)
                r = -m.u.hello_reply.st.status;
        return r;
}

int wire_alloc(int fd, int32_t key, uint32_t flag, uint32_t prot, uint64_t len, struct hp_msg *m)
{
        struct hp_alloc a = {.key = key, .flag = flag, .len = len, .prot = prot};
        int seg = -1, r = wire_send(fd, HP_MSG_ALLOC, 2, &a, sizeof(a));

        if (r == 0)
                r = wire_recv(fd, m, &seg);
        if (r == 0 && m->u.alloc_reply.st.status)
                r = -m->u.alloc_reply.st.status;
        return r < 0 ? r : seg;
}
