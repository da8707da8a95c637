/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pool.c - the pool's arithmetic, apart from sysfs: what is free, how
 * far it may grow.
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

/* Free for the taking: free and not reserved. */
START_TEST(unused_is_free_less_reserved)
{
        ck_assert_uint_eq(pool_unused(10, 0), 10);
        ck_assert_uint_eq(pool_unused(10, 8), 2);
        ck_assert_uint_eq(pool_unused(10, 10), 0);
        ck_assert_uint_eq(pool_unused(5, 9), 0); /* reserved beyond free: none */
}
END_TEST

/* MaxGrow= is in bytes over every page size; what is out already counts. */
START_TEST(growth_allowed_under_max_grow)
{
        ck_assert_uint_eq(pool_grow_allowed(8 * MB2, 0, MB2), 8);
        ck_assert_uint_eq(pool_grow_allowed(8 * MB2, 3 * MB2, MB2), 5);
        ck_assert_uint_eq(pool_grow_allowed(8 * MB2, 8 * MB2, MB2), 0);
        ck_assert_uint_eq(pool_grow_allowed(8 * MB2, 9 * MB2, MB2), 0);
        ck_assert_uint_eq(pool_grow_allowed(GIB + MB2, MB2, GIB), 1);
        ck_assert_uint_eq(pool_grow_allowed(GIB, MB2, GIB), 0); /* a 2 MiB page is out */
        ck_assert_uint_eq(pool_grow_allowed(UINT64_MAX, 0, MB2), UINT64_MAX / MB2);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("pool");
        TCase *tc = tcase_create("arithmetic");

        tcase_add_test(tc, grow_room_keeps_an_eighth);
        tcase_add_test(tc, unused_is_free_less_reserved);
        tcase_add_test(tc, growth_allowed_under_max_grow);
        suite_add_tcase(s, tc);
        return unit_run(s);
}
