/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_lifetime.c - sharing between separate programs, and memory that goes
 * back to the kernel when its last user lets go: by free, by SIGKILL, by
 * exec. Judged by the pool figures and by the key's disappearance.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <hugepages.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define RW (PROT_READ | PROT_WRITE)

/* Two programs (fork + exec), each seeing the other's writes. */
START_TEST(two_programs_share_a_key)
{
        pid_t a = helper_spawn((const char *const[]){"pingpong", "2001", "1", NULL});
        pid_t b = helper_spawn((const char *const[]){"pingpong", "2001", "2", NULL});

        ck_assert_int_eq(wait_exit(b), 0);
        ck_assert_int_eq(wait_exit(a), 0);
        ck_assert(wait_used(MB2, hp_base2m, 1000));
        ck_assert_str_eq(try_key(2001), "ENOENT");
}
END_TEST

/* A writer program and this process, both ways, through the public API. */
START_TEST(program_and_test_share_bytes)
{
        char out[64];
        char *p = alloc_hugepages(2002, NULL, 2 * MB2, RW, IPC_CREAT | 0644);

        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        strcpy(p + MB2, "from the test");
        ck_assert_int_eq(helper_run(out, sizeof(out),
                                    (const char *const[]){"expect", "2002", "4194304", "2097152",
                                                          "from the test", NULL}),
                         0);
        ck_assert_int_eq(helper_run(out, sizeof(out),
                                    (const char *const[]){"write", "2002", "2097152", "64",
                                                          "from the helper", NULL}),
                         0);
        ck_assert_str_eq(p + 64, "from the helper");
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_used(MB2, hp_base2m, 1000));
}
END_TEST

START_TEST(returned_after_sigkill)
{
        int fds = fd_count_settled(hp_daemon.pid);
        char out[64];
        pid_t a, b;

        a = helper_start(out, sizeof(out),
                         (const char *const[]){"hold", "2003", "8388608", "0x3b6", NULL});
        ck_assert_str_eq(out, "ready");
        b = helper_start(out, sizeof(out),
                         (const char *const[]){"hold", "2003", "4194304", "0", NULL});
        ck_assert_str_eq(out, "ready");
        ck_assert_uint_eq(used2m(), 4);
        kill(a, SIGKILL);
        ck_assert_int_eq(wait_exit(a), 128 + SIGKILL);
        /* b still holds it. */
        ck_assert_str_eq(try_key(2003), "OK");
        ck_assert_uint_eq(used2m(), 4);
        kill(b, SIGKILL);
        ck_assert_int_eq(wait_exit(b), 128 + SIGKILL);
        ck_assert(wait_used(MB2, hp_base2m, 1000));
        ck_assert_str_eq(try_key(2003), "ENOENT");
        ck_assert_int_eq(fd_count_reaches(hp_daemon.pid, fds, 2000), fds);
}
END_TEST

START_TEST(returned_after_exec)
{
        char out[64];
        pid_t a;

        /* 0x3b6 = IPC_CREAT | 0666 */
        a = helper_start(out, sizeof(out),
                         (const char *const[]){"exec-after", "2004", "2097152", "0x3b6", NULL});
        ck_assert_str_eq(out, "ready");
        /* The program now runs sleep: it holds nothing any more. */
        ck_assert(wait_used(MB2, hp_base2m, 1000));
        ck_assert_str_eq(try_key(2004), "ENOENT");
        ck_assert_int_eq(kill(a, 0), 0);
        kill(a, SIGKILL);
        wait_exit(a);
}
END_TEST

START_TEST(private_segment_returned_at_exit)
{
        int fds = fd_count_settled(hp_daemon.pid);
        char out[64];
        pid_t a;

        a = helper_start(out, sizeof(out),
                         (const char *const[]){"hold", "0", "6291456", "0", NULL});
        ck_assert_str_eq(out, "ready");
        ck_assert_uint_eq(used2m(), 3);
        kill(a, SIGKILL);
        wait_exit(a);
        ck_assert(wait_used(MB2, hp_base2m, 1000));
        ck_assert_int_eq(fd_count_reaches(hp_daemon.pid, fds, 2000), fds);
}
END_TEST

static Suite *lifetime_suite(void)
{
        Suite *s = suite_create("lifetime");
        TCase *tc = tcase_create("processes");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, two_programs_share_a_key);
        tcase_add_test(tc, program_and_test_share_bytes);
        tcase_add_test(tc, returned_after_sigkill);
        tcase_add_test(tc, returned_after_exec);
        tcase_add_test(tc, private_segment_returned_at_exit);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(lifetime_suite());
}
