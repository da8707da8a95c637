/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_socket.c - request/reply round trip over AF_UNIX SOCK_SEQPACKET vs
 * SOCK_STREAM between two processes, with messages the size of ours, with and
 * without a descriptor on the reply (an ALLOC reply carries one). Unpinned and
 * pinned to one CPU, all in one run. Prints medians, p99 and ratios.
 *
 *   bench_socket [iterations]
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hp_proto.h"

#define REQ 40 /* header + ALLOC body */
#define REP 56 /* header + ALLOC reply */

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return (x > y) - (x < y);
}

static void set_cpus(int one)
{
        cpu_set_t set;

        CPU_ZERO(&set);
        for (int i = 0; i < (one ? 1 : CPU_SETSIZE); i++)
                CPU_SET(i, &set);
        sched_setaffinity(0, sizeof(set), &set);
}

/* Read exactly n bytes (a stream may split them; a datagram comes whole). */
static int read_full(int fd, char *buf, size_t n, int *passed)
{
        union {
                char b[CMSG_SPACE(sizeof(int))];
                struct cmsghdr a;
        } ctl;
        size_t got = 0;

        while (got < n) {
                struct iovec iov = {buf + got, n - got};
                struct msghdr mh = {.msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = ctl.b,
                                    .msg_controllen = sizeof(ctl.b)};
                struct cmsghdr *c;
                ssize_t r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

                if (r <= 0)
                        return -1;
                got += (size_t)r;
                c = CMSG_FIRSTHDR(&mh);
                if (c && c->cmsg_type == SCM_RIGHTS && passed)
                        memcpy(passed, CMSG_DATA(c), sizeof(int));
        }
        return 0;
}

/* The project's own send path: one message, a descriptor unless fd < 0. */
static void send_with_fd(int sock, const char *buf, size_t n, int fd)
{
        if (hp_proto_send(sock, buf, n, fd, 0) < 0)
                exit(3);
}

struct result {
        double median_us, p99_us;
};

static struct result run(int type, int pinned, int with_fd, int iters)
{
        uint64_t *lat = calloc((size_t)iters, sizeof(*lat));
        char req[REQ] = {1}, rep[REP] = {2};
        struct result r;
        int sv[2];
        pid_t pid;

        if (!lat || socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
                exit(2);
        set_cpus(pinned);
        pid = fork();
        if (pid == 0) { /* the "daemon": answer every request */
                int devnull = dup(0);

                close(sv[0]);
                while (read_full(sv[1], req, REQ, NULL) == 0)
                        send_with_fd(sv[1], rep, REP, with_fd ? devnull : -1);
                _exit(0);
        }
        close(sv[1]);
        for (int i = -1000; i < iters; i++) {
                uint64_t t0 = now_ns();
                int fd = -1;

                send_with_fd(sv[0], req, REQ, -1);
                if (read_full(sv[0], rep, REP, &fd) < 0)
                        exit(4);
                if (fd >= 0)
                        close(fd);
                if (i >= 0)
                        lat[i] = now_ns() - t0;
        }
        close(sv[0]);
        waitpid(pid, NULL, 0);
        set_cpus(0);
        qsort(lat, (size_t)iters, sizeof(*lat), cmp);
        r.median_us = (double)lat[iters / 2] / 1000.0;
        r.p99_us = (double)lat[iters * 99 / 100] / 1000.0;
        free(lat);
        return r;
}

int main(int argc, char **argv)
{
        static const struct {
                const char *name;
                int type, pinned, fd;
        } cases[] = {
            {"SOCK_SEQPACKET unpinned", SOCK_SEQPACKET, 0, 1},
            {"SOCK_STREAM    unpinned", SOCK_STREAM, 0, 1},
            {"SOCK_SEQPACKET one CPU", SOCK_SEQPACKET, 1, 1},
            {"SOCK_STREAM    one CPU", SOCK_STREAM, 1, 1},
            {"SOCK_SEQPACKET unpinned", SOCK_SEQPACKET, 0, 0},
            {"SOCK_STREAM    unpinned", SOCK_STREAM, 0, 0},
            {"SOCK_SEQPACKET one CPU", SOCK_SEQPACKET, 1, 0},
            {"SOCK_STREAM    one CPU", SOCK_STREAM, 1, 0},
        };
        int iters = argc > 1 ? atoi(argv[1]) : 20000;
        struct result r[8];

        if (iters < 100)
                iters = 100;
        for (int i = 0; i < 8; i++)
                r[i] = run(cases[i].type, cases[i].pinned, cases[i].fd, iters);
        printf("round trip between two processes: %d-byte request, %d-byte reply, %d times\n", REQ,
               REP, iters);
        printf("%-26s %-12s %10s %10s\n", "", "reply", "median us", "p99 us");
        for (int i = 0; i < 8; i++)
                printf("%-26s %-12s %10.1f %10.1f\n", cases[i].name,
                       cases[i].fd ? "+descriptor" : "bytes only", r[i].median_us, r[i].p99_us);
        printf("seqpacket/stream median ratio: with descriptor %.2f unpinned, %.2f one CPU; "
               "bytes only %.2f unpinned, %.2f one CPU\n",
               r[0].median_us / r[1].median_us, r[2].median_us / r[3].median_us,
               r[4].median_us / r[5].median_us, r[6].median_us / r[7].median_us);
        return 0;
}
