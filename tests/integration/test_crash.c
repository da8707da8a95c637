/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_crash.c - clients that die at every point of a request, and a daemon
 * that dies under its clients.
 *
 * A client killed before its reply, after its descriptor arrived but before
 * it mapped it, or in the middle of a free leaves no reference and no
 * descriptor in the daemon. A daemon killed with SIGKILL leaves every
 * client's mappings working; a new daemon on the same socket is found by the
 * clients at their next call, and old mappings still free cleanly.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <hugepages.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "hp_proto.h"
#include "wire.h"

#define RW (PROT_READ | PROT_WRITE)

enum when { BEFORE_REPLY, AFTER_DESCRIPTOR, DURING_FREE };

/* A child that allocates (a large segment, so that its making takes a while)
 * and dies at the given point, by SIGKILL. */
static void die_at(enum when when, int key)
{
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                struct hp_alloc a = {
                    .key = key, .flag = key ? 01600 : 0, .len = 32 * MB2, .prot = 3};
                struct hp_ref r;
                struct hp_msg m;
                int fd = wire_connect(hp_daemon.sock), seg = -1;

                /* A child: any unexpected answer is an exit code, not an assert. */
                if (fd < 0 || wire_greet(fd) < 0)
                        _exit(3);
                if (wire_send(fd, HP_MSG_ALLOC, 2, &a, sizeof(a)) < 0)
                        _exit(4);
                if (when == BEFORE_REPLY)
                        raise(SIGKILL);
                if (wire_recv(fd, &m, &seg) < 0 || seg < 0)
                        _exit(5);
                if (when == AFTER_DESCRIPTOR)
                        raise(SIGKILL);
                if (mmap(NULL, 32 * MB2, RW, MAP_SHARED, seg, 0) == MAP_FAILED)
                        _exit(6);
                close(seg);
                r = (struct hp_ref){.id = m.u.alloc_reply.id};
                if (wire_send(fd, HP_MSG_RELEASE, 3, &r, sizeof(r)) < 0)
                        _exit(7);
                raise(SIGKILL);
        }
        ck_assert_int_eq(wait_exit(pid), 128 + SIGKILL);
}

static void expect_clean(void)
{
        ck_assert(wait_used(MB2, hp_base2m, 3000));
        ck_assert_int_eq(fd_count_reaches(hp_daemon.pid, hp_daemon.fds, 3000), hp_daemon.fds);
        ck_assert_int_eq(kill(hp_daemon.pid, 0), 0);
}

START_TEST(killed_before_the_reply)
{
        die_at(BEFORE_REPLY, 0);
        die_at(BEFORE_REPLY, 9001);
        expect_clean();
}
END_TEST

START_TEST(killed_after_the_descriptor_arrived)
{
        die_at(AFTER_DESCRIPTOR, 0);
        die_at(AFTER_DESCRIPTOR, 9002);
        expect_clean();
}
END_TEST

START_TEST(killed_during_a_free)
{
        die_at(DURING_FREE, 0);
        die_at(DURING_FREE, 9003);
        expect_clean();
}
END_TEST

/* Library clients killed at random moments of an alloc/free loop. */
START_TEST(killed_at_random_moments)
{
        srand((unsigned)time(NULL));
        for (int i = 0; i < 40; i++) {
                char out[64];
                pid_t pid =
                    helper_start(out, sizeof(out), (const char *const[]){"churn", "9004", NULL});

                ck_assert_str_eq(out, "ready");
                usleep((useconds_t)(rand() % 20000));
                kill(pid, SIGKILL);
                ck_assert_int_eq(wait_exit(pid), 128 + SIGKILL);
        }
        expect_clean();
}
END_TEST

START_TEST(daemon_killed_under_its_clients)
{
        char *k = alloc_hugepages(9100, NULL, MB2, RW, IPC_CREAT | 0600);
        char *p = alloc_hugepages(0, NULL, 2 * MB2, RW, 0);
        char *k2;
        char sock[sizeof(hp_daemon.sock)];
        int status;

        ck_assert_ptr_ne(k, HUGEPAGES_FAILED);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        strcpy(k, "before");
        strcpy(p, "private");

        kill(hp_daemon.pid, SIGKILL);
        ck_assert_int_eq(waitpid(hp_daemon.pid, &status, 0), hp_daemon.pid);
        hp_daemon.pid = 0;
        /* Our memory is ours: it keeps working, read and write. */
        ck_assert_str_eq(k, "before");
        ck_assert_str_eq(p, "private");
        strcpy(k + 100, "during");
        ck_assert_str_eq(k + 100, "during");
        /* No daemon: a call says so. */
        expect_fail(alloc_hugepages(9101, NULL, MB2, RW, IPC_CREAT | 0600), ENOSYS);

        /* A new daemon on the same socket: we find it by ourselves. */
        strcpy(sock, hp_daemon.sock);
        daemon_start_at(&hp_daemon, sock);
        k2 = alloc_hugepages(9101, NULL, MB2, RW, IPC_CREAT | 0600);
        ck_assert_ptr_ne(k2, HUGEPAGES_FAILED);
        k2[0] = 1;
        /* Mappings from before the restart still free cleanly. */
        ck_assert_int_eq(free_hugepages(k), 0);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert_int_eq(free_hugepages(k2), 0);
        ck_assert_int_eq(free_hugepages(k), -1);
        ck_assert_int_eq(errno, EINVAL);
        /* Everything is back in the pool once nobody maps it. */
        ck_assert(wait_used(MB2, hp_base2m, 2000));
        /* The table did not survive the daemon (that is the systemd fd store's
         * job): key 9100 is unknown to the new one. */
        expect_fail(alloc_hugepages(9100, NULL, MB2, RW, 0), ENOENT);
}
END_TEST

/* A forked child inherits a mapping across a daemon restart too. */
START_TEST(daemon_restarts_between_fork_and_free)
{
        char *k = alloc_hugepages(9200, NULL, MB2, RW, IPC_CREAT | 0600);
        char sock[sizeof(hp_daemon.sock)];
        pid_t pid;

        ck_assert_ptr_ne(k, HUGEPAGES_FAILED);
        kill(hp_daemon.pid, SIGKILL);
        waitpid(hp_daemon.pid, NULL, 0);
        hp_daemon.pid = 0;
        strcpy(sock, hp_daemon.sock);
        daemon_start_at(&hp_daemon, sock);
        pid = fork();
        if (pid == 0) {
                char *q = alloc_hugepages(0, NULL, MB2, RW, 0);

                k[0] = 'c';
                _exit(q != HUGEPAGES_FAILED && free_hugepages(q) == 0 && free_hugepages(k) == 0
                          ? 0
                          : 1);
        }
        ck_assert_int_eq(wait_exit(pid), 0);
        ck_assert_int_eq(k[0], 'c');
        ck_assert_int_eq(free_hugepages(k), 0);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
}
END_TEST

static Suite *crash_suite(void)
{
        Suite *s = suite_create("crash");
        TCase *tc = tcase_create("clients");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, killed_before_the_reply);
        tcase_add_test(tc, killed_after_the_descriptor_arrived);
        tcase_add_test(tc, killed_during_a_free);
        tcase_add_test(tc, killed_at_random_moments);
        suite_add_tcase(s, tc);
        tc = tcase_create("daemon");
        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, daemon_killed_under_its_clients);
        tcase_add_test(tc, daemon_restarts_between_fork_and_free);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(crash_suite());
}
