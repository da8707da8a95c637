/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_api.c - every row of the interface table (DESIGN.md), through a real
 * hugepaged on real huge pages, each errno included.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <hugepages.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define RW (PROT_READ | PROT_WRITE)

/* success: for key > 0, the same memory as every other user of the key */
START_TEST(keyed_mappings_share_memory)
{
        volatile char *a = must_alloc(1001, MB2, RW, IPC_CREAT | 0600);
        volatile char *b = must_alloc(1001, MB2, RW, 0);

        ck_assert_ptr_ne((void *)a, (void *)b);
        a[0] = 'x';
        a[MB2 - 1] = 'y';
        ck_assert_int_eq(b[0], 'x');
        ck_assert_int_eq(b[MB2 - 1], 'y');
        b[100] = 'z';
        ck_assert_int_eq(a[100], 'z');
        ck_assert_int_eq(free_hugepages((void *)a), 0);
        ck_assert_int_eq(b[0], 'x'); /* b still holds it */
        ck_assert_int_eq(free_hugepages((void *)b), 0);
}
END_TEST

START_TEST(negative_key_is_einval)
{
        expect_fail(alloc_hugepages(-1, NULL, MB2, RW, IPC_CREAT | 0600), EINVAL);
        expect_fail(alloc_hugepages(INT32_MIN, NULL, MB2, RW, IPC_CREAT | 0600), EINVAL);
}
END_TEST

/* key 0: a new private segment each time; not inherited by children */
START_TEST(key0_is_private_and_not_inherited)
{
        char *a = must_alloc(0, MB2, RW, 0), *b = must_alloc(0, MB2, RW, IPC_CREAT);
        pid_t pid;

        a[0] = 'a';
        b[0] = 'b';
        ck_assert_int_eq(a[0], 'a');
        ck_assert_int_eq(used2m(), 2);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                /* The page must not be mapped here: touching it faults. */
                unsigned char vec;

                _exit(mincore(a, 4096, &vec) == -1 && errno == ENOMEM ? 0 : 1);
        }
        ck_assert_int_eq(wait_exit(pid), 0);
        ck_assert_int_eq(free_hugepages(a), 0);
        ck_assert_int_eq(free_hugepages(b), 0);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
}
END_TEST

/* key > 0: inherited across fork(), and the child counts as a user */
START_TEST(keyed_is_inherited_and_child_counts)
{
        char *a = must_alloc(1002, MB2, RW, IPC_CREAT | 0600);
        int go[2], done[2];
        pid_t pid;
        char c;

        strcpy(a, "parent");
        ck_assert_int_eq(pipe(go), 0);
        ck_assert_int_eq(pipe(done), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                int ok = strcmp(a, "parent") == 0;

                a[100] = 'c';
                ok &= write(done[1], "r", 1) == 1;
                ok &= read(go[0], &c, 1) == 1; /* parent has freed by now */
                ok &= strcmp(a, "parent") == 0;
                ok &= free_hugepages(a) == 0;
                _exit(ok ? 0 : 1);
        }
        ck_assert_int_eq(read(done[0], &c, 1), 1);
        ck_assert_int_eq(a[100], 'c');
        ck_assert_int_eq(free_hugepages(a), 0);
        /* The child still counts: the key is there for a newcomer. */
        ck_assert_str_eq(try_alloc(1002, MB2, PROT_READ, 0), "OK");
        ck_assert_int_eq(write(go[1], "g", 1), 1);
        ck_assert_int_eq(wait_exit(pid), 0);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
        ck_assert_str_eq(try_alloc(1002, MB2, PROT_READ, 0), "ENOENT");
}
END_TEST

START_TEST(attach_without_creat)
{
        char *a = must_alloc(1003, 2 * MB2, RW, IPC_CREAT | 0644);
        char *b;

        strcpy(a, "hello");
        b = must_alloc(1003, 2 * MB2, PROT_READ, 0);
        ck_assert_str_eq(b, "hello");
        /* IPC_CREAT on an existing key just attaches. */
        ck_assert_ptr_ne(must_alloc(1003, MB2, PROT_READ, IPC_CREAT | 0600), HUGEPAGES_FAILED);
}
END_TEST

START_TEST(absent_without_creat_is_enoent)
{
        expect_fail(alloc_hugepages(1004, NULL, MB2, RW, 0), ENOENT);
        expect_fail(alloc_hugepages(1004, NULL, MB2, RW, IPC_EXCL | 0600), ENOENT);
        ck_assert_int_eq(used2m(), 0);
}
END_TEST

static int all_zero(const char *p, size_t len)
{
        for (size_t i = 0; i < len; i += 8)
                if (*(const uint64_t *)(p + i))
                        return 0;
        return 1;
}

START_TEST(creat_makes_zero_filled)
{
        char *a = must_alloc(1005, 2 * MB2, RW, IPC_CREAT | 0600);

        ck_assert(all_zero(a, 2 * MB2));
        memset(a, 0xa5, 2 * MB2);
        ck_assert_int_eq(free_hugepages(a), 0);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
        a = must_alloc(1005, 2 * MB2, RW, IPC_CREAT | 0600);
        ck_assert(all_zero(a, 2 * MB2));
        a = must_alloc(0, 2 * MB2, RW, 0);
        ck_assert(all_zero(a, 2 * MB2));
}
END_TEST

START_TEST(creat_excl_on_existing_is_eexist)
{
        must_alloc(1006, MB2, RW, IPC_CREAT | IPC_EXCL | 0600);
        expect_fail(alloc_hugepages(1006, NULL, MB2, RW, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
        ck_assert_int_eq(used2m(), 1);
}
END_TEST

START_TEST(bad_len_is_einval)
{
        expect_fail(alloc_hugepages(0, NULL, 0, RW, 0), EINVAL);
        expect_fail(alloc_hugepages(1007, NULL, 0, RW, IPC_CREAT | 0600), EINVAL);
        expect_fail(alloc_hugepages(1007, NULL, 4096, RW, IPC_CREAT | 0600), EINVAL);
        expect_fail(alloc_hugepages(1007, NULL, MB2 + 4096, RW, IPC_CREAT | 0600), EINVAL);
        expect_fail(alloc_hugepages(0, NULL, MB2 - 1, RW, 0), EINVAL);
        /* 1 GiB pages: 2 MiB is not a multiple. */
        expect_fail(alloc_hugepages(0, NULL, MB2, RW, SHM_HUGE_1GB), EINVAL);
        ck_assert_str_eq(try_alloc(1007, MB2, RW, 0), "ENOENT");
        ck_assert_int_eq(used2m(), 0);
}
END_TEST

START_TEST(len_against_existing_segment)
{
        char *a = must_alloc(1008, 2 * MB2, RW, IPC_CREAT | 0600), *b;

        a[0] = 'f';
        a[MB2] = 's';
        expect_fail(alloc_hugepages(1008, NULL, 3 * MB2, RW, 0), EINVAL);
        expect_fail(alloc_hugepages(1008, NULL, 4 * MB2, RW, IPC_CREAT | 0600), EINVAL);
        /* A smaller len maps the first len bytes. */
        b = must_alloc(1008, MB2, RW, 0);
        ck_assert_int_eq(b[0], 'f');
        ck_assert_int_eq(free_hugepages(b), 0);
        b = must_alloc(1008, 2 * MB2, RW, 0);
        ck_assert_int_eq(b[MB2], 's');
}
END_TEST

START_TEST(addr_hint)
{
        /* Find a free, aligned range, then ask for it. */
        char *area = mmap(NULL, 4 * MB2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char *hint = (char *)(((uintptr_t)area + MB2 - 1) & ~(uintptr_t)(MB2 - 1));
        char *p;

        ck_assert_ptr_ne(area, MAP_FAILED);
        munmap(area, 4 * MB2);
        p = alloc_hugepages(1009, hint, MB2, RW, IPC_CREAT | 0600);
        ck_assert_ptr_eq(p, hint);
        p[0] = 1;
        expect_fail(alloc_hugepages(1009, hint + 4096, MB2, RW, 0), EINVAL);
        expect_fail(alloc_hugepages(0, (void *)(uintptr_t)1, MB2, RW, 0), EINVAL);
        ck_assert_int_eq(used2m(), 1);
}
END_TEST

START_TEST(prot_values)
{
        char *p;

        expect_fail(alloc_hugepages(0, NULL, MB2, 0x8, 0), EINVAL);
        expect_fail(alloc_hugepages(0, NULL, MB2, PROT_READ | 0x10, 0), EINVAL);
        expect_fail(alloc_hugepages(0, NULL, MB2, PROT_GROWSDOWN | PROT_READ, 0), EINVAL);
        expect_fail(alloc_hugepages(0, NULL, MB2, -1, 0), EINVAL);
        p = must_alloc(1010, MB2, PROT_READ | PROT_WRITE | PROT_EXEC, IPC_CREAT | 0600);
        p[0] = (char)0xc3; /* ret */
        p = must_alloc(1010, MB2, PROT_READ, 0);
        ck_assert_int_eq((unsigned char)p[0], 0xc3);
        /* A read-only mapping cannot be made writable: the descriptor is O_RDONLY. */
        ck_assert_int_eq(mprotect(p, MB2, RW), -1);
        ck_assert_int_eq(errno, EACCES);
        ck_assert_int_eq(used2m(), 1);
}
END_TEST

START_TEST(unknown_flag_bits_are_einval)
{
        expect_fail(alloc_hugepages(1011, NULL, MB2, RW, IPC_CREAT | 0600 | 010000), EINVAL);
        expect_fail(alloc_hugepages(1011, NULL, MB2, RW, IPC_CREAT | 0600 | 0100000), EINVAL);
        /* An encoded page size the kernel has no pool for. */
        expect_fail(alloc_hugepages(1011, NULL, MB2, RW, IPC_CREAT | 0600 | (16 << SHM_HUGE_SHIFT)),
                    EINVAL);
        ck_assert_int_eq(used2m(), 0);
}
END_TEST

START_TEST(default_page_size_in_smaps)
{
        char *p = must_alloc(1012, MB2, RW, IPC_CREAT | 0600);
        char *q = must_alloc(0, 2 * MB2, RW, SHM_HUGE_2MB);

        p[0] = q[0] = 1;
        ck_assert_uint_eq(smaps_kernel_page_kb(p), 2048);
        ck_assert_uint_eq(smaps_kernel_page_kb(q), 2048);
        ck_assert_uint_eq(smaps_kernel_page_kb(q + MB2), 2048);
}
END_TEST

START_TEST(one_gigabyte_pages)
{
        uint64_t before;
        char *p, *q;

        if (!hp_need_page_size(GB1))
                return;
        before = pool_used(GB1);
        p = must_alloc(1013, GB1, RW, IPC_CREAT | 0600 | SHM_HUGE_1GB);

        p[GB1 - 1] = 'g';
        ck_assert_uint_eq(smaps_kernel_page_kb(p), 1024 * 1024);
        ck_assert_uint_eq(pool_used(GB1), before + 1);
        /* Without size bits, attach takes the segment's size. */
        q = must_alloc(1013, GB1, PROT_READ, 0);
        ck_assert_int_eq(q[GB1 - 1], 'g');
        /* Asking for another size explicitly is refused. */
        expect_fail(alloc_hugepages(1013, NULL, GB1, PROT_READ, SHM_HUGE_2MB), EINVAL);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert_int_eq(free_hugepages(q), 0);
        ck_assert(wait_used(GB1, before, 3000));
}
END_TEST

START_TEST(enomem_when_too_big)
{
        uint64_t total = meminfo("MemTotal") * 1024;
        size_t len = (size_t)((total * 2) & ~(uint64_t)(MB2 - 1));

        expect_fail(alloc_hugepages(1014, NULL, len, RW, IPC_CREAT | 0600), ENOMEM);
        expect_fail(alloc_hugepages(0, NULL, len, RW, 0), ENOMEM);
        expect_fail(alloc_hugepages(0, NULL, SIZE_MAX & ~(MB2 - 1), RW, 0), ENOMEM);
        ck_assert_str_eq(try_alloc(1014, MB2, RW, 0), "ENOENT");
        ck_assert_int_eq(used2m(), 0);
}
END_TEST

START_TEST(enosys_without_daemon)
{
        setenv("HUGEPAGED_SOCKET", "/tmp/no-such-dir/hugepaged.sock", 1);
        expect_fail(alloc_hugepages(1015, NULL, MB2, RW, IPC_CREAT | 0600), ENOSYS);
        expect_fail(alloc_hugepages(0, NULL, MB2, RW, 0), ENOSYS);
        /* Argument errors still come first. */
        expect_fail(alloc_hugepages(-1, NULL, MB2, RW, 0), EINVAL);
}
END_TEST

START_TEST(free_rules)
{
        char *p = must_alloc(0, 2 * MB2, RW, 0);
        char local;

        ck_assert_int_eq(free_hugepages(NULL), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(free_hugepages(p + MB2), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(free_hugepages(p + 1), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(free_hugepages(&local), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert_int_eq(free_hugepages(p), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
}
END_TEST

/* memory lifetime: freed only when every user has released it */
START_TEST(freed_when_last_user_frees)
{
        char *a = must_alloc(1016, 4 * MB2, RW, IPC_CREAT | 0600);
        char *b = must_alloc(1016, 4 * MB2, RW, 0);

        ck_assert_int_eq(used2m(), 4);
        ck_assert_int_eq(free_hugepages(a), 0);
        ck_assert_int_eq(used2m(), 4);
        ck_assert_str_eq(try_alloc(1016, MB2, PROT_READ, 0), "OK");
        ck_assert_int_eq(free_hugepages(b), 0);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
        ck_assert_str_eq(try_alloc(1016, MB2, PROT_READ, 0), "ENOENT");
}
END_TEST

/* free_hugepages() is one way (alloc_hugepages(3)): the same process's next
 * call already sees the key gone, another process within the stated bound
 * (100 ms), and the kernel's pages go back. */
START_TEST(one_way_free_is_seen_at_once)
{
        char *a;
        double t0;

        for (int i = 0; i < 50; i++) {
                a = must_alloc(1017, MB2, RW, IPC_CREAT | 0600);
                ck_assert_int_eq(free_hugepages(a), 0);
                expect_fail(alloc_hugepages(1017, NULL, MB2, RW, 0), ENOENT);
        }
        a = must_alloc(1017, MB2, RW, IPC_CREAT | 0600);
        ck_assert_int_eq(free_hugepages(a), 0);
        t0 = now_ms();
        ck_assert(wait_key_gone(1017, 100));
        ck_assert_msg(now_ms() - t0 < 100, "another process saw the key after %.0f ms",
                      now_ms() - t0);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
        /* Many frees in a row, none waited for: every one counted. */
        {
                char *p[64];

                p[0] = must_alloc(1018, MB2, RW, IPC_CREAT | 0600);
                for (int i = 1; i < 64; i++)
                        p[i] = must_alloc(1018, MB2, RW, 0);
                for (int i = 0; i < 64; i++)
                        ck_assert_int_eq(free_hugepages(p[i]), 0);
                expect_fail(alloc_hugepages(1018, NULL, MB2, RW, 0), ENOENT);
                ck_assert(wait_used(MB2, hp_base2m, 2000));
        }
}
END_TEST

static Suite *api_suite(void)
{
        Suite *s = suite_create("api");
        TCase *tc = tcase_create("interface-table");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, keyed_mappings_share_memory);
        tcase_add_test(tc, negative_key_is_einval);
        tcase_add_test(tc, key0_is_private_and_not_inherited);
        tcase_add_test(tc, keyed_is_inherited_and_child_counts);
        tcase_add_test(tc, attach_without_creat);
        tcase_add_test(tc, absent_without_creat_is_enoent);
        tcase_add_test(tc, creat_makes_zero_filled);
        tcase_add_test(tc, creat_excl_on_existing_is_eexist);
        tcase_add_test(tc, bad_len_is_einval);
        tcase_add_test(tc, len_against_existing_segment);
        tcase_add_test(tc, addr_hint);
        tcase_add_test(tc, prot_values);
        tcase_add_test(tc, unknown_flag_bits_are_einval);
        tcase_add_test(tc, default_page_size_in_smaps);
        tcase_add_test(tc, one_gigabyte_pages);
        tcase_add_test(tc, enomem_when_too_big);
        tcase_add_test(tc, enosys_without_daemon);
        tcase_add_test(tc, free_rules);
        tcase_add_test(tc, freed_when_last_user_frees);
        tcase_add_test(tc, one_way_free_is_seen_at_once);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(api_suite());
}
