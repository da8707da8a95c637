/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_access.c - who may use which key: the shmget() rules, judged with a
 * real second user (uid 65534) in a separate program.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <hugepages.h>
#include <string.h>
#include <grp.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"

#define RW     (PROT_READ | PROT_WRITE)
#define NOBODY 65534

static char *make(int key, int mode)
{
        char *p = alloc_hugepages(key, NULL, MB2, RW, IPC_CREAT | mode);

        ck_assert_msg(p != HUGEPAGES_FAILED, "create %d: %s", key, strerror(errno));
        return p;
}

/* Run the helper as nobody, with the given supplementary groups. */
static const char *as_nobody(const gid_t *groups, size_t n, const char *const *args)
{
        static char out[128];

        ck_assert_int_eq(helper_run_as(NOBODY, NOBODY, groups, n, out, sizeof(out), args), 0);
        return out;
}

START_TEST(mode_0600_refuses_others)
{
        make(3001, 0600);
        ck_assert_str_eq(
            as_nobody(NULL, 0, (const char *const[]){"try", "3001", "2097152", "1", "0", NULL}),
            "EACCES");
        ck_assert_str_eq(
            as_nobody(NULL, 0, (const char *const[]){"try", "3001", "2097152", "3", "0", NULL}),
            "EACCES");
        /* IPC_CREAT does not get around it either. */
        ck_assert_str_eq(
            as_nobody(NULL, 0, (const char *const[]){"try", "3001", "2097152", "1", "0x3b6", NULL}),
            "EACCES");
}
END_TEST

START_TEST(mode_0644_read_only_for_others)
{
        char *p = make(3002, 0644);

        strcpy(p, "root wrote this");
        ck_assert_str_eq(as_nobody(NULL, 0,
                                   (const char *const[]){"expect", "3002", "2097152", "0",
                                                         "root wrote this", NULL}),
                         "OK");
        /* Read-only mapping: the kernel refuses to make it writable, and a
         * writable attach is refused by the daemon. */
        ck_assert_str_eq(as_nobody(NULL, 0, (const char *const[]){"ro-write", "3002", NULL}),
                         "attach=OK mprotect=EACCES rw=EACCES");
}
END_TEST

START_TEST(mode_0666_writable_by_others)
{
        char *p = make(3003, 0666);

        ck_assert_str_eq(as_nobody(NULL, 0,
                                   (const char *const[]){"write", "3003", "2097152", "8",
                                                         "nobody was here", NULL}),
                         "OK");
        ck_assert_str_eq(p + 8, "nobody was here");
}
END_TEST

START_TEST(group_bits_apply_to_members)
{
        gid_t root_group = 0;

        make(3004, 0640);
        /* A member of the segment's group (gid 0, supplementary) may read... */
        ck_assert_str_eq(as_nobody(&root_group, 1,
                                   (const char *const[]){"try", "3004", "2097152", "1", "0", NULL}),
                         "OK");
        /* ...but not write; and a non-member may do neither. */
        ck_assert_str_eq(as_nobody(&root_group, 1,
                                   (const char *const[]){"try", "3004", "2097152", "3", "0", NULL}),
                         "EACCES");
        ck_assert_str_eq(
            as_nobody(NULL, 0, (const char *const[]){"try", "3004", "2097152", "1", "0", NULL}),
            "EACCES");
}
END_TEST

START_TEST(owner_bits_apply_to_owner_and_root_passes)
{
        /* nobody creates 0400 (it gets what it asked, as the creator), holds
         * it, and root still reads and writes it. */
        const char *helper = helper_path_for_others();
        char *p = HUGEPAGES_FAILED;
        pid_t holder;

        holder = fork();
        ck_assert_int_ge(holder, 0);
        if (holder == 0) {
                char *argv[] = {(char *)helper, "hold", "3005", "2097152", "01400", NULL};
                int null = open("/dev/null", O_WRONLY);

                if (null < 0 || dup2(null, 1) < 0 || setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 ||
                    setuid(NOBODY) < 0)
                        _exit(126);
                execv(argv[0], argv);
                _exit(127);
        }
        for (int i = 0; i < 200; i++) {
                p = alloc_hugepages(3005, NULL, MB2, RW, 0);
                if (p != HUGEPAGES_FAILED || errno != ENOENT)
                        break;
                usleep(10000);
        }
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        for (int i = 0; i < 200 && memcmp(p, "held", 4); i++)
                usleep(10000);
        ck_assert_int_eq(memcmp(p, "held", 4), 0);
        /* The owner's own bits (0400) allow it to read but not write. */
        ck_assert_str_eq(
            as_nobody(NULL, 0, (const char *const[]){"try", "3005", "2097152", "1", "0", NULL}),
            "OK");
        ck_assert_str_eq(
            as_nobody(NULL, 0, (const char *const[]){"try", "3005", "2097152", "3", "0", NULL}),
            "EACCES");
        kill(holder, SIGKILL);
        wait_exit(holder);
}
END_TEST

static Suite *access_suite(void)
{
        Suite *s = suite_create("access");
        TCase *tc = tcase_create("modes");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, mode_0600_refuses_others);
        tcase_add_test(tc, mode_0644_read_only_for_others);
        tcase_add_test(tc, mode_0666_writable_by_others);
        tcase_add_test(tc, group_bits_apply_to_members);
        tcase_add_test(tc, owner_bits_apply_to_owner_and_root_passes);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(access_suite());
}
