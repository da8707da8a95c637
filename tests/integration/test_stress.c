/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_stress.c - for a bounded time, processes allocate, free, fork, exec,
 * spawn and crash on a handful of keys and on private segments, while the
 * test kills some of them at random. At the end every key is gone, every
 * page is back and the daemon's descriptor count is where it started.
 *
 * HP_STRESS_SECONDS sets the duration (default 20; CI-friendly, under 5 min).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <hugepages.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define RW      (PROT_READ | PROT_WRITE)
#define WORKERS 6
#define KEYS    4
#define KEY0    9500
#define HELD    4

extern char **environ;

struct figures {
        atomic_long ops, errors, forks, execs, spawns, crashes;
};

static struct figures *fig; /* shared with every worker */

static unsigned long rnd(unsigned long *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

/* Some random operations; a forked child runs a few of them too. */
static void work(unsigned long seed, int rounds, int depth)
{
        char *held[HELD] = {0};
        unsigned long s = seed | 1;

        for (int i = 0; rounds < 0 || i < rounds; i++) {
                int slot = (int)(rnd(&s) % HELD), op = (int)(rnd(&s) % 100);

                if (op < 35) { /* alloc, keyed or private */
                        int key = rnd(&s) % 3 ? KEY0 + (int)(rnd(&s) % KEYS) : 0;
                        char *p;

                        if (held[slot])
                                continue;
                        p = alloc_hugepages(key, NULL, MB2, RW, IPC_CREAT | 0600);
                        if (p == HUGEPAGES_FAILED) {
                                fprintf(stderr, "stress: pid %d: alloc_hugepages(%d): %s\n",
                                        (int)getpid(), key, strerrorname_np(errno));
                                atomic_fetch_add(&fig->errors, 1);
                                continue;
                        }
                        p[rnd(&s) % MB2] = 1;
                        held[slot] = p;
                } else if (op < 70) { /* free */
                        if (!held[slot])
                                continue;
                        if (free_hugepages(held[slot]) != 0)
                                atomic_fetch_add(&fig->errors, 1);
                        held[slot] = NULL;
                } else if (op < 80 && depth < 2) { /* fork */
                        pid_t pid = fork();

                        if (pid == 0) {
                                int how = (int)(rnd(&s) % 4);

                                /* Key-0 pages are not in the child. */
                                for (int k = 0; k < HELD; k++)
                                        if (held[k] && free_hugepages(held[k]) != 0)
                                                held[k] = NULL; /* private: EINVAL */
                                if (how == 0) {
                                        atomic_fetch_add(&fig->execs, 1);
                                        execl("/bin/true", "true", (char *)NULL);
                                }
                                if (how == 1) {
                                        atomic_fetch_add(&fig->crashes, 1);
                                        raise(SIGKILL);
                                }
                                work(rnd(&s), 5, depth + 1);
                                _exit(0);
                        }
                        if (pid > 0)
                                atomic_fetch_add(&fig->forks, 1);
                } else if (op < 84) { /* posix_spawn */
                        char *argv[] = {"true", NULL};
                        pid_t pid;

                        if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) == 0)
                                atomic_fetch_add(&fig->spawns, 1);
                } else if (op < 85 && depth == 0) { /* crash */
                        atomic_fetch_add(&fig->crashes, 1);
                        raise(SIGKILL);
                }
                atomic_fetch_add(&fig->ops, 1);
        }
}

static pid_t start_worker(unsigned long seed)
{
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                setpgid(0, 0); /* its children too: killed as a group at the end */
                signal(SIGCHLD, SIG_IGN);
                work(seed, -1, 0);
                _exit(0);
        }
        setpgid(pid, pid);
        return pid;
}

START_TEST(mixed_processes_for_a_while)
{
        const char *env = getenv("HP_STRESS_SECONDS");
        int seconds = env ? atoi(env) : 20, fds = fd_count_settled(hp_daemon.pid);
        unsigned long s = (unsigned long)time(NULL) | 1;
        pid_t workers[WORKERS];
        long kills = 0, restarts = 0;
        time_t end = time(NULL) + seconds;
        uint64_t leaked_pages;
        int leaked_fds, status;
        pid_t pid;

        fig = mmap(NULL, sizeof(*fig), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(fig, MAP_FAILED);
        memset(fig, 0, sizeof(*fig));
        ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        for (int i = 0; i < WORKERS; i++)
                workers[i] = start_worker(rnd(&s));

        while (time(NULL) < end) {
                usleep(20000 + (useconds_t)(rnd(&s) % 30000));
                if (rnd(&s) % 2) {
                        int i = (int)(rnd(&s) % WORKERS);

                        kill(-workers[i], SIGKILL);
                        kills++;
                }
                /* Reap whatever ended (workers, orphans); replace dead workers. */
                while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                        ck_assert_int_ne(pid, hp_daemon.pid);
                        for (int i = 0; i < WORKERS; i++)
                                if (workers[i] == pid) {
                                        workers[i] = start_worker(rnd(&s));
                                        restarts++;
                                }
                }
        }
        /* Kill every worker with its children, and reap them all (they are
         * ours, as subreaper), but not the daemon, which is our child too. */
        for (int i = 0; i < WORKERS; i++) {
                kill(-workers[i], SIGKILL);
                while ((pid = waitpid(-workers[i], &status, 0)) > 0 || errno == EINTR)
                        ;
        }

        ck_assert(wait_used(MB2, hp_base2m, 5000));
        leaked_pages = used2m();
        leaked_fds = fd_count_reaches(hp_daemon.pid, fds, 5000) - fds;
        printf("stress: %d s, %ld operations, %ld allocation errors, %ld forks, %ld execs, "
               "%ld spawns, %ld crashes, %ld kills, %ld worker restarts; "
               "leaked pages %llu, leaked daemon descriptors %d\n",
               seconds, atomic_load(&fig->ops), atomic_load(&fig->errors), atomic_load(&fig->forks),
               atomic_load(&fig->execs), atomic_load(&fig->spawns), atomic_load(&fig->crashes),
               kills, restarts, (unsigned long long)leaked_pages, leaked_fds);
        fflush(stdout);
        if (leaked_fds) {
                char cmd[128];

                snprintf(cmd, sizeof(cmd), "ls -l /proc/%d/fd >&2", (int)hp_daemon.pid);
                (void)!system(cmd);
        }
        ck_assert_uint_eq(leaked_pages, 0);
        ck_assert_int_eq(leaked_fds, 0);
        for (int k = KEY0; k < KEY0 + KEYS; k++)
                ck_assert(wait_key_gone(k, 3000));
        ck_assert_int_eq(atomic_load(&fig->errors), 0);
        ck_assert_int_gt(atomic_load(&fig->ops), 1000);
        ck_assert_int_gt(atomic_load(&fig->forks), 10);
}
END_TEST

static Suite *stress_suite(void)
{
        Suite *s = suite_create("stress");
        TCase *tc = tcase_create("lifetimes");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 290);
        tcase_add_test(tc, mixed_processes_for_a_while);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(stress_suite());
}
