/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_ctl.c - hugepagectl against a real daemon: list (what each user may
 * see, with the pids attached), status (the kernel's pool figures), remove
 * (owner or root; no new attaches; memory goes with the last user), --json,
 * and its exit codes.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <hugepages.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define RW     (PROT_READ | PROT_WRITE)
#define NOBODY 65534

static char *make(int key, size_t len, int mode)
{
        char *p = alloc_hugepages(key, NULL, len, RW, IPC_CREAT | mode);

        ck_assert_msg(p != HUGEPAGES_FAILED, "create %d: %s", key, strerror(errno));
        return p;
}

START_TEST(list_shows_segments_with_their_users)
{
        char out[8192], pid[32], expect[128];
        char *p = make(0x2a, 2 * MB2, 0640);

        ck_assert_int_eq(ctl_run(0, out, sizeof(out), (const char *const[]){"list", NULL}), 0);
        ck_assert_ptr_nonnull(strstr(out, "0x0000002a"));
        ck_assert_ptr_nonnull(strstr(out, " 42"));
        ck_assert_ptr_nonnull(strstr(out, "4 MiB"));
        ck_assert_ptr_nonnull(strstr(out, "0640"));
        snprintf(pid, sizeof(pid), "%d", (int)getpid());
        ck_assert_ptr_nonnull(strstr(out, pid));

        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"--json", "list", NULL}), 0);
        ck_assert_ptr_nonnull(strstr(out, "\"key\": 42, \"key_hex\": \"0x0000002a\""));
        ck_assert_ptr_nonnull(strstr(out, "\"size\": 4194304, \"page_size\": 2097152"));
        ck_assert_ptr_nonnull(strstr(out, "\"owner\": \"root\""));
        ck_assert_ptr_nonnull(strstr(out, "\"mode\": \"0640\", \"users\": 1"));
        snprintf(expect, sizeof(expect), "\"pids\": [%d]", (int)getpid());
        ck_assert_ptr_nonnull(strstr(out, expect));
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"--json", "list", NULL}), 0);
        ck_assert_str_eq(out, "{\"segments\": []}\n");
}
END_TEST

START_TEST(each_user_sees_what_it_may_read)
{
        char out[8192];

        make(61, MB2, 0600);
        make(62, MB2, 0644);
        ck_assert_int_eq(ctl_run(NOBODY, out, sizeof(out), (const char *const[]){"list", NULL}), 0);
        ck_assert_ptr_null(strstr(out, "0x0000003d"));
        ck_assert_ptr_nonnull(strstr(out, "0x0000003e"));
        ck_assert_int_eq(ctl_run(0, out, sizeof(out), (const char *const[]){"list", NULL}), 0);
        ck_assert_ptr_nonnull(strstr(out, "0x0000003d"));
        ck_assert_ptr_nonnull(strstr(out, "0x0000003e"));
}
END_TEST

START_TEST(status_reports_the_kernel_pool)
{
        char out[4096], expect[256];

        make(63, 2 * MB2, 0600);
        make(0, MB2, 0);
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"--json", "status", NULL}), 0);
        ck_assert_ptr_nonnull(strstr(out, "\"version\": \"0.2.0\", \"protocol\": 1"));
        ck_assert_ptr_nonnull(strstr(out, "\"segments\": 2, \"bytes\": 6291456"));
        snprintf(expect, sizeof(expect), "{\"page_size\": 2097152, \"total\": %llu, \"free\": %llu",
                 (unsigned long long)pool_total(MB2), (unsigned long long)pool_free(MB2));
        ck_assert_msg(strstr(out, expect), "%s not in %s", expect, out);
        ck_assert_int_eq(ctl_run(0, out, sizeof(out), (const char *const[]){"status", NULL}), 0);
        ck_assert_ptr_nonnull(strstr(out, "segments 2, 6 MiB"));
}
END_TEST

START_TEST(remove_is_for_owner_or_root_and_waits_for_users)
{
        char out[4096];
        char *p = make(64, MB2, 0644), *q;

        strcpy(p, "still mine");
        /* Another user may see it but not remove it. */
        ck_assert_int_eq(
            ctl_run(NOBODY, out, sizeof(out), (const char *const[]){"remove", "64", NULL}), 1);
        ck_assert_ptr_nonnull(strstr(out, "only its owner or root"));
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"remove", "0x40", NULL}), 0);
        /* No new attaches... */
        expect_fail(alloc_hugepages(64, NULL, MB2, PROT_READ, 0), ENOENT);
        /* ...but its user keeps it, and the list says it is removed. */
        ck_assert_str_eq(p, "still mine");
        ck_assert_uint_eq(used2m(), 1);
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"--json", "list", NULL}), 0);
        ck_assert_ptr_nonnull(strstr(out, "\"key\": 64"));
        ck_assert_ptr_nonnull(strstr(out, "\"removed\": true"));
        /* The key is free for a new segment. */
        q = make(64, MB2, 0600);
        ck_assert_int_eq(q[0], 0);
        ck_assert_uint_eq(used2m(), 2);
        /* The memory goes with its last user. */
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_used(MB2, hp_base2m + 1, 1000));
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"--json", "remove", "64", NULL}), 0);
        ck_assert_str_eq(out, "{\"removed\": true, \"error\": null}\n");
        /* Refused: nothing on stdout, the reason on stderr. */
        ck_assert_int_eq(
            ctl_stdout(0, out, sizeof(out), (const char *const[]){"--json", "remove", "64", NULL}),
            1);
        ck_assert_str_eq(out, "");
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"--json", "remove", "64", NULL}), 1);
        ck_assert_str_eq(out, "hugepagectl: no such key: 64\n");
}
END_TEST

START_TEST(remove_by_id)
{
        char out[4096], id[32];
        const char *s;

        make(65, MB2, 0600);
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"--json", "list", NULL}), 0);
        s = strstr(out, "\"id\": ");
        ck_assert_ptr_nonnull(s);
        snprintf(id, sizeof(id), "%ld", strtol(s + 6, NULL, 10));
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"remove", "--id", id, NULL}), 0);
        expect_fail(alloc_hugepages(65, NULL, MB2, PROT_READ, 0), ENOENT);
}
END_TEST

START_TEST(exit_codes_and_messages)
{
        char out[4096];

        ck_assert_int_eq(ctl_run(0, out, sizeof(out), (const char *const[]){NULL}), 2);
        ck_assert_int_eq(ctl_run(0, out, sizeof(out), (const char *const[]){"frobnicate", NULL}),
                         2);
        ck_assert_int_eq(ctl_run(0, out, sizeof(out), (const char *const[]){"remove", "-3", NULL}),
                         2);
        ck_assert_int_eq(ctl_run(0, out, sizeof(out), (const char *const[]){"remove", "99", NULL}),
                         1);
        ck_assert_ptr_nonnull(strstr(out, "no such key: 99"));
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out),
                    (const char *const[]){"--socket", "/tmp/nowhere/none.sock", "status", NULL}),
            3);
        ck_assert_ptr_nonnull(
            strstr(out, "hugepaged is not running (no socket at /tmp/nowhere/none.sock)"));
}
END_TEST

/* Valid JSON, as a JSON parser reads it. */
static int json_ok(const char *text)
{
        FILE *f = popen("python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null", "w");

        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        return pclose(f) == 0;
}

/* As util-linux tools and systemctl do: options anywhere, --version, help,
 * a one-line error for an unknown command, nothing on stdout when a
 * command fails, and what is wrong with a socket said plainly. */
START_TEST(behaves_like_its_neighbours)
{
        char out[8192], want[128];
        char *p = make(0x77, MB2, 0640);
        struct stat st;

        /* Options after the command. */
        ck_assert_int_eq(
            ctl_stdout(0, out, sizeof(out), (const char *const[]){"list", "--json", NULL}), 0);
        ck_assert_msg(json_ok(out), "not JSON: %s", out);
        ck_assert_ptr_nonnull(strstr(out, "\"key\": 119"));
        ck_assert_int_eq(
            ctl_stdout(0, out, sizeof(out), (const char *const[]){"users", "-j", NULL}), 0);
        ck_assert_msg(json_ok(out), "not JSON: %s", out);
        ck_assert_int_eq(
            ctl_stdout(0, out, sizeof(out), (const char *const[]){"status", "-j", NULL}), 0);
        ck_assert_msg(json_ok(out), "not JSON: %s", out);
        /* --no-legend, --bytes. */
        ck_assert_int_eq(ctl_stdout(0, out, sizeof(out),
                                    (const char *const[]){"list", "--no-legend", "--bytes", NULL}),
                         0);
        ck_assert_ptr_null(strstr(out, "KEY"));
        ck_assert_ptr_nonnull(strstr(out, " 2097152 "));
        /* show, by key and by id. */
        ck_assert_int_eq(
            ctl_stdout(0, out, sizeof(out), (const char *const[]){"show", "0x77", NULL}), 0);
        ck_assert_ptr_nonnull(strstr(out, "key:        0x00000077 (119)"));
        ck_assert_ptr_nonnull(strstr(out, "mode:       0640"));
        snprintf(want, sizeof(want), "processes:  1 (%d)", (int)getpid());
        ck_assert_msg(strstr(out, want), "'%s' lacks '%s'", out, want);
        ck_assert_int_eq(ctl_stdout(0, out, sizeof(out),
                                    (const char *const[]){"--json", "show", "--id", "1", NULL}),
                         0);
        ck_assert_msg(json_ok(out), "not JSON: %s", out);
        ck_assert_int_eq(ctl_run(0, out, sizeof(out), (const char *const[]){"show", "0x78", NULL}),
                         1);
        ck_assert_ptr_nonnull(strstr(out, "no such key: 0x78"));
        /* 0640 and another user: it exists, it may not be read. */
        ck_assert_int_eq(
            ctl_stdout(65534, out, sizeof(out), (const char *const[]){"show", "0x77", NULL}), 1);
        ck_assert_str_eq(out, "");
        ck_assert_int_eq(
            ctl_run(65534, out, sizeof(out), (const char *const[]){"show", "0x77", NULL}), 1);
        ck_assert_ptr_nonnull(strstr(out, "key 0x77: permission denied"));
        /* --version, help; an unknown command in one line. */
        ck_assert_int_eq(ctl_stdout(0, out, sizeof(out), (const char *const[]){"--version", NULL}),
                         0);
        ck_assert_ptr_nonnull(strstr(out, "hugepagectl "));
        ck_assert_int_eq(ctl_stdout(0, out, sizeof(out), (const char *const[]){"help", NULL}), 0);
        ck_assert_ptr_nonnull(strstr(out, "Commands:"));
        ck_assert_int_eq(ctl_run(0, out, sizeof(out), (const char *const[]){"frobnicate", NULL}),
                         2);
        ck_assert_str_eq(out,
                         "hugepagectl: unknown command 'frobnicate'; try 'hugepagectl help'.\n");
        /* Failure: stdout stays empty, for every command. */
        for (const char *const *cmd = (const char *const[]){"list", "status", "users", NULL}; *cmd;
             cmd++) {
                ck_assert_int_eq(ctl_stdout(0, out, sizeof(out),
                                            (const char *const[]){*cmd, "--json", "--socket",
                                                                  "/tmp/nowhere/none.sock", NULL}),
                                 3);
                ck_assert_str_eq(out, "");
        }
        /* A socket one may not connect to is not "no daemon". */
        ck_assert_int_eq(stat(hp_daemon.sock, &st), 0);
        ck_assert_int_eq(chmod(hp_daemon.sock, 0600), 0);
        ck_assert_int_eq(ctl_run(NOBODY, out, sizeof(out), (const char *const[]){"list", NULL}), 3);
        ck_assert_msg(strstr(out, "permission denied: you may not connect to"), "%s", out);
        ck_assert_int_eq(chmod(hp_daemon.sock, st.st_mode & 07777), 0);
        ck_assert_int_eq(free_hugepages(p), 0);
}
END_TEST

/* The value of "name": N in a JSON text, or -1. */
static long long json_number(const char *text, const char *name)
{
        char pat[96];
        const char *p;

        snprintf(pat, sizeof(pat), "\"%s\": ", name);
        p = strstr(text, pat);
        return p && p[strlen(pat)] != 'n' ? atoll(p + strlen(pat)) : -1;
}

/* Counters since start, for root: segments made and destroyed, answers by
 * errno, pool pages added and given back (the kernel's setting moved). */
START_TEST(status_counts_since_start)
{
        char out[8192];
        uint64_t over = pool_overcommit(MB2), before = pool_total(MB2);
        char *p;

        pool_set(MB2, pool_used(MB2)); /* no free page: the create grows the pool */
        p = make(0x91, MB2, 0600);
        ck_assert_uint_gt(pool_overcommit(MB2) + pool_total(MB2), over + pool_used(MB2) - 1);
        ck_assert_str_eq(try_key(0x92), "ENOENT");
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_key_gone(0x91, 2000));
        ck_assert_int_eq(
            ctl_stdout(0, out, sizeof(out), (const char *const[]){"status", "--json", NULL}), 0);
        ck_assert_msg(json_ok(out), "not JSON: %s", out);
        ck_assert_int_eq(json_number(out, "segments_created"), 1);
        ck_assert_int_eq(json_number(out, "segments_destroyed"), 1);
        ck_assert_int_ge(json_number(out, "answers_ENOENT"), 2); /* try_key and wait_key_gone */
        ck_assert_int_ge(json_number(out, "answers_ok"), 2);
        ck_assert_int_eq(json_number(out, "pool_pages_added_2048kB"), 1);
        ck_assert_int_eq(json_number(out, "pool_pages_returned_2048kB"), 1);
        ck_assert_int_eq(ctl_stdout(0, out, sizeof(out), (const char *const[]){"status", NULL}), 0);
        ck_assert_ptr_nonnull(strstr(out, "counters since start:"));
        ck_assert_ptr_nonnull(strstr(out, "segments_destroyed               1"));
        /* They tell of every user: others get none. */
        ck_assert_int_eq(
            ctl_stdout(NOBODY, out, sizeof(out), (const char *const[]){"status", "-j", NULL}), 0);
        ck_assert_msg(json_ok(out), "not JSON: %s", out);
        ck_assert_ptr_nonnull(strstr(out, "\"counters\": null"));
        ck_assert_int_eq(
            ctl_stdout(NOBODY, out, sizeof(out), (const char *const[]){"status", NULL}), 0);
        ck_assert_ptr_null(strstr(out, "counters"));
        pool_set(MB2, before);
}
END_TEST

/* log-level: anyone may ask, root may set it, until SIGHUP. */
START_TEST(log_level_at_run_time)
{
        char out[512];

        ck_assert_int_eq(
            ctl_stdout(NOBODY, out, sizeof(out), (const char *const[]){"log-level", NULL}), 0);
        ck_assert_str_eq(out, "info\n");
        ck_assert_int_eq(
            ctl_run(NOBODY, out, sizeof(out), (const char *const[]){"log-level", "debug", NULL}),
            1);
        ck_assert_ptr_nonnull(strstr(out, "only root may set the log level"));
        ck_assert_int_eq(
            ctl_stdout(0, out, sizeof(out), (const char *const[]){"log-level", "debug", NULL}), 0);
        ck_assert_str_eq(out, "debug\n");
        ck_assert_int_eq(
            ctl_stdout(0, out, sizeof(out), (const char *const[]){"--json", "log-level", NULL}), 0);
        ck_assert_str_eq(out, "{\"log_level\": \"debug\"}\n");
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"log-level", "loud", NULL}), 2);
        ck_assert_ptr_nonnull(strstr(out, "unknown log level 'loud'"));
        /* SIGHUP: the configuration's level (none here: info) again. */
        ck_assert_int_eq(kill(hp_daemon.pid, SIGHUP), 0);
        for (int i = 0; i < 200; i++) {
                ck_assert_int_eq(
                    ctl_stdout(0, out, sizeof(out), (const char *const[]){"log-level", NULL}), 0);
                if (strcmp(out, "info\n") == 0)
                        break;
                usleep(10000);
        }
        ck_assert_str_eq(out, "info\n");
}
END_TEST

static Suite *ctl_suite(void)
{
        Suite *s = suite_create("hugepagectl");
        TCase *tc = tcase_create("commands");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, list_shows_segments_with_their_users);
        tcase_add_test(tc, each_user_sees_what_it_may_read);
        tcase_add_test(tc, status_reports_the_kernel_pool);
        tcase_add_test(tc, remove_is_for_owner_or_root_and_waits_for_users);
        tcase_add_test(tc, remove_by_id);
        tcase_add_test(tc, exit_codes_and_messages);
        tcase_add_test(tc, status_counts_since_start);
        tcase_add_test(tc, log_level_at_run_time);
        tcase_add_test(tc, behaves_like_its_neighbours);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(ctl_suite());
}
