/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * policy.c - identity and access; see policy.h.
 *
 * The rules are shmget()'s: the owner's bits apply to the owner, the group's
 * bits to members of the segment's group (primary or supplementary), the
 * other bits to everyone else; uid 0 passes every check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hp_proto.h"
#include "policy.h"
#include "segment.h"

int policy_peer_creds(int sock, struct creds *c)
{
        struct ucred uc;
        socklen_t len = sizeof(uc);
        gid_t *g = NULL;

        c->groups = NULL;
        c->ngroups = 0;
        if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
                return -errno;
        if (len != sizeof(uc) || uc.pid <= 0)
                return -EPERM;
        c->pid = uc.pid;
        c->uid = uc.uid;
        c->gid = uc.gid;

        len = 0;
        if (getsockopt(sock, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) < 0 && errno != ERANGE)
                return -errno;
        if (len) {
                g = malloc(len);
                if (!g)
                        return -ENOMEM;
                if (getsockopt(sock, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0) {
                        free(g);
                        return -errno;
                }
        }
        c->groups = g;
        c->ngroups = (int)(len / sizeof(gid_t));
        return 0;
}

void policy_creds_free(struct creds *c)
{
        free(c->groups);
        c->groups = NULL;
        c->ngroups = 0;
}

static int in_group(const struct creds *c, gid_t gid)
{
        if (c->gid == gid)
                return 1;
        for (int i = 0; i < c->ngroups; i++)
                if (c->groups[i] == gid)
                        return 1;
        return 0;
}

int policy_check(const struct creds *c, const struct segment *s, uint32_t prot)
{
        unsigned need = 04 | ((prot & HP_PROT_WRITE) ? 02 : 0);
        unsigned bits;

        if (c->uid == 0)
                return 0;
        if (c->uid == s->uid)
                bits = (s->mode >> 6) & 07;
        else if (in_group(c, s->gid))
                bits = (s->mode >> 3) & 07;
        else
                bits = s->mode & 07;
        return (bits & need) == need ? 0 : -EACCES;
}

pid_t policy_proc(pid_t pid, uint64_t *start)
{
        char path[32], buf[512], *p;
        unsigned long long st = 0;
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
        if (!p || sscanf(p + 1,
                         " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
                         "%*d %*d %llu",
                         &ppid, &st) != 2)
                return -1;
        if (start)
                *start = st;
        return ppid;
}
