/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_fork.c - fork(), exec(), vfork(), posix_spawn(), system(), and fork()
 * in a threaded program: a keyed segment is inherited and its memory lives
 * exactly as long as some process maps it. Release is judged by the pool
 * figures and by the key's disappearance, each within a bound.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <hugepages.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define RW (PROT_READ | PROT_WRITE)

extern char **environ;

/* The parent frees and exits the moment fork() returns: the child, which
 * still maps the key, must already count. Many times, to give a window a
 * chance to show. */
START_TEST(parent_frees_at_once_child_still_counts)
{
        ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        for (int round = 0; round < 20; round++) {
                char out[64];
                pid_t parent, child;

                parent = helper_start(out, sizeof(out),
                                      (const char *const[]){"fork-free-exit", "8001", NULL});
                ck_assert_int_eq(sscanf(out, "child %d", &child), 1);
                ck_assert_int_eq(wait_exit(parent), 0);
                /* The parent is gone and freed: the child keeps the key alive. */
                ck_assert_str_eq(try_key(8001), "OK");
                ck_assert_uint_eq(used2m(), 1);
                kill(child, SIGKILL);
                ck_assert_int_eq(wait_exit(child), 128 + SIGKILL);
                ck_assert(wait_key_gone(8001, 1000));
                ck_assert(wait_used(MB2, hp_base2m, 1000));
        }
}
END_TEST

START_TEST(child_free_then_exit_releases)
{
        char *k = must_alloc(8002, MB2, RW, IPC_CREAT | 0600);
        char *p = must_alloc(0, MB2, RW, 0);
        int go[2];
        pid_t pid;
        char c;

        strcpy(k, "inherited");
        ck_assert_int_eq(pipe(go), 0);
        pid = fork();
        if (pid == 0) {
                int ok = strcmp(k, "inherited") == 0;

                ok &= read(go[0], &c, 1) == 1;
                /* The parent is gone from the key: we still see it. */
                ok &= strcmp(k, "inherited") == 0;
                /* Private memory was not inherited, and is not ours to free. */
                ok &= free_hugepages(p) == -1 && errno == EINVAL;
                ok &= free_hugepages(k) == 0;
                _exit(ok ? 0 : 1);
        }
        ck_assert_int_eq(free_hugepages(k), 0);
        ck_assert_int_eq(free_hugepages(p), 0);
        /* Private pages went back at once; the keyed one is the child's. */
        ck_assert(wait_used(MB2, hp_base2m + 1, 1000));
        ck_assert_str_eq(try_key(8002), "OK");
        ck_assert_int_eq(write(go[1], "g", 1), 1);
        ck_assert_int_eq(wait_exit(pid), 0);
        ck_assert(wait_key_gone(8002, 1000));
        ck_assert(wait_used(MB2, hp_base2m, 1000));
}
END_TEST

START_TEST(child_that_execs_holds_nothing)
{
        char *k = must_alloc(8003, MB2, RW, IPC_CREAT | 0600);
        pid_t pid = fork();

        if (pid == 0) {
                /* Never calls the library: it just becomes another program. */
                execl("/bin/sleep", "sleep", "30", (char *)NULL);
                _exit(127);
        }
        ck_assert_int_gt(pid, 0);
        ck_assert_int_eq(free_hugepages(k), 0);
        ck_assert(wait_key_gone(8003, 1000));
        ck_assert(wait_used(MB2, hp_base2m, 1000));
        ck_assert_int_eq(kill(pid, 0), 0); /* it is alive, and holds nothing */
        kill(pid, SIGKILL);
        wait_exit(pid);
}
END_TEST

START_TEST(child_killed_right_away_leaks_nothing)
{
        int fds = fd_count_settled(hp_daemon.pid);
        char *k = must_alloc(8004, MB2, RW, IPC_CREAT | 0600);

        for (int i = 0; i < 20; i++) {
                pid_t pid = fork();

                if (pid == 0)
                        raise(SIGKILL);
                ck_assert_int_eq(wait_exit(pid), 128 + SIGKILL);
        }
        ck_assert_int_eq(free_hugepages(k), 0);
        ck_assert(wait_key_gone(8004, 1000));
        ck_assert(wait_used(MB2, hp_base2m, 1000));
        /* Our own connection stays open. */
        ck_assert_int_eq(fd_count_reaches(hp_daemon.pid, fds + 1, 2000), fds + 1);
}
END_TEST

START_TEST(vfork_spawn_and_system)
{
        int fds = fd_count_settled(hp_daemon.pid), mine;
        char *k = must_alloc(8005, MB2, RW, IPC_CREAT | 0600);
        char *p = must_alloc(0, MB2, RW, 0);
        char *argv[] = {"true", NULL};
        pid_t pid;
        int status;

        mine = fd_count(getpid());
        strcpy(k, "keyed");
        strcpy(p, "private");
        ck_assert_int_eq(system("true"), 0);
        ck_assert_int_eq(posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ), 0);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        pid = vfork();
        if (pid == 0) {
                execl("/bin/true", "true", (char *)NULL);
                _exit(127);
        }
        ck_assert_int_eq(wait_exit(pid), 0);
        /* Nothing broke... */
        ck_assert_str_eq(k, "keyed");
        ck_assert_str_eq(p, "private");
        k[100] = p[100] = 'w';
        ck_assert_int_eq(fd_count(getpid()), mine);
        ck_assert_uint_eq(used2m(), 2);
        /* ...and nothing leaked. */
        ck_assert_int_eq(free_hugepages(k), 0);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_key_gone(8005, 1000));
        ck_assert(wait_used(MB2, hp_base2m, 1000));
        ck_assert_int_eq(fd_count_reaches(hp_daemon.pid, fds + 1, 2000), fds + 1);
}
END_TEST

static atomic_int stop;
static atomic_int thread_errors;

static void *churn(void *arg)
{
        int key = 8100 + (int)(intptr_t)arg;

        while (!atomic_load(&stop)) {
                char *k = alloc_hugepages(key, NULL, MB2, RW, IPC_CREAT | 0600);
                char *p = alloc_hugepages(0, NULL, MB2, RW, 0);

                if (k == HUGEPAGES_FAILED || p == HUGEPAGES_FAILED)
                        atomic_fetch_add(&thread_errors, 1);
                if (k != HUGEPAGES_FAILED) {
                        k[0] = 1;
                        free_hugepages(k);
                }
                if (p != HUGEPAGES_FAILED) {
                        p[0] = 1;
                        free_hugepages(p);
                }
        }
        return NULL;
}

/* fork() while other threads are inside alloc_hugepages()/free_hugepages():
 * no deadlock, and the child can use the library. */
/* A child made without the fork handlers (_Fork()) is noticed at its first
 * call: it never uses the parent's connection, is not counted for what it
 * inherited, and counts once it attaches on a connection of its own. */
START_TEST(child_made_without_the_handlers)
{
        char *p = must_alloc(4100, MB2, RW, IPC_CREAT | 0600);
        char *q = must_alloc(4100, MB2, RW, 0); /* a held key: no round trip */
        struct hugepages_stat st;
        pid_t child;

        strcpy(p, "parent");
        child = _Fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                char *r;
                int ok;

                ok = hugepages_stat(4100, &st) == 0 && st.users == 1 && st.processes == 1;
                ok = ok && free_hugepages(q) == 0; /* inherited, never counted */
                r = alloc_hugepages(4100, NULL, MB2, RW, 0);
                ok = ok && r != HUGEPAGES_FAILED && strcmp(r, "parent") == 0;
                ok = ok && hugepages_stat(4100, &st) == 0 && st.users == 2 && st.processes == 2;
                ok = ok && free_hugepages(r) == 0 && free_hugepages(p) == 0;
                _exit(ok ? 0 : 1);
        }
        ck_assert_int_eq(wait_exit(child), 0);
        /* The parent's connection and its count are as they were. */
        ck_assert_int_eq(hugepages_stat(4100, &st), 0);
        ck_assert_uint_eq(st.users, 1);
        ck_assert_str_eq(q, "parent");
        ck_assert_int_eq(free_hugepages(q), 0);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_key_gone(4100, 1000));
}
END_TEST

START_TEST(fork_in_a_threaded_program)
{
        int fds = fd_count_settled(hp_daemon.pid);
        char *held = must_alloc(8200, MB2, RW, IPC_CREAT | 0600);
        pthread_t t[4];

        for (intptr_t i = 0; i < 4; i++)
                ck_assert_int_eq(pthread_create(&t[i], NULL, churn, (void *)i), 0);
        for (int i = 0; i < 40; i++) {
                pid_t pid = fork();

                if (pid == 0) {
                        char *k = alloc_hugepages(8300, NULL, MB2, RW, IPC_CREAT | 0600);
                        char *p = alloc_hugepages(0, NULL, MB2, RW, 0);
                        int ok = k != HUGEPAGES_FAILED && p != HUGEPAGES_FAILED;

                        if (ok) {
                                k[0] = p[0] = 1;
                                ok = free_hugepages(k) == 0 && free_hugepages(p) == 0;
                        }
                        ok &= free_hugepages(held) == 0; /* inherited */
                        _exit(ok ? 0 : 1);
                }
                ck_assert_int_gt(pid, 0);
                ck_assert_int_eq(wait_exit(pid), 0);
        }
        atomic_store(&stop, 1);
        for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        ck_assert_int_eq(atomic_load(&thread_errors), 0);
        ck_assert_int_eq(free_hugepages(held), 0);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
        ck_assert(wait_key_gone(8200, 1000));
        ck_assert(wait_key_gone(8300, 1000));
        ck_assert_int_eq(fd_count_reaches(hp_daemon.pid, fds + 1, 2000), fds + 1);
}
END_TEST

static Suite *fork_suite(void)
{
        Suite *s = suite_create("fork");
        TCase *tc = tcase_create("inheritance");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, parent_frees_at_once_child_still_counts);
        tcase_add_test(tc, child_free_then_exit_releases);
        tcase_add_test(tc, child_that_execs_holds_nothing);
        tcase_add_test(tc, child_killed_right_away_leaks_nothing);
        tcase_add_test(tc, vfork_spawn_and_system);
        tcase_add_test(tc, fork_in_a_threaded_program);
        tcase_add_test(tc, child_made_without_the_handlers);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(fork_suite());
}
