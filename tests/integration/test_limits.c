/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_limits.c - hugepaged.conf(5) and the limits: no local user can take
 * the machine, and what one user is refused costs no one else anything.
 *
 * Unprivileged users are the helper (or a forked child) after setuid();
 * what they hold is judged by the kernel's figures, and what they are
 * refused by errno.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <hugepages.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "hp_proto.h"
#include "wire.h"

#define RW    (PROT_READ | PROT_WRITE)
#define ALICE 65534
#define BOB   65533
#define NOGRP 65534
#define TEAM  4242 /* a group by number: no /etc/group entry needed */

static char confdir[64], conf[128];

static void setup(void)
{
        strcpy(confdir, "/tmp/hugepaged-conf.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(confdir));
        chmod(confdir, 0755);
        snprintf(conf, sizeof(conf), "%s/hugepaged.conf", confdir);
        hp_base2m = pool_used(MB2);
}

static void remove_tree(const char *dir)
{
        char cmd[160];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
        daemon_stop_clean(&hp_daemon);
        remove_tree(confdir);
}

/* The daemon on this configuration (its log in confdir/daemon.log). */
static void start(const char *text)
{
        write_file(conf, text);
        snprintf(hp_daemon.log, sizeof(hp_daemon.log), "%s/daemon.log", confdir);
        daemon_start(&hp_daemon, (const char *const[]){"--config", conf, NULL});
}

/* A helper as uid that fills up to n segments of len: "COUNT RESULT". It
 * keeps running (its pid in *pid) until killed. */
static const char *fill_as(uid_t uid, int n, size_t len, pid_t *pid)
{
        static char out[64];
        char a[2][32];

        snprintf(a[0], sizeof(a[0]), "%d", n);
        snprintf(a[1], sizeof(a[1]), "%zu", len);
        *pid = helper_start_as(uid, NOGRP, out, sizeof(out),
                               (const char *const[]){"fill", a[0], a[1], "0", NULL});
        return out;
}

static void end(pid_t pid)
{
        if (pid > 0) {
                kill(pid, SIGKILL);
                wait_exit(pid);
        }
}

static int used_at_most(void *arg)
{
        return pool_used(MB2) <= *(uint64_t *)arg;
}

/* fill, then end it: the result alone, once its pages are back. */
static const char *fill_once(uid_t uid, int n, size_t len)
{
        static char copy[64];
        uint64_t before = pool_used(MB2);
        pid_t pid;

        snprintf(copy, sizeof(copy), "%s", fill_as(uid, n, len, &pid));
        end(pid);
        ck_assert(wait_until(used_at_most, &before, 3000));
        return copy;
}

START_TEST(each_user_has_its_own_allowance)
{
        pid_t a, b;

        start("[Limits]\nMaxBytes=8M\n");
        ck_assert_str_eq(fill_as(ALICE, 5, MB2, &a), "4 EDQUOT");
        /* Bob is unaffected by Alice's being full. */
        ck_assert_str_eq(fill_as(BOB, 4, MB2, &b), "4 OK");
        ck_assert_uint_eq(used2m(), 8);
        end(b);
        /* A free gives the allowance back: Alice frees one, and gets one. */
        kill(a, SIGUSR1);
        ck_assert(wait_used(MB2, hp_base2m + 3, 3000));
        ck_assert_str_eq(fill_once(ALICE, 2, MB2), "1 EDQUOT");
        /* So does the holder's death: all four back. */
        end(a);
        ck_assert(wait_used(MB2, hp_base2m, 3000));
        ck_assert_str_eq(fill_once(ALICE, 5, MB2), "4 EDQUOT");
        /* Root is not limited by [Limits]. */
        ck_assert_ptr_ne(must_alloc(0, 5 * MB2, RW, 0), NULL);
}
END_TEST

/* Every group of the user counts (supplementary ones too), the most
 * generous wins, and [User:] wins over [Group:]. */
START_TEST(group_and_user_sections)
{
        gid_t team[] = {TEAM};
        char text[256], out[64];

        snprintf(text, sizeof(text),
                 "[Limits]\nMaxBytes=2M\n[Group:%d]\nMaxBytes=6M\n[User:%d]\nMaxSegments=1\n", TEAM,
                 BOB);
        start(text);
        ck_assert_str_eq(fill_once(ALICE, 4, MB2), "1 EDQUOT");
        /* In the group (a supplementary one): 6 MiB, not 8. */
        ck_assert_int_eq(
            helper_run_as(ALICE, NOGRP, team, 1, out, sizeof(out),
                          (const char *const[]){"try", "0", "6291456", "3", "0", NULL}),
            0);
        ck_assert_str_eq(out, "OK");
        ck_assert_int_eq(
            helper_run_as(ALICE, NOGRP, team, 1, out, sizeof(out),
                          (const char *const[]){"try", "0", "8388608", "3", "0", NULL}),
            0);
        ck_assert_str_eq(out, "EDQUOT");
        /* Bob's own section limits his count; his bytes come from [Limits]. */
        ck_assert_str_eq(fill_once(BOB, 3, MB2), "1 EDQUOT");
}
END_TEST

START_TEST(per_page_size_limit)
{
        start("[Limits]\nMaxBytes=16M\nMaxBytes2M=4M\n");
        ck_assert_str_eq(fill_once(ALICE, 3, MB2), "2 EDQUOT");
        /* One segment larger than the limit is refused whole. */
        ck_assert_str_eq(fill_once(ALICE, 1, 3 * MB2), "0 EDQUOT");
}
END_TEST

START_TEST(all_users_ceiling)
{
        pid_t a, b;

        start("[Limits]\nMaxBytes=infinity\nMaxBytesAllUsers=8M\n");
        ck_assert_str_eq(fill_as(ALICE, 3, MB2, &a), "3 OK");
        ck_assert_str_eq(fill_as(BOB, 3, MB2, &b), "1 EDQUOT");
        end(b);
        /* Root does not count, and is not refused. */
        ck_assert_ptr_ne(must_alloc(0, 4 * MB2, RW, 0), NULL);
        end(a);
        ck_assert_str_eq(fill_once(BOB, 5, MB2), "4 EDQUOT");
}
END_TEST

/* MaxGrow= bounds what the daemon adds to the pool: past it, the machine
 * has no pages to give (ENOMEM), for root too. */
START_TEST(pool_growth_ceiling)
{
        char *p;

        pool_set(MB2, pool_used(MB2)); /* no free pages: every page must be added */
        start("[Pool]\nMaxGrow=4M\n");
        p = must_alloc(0, 2 * MB2, RW, 0);
        expect_fail(alloc_hugepages(0, NULL, MB2, RW, 0), ENOMEM);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_used(MB2, hp_base2m, 3000));
        ck_assert_ptr_ne(must_alloc(0, 2 * MB2, RW, 0), NULL);
}
END_TEST

/* The administrator's pages are the administrator's: raised by hand while
 * the daemon's segments hold pages, they stay, can be mapped, and once the
 * segments are gone the pool is exactly the administrator's figure; across
 * a restart of the daemon too. */
START_TEST(administrators_pages_stay_theirs)
{
        uint64_t figure;
        char out[64];
        pid_t holder;
        void *mine;
        char *seg;

        pool_set(MB2, pool_used(MB2)); /* no free pages: the daemon must grow */
        start("");
        seg = must_alloc(0, 16 * MB2, RW, 0);
        holder = helper_start(out, sizeof(out),
                              (const char *const[]){"hold", "77", "8388608", "0x3b6", NULL});
        ck_assert_str_eq(out, "ready");
        figure = pool_total(MB2) + 64; /* what the administrator writes */
        pool_set(MB2, figure);
        sleep(3); /* past any period the daemon might have */
        ck_assert_uint_ge(pool_total(MB2), figure);
        mine = mmap(NULL, 64 * MB2, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
                    -1, 0);
        ck_assert_ptr_ne(mine, MAP_FAILED);
        munmap(mine, 64 * MB2);
        ck_assert_int_eq(free_hugepages(seg), 0);
        /* A restart while the helper holds key 77. */
        daemon_stop(&hp_daemon);
        pool_set(MB2, figure); /* daemon_stop put back the pool the test began with */
        start("");
        ck_assert_uint_ge(pool_total(MB2), figure);
        end(holder);
        ck_assert(wait_total(MB2, figure, 3000));
        sleep(3);
        ck_assert_uint_eq(pool_total(MB2), figure);
        ck_assert_uint_eq(pool_free(MB2), figure - pool_used(MB2));
}
END_TEST

/* Whether the machine has memory for a segment of bytes (and half as much
 * again for everything else). If not, says so loudly; on CI it fails. */
static int enough_memory_for(uint64_t bytes)
{
        if (meminfo("MemAvailable") * 1024 >= bytes + bytes / 2)
                return 1;
        fprintf(stderr, "\n*** %s: too little memory for a %" PRIu64 " MiB segment ***\n\n",
                getenv("CI") ? "FAILED" : "NOT TESTED", bytes >> 20);
        ck_assert_msg(!getenv("CI"), "CI needs the memory for this test");
        return 0;
}

/* Creates take turns: while one user's 12 GiB segment is being made, root's
 * 2 MiB request is answered within 100 ms, again and again. */
START_TEST(a_small_create_never_waits_for_a_large_one)
{
        const uint64_t big = UINT64_C(12) << 30;
        char out[64] = "";
        int answered = 0;
        pid_t pid;

        if (!enough_memory_for(big))
                return;
        start("[Limits]\nMaxBytes=infinity\nMaxBytesAllUsers=infinity\n[Pool]\nMaxGrow=90%\n");
        pid = fork();
        if (pid == 0) {
                /* Zeroing 12 GiB of memory the host has yet to back takes a
                 * while on a virtual machine (14 s here). */
                int st = helper_run_as_within(
                    ALICE, NOGRP, NULL, 0, out, sizeof(out),
                    (const char *const[]){"try", "0", "12884901888", "3", "0", NULL}, 120000);

                _exit(st == 0 && strcmp(out, "OK") == 0 ? 0 : 1);
        }
        /* While its pages are being made: */
        for (int i = 0; i < 2000 && pool_used(MB2) - hp_base2m < 512; i++)
                usleep(1000);
        while (pool_used(MB2) - hp_base2m < big / MB2 - 1024) {
                double t = now_ms();
                void *p = must_alloc(0, MB2, RW, 0);

                ck_assert_msg(now_ms() - t < 100, "root waited %.1f ms", now_ms() - t);
                ck_assert_int_eq(free_hugepages(p), 0);
                answered++;
                usleep(20 * 1000);
        }
        ck_assert_int_ge(answered, 3);
        ck_assert_int_eq(wait_exit(pid), 0);
        ck_assert(wait_used(MB2, hp_base2m, 30000));
}
END_TEST

/* A create that takes longer than the library's bound on silence is no
 * silence: the daemon says it is working on it (PROGRESS) every second. */
START_TEST(a_long_create_outlasts_the_librarys_bound)
{
        const size_t big = (size_t)12 << 30;
        double t;
        char *p;

        if (!enough_memory_for(big))
                return;
        start("");
        setenv("HUGEPAGED_TIMEOUT", "1.5", 1);
        t = now_ms();
        p = must_alloc(0, big, RW, 0);
        fprintf(stderr, "a 12 GiB create took %.0f ms (the bound on silence: 1500)\n",
                now_ms() - t);
        ck_assert_int_eq(free_hugepages(p), 0);
        unsetenv("HUGEPAGED_TIMEOUT");
        ck_assert(wait_used(MB2, hp_base2m, 30000));
}
END_TEST

/* Without systemd's store or a hugetlbfs directory, a pool raise in flight
 * is marked beside the socket: a daemon that died in the middle (here: the
 * marker and the raise it left, made by hand) has it undone by the next. */
START_TEST(a_plain_daemon_undoes_a_raise_left_in_flight)
{
        char sock[160], marker[200], value[160];
        uint64_t base;

        start(""); /* the harness notes the pools as they are */
        daemon_stop(&hp_daemon);
        base = pool_overcommit(MB2);
        pool_set_overcommit(MB2, base + 7);
        snprintf(marker, sizeof(marker), "%s/hpd2-pool-2097152-7-%" PRIu64, confdir, base);
        write_file(marker, "");
        snprintf(sock, sizeof(sock), "%s/hugepaged.sock", confdir);
        daemon_start_args(&hp_daemon, sock, (const char *const[]){"--config", conf, NULL});
        ck_assert_uint_eq(pool_overcommit(MB2), base);
        ck_assert_int_eq(access(marker, F_OK), -1);
        ck_assert_int_eq(access(conf, F_OK), 0); /* nothing else there touched */
        /* And a create's raise leaves no marker behind. */
        pool_set(MB2, pool_used(MB2));
        ck_assert_int_eq(free_hugepages(must_alloc(0, 2 * MB2, RW, 0)), 0);
        ck_assert_uint_eq(pool_overcommit(MB2), base);
        snprintf(value, sizeof(value), "ls %s | grep -c hpd2-pool", confdir);
        ck_assert_int_ne(system(value), 0);
}
END_TEST

/* With no configuration at all: one user stops at a quarter of RAM, and
 * root and another user are still served. */
START_TEST(defaults_keep_a_user_to_a_quarter)
{
        uint64_t quarter = meminfo("MemTotal") * 1024 / 4, seg = 64 * MB2;
        char *mine, out[64];
        long count;
        char err[32];
        pid_t a;

        start("");
        /* A quarter of memory in huge pages may need compaction: time. */
        a = helper_start_as_within(ALICE, NOGRP, out, sizeof(out),
                                   (const char *const[]){"fill", "100000", "134217728", "0", NULL},
                                   120000);
        ck_assert_int_eq(sscanf(out, "%ld %31s", &count, err), 2);
        ck_assert_str_eq(err, "EDQUOT");
        ck_assert_uint_le((uint64_t)count * seg, quarter);
        ck_assert_uint_gt((uint64_t)(count + 1) * seg, quarter);
        ck_assert_uint_eq(used2m(), (uint64_t)count * 64);
        mine = must_alloc(0, MB2, RW, 0);
        ck_assert_str_eq(fill_once(BOB, 1, MB2), "1 OK");
        ck_assert_int_eq(free_hugepages(mine), 0);
        end(a);
        ck_assert(wait_used(MB2, hp_base2m, 10000));
}
END_TEST

/* A child as uid that opens n connections and keeps them until told. */
static pid_t connect_flood(uid_t uid, int n, int *ready_fd, int *go_fd)
{
        int ready[2], go[2];
        pid_t pid;

        ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
        ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
        pid = fork();
        if (pid == 0) {
                struct rlimit rl = {(rlim_t)n + 64, (rlim_t)n + 64};
                int opened = 0;
                char c;

                close(ready[0]);
                close(go[1]);
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || setgroups(0, NULL) < 0 ||
                    setgid(NOGRP) < 0 || setuid(uid) < 0)
                        _exit(126);
                for (int i = 0; i < n; i++)
                        opened += wire_connect(hp_daemon.sock) >= 0;
                (void)!write(ready[1], &opened, sizeof(opened));
                (void)!read(go[0], &c, 1);
                _exit(0);
        }
        close(ready[1]);
        close(go[0]);
        *ready_fd = ready[0];
        *go_fd = go[1];
        return pid;
}

/* A stand-in for systemd's notify socket, emptied by a thread (the daemon
 * would block on a full one), its descriptors closed. */
struct notify_sink {
        int fd, stop;
        pthread_t thread;
        char path[128];
};

static void *sink_run(void *arg)
{
        struct notify_sink *s = arg;

        while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
                struct pollfd p = {.fd = s->fd, .events = POLLIN};
                char buf[512];
                int fd;

                if (poll(&p, 1, 50) > 0)
                        (void)hp_proto_recv(s->fd, buf, sizeof(buf), &fd, 0, MSG_DONTWAIT, NULL,
                                            NULL);
        }
        return NULL;
}

static void sink_start(struct notify_sink *s)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};

        snprintf(s->path, sizeof(s->path), "%s/notify", confdir);
        ck_assert_uint_lt(strlen(s->path), sizeof(a.sun_path));
        memcpy(a.sun_path, s->path, strlen(s->path) + 1);
        s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(s->fd, 0);
        ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
        s->stop = 0;
        ck_assert_int_eq(pthread_create(&s->thread, NULL, sink_run, s), 0);
}

static void sink_stop(struct notify_sink *s)
{
        __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
        pthread_join(s->thread, NULL);
        close(s->fd);
}

/* Under systemd everything the daemon keeps must fit in the store: past it,
 * a new segment is ENOSPC and a new connection is refused, and room comes
 * back with what goes. ($FDSTORE=4: two for the daemon's own, two for a
 * connection and a segment.) */
START_TEST(a_full_store_refuses_new_segments_and_connections)
{
        struct notify_sink sink;
        char out[64];
        char *p, *q;

        sink_start(&sink);
        setenv("NOTIFY_SOCKET", sink.path, 1);
        setenv("FDSTORE", "5", 1); /* the ledger, the state, the key epoch, and two */
        start("");
        unsetenv("NOTIFY_SOCKET");
        unsetenv("FDSTORE");
        p = must_alloc(0, MB2, RW, 0); /* our connection, and its segment */
        expect_fail(alloc_hugepages(0, NULL, MB2, RW, 0), ENOSPC);
        helper_run(out, sizeof(out), (const char *const[]){"try", "0", "2097152", "3", "0", NULL});
        ck_assert_str_eq(out, "ENOSYS"); /* refused at the door */
        ck_assert_int_eq(free_hugepages(p), 0);
        q = must_alloc(0, MB2, RW, 0); /* room again */
        ck_assert_int_eq(free_hugepages(q), 0);
        sink_stop(&sink); /* the daemon's messages now fail, never block */
}
END_TEST

START_TEST(ten_thousand_connections_leave_root_served)
{
        int ready, go, opened = 0, fds;
        double t;
        char *p;
        pid_t pid;

        start("");
        pid = connect_flood(ALICE, 10000, &ready, &go);
        ck_assert_int_eq(read(ready, &opened, sizeof(opened)), sizeof(opened));
        ck_assert_int_eq(opened, 10000); /* connect() succeeds: the daemon refuses after */
        /* Root is answered at once, and the daemon holds what one user may. */
        t = now_ms();
        p = must_alloc(0, MB2, RW, 0);
        ck_assert_double_lt(now_ms() - t, 1000);
        ck_assert_int_eq(free_hugepages(p), 0);
        fds = fd_count_settled(hp_daemon.pid);
        ck_assert_int_le(fds, hp_daemon.fds + 256 + 2);
        ck_assert_int_eq(write(go, "x", 1), 1);
        ck_assert_int_eq(wait_exit(pid), 0);
        close(ready);
        close(go);
        /* The log says so once, not ten thousand times. */
        {
                char cmd[600], out[32] = "";
                FILE *f;

                snprintf(cmd, sizeof(cmd), "grep -c 'connection refused' '%s'", hp_daemon.log);
                f = popen(cmd, "r");
                ck_assert_ptr_nonnull(f);
                ck_assert_ptr_nonnull(fgets(out, sizeof(out), f));
                pclose(f);
                ck_assert_int_le(atoi(out), 3);
                ck_assert_int_ge(atoi(out), 1);
        }
}
END_TEST

START_TEST(twenty_thousand_holds_leave_root_served)
{
        int conns[16], granted = 0, refused = 0, st[2];
        pid_t pid;
        char *p;

        start("");
        ck_assert_int_eq(pipe(st), 0);
        pid = fork();
        if (pid == 0) {
                struct hp_fork req = {0};
                struct hp_msg m;

                close(st[0]);
                if (setgroups(0, NULL) < 0 || setgid(NOGRP) < 0 || setuid(ALICE) < 0)
                        _exit(126);
                for (int c = 0; c < 16; c++) {
                        conns[c] = wire_connect(hp_daemon.sock);
                        if (conns[c] < 0 || wire_greet(conns[c]) < 0)
                                _exit(1);
                }
                for (int i = 0; i < 20000; i++) {
                        int fd = conns[i % 16];

                        if (wire_send(fd, HP_MSG_FORK, (uint64_t)i, &req, sizeof(req)) < 0 ||
                            wire_recv(fd, &m, NULL) < 0)
                                _exit(2);
                        if (m.u.fork_reply.st.status == 0)
                                granted++;
                        else if (m.u.fork_reply.st.status == EDQUOT)
                                refused++;
                }
                (void)!write(st[1], &granted, sizeof(granted));
                (void)!write(st[1], &refused, sizeof(refused));
                pause(); /* keeps its holds until killed */
                _exit(0);
        }
        close(st[1]);
        ck_assert_int_eq(read(st[0], &granted, sizeof(granted)), sizeof(granted));
        ck_assert_int_eq(read(st[0], &refused, sizeof(refused)), sizeof(refused));
        close(st[0]);
        ck_assert_int_eq(granted, 64); /* MaxForkHolds= by default */
        ck_assert_int_eq(refused, 20000 - 64);
        p = must_alloc(0, MB2, RW, 0);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert_int_le(fd_count_settled(hp_daemon.pid), hp_daemon.fds + 16 + 2);
        kill(pid, SIGKILL);
        wait_exit(pid);
}
END_TEST

START_TEST(drop_in_overrides_the_main_file)
{
        char dropins[160], path[200];

        snprintf(dropins, sizeof(dropins), "%s.d", conf);
        ck_assert_int_eq(mkdir(dropins, 0755), 0);
        snprintf(path, sizeof(path), "%s/20-later.conf", dropins);
        write_file(path, "[Limits]\nMaxBytes=8M\n");
        snprintf(path, sizeof(path), "%s/10-earlier.conf", dropins);
        write_file(path, "[Limits]\nMaxBytes=4M\n");
        snprintf(path, sizeof(path), "%s/ignored.txt", dropins);
        write_file(path, "[Limits]\nMaxBytes=1G\n");
        start("[Limits]\nMaxBytes=2M\n");
        ck_assert_str_eq(fill_once(ALICE, 5, MB2), "4 EDQUOT");
}
END_TEST

/* Run hugepaged on a configuration that must be refused: exit 1, and the
 * first line of its complaint. */
static int refused_config(const char *text, char *line, size_t len)
{
        int p[2], status;
        pid_t pid;
        FILE *f;

        write_file(conf, text);
        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        if (pid == 0) {
                dup2(p[1], 2);
                execl(HUGEPAGED_BIN, HUGEPAGED_BIN, "--config", conf, "--socket",
                      "/tmp/hugepaged-never.sock", (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        f = fdopen(p[0], "r");
        line[0] = '\0';
        while (fgets(line, (int)len, f) && !strstr(line, "configuration"))
                ;
        fclose(f);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

START_TEST(bad_configuration_is_refused_with_file_and_line)
{
        char line[512], want[256];

        ck_assert_int_eq(refused_config("[Limits]\n# fine\nMaxByts=1G\n", line, sizeof(line)), 1);
        snprintf(want, sizeof(want), "%s:3: MaxByts=: unknown key", conf);
        ck_assert_msg(strstr(line, want), "'%s' lacks '%s'", line, want);
        ck_assert_int_eq(refused_config("[Limits]\nMaxBytes=lots\n", line, sizeof(line)), 1);
        snprintf(want, sizeof(want), "%s:2: MaxBytes=: 'lots' is not a size", conf);
        ck_assert_msg(strstr(line, want), "'%s' lacks '%s'", line, want);
        ck_assert_int_eq(refused_config("[Limitz]\nMaxBytes=1G\n", line, sizeof(line)), 1);
        /* (A section is judged at its first key.) */
        snprintf(want, sizeof(want), "%s:2: [Limitz]: unknown section", conf);
        ck_assert_msg(strstr(line, want), "'%s' lacks '%s'", line, want);
        ck_assert_int_eq(refused_config("[Pool]\nGrow=perhaps\n", line, sizeof(line)), 1);
        ck_assert_ptr_nonnull(strstr(line, ":2: Grow=: 'perhaps' is neither yes nor no"));
        ck_assert_int_eq(refused_config("[Limits]\nMaxBytes=101%\n", line, sizeof(line)), 1);
        ck_assert_int_eq(
            refused_config("[User:no-such-user-here]\nMaxBytes=1G\n", line, sizeof(line)), 1);
        ck_assert_ptr_nonnull(strstr(line, "no such user"));
}
END_TEST

/* Polls for a result from fill_once (the daemon handles SIGHUP when it
 * gets to it). */
static int fill_says(uid_t uid, int n, const char *want, int ms)
{
        for (int waited = 0; waited <= ms; waited += 100) {
                if (strcmp(fill_once(uid, n, MB2), want) == 0)
                        return 1;
                usleep(100 * 1000);
        }
        return 0;
}

START_TEST(sighup_applies_new_limits_and_keeps_old_on_error)
{
        char cmd[600], out[16] = "";
        FILE *f;
        pid_t a;

        start("[Limits]\nMaxBytes=4M\n");
        ck_assert_str_eq(fill_as(ALICE, 2, MB2, &a), "2 OK");
        /* Lower the limit below what Alice holds: nothing is destroyed. */
        write_file(conf, "[Limits]\nMaxBytes=2M\n");
        kill(hp_daemon.pid, SIGHUP);
        ck_assert(fill_says(ALICE, 1, "0 EDQUOT", 2000));
        ck_assert_uint_eq(used2m(), 2);
        end(a);
        ck_assert_str_eq(fill_once(ALICE, 2, MB2), "1 EDQUOT");
        /* Raise it. */
        write_file(conf, "[Limits]\nMaxBytes=8M\n");
        kill(hp_daemon.pid, SIGHUP);
        ck_assert(fill_says(ALICE, 5, "4 EDQUOT", 2000));
        /* A broken file: the old limits stay, and the log says why. */
        write_file(conf, "[Limits]\nMaxBytes=8M\nMaxSegments=many\n");
        kill(hp_daemon.pid, SIGHUP);
        usleep(300 * 1000);
        ck_assert_str_eq(fill_once(ALICE, 5, MB2), "4 EDQUOT");
        snprintf(cmd, sizeof(cmd), "grep -c '%s:3: MaxSegments=' '%s'", conf, hp_daemon.log);
        f = popen(cmd, "r");
        ck_assert_ptr_nonnull(fgets(out, sizeof(out), f));
        pclose(f);
        ck_assert_int_eq(atoi(out), 1);
        /* SIGHUP, again and again, never ends it. */
        for (int i = 0; i < 5; i++)
                kill(hp_daemon.pid, SIGHUP);
        usleep(300 * 1000);
        ck_assert_int_eq(kill(hp_daemon.pid, 0), 0);
        ck_assert_str_eq(fill_once(ALICE, 1, MB2), "1 OK");
}
END_TEST

/* SIGUSR1 and SIGUSR2 are ignored, SIGQUIT stops it cleanly (its socket
 * file is gone). */
START_TEST(common_signals_never_kill_it_uncleanly)
{
        int status;

        start("");
        kill(hp_daemon.pid, SIGUSR1);
        kill(hp_daemon.pid, SIGUSR2);
        usleep(200 * 1000);
        ck_assert_int_eq(kill(hp_daemon.pid, 0), 0);
        ck_assert_ptr_ne(must_alloc(0, MB2, RW, 0), NULL);
        daemon_check_clean(&hp_daemon);
        kill(hp_daemon.pid, SIGQUIT);
        ck_assert_int_eq(waitpid(hp_daemon.pid, &status, 0), hp_daemon.pid);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ck_assert_int_eq(access(hp_daemon.sock, F_OK), -1);
        hp_daemon.pid = 0;
}
END_TEST

START_TEST(usage_is_what_the_kernel_sees)
{
        char out[8192], want[128];
        uint64_t before = pool_used(MB2);
        pid_t a;

        start("[Limits]\nMaxBytes=64M\n");
        ck_assert_str_eq(fill_as(ALICE, 3, MB2, &a), "3 OK");
        ck_assert_uint_eq(pool_used(MB2) - before, 3);
        /* Root sees every user; Alice's bytes are the kernel's three pages. */
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"--json", "users", NULL}), 0);
        snprintf(want, sizeof(want), "{\"uid\": %d, \"user\": ", ALICE);
        ck_assert_ptr_nonnull(strstr(out, want));
        snprintf(want, sizeof(want), "\"bytes\": %zu, \"max_bytes\": %zu, \"segments\": 3", 3 * MB2,
                 32 * MB2);
        ck_assert_msg(strstr(out, want), "'%s' lacks '%s'", out, want);
        /* Alice sees her own usage in status, and only herself in users. */
        ck_assert_int_eq(
            ctl_run(ALICE, out, sizeof(out), (const char *const[]){"--json", "status", NULL}), 0);
        ck_assert_msg(strstr(out, want), "'%s' lacks '%s'", out, want);
        ck_assert_int_eq(
            ctl_run(BOB, out, sizeof(out), (const char *const[]){"--json", "users", NULL}), 0);
        ck_assert_ptr_null(strstr(out, "\"uid\": 65534"));
        ck_assert_ptr_nonnull(strstr(out, "\"uid\": 65533"));
        ck_assert_ptr_nonnull(strstr(out, "\"all_users\": null"));
        end(a);
}
END_TEST

static Suite *limits_suite(void)
{
        Suite *s = suite_create("limits");
        TCase *tc = tcase_create("limits");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, each_user_has_its_own_allowance);
        tcase_add_test(tc, group_and_user_sections);
        tcase_add_test(tc, per_page_size_limit);
        tcase_add_test(tc, all_users_ceiling);
        tcase_add_test(tc, pool_growth_ceiling);
        tcase_add_test(tc, administrators_pages_stay_theirs);
        tcase_add_test(tc, a_plain_daemon_undoes_a_raise_left_in_flight);
        tcase_add_test(tc, a_small_create_never_waits_for_a_large_one);
        tcase_add_test(tc, a_long_create_outlasts_the_librarys_bound);
        tcase_add_test(tc, defaults_keep_a_user_to_a_quarter);
        tcase_add_test(tc, a_full_store_refuses_new_segments_and_connections);
        tcase_add_test(tc, ten_thousand_connections_leave_root_served);
        tcase_add_test(tc, twenty_thousand_holds_leave_root_served);
        suite_add_tcase(s, tc);
        tc = tcase_create("config");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, drop_in_overrides_the_main_file);
        tcase_add_test(tc, bad_configuration_is_refused_with_file_and_line);
        tcase_add_test(tc, sighup_applies_new_limits_and_keeps_old_on_error);
        tcase_add_test(tc, common_signals_never_kill_it_uncleanly);
        tcase_add_test(tc, usage_is_what_the_kernel_sees);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(limits_suite());
}
