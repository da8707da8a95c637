/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_daemon.c - hugepaged itself: its socket, its refusals, its signals,
 * and what it does to the kernel's pool (judged from sysfs).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <hugepages.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define RW (PROT_READ | PROT_WRITE)

static struct daemon d;

static void teardown(void)
{
        daemon_stop_clean(&d);
}

/* Run hugepaged to completion with args; return its exit status (it must
 * exit by itself within 5 s). */
static int run_daemon(const char *const *args)
{
        const char *argv[16] = {HUGEPAGED_BIN};
        int n = 1, status;
        pid_t pid;

        while (*args && n < 15)
                argv[n++] = *args++;
        argv[n] = NULL;
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);

                dup2(null, 2);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        for (int i = 0; i < 500; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                usleep(10000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ck_abort_msg("hugepaged %s did not exit", argv[1]);
        return -1;
}

START_TEST(socket_is_0666_by_default)
{
        struct stat st;

        daemon_start(&d, NULL);
        ck_assert_int_eq(stat(d.sock, &st), 0);
        ck_assert(S_ISSOCK(st.st_mode));
        ck_assert_int_eq(st.st_mode & 07777, 0666);
}
END_TEST

START_TEST(socket_mode_option)
{
        struct stat st;

        daemon_start(&d, (const char *const[]){"--socket-mode", "0660", NULL});
        ck_assert_int_eq(stat(d.sock, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0660);
        ck_assert_int_eq(run_daemon((const char *const[]){"--socket-mode", "999", NULL}), 2);
        ck_assert_int_eq(run_daemon((const char *const[]){"--bogus", NULL}), 2);
}
END_TEST

START_TEST(parent_directories_are_made)
{
        char path[128];
        char *p;

        daemon_start(&d, NULL); /* for its temporary directory */
        daemon_stop(&d);
        ck_assert_int_eq(mkdir(d.dir, 0755), 0);
        snprintf(path, sizeof(path), "%s/a/b/c.sock", d.dir);
        daemon_start_at(&d, path);
        p = alloc_hugepages(0, NULL, MB2, RW, 0);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        ck_assert_int_eq(free_hugepages(p), 0);
        /* Clean up the nested directories for daemon_stop. */
        kill(d.pid, SIGTERM);
        waitpid(d.pid, NULL, 0);
        d.pid = 0;
        snprintf(path, sizeof(path), "%s/a/b/c.sock.lock", d.dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/a/b", d.dir);
        rmdir(path);
        snprintf(path, sizeof(path), "%s/a", d.dir);
        rmdir(path);
}
END_TEST

START_TEST(stale_socket_is_replaced)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int fd;
        char *p;

        daemon_start(&d, NULL);
        daemon_stop(&d);
        ck_assert_int_eq(mkdir(d.dir, 0755), 0);
        /* A socket file nobody listens on any more. */
        strcpy(a.sun_path, d.sock);
        fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        close(fd);
        daemon_start_at(&d, a.sun_path);
        p = alloc_hugepages(0, NULL, MB2, RW, 0);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        ck_assert_int_eq(free_hugepages(p), 0);
}
END_TEST

START_TEST(second_daemon_is_refused)
{
        char *p;

        daemon_start(&d, NULL);
        ck_assert_int_ne(run_daemon((const char *const[]){"--socket", d.sock, NULL}), 0);
        /* The first one is untouched and still serves. */
        ck_assert_int_eq(kill(d.pid, 0), 0);
        p = alloc_hugepages(0, NULL, MB2, RW, 0);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        ck_assert_int_eq(free_hugepages(p), 0);
}
END_TEST

START_TEST(not_a_socket_is_left_alone)
{
        char path[256];
        struct stat st;
        int fd;

        daemon_start(&d, NULL);
        snprintf(path, sizeof(path), "%s/file", d.dir);
        fd = open(path, O_CREAT | O_WRONLY, 0644);
        ck_assert_int_eq(write(fd, "data", 4), 4);
        close(fd);
        ck_assert_int_ne(run_daemon((const char *const[]){"--socket", path, NULL}), 0);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert(S_ISREG(st.st_mode));
        ck_assert_int_eq(st.st_size, 4);
}
END_TEST

START_TEST(sigterm_ends_it_cleanly)
{
        struct stat st;
        int status;
        char *p;

        pool_set(MB2, 0);
        daemon_start(&d, NULL);
        p = alloc_hugepages(7001, NULL, 2 * MB2, RW, IPC_CREAT | 0600);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        strcpy(p, "still here");
        ck_assert_uint_eq(pool_total(MB2), 2);
        kill(d.pid, SIGTERM);
        ck_assert_int_eq(waitpid(d.pid, &status, 0), d.pid);
        d.pid = 0;
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
        ck_assert_int_eq(stat(d.sock, &st), -1); /* it removed its socket */
        /* Our mapping is ours: it keeps working. */
        ck_assert_str_eq(p, "still here");
        p[MB2] = 'w';
        /* The daemon handed back what it added; our pages go when we let go. */
        ck_assert_uint_eq(meminfo("HugePages_Surp"), 2);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert_uint_eq(pool_total(MB2), 0);
        ck_assert_uint_eq(meminfo("HugePages_Surp"), 0);
}
END_TEST

START_TEST(sigint_too)
{
        int status;

        daemon_start(&d, NULL);
        kill(d.pid, SIGINT);
        ck_assert_int_eq(waitpid(d.pid, &status, 0), d.pid);
        d.pid = 0;
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

START_TEST(pool_grows_and_gives_back)
{
        char *p, *q;

        pool_set(MB2, 0);
        daemon_start(&d, NULL);
        p = alloc_hugepages(0, NULL, 3 * MB2, RW, 0);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        ck_assert_uint_eq(pool_total(MB2), 3);
        ck_assert_uint_eq(pool_free(MB2), 0);
        q = alloc_hugepages(7002, NULL, MB2, RW, IPC_CREAT | 0600);
        ck_assert_ptr_ne(q, HUGEPAGES_FAILED);
        ck_assert_uint_eq(pool_total(MB2), 4);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_used(MB2, 1, 1000));
        ck_assert(wait_total(MB2, 1, 1000));
        ck_assert_int_eq(free_hugepages(q), 0);
        ck_assert(wait_used(MB2, 0, 1000));
        ck_assert(wait_total(MB2, 0, 1000));
}
END_TEST

START_TEST(pool_pages_of_the_admin_stay)
{
        char *p;

        pool_set(MB2, 2);
        daemon_start(&d, NULL);
        p = alloc_hugepages(0, NULL, 3 * MB2, RW, 0);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        ck_assert_uint_eq(pool_total(MB2), 3);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_used(MB2, 0, 1000));
        ck_assert(wait_total(MB2, 2, 1000));
        ck_assert_uint_eq(pool_free(MB2), 2);
}
END_TEST

START_TEST(no_pool_grow_means_enomem)
{
        char *p;

        pool_set(MB2, 0);
        daemon_start(&d, (const char *const[]){"--no-pool-grow", NULL});
        expect_fail(alloc_hugepages(0, NULL, MB2, RW, 0), ENOMEM);
        expect_fail(alloc_hugepages(7003, NULL, MB2, RW, IPC_CREAT | 0600), ENOMEM);
        pool_set(MB2, 1);
        p = alloc_hugepages(7003, NULL, MB2, RW, IPC_CREAT | 0600);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        expect_fail(alloc_hugepages(0, NULL, MB2, RW, 0), ENOMEM);
        ck_assert_uint_eq(pool_total(MB2), 1);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_used(MB2, 0, 1000));
        ck_assert_uint_eq(pool_total(MB2), 1);
}
END_TEST

static Suite *daemon_suite(void)
{
        Suite *s = suite_create("daemon");
        TCase *tc = tcase_create("socket");

        tcase_add_checked_fixture(tc, NULL, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, socket_is_0666_by_default);
        tcase_add_test(tc, socket_mode_option);
        tcase_add_test(tc, parent_directories_are_made);
        tcase_add_test(tc, stale_socket_is_replaced);
        tcase_add_test(tc, second_daemon_is_refused);
        tcase_add_test(tc, not_a_socket_is_left_alone);
        suite_add_tcase(s, tc);
        tc = tcase_create("signals");
        tcase_add_checked_fixture(tc, NULL, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, sigterm_ends_it_cleanly);
        tcase_add_test(tc, sigint_too);
        suite_add_tcase(s, tc);
        tc = tcase_create("pool");
        tcase_add_checked_fixture(tc, NULL, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, pool_grows_and_gives_back);
        tcase_add_test(tc, pool_pages_of_the_admin_stay);
        tcase_add_test(tc, no_pool_grow_means_enomem);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(daemon_suite());
}
