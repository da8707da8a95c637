/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_ext.c - the hugepages_* extensions (hugepages_stat(3),
 * hugepages_pagesize(3)): page sizes, stat and remove of a key, each errno
 * included, against a real hugepaged; a second user is uid 65534 in a
 * separate program.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <hugepages.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define RW     (PROT_READ | PROT_WRITE)
#define NOBODY 65534

static const char *as_nobody(const char *const *args)
{
        static char out[128];

        ck_assert_int_eq(helper_run_as(NOBODY, NOBODY, NULL, 0, out, sizeof(out), args), 0);
        return out;
}

/* The kernel's word: Hugepagesize in /proc/meminfo, and the sizes in sysfs. */
START_TEST(page_sizes_are_the_kernels)
{
        long sizes[8], n;
        int count;

        ck_assert_int_eq(hugepages_pagesize(), (long)meminfo("Hugepagesize") * 1024);
        count = hugepages_pagesizes(NULL, 0);
        ck_assert_int_eq(count, hp_npage_sizes);
        ck_assert_int_eq(hugepages_pagesizes(sizes, 8), count);
        for (int i = 0; i < count; i++) {
                int found = 0;

                for (int j = 0; j < hp_npage_sizes; j++)
                        found |= (size_t)sizes[i] == hp_page_sizes[j];
                ck_assert_msg(found, "page size %ld is not the kernel's", sizes[i]);
                if (i)
                        ck_assert_int_lt(sizes[i - 1], sizes[i]);
        }
        /* Fewer slots than sizes: the first ones, and the whole count. */
        n = sizes[0];
        sizes[0] = sizes[1] = 0;
        ck_assert_int_eq(hugepages_pagesizes(sizes, 1), count);
        ck_assert_int_eq(sizes[0], n);
        ck_assert_int_eq(sizes[1], 0);
        errno = 0;
        ck_assert_int_eq(hugepages_pagesizes(NULL, 1), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(hugepages_pagesizes(sizes, -1), -1);
        ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(stat_tells_what_the_segment_is)
{
        time_t before = time(NULL);
        char *a = must_alloc(5001, 2 * MB2, RW, IPC_CREAT | 0640), *b;
        struct hugepages_stat st;

        memset(&st, 0xff, sizeof(st));
        ck_assert_int_eq(hugepages_stat(5001, &st), 0);
        ck_assert_uint_eq(st.size, 2 * MB2);
        ck_assert_uint_eq(st.page_size, (size_t)hugepages_pagesize());
        ck_assert_uint_eq(st.uid, getuid());
        ck_assert_uint_eq(st.gid, getgid());
        ck_assert_uint_eq(st.mode, 0640);
        ck_assert_uint_eq(st.users, 1);
        ck_assert_uint_eq(st.processes, 1);
        ck_assert(st.ctime >= before && st.ctime <= time(NULL));
        ck_assert_uint_ne(st.id, 0);
        for (size_t i = 0; i < sizeof(st.reserved) / sizeof(st.reserved[0]); i++)
                ck_assert_uint_eq(st.reserved[i], 0);
        /* A second mapping is the same user: the library counts its own
         * mappings, the daemon one per process (docs/lifetimes.md). */
        b = must_alloc(5001, MB2, PROT_READ, 0);
        ck_assert_int_eq(hugepages_stat(5001, &st), 0);
        ck_assert_uint_eq(st.users, 1);
        ck_assert_uint_eq(st.processes, 1);
        /* As shmctl(IPC_STAT): no read permission (0640, and nobody is not
         * in the group), EACCES. */
        ck_assert_str_eq(as_nobody((const char *const[]){"stat", "5001", NULL}), "EACCES");
        ck_assert_int_eq(free_hugepages(b), 0);
        ck_assert_int_eq(free_hugepages(a), 0);
        /* Its last user gone: no such key, as for alloc_hugepages(). */
        errno = 0;
        ck_assert_int_eq(hugepages_stat(5001, &st), -1);
        ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(stat_by_a_reader)
{
        char *a = must_alloc(5003, MB2, RW, IPC_CREAT | 0644);
        char want[64];

        snprintf(want, sizeof(want), "OK %zu %u 0644 1", MB2, (unsigned)getuid());
        ck_assert_str_eq(as_nobody((const char *const[]){"stat", "5003", NULL}), want);
        ck_assert_int_eq(free_hugepages(a), 0);
}
END_TEST

START_TEST(stat_errors)
{
        struct hugepages_stat st;

        errno = 0;
        ck_assert_int_eq(hugepages_stat(0, &st), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(hugepages_stat(-5, &st), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(hugepages_stat(5004, NULL), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(hugepages_stat(5004, &st), -1);
        ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* shmctl(IPC_RMID): the key finds nothing at once, the memory stays with its
 * users and goes with the last (the kernel's count of pages in use). */
START_TEST(remove_by_the_owner)
{
        volatile char *a = must_alloc(5005, MB2, RW, IPC_CREAT | 0666);
        struct hugepages_stat st;
        char *b;

        a[0] = 'r';
        ck_assert_int_eq(used2m(), 1);
        ck_assert_str_eq(as_nobody((const char *const[]){"remove", "5005", NULL}), "EPERM");
        ck_assert_int_eq(hugepages_remove(5005), 0);
        ck_assert_str_eq(try_key(5005), "ENOENT");
        errno = 0;
        ck_assert_int_eq(hugepages_stat(5005, &st), -1);
        ck_assert_int_eq(errno, ENOENT);
        ck_assert_int_eq(hugepages_remove(5005), -1);
        ck_assert_int_eq(errno, ENOENT);
        ck_assert_int_eq(a[0], 'r');
        ck_assert_int_eq(used2m(), 1);
        /* The key is free for a new segment, other memory. */
        b = must_alloc(5005, MB2, RW, IPC_CREAT | IPC_EXCL | 0600);
        ck_assert_int_eq(b[0], 0);
        ck_assert_int_eq(used2m(), 2);
        ck_assert_int_eq(free_hugepages((void *)a), 0);
        ck_assert(wait_used(MB2, hp_base2m + 1, 2000));
        ck_assert_int_eq(free_hugepages(b), 0);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
}
END_TEST

START_TEST(remove_by_a_user_of_its_own)
{
        char out[64];
        pid_t pid =
            helper_start_as(NOBODY, NOBODY, out, sizeof(out),
                            (const char *const[]){"hold", "5006", "2097152", "01600", NULL});

        ck_assert_str_eq(out, "ready");
        ck_assert_str_eq(as_nobody((const char *const[]){"remove", "5006", NULL}), "OK");
        ck_assert_str_eq(try_key(5006), "ENOENT");
        kill(pid, SIGTERM);
        wait_exit(pid);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
}
END_TEST

START_TEST(remove_errors)
{
        errno = 0;
        ck_assert_int_eq(hugepages_remove(0), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(hugepages_remove(-1), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(hugepages_remove(5007), -1);
        ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(enosys_without_daemon)
{
        struct hugepages_stat st;
        long sizes[4];

        setenv("HUGEPAGED_SOCKET", "/tmp/no-such-dir/hugepaged.sock", 1);
        errno = 0;
        ck_assert_int_eq(hugepages_pagesize(), -1);
        ck_assert_int_eq(errno, ENOSYS);
        ck_assert_int_eq(hugepages_pagesizes(sizes, 4), -1);
        ck_assert_int_eq(errno, ENOSYS);
        ck_assert_int_eq(hugepages_stat(5008, &st), -1);
        ck_assert_int_eq(errno, ENOSYS);
        ck_assert_int_eq(hugepages_remove(5008), -1);
        ck_assert_int_eq(errno, ENOSYS);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("ext");
        TCase *tc = tcase_create("ext");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, page_sizes_are_the_kernels);
        tcase_add_test(tc, stat_tells_what_the_segment_is);
        tcase_add_test(tc, stat_by_a_reader);
        tcase_add_test(tc, stat_errors);
        tcase_add_test(tc, remove_by_the_owner);
        tcase_add_test(tc, remove_by_a_user_of_its_own);
        tcase_add_test(tc, remove_errors);
        tcase_add_test(tc, enosys_without_daemon);
        suite_add_tcase(s, tc);
        return hp_run(s);
}
