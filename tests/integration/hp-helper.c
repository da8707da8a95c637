/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hp-helper.c - a separate program the integration tests fork and exec, so
 * that sharing, access and lifetimes are tested between real processes.
 *
 *   try KEY LEN PROT FLAG          alloc, print OK or the errno name, free
 *   stat KEY                       hugepages_stat(): "OK SIZE UID MODE USERS" or the errno
 *   remove KEY                     hugepages_remove(): OK or the errno name
 *   expect KEY LEN OFFSET TEXT     attach read-only, compare, print OK/MISMATCH
 *   write KEY LEN OFFSET TEXT      attach read-write, write TEXT, free
 *   ro-write KEY                   attach read-only; try to make it writable
 *   ro-then-rw KEY                 attach read-only, then read-write (writing "via-rw"
 *                                  if granted), then read-only again and try to make
 *                                  that writable: "rw=OK|ERRNO again=WRITABLE|ERRNO"
 *   hold KEY LEN FLAG              alloc read-write, print "ready", wait to be killed
 *   exec-after KEY LEN FLAG        alloc, print "ready", exec sleep
 *   exec-on-usr1 KEY LEN FLAG      alloc, print "ready"; on SIGUSR1 exec sleep (no
 *                                  library call in between)
 *   fork-free-exit KEY             create KEY, fork; the child prints "child PID" and
 *                                  waits to be killed, the parent frees KEY and exits
 *   churn KEY                      alloc/free KEY and a private segment forever
 *   hold-poke KEY [PKEY]           create or attach KEY (0666), print "ready"; on SIGUSR1
 *                                  make a library call and print "poked ERRNO|OK" (a
 *                                  private segment made and freed; with PKEY, PKEY
 *                                  created or attached and kept); on SIGTERM free KEY
 *                                  (and PKEY), print "freed RESULT" and exit
 *   mix KEY                        until SIGTERM: attach KEY, fork a child that exits or
 *                                  execs true, free; make and free a private segment;
 *                                  then print "mixed ROUNDS"
 *   hold-attach KEY                create KEY (0600) and attach it again, print "ready";
 *                                  on SIGUSR1 attach KEY once more, without IPC_CREAT,
 *                                  print "attached OK|ERRNO" and free that; on SIGTERM
 *                                  free the rest, print "freed RESULT" and exit
 *   pingpong KEY ROLE              1: create, write "ping", wait for "pong";
 *                                  2: attach, wait for "ping", write "pong"
 *   fill N LEN FLAG                make up to N private segments of LEN, print
 *                                  "COUNT OK" or "COUNT ERRNO" (the first refusal);
 *                                  then on SIGUSR1 free one and print "freed", on
 *                                  SIGTERM exit
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <hugepages.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
        const char *n = strerrorname_np(e);

        return n ? n : "?";
}

static long num(const char *s)
{
        return strtol(s, NULL, 0);
}

static void out(const char *s)
{
        printf("%s\n", s);
        fflush(stdout);
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

/* SIGUSR1 and SIGTERM, blocked, for sigwait(). */
static void block_usr1_term(sigset_t *set)
{
        sigemptyset(set);
        sigaddset(set, SIGUSR1);
        sigaddset(set, SIGTERM);
        sigprocmask(SIG_BLOCK, set, NULL);
}

/* Wait up to 10 s for text at p. */
static int wait_text(const volatile char *p, const char *text)
{
        for (int i = 0; i < 2000; i++) {
                if (memcmp((const char *)p, text, strlen(text)) == 0)
                        return 1;
                sleep_ms(5);
        }
        return 0;
}

int main(int argc, char **argv)
{
        const char *cmd = argc > 1 ? argv[1] : "";
        char *p;

        if (!strcmp(cmd, "try") && argc == 6) {
                p = alloc_hugepages((int)num(argv[2]), NULL, (size_t)num(argv[3]),
                                    (int)num(argv[4]), (int)num(argv[5]));
                if (p == HUGEPAGES_FAILED) {
                        out(ename(errno));
                        return 0;
                }
                out("OK");
                return free_hugepages(p) == 0 ? 0 : 1;
        }
        if (!strcmp(cmd, "stat") && argc == 3) {
                struct hugepages_stat st;
                char line[128];

                if (hugepages_stat((int)num(argv[2]), &st) < 0) {
                        out(ename(errno));
                        return 0;
                }
                snprintf(line, sizeof(line), "OK %zu %u %04o %lu", st.size, (unsigned)st.uid,
                         (unsigned)st.mode, st.users);
                out(line);
                return 0;
        }
        if (!strcmp(cmd, "remove") && argc == 3) {
                out(hugepages_remove((int)num(argv[2])) < 0 ? ename(errno) : "OK");
                return 0;
        }
        if (!strcmp(cmd, "expect") && argc == 6) {
                p = alloc_hugepages((int)num(argv[2]), NULL, (size_t)num(argv[3]), PROT_READ, 0);
                if (p == HUGEPAGES_FAILED) {
                        out(ename(errno));
                        return 2;
                }
                if (memcmp(p + num(argv[4]), argv[5], strlen(argv[5]))) {
                        out("MISMATCH");
                        return 1;
                }
                out("OK");
                return free_hugepages(p) == 0 ? 0 : 1;
        }
        if (!strcmp(cmd, "write") && argc == 6) {
                p = alloc_hugepages((int)num(argv[2]), NULL, (size_t)num(argv[3]),
                                    PROT_READ | PROT_WRITE, 0);
                if (p == HUGEPAGES_FAILED) {
                        out(ename(errno));
                        return 2;
                }
                memcpy(p + num(argv[4]), argv[5], strlen(argv[5]));
                out("OK");
                return free_hugepages(p) == 0 ? 0 : 1;
        }
        if (!strcmp(cmd, "ro-write") && argc == 3) {
                const char *mp, *rw;
                void *q;

                p = alloc_hugepages((int)num(argv[2]), NULL, 2 << 20, PROT_READ, 0);
                if (p == HUGEPAGES_FAILED) {
                        printf("attach=%s\n", ename(errno));
                        return 0;
                }
                mp = mprotect(p, 2 << 20, PROT_READ | PROT_WRITE) == 0 ? "WRITABLE" : ename(errno);
                q = alloc_hugepages((int)num(argv[2]), NULL, 2 << 20, PROT_READ | PROT_WRITE, 0);
                rw = q == HUGEPAGES_FAILED ? ename(errno) : "OK";
                printf("attach=OK mprotect=%s rw=%s\n", mp, rw);
                return 0;
        }
        if (!strcmp(cmd, "ro-then-rw") && argc == 3) {
                int key = (int)num(argv[2]);
                const char *rw, *again;
                char *q, *r;

                p = alloc_hugepages(key, NULL, 2 << 20, PROT_READ, 0);
                if (p == HUGEPAGES_FAILED) {
                        out(ename(errno));
                        return 1;
                }
                q = alloc_hugepages(key, NULL, 2 << 20, PROT_READ | PROT_WRITE, 0);
                rw = q == HUGEPAGES_FAILED ? ename(errno) : "OK";
                if (q != HUGEPAGES_FAILED)
                        strcpy(q, "via-rw");
                r = alloc_hugepages(key, NULL, 2 << 20, PROT_READ, 0);
                if (r == HUGEPAGES_FAILED) {
                        out(ename(errno));
                        return 1;
                }
                again =
                    mprotect(r, 2 << 20, PROT_READ | PROT_WRITE) == 0 ? "WRITABLE" : ename(errno);
                printf("rw=%s again=%s\n", rw, again);
                if (q != HUGEPAGES_FAILED)
                        free_hugepages(q);
                return free_hugepages(r) == 0 && free_hugepages(p) == 0 ? 0 : 1;
        }
        if ((!strcmp(cmd, "hold") || !strcmp(cmd, "exec-after") || !strcmp(cmd, "exec-on-usr1")) &&
            argc == 5) {
                sigset_t usr1;

                sigemptyset(&usr1);

                if (!strcmp(cmd, "exec-on-usr1"))
                        block_usr1_term(&usr1);
                p = alloc_hugepages((int)num(argv[2]), NULL, (size_t)num(argv[3]),
                                    PROT_READ | PROT_WRITE, (int)num(argv[4]));
                if (p == HUGEPAGES_FAILED) {
                        out(ename(errno));
                        return 1;
                }
                memcpy(p, "held", 4);
                out("ready");
                if (!strcmp(cmd, "exec-on-usr1")) {
                        int sig;

                        sigwait(&usr1, &sig);
                }
                if (strcmp(cmd, "hold")) {
                        execl("/bin/sleep", "sleep", "60", (char *)NULL);
                        return 1;
                }
                for (;;)
                        pause();
        }
        if (!strcmp(cmd, "fork-free-exit") && argc == 3) {
                pid_t pid;

                p = alloc_hugepages((int)num(argv[2]), NULL, 2 << 20, PROT_READ | PROT_WRITE,
                                    IPC_CREAT | 0600);
                if (p == HUGEPAGES_FAILED) {
                        out(ename(errno));
                        return 1;
                }
                strcpy(p, "from the parent");
                pid = fork();
                if (pid == 0) {
                        printf("child %d\n", (int)getpid());
                        fflush(stdout);
                        for (;;)
                                pause();
                }
                /* Free at once, and go: the child must still count. */
                return pid > 0 && free_hugepages(p) == 0 ? 0 : 1;
        }
        if (!strcmp(cmd, "mix") && argc == 3) {
                unsigned long rounds = 0;
                sigset_t set;
                int sig;

                block_usr1_term(&set);
                out("ready");
                for (;; rounds++) {
                        struct timespec none = {0, 0};
                        char *k = alloc_hugepages((int)num(argv[2]), NULL, 2 << 20,
                                                  PROT_READ | PROT_WRITE, IPC_CREAT | 0600);
                        char *q;
                        pid_t pid;

                        if (sigtimedwait(&set, NULL, &none) > 0)
                                break;
                        if (k != HUGEPAGES_FAILED) {
                                k[0]++;
                                pid = fork();
                                if (pid == 0 && rounds % 2)
                                        execl("/bin/true", "true", (char *)NULL);
                                if (pid == 0)
                                        _exit(k[0] == 0);
                                if (pid > 0)
                                        waitpid(pid, NULL, 0);
                                free_hugepages(k);
                        }
                        q = alloc_hugepages(0, NULL, 2 << 20, PROT_READ | PROT_WRITE, 0);
                        if (q != HUGEPAGES_FAILED) {
                                q[0] = 1;
                                free_hugepages(q);
                        }
                }
                (void)sig;
                printf("mixed %lu\n", rounds);
                return 0;
        }
        if (!strcmp(cmd, "churn") && argc == 3) {
                out("ready");
                for (;;) {
                        char *k = alloc_hugepages((int)num(argv[2]), NULL, 2 << 20,
                                                  PROT_READ | PROT_WRITE, IPC_CREAT | 0600);
                        char *q = alloc_hugepages(0, NULL, 2 << 20, PROT_READ | PROT_WRITE, 0);

                        if (k != HUGEPAGES_FAILED) {
                                k[0]++;
                                free_hugepages(k);
                        }
                        if (q != HUGEPAGES_FAILED) {
                                q[0] = 1;
                                free_hugepages(q);
                        }
                }
        }
        if (!strcmp(cmd, "hold-poke") && (argc == 3 || argc == 4)) {
                int pkey = argc == 4 ? (int)num(argv[3]) : 0;
                char *kept = NULL;
                sigset_t set;
                int sig;

                block_usr1_term(&set);
                p = alloc_hugepages((int)num(argv[2]), NULL, 2 << 20, PROT_READ | PROT_WRITE,
                                    IPC_CREAT | 0666);
                if (p == HUGEPAGES_FAILED) {
                        out(ename(errno));
                        return 1;
                }
                memcpy(p, "held", 4);
                out("ready");
                while (sigwait(&set, &sig) == 0) {
                        if (sig == SIGUSR1) {
                                char *q = alloc_hugepages(pkey, NULL, 2 << 20, PROT_READ,
                                                          pkey ? IPC_CREAT | 0666 : 0);

                                printf("poked %s\n", q == HUGEPAGES_FAILED ? ename(errno) : "OK");
                                fflush(stdout);
                                if (q != HUGEPAGES_FAILED && pkey && !kept)
                                        kept = q;
                                else if (q != HUGEPAGES_FAILED)
                                        free_hugepages(q);
                                continue;
                        }
                        if (kept)
                                free_hugepages(kept);
                        printf("freed %d\n", free_hugepages(p));
                        return 0;
                }
                return 1;
        }
        if (!strcmp(cmd, "hold-attach") && argc == 3) {
                int key = (int)num(argv[2]);
                char *again;
                sigset_t set;
                int sig;

                block_usr1_term(&set);
                p = alloc_hugepages(key, NULL, 2 << 20, PROT_READ | PROT_WRITE, IPC_CREAT | 0600);
                again = alloc_hugepages(key, NULL, 2 << 20, PROT_READ | PROT_WRITE, 0);
                if (p == HUGEPAGES_FAILED || again == HUGEPAGES_FAILED) {
                        out(ename(errno));
                        return 1;
                }
                out("ready");
                while (sigwait(&set, &sig) == 0) {
                        char *q;

                        if (sig != SIGUSR1) {
                                int r = free_hugepages(again);

                                printf("freed %d\n", r | free_hugepages(p));
                                return 0;
                        }
                        q = alloc_hugepages(key, NULL, 2 << 20, PROT_READ | PROT_WRITE, 0);
                        printf("attached %s\n", q == HUGEPAGES_FAILED ? ename(errno) : "OK");
                        fflush(stdout);
                        if (q != HUGEPAGES_FAILED)
                                free_hugepages(q);
                }
                return 1;
        }
        if (!strcmp(cmd, "pingpong") && argc == 4) {
                int key = (int)num(argv[2]);

                if (num(argv[3]) == 1) {
                        p = alloc_hugepages(key, NULL, 2 << 20, PROT_READ | PROT_WRITE,
                                            IPC_CREAT | 0600);
                        if (p == HUGEPAGES_FAILED)
                                return 2;
                        memcpy(p, "ping", 4);
                        if (!wait_text(p + 4096, "pong"))
                                return 1;
                } else {
                        p = HUGEPAGES_FAILED;
                        for (int i = 0; i < 1000 && p == HUGEPAGES_FAILED; i++) {
                                p = alloc_hugepages(key, NULL, 2 << 20, PROT_READ | PROT_WRITE, 0);
                                if (p == HUGEPAGES_FAILED && errno != ENOENT)
                                        return 2;
                                if (p == HUGEPAGES_FAILED)
                                        sleep_ms(5);
                        }
                        if (p == HUGEPAGES_FAILED || !wait_text(p, "ping"))
                                return 1;
                        memcpy(p + 4096, "pong", 4);
                }
                return free_hugepages(p) == 0 ? 0 : 1;
        }
        if (!strcmp(cmd, "fill") && argc == 5) {
                long n = num(argv[2]), got = 0;
                size_t len = (size_t)num(argv[3]);
                void **segs = calloc((size_t)n + 1, sizeof(*segs));
                const char *result = "OK";
                sigset_t set;
                int sig;

                block_usr1_term(&set);
                signal(SIGPIPE, SIG_IGN); /* nobody may read past the first line */
                while (got < n) {
                        p = alloc_hugepages(0, NULL, len, PROT_READ | PROT_WRITE,
                                            (int)num(argv[4]));
                        if (p == HUGEPAGES_FAILED) {
                                result = ename(errno);
                                break;
                        }
                        segs[got++] = p;
                }
                printf("%ld %s\n", got, result);
                fflush(stdout);
                while (sigwait(&set, &sig) == 0 && sig == SIGUSR1) {
                        if (got)
                                printf("freed %d\n", free_hugepages(segs[--got]));
                        else
                                printf("nothing\n");
                        fflush(stdout);
                }
                return 0;
        }
        fprintf(stderr, "hp-helper: bad arguments\n");
        return 64;
}
