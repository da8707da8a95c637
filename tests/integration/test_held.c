/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_held.c - keys this process maps already: a second mapping and the
 * free of one that is not the last cost no round trip (the daemon is stopped
 * meanwhile, and they still work), and stay exactly right: the kernel's
 * HugePages_* and the key's lifetime, a key removed, a read-only holder
 * asking for write, fork() after such an attach, and the descriptors kept
 * within RLIMIT_NOFILE.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <hugepages.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define RW     (PROT_READ | PROT_WRITE)
#define NOBODY 65534

/* Our descriptors of segments (kept by the library). */
static int segment_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                char path[300], target[300];
                ssize_t len;

                snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
                len = readlink(path, target, sizeof(target) - 1);
                if (len <= 0)
                        continue;
                target[len] = '\0';
                n += strstr(target, "/memfd:hugepaged:key=") != NULL;
        }
        closedir(d);
        return n;
}

static struct hugepages_stat stat_of(int key)
{
        struct hugepages_stat st;

        ck_assert_int_eq(hugepages_stat(key, &st), 0);
        return st;
}

START_TEST(a_held_key_needs_no_daemon)
{
        char *a = must_alloc(6001, MB2, RW, IPC_CREAT | 0600), *b, *c;

        strcpy(a, "held");
        ck_assert_int_eq(used2m(), 1);
        /* A stopped daemon answers nothing: what works now needs none. */
        ck_assert_int_eq(kill(hp_daemon.pid, SIGSTOP), 0);
        b = alloc_hugepages(6001, NULL, MB2, RW, 0);
        c = alloc_hugepages(6001, NULL, MB2, RW, IPC_CREAT | 0600);
        ck_assert_int_eq(kill(hp_daemon.pid, SIGCONT), 0);
        ck_assert_ptr_ne(b, HUGEPAGES_FAILED);
        ck_assert_ptr_ne(c, HUGEPAGES_FAILED);
        ck_assert_str_eq(b, "held");
        strcpy(c, "shared");
        ck_assert_str_eq(a, "shared");
        ck_assert_uint_eq(smaps_kernel_page_kb(b), MB2 / 1024);
        ck_assert_int_eq(used2m(), 1);
        /* One process, one user, however many mappings. */
        ck_assert_uint_eq(stat_of(6001).users, 1);
        ck_assert_int_eq(kill(hp_daemon.pid, SIGSTOP), 0);
        ck_assert_int_eq(free_hugepages(b), 0);
        ck_assert_int_eq(free_hugepages(a), 0);
        ck_assert_int_eq(kill(hp_daemon.pid, SIGCONT), 0);
        /* Not the last: the key is there, and so is its memory. */
        ck_assert_str_eq(try_key(6001), "OK");
        ck_assert_int_eq(used2m(), 1);
        ck_assert_str_eq(c, "shared");
        /* The last mapping freed: the key is gone for everyone, at once. */
        ck_assert_int_eq(free_hugepages(c), 0);
        expect_fail(alloc_hugepages(6001, NULL, MB2, RW, 0), ENOENT);
        ck_assert(wait_key_gone(6001, 1000));
        ck_assert(wait_used(MB2, 0, 1000));
        ck_assert_int_eq(segment_fds(), 0);
        /* A double free of a fast-path mapping is refused like any other. */
        ck_assert_int_eq(free_hugepages(b), -1);
        ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* What the daemon would refuse is asked of it, and refused. */
START_TEST(refusals_are_the_daemons)
{
        char *a = must_alloc(6002, 2 * MB2, RW, IPC_CREAT | 0600);

        expect_fail(alloc_hugepages(6002, NULL, MB2, RW, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
        expect_fail(alloc_hugepages(6002, NULL, 4 * MB2, RW, 0), EINVAL);
        expect_fail(alloc_hugepages(6002, NULL, MB2 + 4096, RW, 0), EINVAL);
        expect_fail(alloc_hugepages(6002, (void *)(uintptr_t)4096, MB2, RW, 0), EINVAL);
        if (hp_need_page_size(1u << 30))
                expect_fail(alloc_hugepages(6002, NULL, MB2, RW, SHM_HUGE_1GB), EINVAL);
        ck_assert_uint_eq(stat_of(6002).users, 1);
        ck_assert_int_eq(free_hugepages(a), 0);
        ck_assert(wait_key_gone(6002, 1000));
}
END_TEST

START_TEST(a_removed_key_is_not_found_through_a_held_one)
{
        char *a = must_alloc(6003, MB2, RW, IPC_CREAT | 0600), *b, *fresh;
        char out[64];

        strcpy(a, "old");
        b = must_alloc(6003, MB2, RW, 0);
        /* Removed by another process: this one still maps the old memory,
         * and the key is gone. */
        ck_assert_int_eq(
            helper_run(out, sizeof(out), (const char *const[]){"remove", "6003", NULL}), 0);
        ck_assert_str_eq(out, "OK");
        expect_fail(alloc_hugepages(6003, NULL, MB2, RW, 0), ENOENT);
        fresh = must_alloc(6003, MB2, RW, IPC_CREAT | 0600);
        ck_assert_str_eq(b, "old");
        ck_assert_str_eq(fresh, "");
        ck_assert_int_eq(used2m(), 2);
        /* The new segment is the one the key names now, held or not. */
        strcpy(fresh, "new");
        ck_assert_str_eq((char *)must_alloc(6003, MB2, PROT_READ, 0), "new");
        /* Removed by this process itself: the same. */
        ck_assert_int_eq(hugepages_remove(6003), 0);
        expect_fail(alloc_hugepages(6003, NULL, MB2, RW, 0), ENOENT);
        ck_assert_int_eq(free_hugepages(a), 0);
        ck_assert_int_eq(free_hugepages(b), 0);
        ck_assert_int_eq(free_hugepages(fresh), 0);
        ck_assert(wait_used(MB2, 1, 1000)); /* the read-only mapping above, still held */
}
END_TEST

START_TEST(a_read_only_holder_asking_for_write_asks_the_daemon)
{
        char *a = must_alloc(6004, MB2, RW, IPC_CREAT | 0644), out[64];

        /* Others may read only: write is refused, and a read-only mapping
         * made from what is kept cannot be made writable. */
        ck_assert_int_eq(helper_run_as(NOBODY, NOBODY, NULL, 0, out, sizeof(out),
                                       (const char *const[]){"ro-then-rw", "6004", NULL}),
                         0);
        ck_assert_str_eq(out, "rw=EACCES again=EACCES");
        ck_assert_int_eq(free_hugepages(a), 0);
        ck_assert(wait_key_gone(6004, 1000));
        /* Others may write: granted, and written where everyone sees it. */
        a = must_alloc(6005, MB2, RW, IPC_CREAT | 0666);
        ck_assert_int_eq(helper_run_as(NOBODY, NOBODY, NULL, 0, out, sizeof(out),
                                       (const char *const[]){"ro-then-rw", "6005", NULL}),
                         0);
        ck_assert_str_eq(out, "rw=OK again=EACCES");
        ck_assert_str_eq(a, "via-rw");
        ck_assert_int_eq(free_hugepages(a), 0);
        ck_assert(wait_key_gone(6005, 1000));
        ck_assert(wait_used(MB2, 0, 1000));
}
END_TEST

START_TEST(fork_after_a_held_attach)
{
        char *a = must_alloc(6006, MB2, RW, IPC_CREAT | 0600);
        char *b = must_alloc(6006, MB2, RW, 0);
        int go[2], back[2];
        pid_t child;
        char c;

        strcpy(a, "parent");
        ck_assert_int_eq(pipe(go), 0);
        ck_assert_int_eq(pipe(back), 0);
        child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                struct hugepages_stat st;
                int ok;

                /* Both mappings inherited, the child a user of its own. */
                ok = strcmp(b, "parent") == 0 && hugepages_stat(6006, &st) == 0 && st.users == 2 &&
                     st.processes == 2;
                (void)!write(back[1], ok ? "y" : "n", 1);
                (void)!read(go[0], &c, 1); /* the parent has freed both */
                ok = hugepages_stat(6006, &st) == 0 && st.users == 1 && st.processes == 1;
                /* Attached again from what the child holds, freed one by one. */
                {
                        char *d = alloc_hugepages(6006, NULL, MB2, RW, 0);

                        ok = ok && d != HUGEPAGES_FAILED && strcmp(d, "parent") == 0 &&
                             free_hugepages(d) == 0 && free_hugepages(a) == 0;
                }
                ok = ok && hugepages_stat(6006, &st) == 0 && st.users == 1;
                ok = ok && free_hugepages(b) == 0;
                ok = ok && hugepages_stat(6006, &st) == -1 && errno == ENOENT;
                _exit(ok ? 0 : 1);
        }
        ck_assert_int_eq(read(back[0], &c, 1), 1);
        ck_assert_int_eq(c, 'y');
        ck_assert_int_eq(free_hugepages(b), 0);
        ck_assert_int_eq(free_hugepages(a), 0);
        ck_assert_str_eq(try_key(6006), "OK"); /* the child's */
        ck_assert_int_eq(write(go[1], "g", 1), 1);
        ck_assert_int_eq(wait_exit(child), 0);
        ck_assert(wait_key_gone(6006, 1000));
        ck_assert(wait_used(MB2, 0, 1000));
}
END_TEST

START_TEST(kept_descriptors_stay_within_rlimit_nofile)
{
        struct rlimit was, rl;
        char *p[40], *again;

        ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
        rl = was;
        rl.rlim_cur = 64;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
        for (int i = 0; i < 40; i++)
                p[i] = must_alloc(6100 + i, MB2, RW, IPC_CREAT | 0600);
        /* A quarter of the limit at most; the rest is asked of the daemon. */
        ck_assert_int_le(segment_fds(), 16);
        for (int i = 0; i < 40; i++) {
                again = must_alloc(6100 + i, MB2, RW, 0);
                ck_assert_int_eq(free_hugepages(again), 0);
        }
        ck_assert_int_le(segment_fds(), 16);
        ck_assert_int_eq(used2m(), 40);
        for (int i = 0; i < 40; i++)
                ck_assert_int_eq(free_hugepages(p[i]), 0);
        ck_assert_int_eq(segment_fds(), 0);
        ck_assert(wait_used(MB2, 0, 2000));
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("held");
        TCase *tc = tcase_create("held");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, a_held_key_needs_no_daemon);
        tcase_add_test(tc, refusals_are_the_daemons);
        tcase_add_test(tc, a_removed_key_is_not_found_through_a_held_one);
        tcase_add_test(tc, a_read_only_holder_asking_for_write_asks_the_daemon);
        tcase_add_test(tc, fork_after_a_held_attach);
        tcase_add_test(tc, kept_descriptors_stay_within_rlimit_nofile);
        suite_add_tcase(s, tc);
        return hp_run(s);
}
