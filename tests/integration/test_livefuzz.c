/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_livefuzz.c - random datagrams and descriptors at a running daemon,
 * from an unprivileged user, for a bounded time.
 *
 * Mutations of valid messages (every type, with bytes flipped, lengths
 * lied about, fields set at random), plain noise, descriptors of several
 * kinds attached, connections dropped half-way. Afterwards the daemon must
 * be alive, serve the library, and hold what it held before (the teardown
 * checks descriptors and pages). Run twice: with the kernel refusing
 * descriptors (SO_PASSRIGHTS) where it can, and with the fallback forced.
 * $HP_LIVEFUZZ_SECONDS sets each run's length (default 5).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <hugepages.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "hp_proto.h"
#include "wire.h"

#define NOBODY 65534
#define CONNS  8

/* xorshift64*: the same stream for the same seed, so a failure replays. */
static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        return rng * 0x2545f4914f6cdd1du;
}

/* A message to mutate: a valid header of a random type (requests and
 * replies alike) and random bytes of about the right size after it. */
static size_t make(char *buf, size_t cap)
{
        uint16_t type = (uint16_t)(next() % (HP_MSG_TYPE_END + 2));
        size_t body = hp_proto_body_size(type), len;
        struct hp_hdr h = {.version = HP_PROTO_VERSION, .type = type, .seq = next()};

        for (size_t i = 0; i < cap; i++)
                buf[i] = (char)(next() % 4 ? 0 : next());
        switch (next() % 6) {
        case 0:
                len = next() % cap; /* noise of any length */
                for (size_t i = 0; i < len; i++)
                        buf[i] = (char)next();
                return len;
        case 1:
                body = next() % 300; /* a lying length */
                break;
        case 2:
                h.version = (uint16_t)next();
                break;
        }
        len = sizeof(h) + body;
        if (len > cap)
                len = cap;
        h.len = next() % 8 ? (uint32_t)len : (uint32_t)next();
        memcpy(buf, &h, sizeof(h));
        if (next() % 3 == 0) /* a few bytes flipped anywhere */
                for (int i = 0; i < 3; i++)
                        buf[next() % len] ^= (char)(1u << (next() % 8));
        return len;
}

/* A descriptor of some kind, to send along (or -1). */
static int some_fd(void)
{
        int p[2], sv[2];

        switch (next() % 6) {
        case 0:
                return open("/dev/null", O_RDONLY | O_CLOEXEC);
        case 1:
                if (pipe2(p, O_CLOEXEC) < 0)
                        return -1;
                close(p[1]);
                return p[0];
        case 2:
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                        return -1;
                close(sv[1]);
                return sv[0];
        case 3:
                return eventfd(0, EFD_CLOEXEC);
        default:
                return -1;
        }
}

struct counts {
        long datagrams, descriptors, refused, reconnects;
};

/* The attacker: a child as nobody, for seconds. Writes its counts to out. */
static void attack(int seconds, int out)
{
        int conn[CONNS];
        struct counts n = {0};
        double end = now_ms() + seconds * 1000.0;

        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
                _exit(126);
        for (int i = 0; i < CONNS; i++)
                conn[i] = -1;
        while (now_ms() < end) {
                int i = (int)(next() % CONNS), fd = -1, r;
                char buf[HP_MSG_MAX + 64], junk[HP_MSG_MAX + 1];

                if (conn[i] < 0) {
                        conn[i] = wire_connect(hp_daemon.sock);
                        n.reconnects++;
                        if (conn[i] >= 0 && next() % 2)
                                wire_greet(conn[i]);
                        continue;
                }
                if (next() % 4 == 0)
                        fd = some_fd();
                r = hp_proto_send(conn[i], buf, make(buf, sizeof(buf)), fd, MSG_DONTWAIT);
                n.datagrams++;
                if (fd >= 0) {
                        n.descriptors++;
                        n.refused += r == -EPERM;
                        close(fd);
                }
                /* Take what came back, and drop the connection now and then. */
                while (recv(conn[i], junk, sizeof(junk), MSG_DONTWAIT) > 0)
                        ;
                if ((r < 0 && r != -EAGAIN && r != -EPERM) || next() % 50 == 0) {
                        close(conn[i]);
                        conn[i] = -1;
                }
        }
        (void)!write(out, &n, sizeof(n));
        _exit(0);
}

static void run(void)
{
        const char *e = getenv("HP_LIVEFUZZ_SECONDS");
        int seconds = e ? atoi(e) : 5, p[2];
        struct counts n = {0};
        pid_t pid;

        ck_assert_int_gt(seconds, 0);
        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        if (pid == 0) {
                close(p[0]);
                attack(seconds, p[1]);
        }
        close(p[1]);
        ck_assert_int_eq(wait_exit(pid), 0);
        ck_assert_int_eq(read(p[0], &n, sizeof(n)), sizeof(n));
        close(p[0]);
        printf("livefuzz (%s): %d s, %ld datagrams, %ld with descriptors (%ld refused by "
               "the kernel), %ld connections\n",
               getenv("HUGEPAGED_SO_PASSRIGHTS") ? "fallback" : "kernel", seconds, n.datagrams,
               n.descriptors, n.refused, n.reconnects);
        fflush(stdout);
        ck_assert_int_gt(n.datagrams, 1000);
        /* Alive, and serving. */
        ck_assert_int_eq(kill(hp_daemon.pid, 0), 0);
        ck_assert_int_eq(free_hugepages(must_alloc(0, MB2, PROT_READ | PROT_WRITE, 0)), 0);
        /* A create of gigabytes the attacker asked for may still be under way
         * on the worker for a connection long gone: it ends undone (its pages
         * go back), and the teardown counts after that (it asserts what is
         * left). */
        for (int i = 0; i < hp_npage_sizes; i++)
                wait_used(hp_page_sizes[i], hp_page_sizes[i] == MB2 ? hp_base2m : 0, 30000);
}

START_TEST(kernel_refusing_descriptors)
{
        run();
}
END_TEST

START_TEST(fallback_closing_descriptors)
{
        run();
}
END_TEST

static void setup_kernel(void)
{
        unsetenv("HUGEPAGED_SO_PASSRIGHTS");
        hp_setup();
}

static void setup_fallback(void)
{
        setenv("HUGEPAGED_SO_PASSRIGHTS", "0", 1);
        hp_setup();
}

int main(void)
{
        Suite *s = suite_create("livefuzz");
        TCase *tc = tcase_create("kernel");

        tcase_add_checked_fixture(tc, setup_kernel, hp_teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, kernel_refusing_descriptors);
        suite_add_tcase(s, tc);
        tc = tcase_create("fallback");
        tcase_add_checked_fixture(tc, setup_fallback, hp_teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, fallback_closing_descriptors);
        suite_add_tcase(s, tc);
        return hp_run(s);
}
