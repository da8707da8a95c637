/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_persist.c - the one format of what survives the daemon: every record
 * round-trips, and every way a record can be short, long, of another
 * version or otherwise wrong is refused.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "persist.h"
#include "segment.h"
#include "unit.h"

static int parse(const char *text, struct persist_rec *r)
{
        return persist_parse(text, strlen(text), r);
}

START_TEST(segment_round_trips)
{
        struct persist_rec in, out;
        char buf[PERSIST_MAX + 1];
        int n;

        memset(&in, 0, sizeof(in)); /* padding too: compared as bytes below */
        in.kind = PERSIST_SEGMENT;
        in.u.seg.id = UINT64_MAX;
        in.u.seg.key = INT32_MAX;
        in.u.seg.uid = UINT32_MAX - 1;
        in.u.seg.mode = 0640;
        in.u.seg.size = UINT64_C(1) << 62;
        in.u.seg.page_size = UINT64_C(1) << 30;
        in.u.seg.ctime = INT64_MAX;
        n = persist_format(&in, buf, sizeof(buf));

        ck_assert_int_gt(n, 0);
        ck_assert_uint_eq(strlen(buf), (size_t)n);
        ck_assert_uint_eq(strspn(buf, "0123456789abcdefghijklmnopqrstuvwxyz-"), (size_t)n);
        ck_assert_int_eq(parse(buf, &out), 0);
        ck_assert_mem_eq(&in, &out, sizeof(in));
}
END_TEST

/* A segment's own record: removed segments are kept under key 0. */
START_TEST(segment_record_of_a_segment)
{
        struct segment s = {.id = 7,
                            .key = 42,
                            .uid = 1000,
                            .gid = 100,
                            .mode = 0600,
                            .size = 4 << 20,
                            .page_size = 2 << 20,
                            .ctime = 1700000000};
        struct persist_rec r;
        char name[PERSIST_MAX + 1];

        ck_assert_int_eq(segment_name(&s, name, sizeof(name)), 0);
        ck_assert_str_eq(name, "hpd2-seg-7-42-1000-100-600-4194304-2097152-1700000000");
        ck_assert_int_eq(parse(name, &r), 0);
        ck_assert_int_eq(r.u.seg.key, 42);
        s.removed = 1;
        ck_assert_int_eq(segment_name(&s, name, sizeof(name)), 0);
        ck_assert_int_eq(parse(name, &r), 0);
        ck_assert_int_eq(r.u.seg.key, 0);
}
END_TEST

START_TEST(pool_and_state_round_trip)
{
        struct persist_rec in, out;
        char buf[PERSIST_MAX + 1];

        memset(&in, 0, sizeof(in));
        in.kind = PERSIST_POOL;
        in.u.pool.page_size = 2 << 20;
        in.u.pool.pages = 12;
        in.u.pool.base = 3;

        ck_assert_int_gt(persist_format(&in, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "hpd2-pool-2097152-12-3");
        ck_assert_int_eq(parse(buf, &out), 0);
        ck_assert_mem_eq(&in, &out, sizeof(in));
        in = (struct persist_rec){.kind = PERSIST_STATE};
        ck_assert_int_gt(persist_format(&in, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "hpd2-state");
        ck_assert_int_eq(parse(buf, &out), 0);
        ck_assert_int_eq(out.kind, PERSIST_STATE);
}
END_TEST

START_TEST(other_versions_are_refused)
{
        struct persist_rec r;

        ck_assert_int_eq(parse("hpd1-pool-2097152-12-0", &r), -EPROTONOSUPPORT);
        ck_assert_int_eq(parse("hpd3-seg-7-42-1000-100-600-4194304-2097152-1", &r),
                         -EPROTONOSUPPORT);
        ck_assert_int_eq(parse("hpd99999-state", &r), -EPROTONOSUPPORT);
}
END_TEST

START_TEST(strangers_are_not_ours)
{
        struct persist_rec r;

        ck_assert_int_eq(parse("hp1-7-42-1000-100-600-4194304-2097152", &r), -ENOENT);
        ck_assert_int_eq(parse("hugepaged.socket", &r), -ENOENT);
        ck_assert_int_eq(parse("", &r), -ENOENT);
        ck_assert_int_eq(parse("tmp-hpd2-state", &r), -ENOENT);
}
END_TEST

/* Every prefix of a valid record is truncated, and refused. */
START_TEST(truncated_records_are_refused)
{
        const char *good[] = {"hpd2-seg-7-42-1000-100-600-4194304-2097152-1700000000",
                              "hpd2-pool-2097152-12-0", "hpd2-state"};
        struct persist_rec r;

        for (size_t g = 0; g < sizeof(good) / sizeof(good[0]); g++) {
                ck_assert_int_eq(persist_parse(good[g], strlen(good[g]), &r), 0);
                for (size_t n = 0; n < strlen(good[g]); n++) {
                        int e = persist_parse(good[g], n, &r);

                        /* A cut inside a number may still be a number: the
                         * last field of each kind is checked for that. */
                        if (e == 0)
                                ck_assert_msg(r.kind == PERSIST_SEGMENT || r.kind == PERSIST_POOL,
                                              "'%.*s' parsed", (int)n, good[g]);
                        else
                                ck_assert_msg(e == -EBADMSG || e == -ENOENT, "'%.*s': %d", (int)n,
                                              good[g], e);
                }
        }
        /* ...but never one that lost a whole field. */
        ck_assert_int_eq(parse("hpd2-seg-7-42-1000-100-600-4194304-2097152", &r), -EBADMSG);
        ck_assert_int_eq(parse("hpd2-seg-7-42-1000-100-600-4194304-2097152-", &r), -EBADMSG);
        ck_assert_int_eq(parse("hpd2-pool-2097152-12", &r), -EBADMSG);
        ck_assert_int_eq(parse("hpd2-pool-2097152-12-", &r), -EBADMSG);
        ck_assert_int_eq(parse("hpd2-", &r), -EBADMSG);
        ck_assert_int_eq(parse("hpd2", &r), -EBADMSG);
}
END_TEST

START_TEST(malformed_fields_are_refused)
{
        static const char *bad[] = {
            "hpd2-seg-7-42-1000-100-600-4194304-2097152-1-9",            /* a field too many */
            "hpd2-seg-0-42-1000-100-600-4194304-2097152-1",              /* id 0 */
            "hpd2-seg-7-2147483648-1000-100-600-4194304-2097152-1",      /* key past INT32_MAX */
            "hpd2-seg-7-42-4294967296-100-600-4194304-2097152-1",        /* uid past 32 bits */
            "hpd2-seg-7-42-1000-100-1000-4194304-2097152-1",             /* mode past 0777 */
            "hpd2-seg-7-42-1000-100-680-4194304-2097152-1",              /* 8 is no octal digit */
            "hpd2-seg-7-42-1000-100-600-0-2097152-1",                    /* size 0 */
            "hpd2-seg-7-42-1000-100-600-4194305-2097152-1",              /* size not in pages */
            "hpd2-seg-7-42-1000-100-600-4194304-3000000-1",              /* page size not 2^n */
            "hpd2-seg-7-42-1000-100-600-18446744073709551616-2097152-1", /* past 64 bits */
            "hpd2-seg-07-42-1000-100-600-4194304-2097152-1",             /* a leading zero */
            "hpd2-seg-+7-42-1000-100-600-4194304-2097152-1",             /* a sign */
            "hpd2-seg-7--42-1000-100-600-4194304-2097152-1",             /* a negative key */
            "hpd2-seg-7-42-1000-100-600-4194304-2097152-1 ",             /* trailing space */
            "hpd2-pool-0-1-0",                                           /* page size 0 */
            "hpd2-pool-2097152-1-1-1",                                   /* a field too many */
            "hpd2-state-1",                                              /* state has no fields */
            "hpd2-segs-1",                                               /* no such kind */
            "hpd2-Seg-7-42-1000-100-600-4194304-2097152-1",              /* case matters */
            "hpd02-state",                                               /* version with a zero */
        };
        struct persist_rec r;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                ck_assert_msg(parse(bad[i], &r) == -EBADMSG, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(too_long_and_unwritable)
{
        char big[PERSIST_MAX + 2], small[8];
        struct persist_rec r = {.kind = PERSIST_POOL, .u.pool = {2 << 20, 1, 0}}, out;

        memset(big, '1', sizeof(big));
        memcpy(big, "hpd2-pool-2-1-", 14);
        ck_assert_int_eq(persist_parse(big, sizeof(big), &out), -ENOENT);
        ck_assert_int_eq(persist_format(&r, small, sizeof(small)), -ENOBUFS);
        r = (struct persist_rec){.kind = PERSIST_SEGMENT, .u.seg = {.id = 0}};
        ck_assert_int_eq(persist_format(&r, big, sizeof(big)), -EINVAL);
        r.kind = 99;
        ck_assert_int_eq(persist_format(&r, big, sizeof(big)), -EINVAL);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("persist");
        TCase *tc = tcase_create("records");

        tcase_add_test(tc, segment_round_trips);
        tcase_add_test(tc, segment_record_of_a_segment);
        tcase_add_test(tc, pool_and_state_round_trip);
        tcase_add_test(tc, other_versions_are_refused);
        tcase_add_test(tc, strangers_are_not_ours);
        tcase_add_test(tc, truncated_records_are_refused);
        tcase_add_test(tc, malformed_fields_are_refused);
        tcase_add_test(tc, too_long_and_unwritable);
        suite_add_tcase(s, tc);
        return unit_run(s);
}
