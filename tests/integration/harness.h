/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * harness.h - run a real hugepaged for a test, and read the kernel's word.
 *
 * Each test gets its own daemon on a socket in a fresh directory, started
 * with PR_SET_PDEATHSIG so that it cannot outlive the test process even when
 * the test fails half-way. Memory claims are judged from /proc/meminfo and
 * /sys/kernel/mm/hugepages, never from the daemon.
 */
#ifndef HP_TEST_HARNESS_H
#define HP_TEST_HARNESS_H

#include <stdint.h>
#include <sys/types.h>

#define MB2 ((size_t)2 << 20)
#define GB1 ((size_t)1 << 30)

struct daemon {
        pid_t pid;
        char dir[64];
        char sock[160];
        int fds;       /* its descriptors once it was up (settled), less segments' */
        char log[200]; /* if set before it starts: its stderr goes to this file */
};

/* The daemon of the running test, started by hp_setup(). */
extern struct daemon hp_daemon;

/* Start hugepaged with extra arguments (NULL-terminated list, may be empty)
 * and point $HUGEPAGED_SOCKET at it. Remembers the pools to restore them. */
void daemon_start(struct daemon *d, const char *const *extra);
/* Start hugepaged on the socket path sock (d->dir is left as it is). */
void daemon_start_at(struct daemon *d, const char *sock);
/* The same, with extra arguments (NULL-terminated). */
void daemon_start_args(struct daemon *d, const char *sock, const char *const *extra);
/* SIGTERM and wait; then restore the pools as they were at start. */
void daemon_stop(struct daemon *d);
/* What every test's teardown asserts: once this process has let go of what
 * it still holds, as its exit would (its mappings of segments, its
 * connections to d), the daemon's descriptors are back to what it had when
 * it came up, and the kernel's huge pages in use, of every size, to what
 * they were when the test's first daemon started. */
void daemon_check_clean(struct daemon *d);
/* daemon_check_clean, then daemon_stop. */
void daemon_stop_clean(struct daemon *d);

/* The page sizes the kernel offers (from sysfs), and how many. */
extern size_t hp_page_sizes[8];
extern int hp_npage_sizes;
/* Whether pages of that size can be had here (the pool can grow by one).
 * If not, says so loudly on stderr; under $CI it fails the test instead:
 * nothing is skipped on CI. */
int hp_need_page_size(size_t page_size);

/* Pages of 2 MiB in use when hp_setup() started the daemon, and in use now
 * beyond that. */
extern uint64_t hp_base2m;
uint64_t used2m(void);

/* Check fixtures: a default daemon per test; the teardown is
 * daemon_stop_clean(). */
void hp_setup(void);
void hp_teardown(void);

/* Descriptors open in a process (/proc/PID/fd). */
int fd_count(pid_t pid);

/* The count once it has stopped changing (the same for 50 ms; at most 2 s):
 * the daemon may not yet have noticed a connection that just closed. */
int fd_count_settled(pid_t pid);

/* Poll until the count is want (at most ms); return the last count seen.
 * A leak is permanent, so this is how tests assert there is none: the
 * worker thread opens sysfs files for a moment now and then. */
int fd_count_reaches(pid_t pid, int want, int ms);

/* Pool figures for a page size (bytes): from sysfs. */
uint64_t pool_total(size_t page_size);
uint64_t pool_free(size_t page_size);
/* Pages of that size in use: total - free. */
uint64_t pool_used(size_t page_size);
void pool_set(size_t page_size, uint64_t n);
/* A /proc/meminfo figure (the number as printed). */
uint64_t meminfo(const char *field);

/* KernelPageSize (kB) of the mapping containing addr in /proc/self/smaps, or 0. */
unsigned long smaps_kernel_page_kb(const void *addr);

/* Poll cond() every 5 ms for up to ms milliseconds; return its last value. */
int wait_until(int (*cond)(void *), void *arg, int ms);
/* Wait until pool_used(size) == want, up to ms. Returns 1 when it got there. */
int wait_used(size_t page_size, uint64_t want, int ms);

/* Wait until nr_hugepages of that size is want (the daemon gives pages back
 * just after the memory is freed). */
int wait_total(size_t page_size, uint64_t want, int ms);

/* Another process (the helper) calls alloc_hugepages(key, NULL, len, prot,
 * flag) and frees: "OK" or the errno's name (a static buffer). */
const char *try_alloc(int key, size_t len, int prot, int flag);
/* The same for attaching one 2 MiB page of key read-only, without IPC_CREAT. */
const char *try_key(int key);
/* Wait (up to ms) until another process gets ENOENT for key. 1 if it did. */
int wait_key_gone(int key, int ms);

/* Run hugepagectl (as uid unless 0, from a copy others may run) with args;
 * its stdout and stderr into out. Returns its exit status. */
int ctl_run(uid_t uid, char *out, size_t len, const char *const *args);
/* The same, with its stdout alone in out. */
int ctl_stdout(uid_t uid, char *out, size_t len, const char *const *args);

/* nr_overcommit_hugepages of a page size. */
uint64_t pool_overcommit(size_t page_size);
void pool_set_overcommit(size_t page_size, uint64_t n);

/* alloc_hugepages(key, NULL, len, prot, flag), which must succeed. */
void *must_alloc(int key, size_t len, int prot, int flag);
/* p is HUGEPAGES_FAILED and errno is err. */
void expect_fail(void *p, int err);

/* A copy of a (static, or libc-only) program in the daemon's directory
 * (0755), which any user may run wherever the build tree is. Returns its path
 * (a static buffer). */
const char *copy_for_others(const char *bin);
/* A copy of the helper in the daemon's directory (0755), which any user may
 * run wherever the build tree is. */
const char *helper_path_for_others(void);
/* fork + exec the helper with args (NULL-terminated); returns its pid. */
pid_t helper_spawn(const char *const *args);
/* CLOCK_MONOTONIC in milliseconds. */
double now_ms(void);
/* Wait for pid; return its exit status, or 128 + signal. */
int wait_exit(pid_t pid);
/* Start the helper and wait (up to 10 s) for its first output line, which is
 * put in out. Returns its pid; it keeps running. */
pid_t helper_start(char *out, size_t outlen, const char *const *args);
/* helper_start, as another user (no supplementary groups). */
pid_t helper_start_as(uid_t uid, gid_t gid, char *out, size_t outlen, const char *const *args);
/* The same, waiting up to ms for the first line (work that takes long). */
pid_t helper_start_as_within(uid_t uid, gid_t gid, char *out, size_t outlen,
                             const char *const *args, int ms);
/* Run the helper as another user (uid, gid, supplementary groups), capture
 * its first line. Returns its exit status. */
int helper_run_as(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, char *out,
                  size_t outlen, const char *const *args);
/* The same, waiting up to ms for the line (work that takes long). */
int helper_run_as_within(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, char *out,
                         size_t outlen, const char *const *args, int ms);
/* Run the helper and capture its first output line into out. Returns exit status. */
int helper_run(char *out, size_t outlen, const char *const *args);

/* Write text to path (made or emptied first). */
void write_file(const char *path, const char *text);

/* Run a suite (fork mode), print Check's summary; the exit status of main. */
#include <check.h>
int hp_run(Suite *s);

#endif
