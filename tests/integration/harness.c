/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * harness.c - see harness.h.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <grp.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hugepages.h>

#include "harness.h"

struct daemon hp_daemon;

/* The pools as the first daemon of this process found them: their sizes,
 * and the pages in use then. */
size_t hp_page_sizes[8];
int hp_npage_sizes;
static uint64_t saved_pool[8], saved_overcommit[8], used_at_start[8];
static int pool_saved;

static void find_page_sizes(void)
{
        struct dirent *de;
        DIR *d = opendir("/sys/kernel/mm/hugepages");
        unsigned long kb;

        ck_assert_msg(d != NULL, "no /sys/kernel/mm/hugepages: %s", strerror(errno));
        hp_npage_sizes = 0;
        while ((de = readdir(d)) && hp_npage_sizes < 8)
                if (sscanf(de->d_name, "hugepages-%lukB", &kb) == 1)
                        hp_page_sizes[hp_npage_sizes++] = (size_t)kb * 1024;
        closedir(d);
        ck_assert_int_gt(hp_npage_sizes, 0);
}

static void sysfs_path(char *buf, size_t len, size_t page_size, const char *file)
{
        snprintf(buf, len, "/sys/kernel/mm/hugepages/hugepages-%zukB/%s", page_size / 1024, file);
}

static uint64_t sysfs_read(size_t page_size, const char *file)
{
        char path[128], buf[32] = {0};
        int fd;

        sysfs_path(path, sizeof(path), page_size, file);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
        ck_assert_int_gt(read(fd, buf, sizeof(buf) - 1), 0);
        close(fd);
        return strtoull(buf, NULL, 10);
}

static void sysfs_write(size_t page_size, const char *file, uint64_t n)
{
        char path[128], buf[32];
        int fd, len;

        sysfs_path(path, sizeof(path), page_size, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
        len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", n);
        ck_assert_int_eq(write(fd, buf, (size_t)len), len);
        close(fd);
}

/* The pools as they were before the test touched them (a test may set one
 * before its first daemon starts): what daemon_stop() puts back. */
static void save_pools(void)
{
        if (pool_saved)
                return;
        find_page_sizes();
        for (int i = 0; i < hp_npage_sizes; i++) {
                saved_pool[i] = pool_total(hp_page_sizes[i]);
                saved_overcommit[i] = sysfs_read(hp_page_sizes[i], "nr_overcommit_hugepages");
                used_at_start[i] = pool_used(hp_page_sizes[i]);
        }
        pool_saved = 1;
}

void pool_set(size_t page_size, uint64_t n)
{
        save_pools();
        sysfs_write(page_size, "nr_hugepages", n);
}

uint64_t pool_total(size_t page_size)
{
        return sysfs_read(page_size, "nr_hugepages");
}

uint64_t pool_free(size_t page_size)
{
        return sysfs_read(page_size, "free_hugepages");
}

uint64_t pool_used(size_t page_size)
{
        uint64_t total = pool_total(page_size), free = pool_free(page_size);

        return total - free;
}

uint64_t meminfo(const char *field)
{
        char line[128];
        size_t flen = strlen(field);
        uint64_t v = 0;
        FILE *f = fopen("/proc/meminfo", "re");

        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, field, flen) == 0 && line[flen] == ':')
                        v = strtoull(line + flen + 1, NULL, 10);
        fclose(f);
        return v;
}

unsigned long smaps_kernel_page_kb(const void *addr)
{
        char line[512];
        unsigned long kb = 0;
        int inside = 0;
        FILE *f = fopen("/proc/self/smaps", "re");

        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f)) {
                unsigned long lo, hi;

                if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
                        inside = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
                        continue;
                }
                if (inside && sscanf(line, "KernelPageSize: %lu kB", &kb) == 1)
                        break;
        }
        fclose(f);
        return inside ? kb : 0;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

int fd_count(pid_t pid)
{
        char path[64];
        struct dirent *de;
        DIR *d;
        int n = 0;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        d = opendir(path);
        ck_assert_msg(d != NULL, "opendir %s: %s", path, strerror(errno));
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return pid == getpid() ? n - 1 : n;
}

int fd_count_settled(pid_t pid)
{
        int last = fd_count(pid), same = 0;

        for (int i = 0; i < 200 && same < 5; i++) {
                int n;

                sleep_ms(10);
                n = fd_count(pid);
                same = n == last ? same + 1 : 0;
                last = n;
        }
        return last;
}

int fd_count_reaches(pid_t pid, int want, int ms)
{
        int n = fd_count(pid);

        for (int waited = 0; n != want && waited < ms; waited += 5) {
                sleep_ms(5);
                n = fd_count(pid);
        }
        return n;
}

int wait_until(int (*cond)(void *), void *arg, int ms)
{
        for (int waited = 0;; waited += 5) {
                int r = cond(arg);

                if (r || waited >= ms)
                        return r;
                sleep_ms(5);
        }
}

struct used_arg {
        size_t size;
        uint64_t want;
};

static int used_is(void *arg)
{
        struct used_arg *u = arg;

        return pool_used(u->size) == u->want;
}

int wait_used(size_t page_size, uint64_t want, int ms)
{
        struct used_arg u = {page_size, want};

        return wait_until(used_is, &u, ms);
}

static int total_is(void *arg)
{
        struct used_arg *u = arg;

        return pool_total(u->size) == u->want;
}

int wait_total(size_t page_size, uint64_t want, int ms)
{
        struct used_arg u = {page_size, want};

        return wait_until(total_is, &u, ms);
}

static int connectable(void *arg)
{
        struct daemon *d = arg;
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), r;

        strcpy(a.sun_path, d->sock);
        r = connect(fd, (struct sockaddr *)&a, sizeof(a));
        close(fd);
        return r == 0;
}

/* Descriptors of pid that are segments' memory (a memfd "hugepaged:...", a
 * hugetlbfs file "hpd2-seg-..."). */
static int segment_fds(pid_t pid)
{
        char dir[64], path[400], target[400];
        struct dirent *de;
        DIR *d;
        int n = 0;

        snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
        d = opendir(dir);
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                ssize_t len;

                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                len = readlink(path, target, sizeof(target) - 1);
                if (len <= 0)
                        continue;
                target[len] = '\0';
                /* Segments, and the pidfds of processes a restarted daemon
                 * watches for what they held before it: both go with them. */
                n += strstr(target, "/memfd:hugepaged:") || strstr(target, "/hpd2-seg-") ||
                     strstr(target, "[pidfd]");
        }
        closedir(d);
        return n;
}

static void spawn_daemon(struct daemon *d, const char *const *extra)
{
        const char *argv[16] = {HUGEPAGED_BIN, "--socket", d->sock};
        int n = 3;

        save_pools();
        while (extra && *extra && n < 15)
                argv[n++] = *extra++;
        argv[n] = NULL;
        d->pid = fork();
        ck_assert_int_ge(d->pid, 0);
        if (d->pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (d->log[0]) {
                        int log = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

                        if (log >= 0)
                                dup2(log, 2);
                }
                close_range(3, ~0U, 0); /* nothing of the test's leaks in */
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        ck_assert_msg(wait_until(connectable, d, 5000), "hugepaged did not come up on %s", d->sock);
        setenv("HUGEPAGED_SOCKET", d->sock, 1);
        /* Segments a restarted daemon found are not part of its own. */
        d->fds = fd_count_settled(d->pid) - segment_fds(d->pid);
}

void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
        fputs(text, f);
        fclose(f);
}

void daemon_start(struct daemon *d, const char *const *extra)
{
        strcpy(d->dir, "/tmp/hugepaged-test.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(d->dir));
        chmod(d->dir, 0755); /* tests connect as other users too */
        snprintf(d->sock, sizeof(d->sock), "%s/hugepaged.sock", d->dir);
        spawn_daemon(d, extra);
}

void daemon_start_at(struct daemon *d, const char *sock)
{
        daemon_start_args(d, sock, NULL);
}

void daemon_start_args(struct daemon *d, const char *sock, const char *const *extra)
{
        snprintf(d->sock, sizeof(d->sock), "%s", sock);
        spawn_daemon(d, extra);
}

static void remove_dir(const char *dir)
{
        struct dirent *de;
        DIR *d = opendir(dir);
        char path[384];

        if (!d)
                return;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                unlink(path);
        }
        closedir(d);
        rmdir(dir);
}

void daemon_stop(struct daemon *d)
{
        int status = 0;

        if (d->pid > 0) {
                kill(d->pid, SIGTERM);
                for (int i = 0; i < 500; i++) {
                        if (waitpid(d->pid, &status, WNOHANG) == d->pid)
                                break;
                        sleep_ms(10);
                        if (i == 499) {
                                kill(d->pid, SIGKILL);
                                waitpid(d->pid, &status, 0);
                        }
                }
                d->pid = 0;
        }
        if (d->dir[0])
                remove_dir(d->dir);
        for (int i = 0; i < hp_npage_sizes && pool_saved; i++) {
                if (pool_total(hp_page_sizes[i]) != saved_pool[i])
                        pool_set(hp_page_sizes[i], saved_pool[i]);
                if (sysfs_read(hp_page_sizes[i], "nr_overcommit_hugepages") != saved_overcommit[i])
                        sysfs_write(hp_page_sizes[i], "nr_overcommit_hugepages",
                                    saved_overcommit[i]);
        }
}

/* Whether our descriptor NAME (in /proc/self/fd) is a segment's. */
static int fd_is_segment(const char *name)
{
        char path[300], target[400];
        ssize_t len;

        snprintf(path, sizeof(path), "/proc/self/fd/%s", name);
        len = readlink(path, target, sizeof(target) - 1);
        if (len <= 0)
                return 0;
        target[len] = '\0';
        return strstr(target, "/memfd:hugepaged:") || strstr(target, "/hpd2-seg-");
}

/* What this process's exit would do for the daemon: unmap every segment
 * (memfds named "hugepaged:...", hugetlbfs files named "hpd2-seg-..."),
 * close the descriptors of them the library keeps, and close every connection
 * to d. The test is over; nothing uses them after. */
static void let_go_as_exit_would(const struct daemon *d)
{
        char line[512];
        FILE *f = fopen("/proc/self/maps", "re");
        struct dirent *de;
        DIR *dir;

        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f)) {
                unsigned long lo, hi;

                if ((strstr(line, "/memfd:hugepaged:") || strstr(line, "/hpd2-seg-")) &&
                    sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
                        munmap((void *)lo, hi - lo);
        }
        fclose(f);
        dir = opendir("/proc/self/fd");
        ck_assert_ptr_nonnull(dir);
        while ((de = readdir(dir))) {
                struct sockaddr_un a;
                socklen_t len = sizeof(a);
                int fd = atoi(de->d_name);

                if (de->d_name[0] == '.' || fd == dirfd(dir))
                        continue;
                memset(&a, 0, sizeof(a));
                if (getpeername(fd, (struct sockaddr *)&a, &len) == 0 && a.sun_family == AF_UNIX &&
                    strcmp(a.sun_path, d->sock) == 0)
                        close(fd);
                else if (fd_is_segment(de->d_name))
                        close(fd); /* kept by the library for mapping a key again */
        }
        closedir(dir);
}

void daemon_check_clean(struct daemon *d)
{
        let_go_as_exit_would(d);
        if (d->pid > 0) {
                int n = fd_count_reaches(d->pid, d->fds, 3000);

                ck_assert_msg(n == d->fds, "the daemon has %d descriptors, %d when it came up", n,
                              d->fds);
        }
        for (int i = 0; i < hp_npage_sizes && pool_saved; i++) {
                ck_assert_msg(wait_used(hp_page_sizes[i], used_at_start[i], 3000),
                              "%zu kB pages in use: %" PRIu64 ", %" PRIu64 " at the start",
                              hp_page_sizes[i] / 1024, pool_used(hp_page_sizes[i]),
                              used_at_start[i]);
                /* A pool growth is always taken back. */
                ck_assert_uint_eq(sysfs_read(hp_page_sizes[i], "nr_overcommit_hugepages"),
                                  saved_overcommit[i]);
        }
}

void daemon_stop_clean(struct daemon *d)
{
        daemon_check_clean(d);
        daemon_stop(d);
}

int hp_need_page_size(size_t page_size)
{
        uint64_t before;
        int ok;

        if (!hp_npage_sizes)
                find_page_sizes();
        before = pool_total(page_size);
        pool_set(page_size, before + 1);
        ok = pool_total(page_size) > before;
        pool_set(page_size, before);
        if (ok)
                return 1;
        fprintf(stderr,
                "\n*** %s: this machine cannot make %zu kB huge pages; the test of "
                "them did not run ***\n\n",
                getenv("CI") ? "FAILED" : "NOT TESTED", page_size / 1024);
        ck_assert_msg(!getenv("CI"), "CI needs %zu kB huge pages, and cannot make one",
                      page_size / 1024);
        return 0;
}

uint64_t hp_base2m;

uint64_t used2m(void)
{
        return pool_used(MB2) - hp_base2m;
}

/* A failed assertion exits the test process without running teardown:
 * stop the daemon and restore the pools then too. */
static pid_t fixture_owner;

static void stop_at_exit(void)
{
        if (hp_daemon.pid > 0 && getpid() == fixture_owner)
                daemon_stop(&hp_daemon);
}

void hp_setup(void)
{
        hp_base2m = pool_used(MB2);
        fixture_owner = getpid();
        atexit(stop_at_exit);
        daemon_start(&hp_daemon, NULL);
}

void hp_teardown(void)
{
        daemon_stop_clean(&hp_daemon);
}

double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int wait_exit(pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                ck_assert_int_eq(errno, EINTR);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

struct identity {
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t ngroups;
};

const char *copy_for_others(const char *bin)
{
        static char path[256];
        const char *name = strrchr(bin, '/') ? strrchr(bin, '/') + 1 : bin;
        char buf[65536];
        int in, out;
        ssize_t n;

        ck_assert_msg(hp_daemon.dir[0], "no daemon directory to copy %s into", name);
        snprintf(path, sizeof(path), "%s/%s", hp_daemon.dir, name);
        if (access(path, X_OK) == 0)
                return path;
        in = open(bin, O_RDONLY | O_CLOEXEC);
        out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        ck_assert_msg(in >= 0 && out >= 0, "copy %s to %s: %s", bin, path, strerror(errno));
        while ((n = read(in, buf, sizeof(buf))) > 0)
                ck_assert_int_eq(write(out, buf, (size_t)n), n);
        close(in);
        close(out);
        return path;
}

const char *helper_path_for_others(void)
{
        return copy_for_others(HELPER_BIN);
}

/* fork + exec the helper, as id unless NULL; its stdout to *rfd unless NULL. */
static pid_t spawn(int *rfd, const struct identity *id, const char *const *args)
{
        const char *argv[16] = {id ? helper_path_for_others() : HELPER_BIN};
        int n = 1, p[2] = {-1, -1};
        pid_t pid;

        while (*args && n < 15)
                argv[n++] = *args++;
        argv[n] = NULL;
        if (rfd)
                ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                if (rfd)
                        dup2(p[1], 1);
                if (id && (setgroups(id->ngroups, id->groups) < 0 || setgid(id->gid) < 0 ||
                           setuid(id->uid) < 0))
                        _exit(126);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        if (rfd) {
                close(p[1]);
                *rfd = p[0];
        }
        return pid;
}

/* Read one line (waiting up to ms) into out, without its newline. */
static void read_line_within(int fd, char *out, size_t outlen, int ms)
{
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        size_t got = 0;

        while (got + 1 < outlen && poll(&pfd, 1, ms) == 1) {
                if (read(fd, out + got, 1) != 1 || out[got] == '\n')
                        break;
                got++;
        }
        out[got] = '\0';
}

static void read_line(int fd, char *out, size_t outlen)
{
        read_line_within(fd, out, outlen, 10000);
}

pid_t helper_spawn(const char *const *args)
{
        return spawn(NULL, NULL, args);
}

pid_t helper_start(char *out, size_t outlen, const char *const *args)
{
        int fd;
        pid_t pid = spawn(&fd, NULL, args);

        read_line(fd, out, outlen);
        close(fd);
        return pid;
}

pid_t helper_start_as(uid_t uid, gid_t gid, char *out, size_t outlen, const char *const *args)
{
        return helper_start_as_within(uid, gid, out, outlen, args, 10000);
}

pid_t helper_start_as_within(uid_t uid, gid_t gid, char *out, size_t outlen,
                             const char *const *args, int ms)
{
        struct identity id = {uid, gid, NULL, 0};
        int fd;
        pid_t pid = spawn(&fd, &id, args);

        read_line_within(fd, out, outlen, ms);
        close(fd);
        return pid;
}

int helper_run_as(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, char *out,
                  size_t outlen, const char *const *args)
{
        return helper_run_as_within(uid, gid, groups, ngroups, out, outlen, args, 10000);
}

int helper_run_as_within(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, char *out,
                         size_t outlen, const char *const *args, int ms)
{
        struct identity id = {uid, gid, groups, ngroups};
        int fd;
        pid_t pid = spawn(&fd, &id, args);

        read_line_within(fd, out, outlen, ms);
        close(fd);
        return wait_exit(pid);
}

int helper_run(char *out, size_t outlen, const char *const *args)
{
        int fd;
        pid_t pid = spawn(&fd, NULL, args);

        read_line(fd, out, outlen);
        close(fd);
        return wait_exit(pid);
}

int hp_run(Suite *s)
{
        SRunner *sr = srunner_create(s);
        int failed;

        srunner_set_fork_status(sr, CK_FORK);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}

/* hugepagectl runs as another user from a copy in the daemon's directory. */
static const char *ctl_path(int other)
{
        return other ? copy_for_others(HUGEPAGECTL_BIN) : HUGEPAGECTL_BIN;
}

/* Run hugepagectl (as uid unless 0) with args; its stdout and stderr into
 * out. Returns its exit status. */
static int ctl_spawn(uid_t uid, char *out, size_t len, const char *const *args, int with_stderr)
{
        const char *argv[16] = {ctl_path(uid != 0)};
        int n = 1, p[2], status;
        size_t got = 0;
        pid_t pid;

        while (*args && n < 15)
                argv[n++] = *args++;
        argv[n] = NULL;
        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        if (pid == 0) {
                dup2(p[1], 1);
                if (with_stderr)
                        dup2(p[1], 2);
                else
                        dup2(open("/dev/null", O_WRONLY | O_CLOEXEC), 2);
                if (uid && (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0))
                        _exit(126);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        close(p[1]);
        for (ssize_t r; got + 1 < len && (r = read(p[0], out + got, len - 1 - got)) > 0;)
                got += (size_t)r;
        out[got] = '\0';
        close(p[0]);
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int ctl_run(uid_t uid, char *out, size_t len, const char *const *args)
{
        return ctl_spawn(uid, out, len, args, 1);
}

int ctl_stdout(uid_t uid, char *out, size_t len, const char *const *args)
{
        return ctl_spawn(uid, out, len, args, 0);
}

uint64_t pool_overcommit(size_t page_size)
{
        return sysfs_read(page_size, "nr_overcommit_hugepages");
}

void pool_set_overcommit(size_t page_size, uint64_t n)
{
        save_pools();
        sysfs_write(page_size, "nr_overcommit_hugepages", n);
}

const char *try_alloc(int key, size_t len, int prot, int flag)
{
        static char out[64];
        char a[4][32];

        snprintf(a[0], sizeof(a[0]), "%d", key);
        snprintf(a[1], sizeof(a[1]), "%zu", len);
        snprintf(a[2], sizeof(a[2]), "%d", prot);
        snprintf(a[3], sizeof(a[3]), "%d", flag);
        ck_assert_int_eq(helper_run(out, sizeof(out),
                                    (const char *const[]){"try", a[0], a[1], a[2], a[3], NULL}),
                         0);
        return out;
}

const char *try_key(int key)
{
        return try_alloc(key, MB2, PROT_READ, 0);
}

static int key_gone(void *arg)
{
        return strcmp(try_key(*(int *)arg), "ENOENT") == 0;
}

int wait_key_gone(int key, int ms)
{
        return wait_until(key_gone, &key, ms);
}

void *must_alloc(int key, size_t len, int prot, int flag)
{
        void *p = alloc_hugepages(key, NULL, len, prot, flag);

        ck_assert_msg(p != HUGEPAGES_FAILED, "alloc_hugepages(%d, %zu, %d, %#o): %s", key, len,
                      prot, flag, strerror(errno));
        return p;
}

void expect_fail(void *p, int err)
{
        int e = errno;

        ck_assert_msg(p == HUGEPAGES_FAILED, "expected failure with %s", strerrorname_np(err));
        ck_assert_msg(e == err, "errno %s, expected %s", strerrorname_np(e), strerrorname_np(err));
}
