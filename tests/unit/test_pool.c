/*
 * test_pool.c - the pool's arithmetic, apart from sysfs: how far it may grow
 * and how much may go back.
 */
#include <check.h>
#include <stdint.h>

#include "pool.h"
#include "unit.h"

#define MB2 (UINT64_C(2) << 20)
#define GIB (UINT64_C(1) << 30)

/* Growth leaves an eighth of MemTotal beyond what is available. */
START_TEST(grow_room_keeps_an_eighth)
{
        ck_assert_uint_eq(pool_grow_room(16 * GIB, 16 * GIB, MB2), 14 * GIB / MB2);
        ck_assert_uint_eq(pool_grow_room(2 * GIB, 16 * GIB, MB2), 0);
        ck_assert_uint_eq(pool_grow_room(2 * GIB + MB2, 16 * GIB, MB2), 1);
        ck_assert_uint_eq(pool_grow_room(2 * GIB + MB2 - 1, 16 * GIB, MB2), 0);
        ck_assert_uint_eq(pool_grow_room(0, 0, MB2), 0);
        ck_assert_uint_eq(pool_grow_room(5 * GIB, 8 * GIB, GIB), 4);
}
END_TEST

/* Back goes what is free and not reserved, never more than the daemon added. */
START_TEST(give_back_only_what_was_added_and_is_unused)
{
        ck_assert_uint_eq(pool_may_give(10, 0, 4), 4);
        ck_assert_uint_eq(pool_may_give(3, 0, 4), 3);
        ck_assert_uint_eq(pool_may_give(10, 8, 4), 2);
        ck_assert_uint_eq(pool_may_give(10, 10, 4), 0);
        ck_assert_uint_eq(pool_may_give(5, 9, 4), 0); /* reserved beyond free: none */
        ck_assert_uint_eq(pool_may_give(10, 0, 0), 0);
        ck_assert_uint_eq(pool_may_give(UINT64_MAX, 0, UINT64_MAX), UINT64_MAX);
}
END_TEST

START_TEST(added_counts_read_back)
{
        struct pool_size ps = {.page_size = MB2};

        ck_assert_uint_eq(pool_added(&ps), 0);
        pool_set_added(&ps, 17);
        ck_assert_uint_eq(pool_added(&ps), 17);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("pool");
        TCase *tc = tcase_create("arithmetic");

        tcase_add_test(tc, grow_room_keeps_an_eighth);
        tcase_add_test(tc, give_back_only_what_was_added_and_is_unused);
        tcase_add_test(tc, added_counts_read_back);
        suite_add_tcase(s, tc);
        return unit_run(s);
}
