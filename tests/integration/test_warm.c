/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_warm.c - the warm pool (--warm PAGESIZE:BYTES, [Pool] Warm=): memory
 * made and zeroed before it is asked for, as the kernel counts it
 * (HugePages_* in /proc/meminfo); a create taking it (the mapping's file is
 * the pool's, /proc/self/maps says); never a previous user's bytes; given
 * back when the setting shrinks and when the daemon stops.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <hugepages.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define RW (PROT_READ | PROT_WRITE)

static char confdir[64], conf[96];
static uint64_t overcommit_before, total_before;

static void setup(void)
{
        strcpy(confdir, "/tmp/hugepaged-warm.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(confdir));
        chmod(confdir, 0755);
        snprintf(conf, sizeof(conf), "%s/hugepaged.conf", confdir);
        write_file(conf, "");
        hp_base2m = pool_used(MB2);
        overcommit_before = pool_overcommit(MB2);
        total_before = pool_total(MB2);
}

/* What the daemon holds goes back with it: pages, and the pool's settings. */
static void teardown(void)
{
        daemon_stop(&hp_daemon);
        if (pool_total(MB2) != total_before) /* a test that failed half way */
                pool_set(MB2, total_before);
        ck_assert_msg(wait_used(MB2, hp_base2m, 3000),
                      "2048 kB pages in use after the stop: %" PRIu64 ", %" PRIu64
                      " before the daemon",
                      pool_used(MB2), hp_base2m);
        ck_assert_uint_eq(pool_overcommit(MB2), overcommit_before);
        unlink(hp_daemon.log);
        unlink(conf);
        rmdir(confdir);
}

static void start(const char *const *extra)
{
        snprintf(hp_daemon.log, sizeof(hp_daemon.log), "%s/daemon.log", confdir);
        const char *argv[8] = {"--config", conf};
        int n = 2;

        while (extra && *extra && n < 7)
                argv[n++] = *extra++;
        argv[n] = NULL;
        daemon_start(&hp_daemon, argv);
}

/* Whether the mapping at p is of a file the warm pool made. */
static int from_warm_pool(const void *p)
{
        FILE *f = fopen("/proc/self/maps", "re");
        char line[512];
        int found = 0;

        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f)) {
                unsigned long lo, hi;

                if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && (unsigned long)p >= lo &&
                    (unsigned long)p < hi)
                        found = strstr(line, "/memfd:hugepaged:warm") != NULL;
        }
        fclose(f);
        return found;
}

static int all_zero(const char *p, size_t len)
{
        for (size_t i = 0; i < len; i += 4096)
                if (memcmp(p + i, (const char[4096]){0}, 4096))
                        return 0;
        return 1;
}

START_TEST(warm_memory_is_made_ahead_and_zero_filled)
{
        char *p, *q;

        start((const char *const[]){"--warm", "2M:8M", NULL});
        /* Made before anyone asks: the kernel counts 4 pages in use. */
        ck_assert(wait_used(MB2, hp_base2m + 4, 5000));
        p = must_alloc(0, MB2, RW, 0);
        ck_assert(from_warm_pool(p));
        ck_assert(all_zero(p, MB2));
        ck_assert_uint_eq(smaps_kernel_page_kb(p), MB2 / 1024);
        memset(p, 0xa5, MB2);
        /* The pool made again, beside the segment. */
        ck_assert(wait_used(MB2, hp_base2m + 5, 5000));
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_used(MB2, hp_base2m + 4, 2000));
        /* Keyed, and again and again: never the bytes of one freed before. */
        for (int i = 0; i < 6; i++) {
                q = must_alloc(7001, MB2, RW, IPC_CREAT | 0600);
                ck_assert(from_warm_pool(q));
                ck_assert_msg(all_zero(q, MB2), "round %d: warm memory not zero-filled", i);
                memset(q, 0x5a, MB2);
                ck_assert_int_eq(free_hugepages(q), 0);
                ck_assert(wait_key_gone(7001, 1000));
                ck_assert(wait_used(MB2, hp_base2m + 4, 5000));
        }
}
END_TEST

START_TEST(a_large_create_takes_it_whole)
{
        size_t len = 32 * MB2;
        char *p;

        start((const char *const[]){"--warm", "2M:64M", NULL});
        ck_assert(wait_used(MB2, hp_base2m + 32, 10000));
        p = must_alloc(0, len, RW, 0);
        ck_assert(from_warm_pool(p));
        for (size_t off = 0; off < len; off += MB2)
                ck_assert_int_eq(p[off], 0);
        ck_assert_uint_eq(smaps_kernel_page_kb(p + len - MB2), MB2 / 1024);
        /* Larger than what is ready: made as ever, not from the pool. */
        {
                char *big = must_alloc(0, 48 * MB2, RW, 0);

                ck_assert(!from_warm_pool(big));
                ck_assert_int_eq(free_hugepages(big), 0);
        }
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_used(MB2, hp_base2m + 32, 10000));
}
END_TEST

START_TEST(given_back_when_the_setting_shrinks)
{
        char out[2048];

        write_file(conf, "[Pool]\nWarm=2M:8M\n");
        start(NULL);
        ck_assert(wait_used(MB2, hp_base2m + 4, 5000));
        /* Counted as the daemon's own. */
        ck_assert_int_eq(ctl_stdout(0, out, sizeof(out), (const char *const[]){"status", NULL}), 0);
        ck_assert_msg(strstr(out, "pool_warm_bytes_2048kB           8388608"), "%s", out);
        write_file(conf, "[Pool]\nWarm=2M:2M\n");
        ck_assert_int_eq(kill(hp_daemon.pid, SIGHUP), 0);
        ck_assert(wait_used(MB2, hp_base2m + 1, 3000));
        write_file(conf, "[Pool]\nWarm=\n");
        ck_assert_int_eq(kill(hp_daemon.pid, SIGHUP), 0);
        ck_assert(wait_used(MB2, hp_base2m, 3000));
        /* And it grows again. */
        write_file(conf, "[Pool]\nWarm=2M:4M\n");
        ck_assert_int_eq(kill(hp_daemon.pid, SIGHUP), 0);
        ck_assert(wait_used(MB2, hp_base2m + 2, 5000));
}
END_TEST

/* The teardown checks it: every page back, the settings as they were. */
START_TEST(given_back_when_the_daemon_stops)
{
        char *p;

        start((const char *const[]){"--warm", "2M:16M", NULL});
        ck_assert(wait_used(MB2, hp_base2m + 8, 5000));
        p = must_alloc(0, MB2, RW, 0);
        ck_assert_int_eq(free_hugepages(p), 0);
}
END_TEST

/* CPU time the daemon has used (user + system), in clock ticks. */
static unsigned long cpu_ticks(pid_t pid)
{
        char path[64], buf[1024], *p;
        unsigned long utime = 0, stime = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
        fclose(f);
        p = strrchr(buf, ')');
        ck_assert_ptr_nonnull(p);
        /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
        ck_assert_int_eq(
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime),
            2);
        return utime + stime;
}

/* A piece that cannot be made (no free page, growth off) is tried again a
 * second later, and once the pool is made the worker idles: no loop on a
 * retry that is due or done. */
START_TEST(a_pool_made_late_leaves_the_worker_idle)
{
        unsigned long before;

        write_file(conf, "[Pool]\nGrow=no\n");
        start((const char *const[]){"--warm", "2M:8M", NULL});
        usleep(300 * 1000);
        ck_assert_int_eq(used2m(), 0);
        pool_set(MB2, pool_used(MB2) + 4); /* free pages at last */
        ck_assert(wait_used(MB2, hp_base2m + 4, 5000));
        usleep(200 * 1000);
        before = cpu_ticks(hp_daemon.pid);
        sleep(2);
        /* A worker spinning on its timed wait would have used about 200. */
        ck_assert_uint_le(cpu_ticks(hp_daemon.pid) - before, 20);
        /* The teardown sets the pool back. */
}
END_TEST

START_TEST(bad_settings_are_refused)
{
        static const char *const bad[] = {"3M:8M", "2M:3M", "2M", ":8M", "2M:x"};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char cmd[256];

                snprintf(cmd, sizeof(cmd),
                         "%s --socket %s/x.sock --config %s --warm %s 2>/dev/null", HUGEPAGED_BIN,
                         confdir, conf, bad[i]);
                ck_assert_msg(WEXITSTATUS(system(cmd)) == 2, "--warm %s was accepted", bad[i]);
        }
        start(NULL); /* for the teardown */
}
END_TEST

int main(void)
{
        Suite *s = suite_create("warm");
        TCase *tc = tcase_create("warm");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, warm_memory_is_made_ahead_and_zero_filled);
        tcase_add_test(tc, a_large_create_takes_it_whole);
        tcase_add_test(tc, given_back_when_the_setting_shrinks);
        tcase_add_test(tc, given_back_when_the_daemon_stops);
        tcase_add_test(tc, a_pool_made_late_leaves_the_worker_idle);
        tcase_add_test(tc, bad_settings_are_refused);
        suite_add_tcase(s, tc);
        return hp_run(s);
}
