/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_threads.c - 8 threads x hundreds of alloc/free on shared and private
 * keys at once: no error, nothing leaked (pages, daemon descriptors, ours).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <hugepages.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define THREADS 8
#define ROUNDS  300
#define RW      (PROT_READ | PROT_WRITE)

struct result {
        int id;
        int errors;
        int first_errno;
        int ops;
};

static void note(struct result *r, int err)
{
        if (!r->errors++)
                r->first_errno = err;
}

static void *worker(void *arg)
{
        struct result *r = arg;

        for (int i = 0; i < ROUNDS; i++) {
                int key = 5000 + (i + r->id) % 4;
                volatile uint64_t *shared, *mine;

                shared = alloc_hugepages(key, NULL, MB2, RW, IPC_CREAT | 0600);
                if (shared == HUGEPAGES_FAILED) {
                        note(r, errno);
                        continue;
                }
                mine = alloc_hugepages(0, NULL, MB2, RW, 0);
                if (mine == HUGEPAGES_FAILED) {
                        note(r, errno);
                } else {
                        /* Private memory is ours alone and zero-filled. */
                        if (mine[r->id * 512] != 0)
                                note(r, EBADE);
                        mine[r->id * 512] = (uint64_t)i + 1;
                        if (mine[r->id * 512] != (uint64_t)i + 1)
                                note(r, EBADE);
                        if (free_hugepages((void *)mine) != 0)
                                note(r, errno);
                }
                /* Each thread owns one slot of the shared page. */
                shared[r->id * 512] = (uint64_t)i;
                if (shared[r->id * 512] != (uint64_t)i)
                        note(r, EBADE);
                if (free_hugepages((void *)shared) != 0)
                        note(r, errno);
                r->ops += 4;
        }
        return NULL;
}

START_TEST(many_threads_alloc_and_free)
{
        pthread_t t[THREADS];
        struct result res[THREADS];
        int daemon_fds, my_fds, ops = 0;
        void *warm;

        /* Open the library's connection first, so our count includes it. */
        warm = alloc_hugepages(0, NULL, MB2, RW, 0);
        ck_assert_ptr_ne(warm, HUGEPAGES_FAILED);
        ck_assert_int_eq(free_hugepages(warm), 0);
        ck_assert(wait_used(MB2, hp_base2m, 1000));
        daemon_fds = fd_count_settled(hp_daemon.pid);
        my_fds = fd_count(getpid());

        for (int i = 0; i < THREADS; i++) {
                res[i] = (struct result){.id = i};
                ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &res[i]), 0);
        }
        for (int i = 0; i < THREADS; i++) {
                pthread_join(t[i], NULL);
                ck_assert_msg(res[i].errors == 0, "thread %d: %d errors, first %s", i,
                              res[i].errors, strerrorname_np(res[i].first_errno));
                ops += res[i].ops;
        }
        ck_assert_int_eq(ops, THREADS * ROUNDS * 4);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
        ck_assert_int_eq(fd_count_reaches(hp_daemon.pid, daemon_fds, 2000), daemon_fds);
        ck_assert_int_eq(fd_count(getpid()), my_fds);
        for (int k = 5000; k < 5004; k++) {
                expect_fail(alloc_hugepages(k, NULL, MB2, PROT_READ, 0), ENOENT);
        }
}
END_TEST

static Suite *threads_suite(void)
{
        Suite *s = suite_create("threads");
        TCase *tc = tcase_create("concurrency");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, many_threads_alloc_and_free);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(threads_suite());
}
