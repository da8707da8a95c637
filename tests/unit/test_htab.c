/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_htab.c - the hash table every index of the daemon uses.
 */
#include <check.h>
#include <stdlib.h>

#include "htab.h"
#include "list.h"
#include "unit.h"

struct item {
        struct hnode node;
        int seen;
};

START_TEST(insert_find_remove)
{
        struct htab t = {0};
        struct item a, b;

        ck_assert_ptr_null(htab_find(&t, 1)); /* an empty table has no buckets yet */
        ck_assert_int_eq(htab_insert(&t, &a.node, 1), 0);
        ck_assert_int_eq(htab_insert(&t, &b.node, UINT64_MAX), 0);
        ck_assert_ptr_eq(htab_find(&t, 1), &a.node);
        ck_assert_ptr_eq(htab_find(&t, UINT64_MAX), &b.node);
        ck_assert_ptr_null(htab_find(&t, 2));
        ck_assert_uint_eq(t.count, 2);
        htab_remove(&t, &a.node);
        ck_assert_ptr_null(htab_find(&t, 1));
        ck_assert_ptr_eq(htab_find(&t, UINT64_MAX), &b.node);
        ck_assert_uint_eq(t.count, 1);
        htab_free(&t);
}
END_TEST

/* Keys that share low bits land in one bucket until the table grows. */
START_TEST(many_keys_and_growth)
{
        enum { N = 100000 };
        struct item *items = calloc(N, sizeof(*items));
        struct htab t = {0};

        for (uint64_t i = 0; i < N; i++)
                ck_assert_int_eq(htab_insert(&t, &items[i].node, i << 20), 0);
        ck_assert_uint_eq(t.count, N);
        ck_assert_uint_ge(t.nbuckets, N);
        for (uint64_t i = 0; i < N; i++)
                ck_assert_ptr_eq(htab_find(&t, i << 20), &items[i].node);
        for (uint64_t i = 0; i < N; i += 2)
                htab_remove(&t, &items[i].node);
        for (uint64_t i = 0; i < N; i++)
                ck_assert_ptr_eq(htab_find(&t, i << 20), i % 2 ? &items[i].node : NULL);
        htab_free(&t);
        free(items);
}
END_TEST

static void mark_and_remove_odd(struct hnode *n, void *ctx)
{
        struct item *it = container_of(n, struct item, node);

        it->seen++;
        if (n->key % 2)
                htab_remove(ctx, n);
}

/* foreach visits each node once, and the callback may remove the one it has. */
START_TEST(foreach_may_remove_the_current_node)
{
        enum { N = 1000 };
        struct item items[N] = {0};
        struct htab t = {0};

        for (int i = 0; i < N; i++)
                ck_assert_int_eq(htab_insert(&t, &items[i].node, (uint64_t)i), 0);
        htab_foreach(&t, mark_and_remove_odd, &t);
        for (int i = 0; i < N; i++)
                ck_assert_int_eq(items[i].seen, 1);
        ck_assert_uint_eq(t.count, N / 2);
        htab_free(&t);
        ck_assert_uint_eq(t.nbuckets, 0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("htab");
        TCase *tc = tcase_create("htab");

        tcase_add_test(tc, insert_find_remove);
        tcase_add_test(tc, many_keys_and_growth);
        tcase_add_test(tc, foreach_may_remove_the_current_node);
        suite_add_tcase(s, tc);
        return unit_run(s);
}
