/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_config.c - hugepaged.conf(5) read from strings: every kind of value,
 * every error with its file and line, and which limits apply to whom.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "policy.h"
#include "unit.h"

#define MEM (UINT64_C(16) << 30)
#define MB  (UINT64_C(1) << 20)

static struct config c;
static char err[256];

static int load(const char *text)
{
        config_free(&c);
        config_defaults(&c, MEM);
        err[0] = '\0';
        return config_load_string(&c, text, "test.conf", MEM, err, sizeof(err));
}

START_TEST(sizes)
{
        uint64_t v;

        ck_assert_int_eq(config_parse_size("4096", MEM, &v), 0);
        ck_assert_uint_eq(v, 4096);
        ck_assert_int_eq(config_parse_size("2M", MEM, &v), 0);
        ck_assert_uint_eq(v, 2 * MB);
        ck_assert_int_eq(config_parse_size("3g", MEM, &v), 0);
        ck_assert_uint_eq(v, UINT64_C(3) << 30);
        ck_assert_int_eq(config_parse_size("1T", MEM, &v), 0);
        ck_assert_uint_eq(v, UINT64_C(1) << 40);
        ck_assert_int_eq(config_parse_size("25%", MEM, &v), 0);
        ck_assert_uint_eq(v, MEM / 4);
        ck_assert_int_eq(config_parse_size("100%", MEM, &v), 0);
        ck_assert_uint_eq(v, MEM);
        ck_assert_int_eq(config_parse_size("infinity", MEM, &v), 0);
        ck_assert_uint_eq(v, LIMIT_INFINITY);
        for (const char *const *bad =
                 (const char *const[]){"", "M", "-1", "1.5G", "2MB", "101%", "%", "1 G", "0x10",
                                       "17179869184T", NULL};
             *bad; bad++)
                ck_assert_msg(config_parse_size(*bad, MEM, &v) == -EINVAL, "'%s' accepted", *bad);
}
END_TEST

START_TEST(defaults)
{
        ck_assert_int_eq(load(""), 0);
        ck_assert_uint_eq(c.defaults.bytes, MEM / 4);
        ck_assert_uint_eq(c.all_users, MEM / 2);
        ck_assert_uint_eq(c.max_grow, MEM / 4 * 3);
        ck_assert_uint_eq(c.defaults.segments, 4096);
        ck_assert_uint_eq(c.defaults.connections, 256);
        ck_assert_uint_eq(c.defaults.fork_holds, 64);
        ck_assert_int_eq(c.grow, 1);
        ck_assert_uint_eq(c.socket_mode, 0666);
        ck_assert_ptr_null(c.socket);
        ck_assert_int_eq(c.log_level, LOG_INFO);
        ck_assert_int_eq(load("[Daemon]\nLogLevel=warning\n"), 0);
        ck_assert_int_eq(c.log_level, LOG_WARNING);
}
END_TEST

/* The issue's own example, comments after values included. */
START_TEST(every_key_and_trailing_comments)
{
        ck_assert_int_eq(load("[Daemon]\nSocket=/tmp/x.sock\nSocketMode=0660\nIdleExitSec=600\n"
                              "Backend=hugetlbfs:/mnt/huge\nLogLevel=debug\n"
                              "[Limits]                # every non-root user\n"
                              "MaxBytes=8G             # huge-page bytes\n"
                              "MaxSegments=4096\nMaxConnections=64\n"
                              "MaxForkHolds=64         ; holds\n"
                              "MaxBytesAllUsers=50%\nMaxBytes2M=1G\n"
                              "[User:0]\nMaxBytes=64G\n[Group:100]\nMaxBytes=32G\n"
                              "[Pool]\nGrow=no\nMaxGrow=75%\n"),
                         0);
        ck_assert_str_eq(c.socket, "/tmp/x.sock");
        ck_assert_uint_eq(c.socket_mode, 0660);
        ck_assert_uint_eq(c.idle_exit, 600);
        ck_assert_str_eq(c.backend, "/mnt/huge");
        ck_assert_int_eq(c.log_level, LOG_DEBUG);
        ck_assert_uint_eq(c.defaults.bytes, UINT64_C(8) << 30);
        ck_assert_uint_eq(c.defaults.connections, 64);
        ck_assert_uint_eq(c.defaults.nsizes, 1);
        ck_assert_uint_eq(c.defaults.by_size[0].page_size, 2 * MB);
        ck_assert_uint_eq(c.defaults.by_size[0].bytes, UINT64_C(1) << 30);
        ck_assert_int_eq(c.grow, 0);
        ck_assert_uint_eq(c.nusers, 1);
        ck_assert_uint_eq(c.ngroups, 1);
}
END_TEST

START_TEST(warm_pool_per_page_size)
{
        ck_assert_int_eq(load("[Pool]\nWarm=2M:256M\nWarm=1G:2G\nWarm=2M:64M\n"), 0);
        ck_assert_uint_eq(config_warm_for(&c, 2 * MB), 64 * MB);
        ck_assert_uint_eq(config_warm_for(&c, UINT64_C(1) << 30), UINT64_C(2) << 30);
        ck_assert_uint_eq(config_warm_for(&c, 4096), 0);
        /* Empty: none for any size, then one again. */
        ck_assert_int_eq(load("[Pool]\nWarm=1G:2G\nWarm=\nWarm=2M:0\n"), 0);
        ck_assert_uint_eq(config_warm_for(&c, UINT64_C(1) << 30), 0);
        ck_assert_uint_eq(config_warm_for(&c, 2 * MB), 0);
        for (const char *const *bad = (const char *const[]){"3M:9M", "2M:3M", "2M", ":8M", "2M:",
                                                            "2M:x", "1K:1M", "2M:8M:1", NULL};
             *bad; bad++) {
                char text[64];

                snprintf(text, sizeof(text), "[Pool]\nWarm=%s\n", *bad);
                ck_assert_msg(load(text) < 0, "Warm=%s accepted", *bad);
                ck_assert_ptr_nonnull(strstr(err, "Warm"));
        }
}
END_TEST

START_TEST(errors_name_file_line_and_key)
{
        ck_assert_int_eq(load("[Limits]\n\nMaxByts=1G\n"), -EINVAL);
        ck_assert_str_eq(err, "test.conf:3: MaxByts=: unknown key");
        ck_assert_int_eq(load("# c\n[Limits]\nMaxSegments=lots\n"), -EINVAL);
        ck_assert_str_eq(err, "test.conf:3: MaxSegments=: 'lots' is not a count (a number or "
                              "infinity)");
        ck_assert_int_eq(load("[Nope]\nKey=1\n"), -EINVAL);
        ck_assert_str_eq(err, "test.conf:2: [Nope]: unknown section");
        ck_assert_int_eq(load("[Limits]\nthis is not a key\n"), -EINVAL);
        ck_assert_str_eq(err, "test.conf:2: not [Section] nor Key=value");
        ck_assert_int_eq(load("[Limits]\nMaxBytes3M=1G\n"), -EINVAL);
        ck_assert_str_eq(err, "test.conf:2: MaxBytes3M=: 3M: not a page size");
        ck_assert_int_eq(load("[Daemon]\nSocketMode=0999\n"), -EINVAL);
        ck_assert_int_eq(load("[Daemon]\nBackend=tmpfs\n"), -EINVAL);
        ck_assert_int_eq(load("[Daemon]\nLogLevel=loud\n"), -EINVAL);
        ck_assert_int_eq(load("[Daemon]\nRestoreGraceSec=30\n"), -EINVAL); /* gone in 0.2 */
        ck_assert_int_eq(load("[User:4294967295]\nMaxBytes=1G\n"), -EINVAL);
        /* The first error is the one reported. */
        ck_assert_int_eq(load("[Limits]\nMaxBytes=x\nMaxSegments=y\n"), -EINVAL);
        ck_assert_str_eq(err, "test.conf:2: MaxBytes=: 'x' is not a size (bytes, K/M/G/T, N% "
                              "or infinity)");
}
END_TEST

START_TEST(command_line_keys)
{
        ck_assert_int_eq(load(""), 0);
        ck_assert_int_eq(config_set(&c, "Pool", "Grow", "no", MEM, err, sizeof(err)), 0);
        ck_assert_int_eq(c.grow, 0);
        ck_assert_int_eq(config_set(&c, "Daemon", "SocketMode", "999", MEM, err, sizeof(err)),
                         -EINVAL);
        ck_assert_str_eq(err, "command line: SocketMode=: '999' is not an octal mode");
}
END_TEST

static struct limits for_peer(uid_t uid, gid_t gid, gid_t *groups, int n)
{
        struct creds cr = {.pid = 1, .uid = uid, .gid = gid, .groups = groups, .ngroups = n};
        struct limits l;

        config_limits_for(&c, &cr, &l);
        return l;
}

START_TEST(who_gets_which_limits)
{
        gid_t both[] = {200, 300};
        struct limits l;

        ck_assert_int_eq(load("[Limits]\nMaxBytes=1G\nMaxSegments=10\nMaxBytes2M=512M\n"
                              "[Group:200]\nMaxBytes=4G\nMaxSegments=5\n"
                              "[Group:300]\nMaxBytes=8G\nMaxBytes1G=2G\n"
                              "[User:1000]\nMaxSegments=100\n"
                              "[User:1001]\nMaxBytes=16M\nMaxBytes2M=infinity\n"),
                         0);
        /* Nobody special: [Limits]. */
        l = for_peer(2000, 2000, NULL, 0);
        ck_assert_uint_eq(l.bytes, 1u << 30);
        ck_assert_uint_eq(l.segments, 10);
        ck_assert_uint_eq(config_bytes_limit(&l, 2 * MB), 512 * MB);
        /* In both groups: key by key the most generous, page sizes too;
         * what no group sets comes from [Limits]. */
        l = for_peer(2000, 200, both + 1, 1);
        ck_assert_uint_eq(l.bytes, UINT64_C(8) << 30);
        ck_assert_uint_eq(l.segments, 5);
        ck_assert_uint_eq(config_bytes_limit(&l, 2 * MB), 512 * MB);
        ck_assert_uint_eq(config_bytes_limit(&l, 1u << 30), UINT64_C(2) << 30);
        /* The user's own section wins; the rest from its groups. */
        l = for_peer(1000, 5, both, 2);
        ck_assert_uint_eq(l.segments, 100);
        ck_assert_uint_eq(l.bytes, UINT64_C(8) << 30);
        l = for_peer(1001, 200, NULL, 0);
        ck_assert_uint_eq(l.bytes, 16 * MB);
        ck_assert_uint_eq(config_bytes_limit(&l, 2 * MB), 16 * MB);
        ck_assert_uint_eq(l.segments, 5);
        /* Root: unlimited; groups never apply to it. */
        l = for_peer(0, 200, both, 2);
        ck_assert_uint_eq(l.bytes, LIMIT_INFINITY);
        ck_assert_uint_eq(l.segments, LIMIT_INFINITY);
        ck_assert_uint_eq(l.connections, LIMIT_INFINITY);
        ck_assert_uint_eq(config_bytes_limit(&l, 2 * MB), LIMIT_INFINITY);
        /* ...but for a [User:root] section. */
        ck_assert_int_eq(load("[User:0]\nMaxConnections=7\n[Group:0]\nMaxBytes=1M\n"), 0);
        l = for_peer(0, 0, NULL, 0);
        ck_assert_uint_eq(l.connections, 7);
        ck_assert_uint_eq(l.bytes, LIMIT_INFINITY);
}
END_TEST

/* Later sections for the same user merge into one, later keys winning. */
START_TEST(sections_merge)
{
        struct limits l;

        ck_assert_int_eq(load("[User:1000]\nMaxBytes=1G\n[User:1000]\nMaxSegments=3\n"
                              "[Limits]\nMaxBytes=2G\n[Limits]\nMaxBytes=4G\n"),
                         0);
        ck_assert_uint_eq(c.nusers, 1);
        l = for_peer(1000, 1000, NULL, 0);
        ck_assert_uint_eq(l.bytes, 1u << 30);
        ck_assert_uint_eq(l.segments, 3);
        ck_assert_uint_eq(c.defaults.bytes, UINT64_C(4) << 30);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("config");
        int r;

        tcase_add_test(tc, sizes);
        tcase_add_test(tc, defaults);
        tcase_add_test(tc, every_key_and_trailing_comments);
        tcase_add_test(tc, errors_name_file_line_and_key);
        tcase_add_test(tc, command_line_keys);
        tcase_add_test(tc, who_gets_which_limits);
        tcase_add_test(tc, sections_merge);
        tcase_add_test(tc, warm_pool_per_page_size);
        suite_add_tcase(s, tc);
        r = unit_run(s);
        config_free(&c);
        return r;
}
