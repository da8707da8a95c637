/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_backend.c - the hugetlbfs backend, outside systemd: segments are
 * files on a real hugetlbfs mount, owned and moded like the segment, and a
 * hugepaged started again on the same directory finds them.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <hugepages.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define RW     (PROT_READ | PROT_WRITE)
#define NOBODY 65534

static char dir[64];  /* for the socket and the mount */
static char mnt[128]; /* a hugetlbfs mount of 2 MiB pages */
static char backend[160];

/* Once per test case, in Check's parent process (which survives a failed
 * test, unlike the forked test itself): the mount. */
static void mount_setup(void)
{
        strcpy(dir, "/tmp/hugepaged-backend.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        chmod(dir, 0755);
        snprintf(mnt, sizeof(mnt), "%s/huge", dir);
        ck_assert_int_eq(mkdir(mnt, 0755), 0);
        ck_assert_msg(mount("none", mnt, "hugetlbfs", 0, "pagesize=2M,mode=0755") == 0,
                      "mount hugetlbfs: %s", strerror(errno));
        snprintf(backend, sizeof(backend), "hugetlbfs:%s", mnt);
}

static void mount_teardown(void)
{
        umount2(mnt, MNT_DETACH);
        rmdir(mnt);
        rmdir(dir);
}

/* Per test: an empty directory (a failed test may leave segment files). */
static void setup(void)
{
        struct dirent *de;
        DIR *d = opendir(mnt);
        char path[400];

        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", mnt, de->d_name);
                unlink(path);
        }
        if (d)
                closedir(d);
        hp_base2m = pool_used(MB2);
        snprintf(hp_daemon.dir, sizeof(hp_daemon.dir), "%s", dir);
}

static void teardown(void)
{
        daemon_stop_clean(&hp_daemon);
}

static void start(void)
{
        char sock[sizeof(hp_daemon.sock)];

        snprintf(sock, sizeof(sock), "%s/hugepaged.sock", dir);
        daemon_start_args(&hp_daemon, sock, (const char *const[]){"--backend", backend, NULL});
}

static void kill_daemon(void)
{
        kill(hp_daemon.pid, SIGKILL);
        waitpid(hp_daemon.pid, NULL, 0);
        hp_daemon.pid = 0;
}

/* The segment file for a key, or "" (and its stat in *st). Segment files are
 * named by their record: hpd2-seg-ID-KEY-UID-GID-MODE-SIZE-PAGESIZE-CTIME. */
static const char *file_of(int key, struct stat *st)
{
        static char path[400];
        struct dirent *de;
        DIR *d = opendir(mnt);

        path[0] = '\0';
        while (d && (de = readdir(d))) {
                unsigned long long id;
                int k;

                if (sscanf(de->d_name, "hpd2-seg-%llu-%d-", &id, &k) == 2 && k == key) {
                        snprintf(path, sizeof(path), "%s/%s", mnt, de->d_name);
                        if (st)
                                stat(path, st);
                }
        }
        if (d)
                closedir(d);
        return path;
}

static int entries(void)
{
        struct dirent *de;
        DIR *d = opendir(mnt);
        int n = 0;

        while (d && (de = readdir(d)))
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

static int dir_empty(void *arg)
{
        (void)arg;
        return entries() == 0;
}

static int file_gone(void *arg)
{
        return file_of(*(int *)arg, NULL)[0] == '\0';
}

START_TEST(segments_are_files_owned_and_moded_like_them)
{
        struct stat st;
        char *p;
        pid_t holder;
        char out[64];

        start();
        p = alloc_hugepages(31, NULL, 2 * MB2, RW, IPC_CREAT | 0640);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        ck_assert_str_ne(file_of(31, &st), "");
        ck_assert_int_eq(st.st_size, 2 * MB2);
        ck_assert_int_eq(st.st_mode & 0777, 0640);
        ck_assert_int_eq(st.st_uid, 0);
        ck_assert_uint_eq(smaps_kernel_page_kb(p), 2048);
        /* Another user's segment is that user's file. */
        holder = helper_start_as(NOBODY, NOBODY, out, sizeof(out),
                                 (const char *const[]){"hold", "32", "2097152", "01604", NULL});
        ck_assert_str_eq(out, "ready");
        ck_assert_str_ne(file_of(32, &st), "");
        ck_assert_int_eq(st.st_uid, NOBODY);
        ck_assert_int_eq(st.st_gid, NOBODY);
        ck_assert_int_eq(st.st_mode & 0777, 0604);
        /* Sizes other than the mount's are refused. */
        expect_fail(alloc_hugepages(0, NULL, GB1, RW, SHM_HUGE_1GB), EINVAL);
        kill(holder, SIGKILL);
        wait_exit(holder);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_until(dir_empty, NULL, 2000));
        ck_assert(wait_used(MB2, hp_base2m, 2000));
}
END_TEST

START_TEST(a_new_daemon_finds_its_segments)
{
        char *p, *q;
        pid_t holder;
        char out[64];

        start();
        p = alloc_hugepages(33, NULL, MB2, RW, IPC_CREAT | 0600);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        strcpy(p, "kept in a file");
        holder = helper_start(out, sizeof(out),
                              (const char *const[]){"hold", "34", "2097152", "0x3b6", NULL});
        ck_assert_str_eq(out, "ready");

        kill_daemon();
        start();
        ck_assert_str_ne(file_of(34, NULL), "");
        /* The same key, the same bytes, without IPC_CREAT. */
        q = alloc_hugepages(33, NULL, MB2, PROT_READ, 0);
        ck_assert_ptr_ne(q, HUGEPAGES_FAILED);
        ck_assert_str_eq(q, "kept in a file");
        ck_assert_int_eq(free_hugepages(q), 0);
        /* Ours, from before the restart, frees cleanly (it registered again),
         * and with it goes the segment: no timer keeps it. */
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_until(file_gone, &(int){33}, 1000));
        /* Key 34's holder makes no call: its process lives, so it counts,
         * however long it stays idle. */
        sleep(3);
        ck_assert_str_ne(file_of(34, NULL), "");
        q = alloc_hugepages(34, NULL, MB2, PROT_READ, 0);
        ck_assert_ptr_ne(q, HUGEPAGES_FAILED);
        ck_assert_int_eq(free_hugepages(q), 0);
        ck_assert_str_ne(file_of(34, NULL), "");
        /* It exits: within a second its segment is gone. */
        kill(holder, SIGKILL);
        wait_exit(holder);
        ck_assert(wait_until(dir_empty, NULL, 1000));
        ck_assert(wait_used(MB2, hp_base2m, 2000));
        expect_fail(alloc_hugepages(34, NULL, MB2, PROT_READ, 0), ENOENT);
}
END_TEST

/* The documented difference without systemd's store (docs/systemd.md): a
 * holder that execs, or frees, while no daemon runs is known only by its
 * process, and counts until that process exits. Exited before the daemon
 * comes back, it never counts. */
START_TEST(without_a_store_a_process_counts_until_it_exits)
{
        pid_t execd, killed;
        char out[64];

        start();
        execd = helper_start(out, sizeof(out),
                             (const char *const[]){"exec-on-usr1", "36", "2097152", "0x3b6", NULL});
        ck_assert_str_eq(out, "ready");
        killed = helper_start(out, sizeof(out),
                              (const char *const[]){"hold", "37", "2097152", "0x3b6", NULL});
        ck_assert_str_eq(out, "ready");
        kill_daemon();
        kill(killed, SIGKILL);
        wait_exit(killed);
        kill(execd, SIGUSR1); /* execs sleep: its mapping is gone, its process not */
        usleep(100 * 1000);
        start();
        /* Killed while no daemon ran: gone as the daemon starts. */
        ck_assert(wait_until(file_gone, &(int){37}, 1000));
        /* Exec'd since: its process lives on, and so does the count. */
        ck_assert_str_ne(file_of(36, NULL), "");
        kill(execd, SIGKILL);
        wait_exit(execd);
        ck_assert(wait_until(dir_empty, NULL, 1000));
        ck_assert(wait_used(MB2, hp_base2m, 2000));
}
END_TEST

START_TEST(stop_and_start_keeps_segments_too)
{
        char *p, *q;
        int status;

        start();
        p = alloc_hugepages(35, NULL, MB2, RW, IPC_CREAT | 0600);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        strcpy(p, "across SIGTERM");
        kill(hp_daemon.pid, SIGTERM);
        waitpid(hp_daemon.pid, &status, 0);
        hp_daemon.pid = 0;
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ck_assert_str_ne(file_of(35, NULL), "");
        start();
        q = alloc_hugepages(35, NULL, MB2, PROT_READ, 0);
        ck_assert_ptr_ne(q, HUGEPAGES_FAILED);
        ck_assert_str_eq(q, "across SIGTERM");
        ck_assert_int_eq(free_hugepages(q), 0);
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_until(dir_empty, NULL, 4000));
        ck_assert(wait_used(MB2, hp_base2m, 2000));
}
END_TEST

/* A daemon that died while a pool was raised for a create left a marker: the
 * next one takes the raise back, never below where it started, and removes
 * the marker. */
START_TEST(a_growth_left_in_flight_is_undone)
{
        uint64_t base = pool_overcommit(MB2);
        char marker[300];

        start(); /* the harness notes the pools as they are */
        daemon_stop(&hp_daemon);
        pool_set_overcommit(MB2, base + 5);
        snprintf(marker, sizeof(marker), "%s/hpd2-pool-2097152-5-%" PRIu64, mnt, base);
        close(open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        start();
        ck_assert_uint_eq(pool_overcommit(MB2), base);
        ck_assert_int_eq(access(marker, F_OK), -1);
        /* The administrator lowered it meanwhile: never below the base. */
        daemon_stop(&hp_daemon);
        pool_set_overcommit(MB2, base + 2);
        close(open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        start();
        ck_assert_uint_eq(pool_overcommit(MB2), base);
        ck_assert_int_eq(access(marker, F_OK), -1);
        ck_assert_int_eq(entries(), 0);
}
END_TEST

START_TEST(not_hugetlbfs_is_refused)
{
        const char *argv[] = {HUGEPAGED_BIN, "--socket",       "/tmp/unused.sock",
                              "--backend",   "hugetlbfs:/tmp", NULL};
        int status;
        pid_t pid = fork();

        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);

                dup2(null, 2);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}
END_TEST

static Suite *backend_suite(void)
{
        Suite *s = suite_create("backend");
        TCase *tc = tcase_create("hugetlbfs");

        tcase_add_unchecked_fixture(tc, mount_setup, mount_teardown);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, segments_are_files_owned_and_moded_like_them);
        tcase_add_test(tc, a_new_daemon_finds_its_segments);
        tcase_add_test(tc, without_a_store_a_process_counts_until_it_exits);
        tcase_add_test(tc, stop_and_start_keeps_segments_too);
        tcase_add_test(tc, a_growth_left_in_flight_is_undone);
        tcase_add_test(tc, not_hugetlbfs_is_refused);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(backend_suite());
}
