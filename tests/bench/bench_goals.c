/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_goals.c - hugepaged against the kernel's own mechanisms and a plain
 * fd-passing server, in one run, interleaved round by round, in both pin
 * modes; prints each goal of the speed issue with its measured ratio.
 *
 * The floor: a poll() server (a child process) answering a 32-byte request
 * with a 32-byte reply that carries an already-made memfd by SCM_RIGHTS, on
 * the same socket type as hugepaged (SOCK_SEQPACKET), plus the client's mmap,
 * touch and munmap - the least any fd-passing broker can cost.
 *
 *   P1  attach + free of a key another process holds     / floor
 *   P2  attach + free of a key this process already maps / SysV shmget+shmat+shmdt
 *   P3  free_hugepages() alone                           / munmap + one-way send
 *   P4  new private 1 GiB of 2 MiB pages, every page touched / mmap(MAP_HUGETLB)+touch
 *   P5  throughput, N processes attaching and freeing    / floor server, N clients
 *   P6  attach with many segments alive                  / attach with 10
 *   P7  new private 2 MiB segment                        / memfd_create+ftruncate+mmap+munmap+close
 *
 * Needs a running hugepaged ($HUGEPAGED_SOCKET; $HUGEPAGED_PID to pin it) and
 * free 2 MiB pages: scripts/bench.sh sets both up.
 *
 *   bench_goals [--short]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hugepages.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MB2     (2UL << 20)
#define KEY     0x6871
#define SHM_KEY 0x6872
#define MSG     32

static int short_mode;
static char floor_path[108];
static pid_t floor_pid, holder_pid;

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int shm_id = -1;
static pid_t main_pid;

/* On any exit of the main process: the SysV segment (it outlives us unless
 * removed), the floor server and the key's holder. */
static void clean_up(void)
{
        if (getpid() != main_pid)
                return;
        if (shm_id >= 0)
                shmctl(shm_id, IPC_RMID, NULL);
        shm_id = -1;
        if (floor_pid > 0)
                kill(floor_pid, SIGTERM);
        if (holder_pid > 0)
                kill(holder_pid, SIGTERM);
        if (floor_path[0])
                unlink(floor_path);
}

static void die(const char *what)
{
        fprintf(stderr, "bench_goals: %s: %s\n", what, strerror(errno));
        exit(1);
}

/* ---- pinning: this process, and every thread of another ---------------- */

static void pin_pid(pid_t pid, int one)
{
        cpu_set_t set;
        char dir[64];
        struct dirent *de;
        DIR *d;

        CPU_ZERO(&set);
        for (int i = 0; i < (one ? 1 : CPU_SETSIZE); i++)
                CPU_SET(i, &set);
        if (pid == 0) {
                sched_setaffinity(0, sizeof(set), &set);
                return;
        }
        snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
        if (!(d = opendir(dir)))
                return;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        sched_setaffinity(atoi(de->d_name), sizeof(set), &set);
        closedir(d);
}

static void pin_all(int one)
{
        const char *daemon = getenv("HUGEPAGED_PID");

        pin_pid(0, one);
        if (daemon)
                pin_pid(atoi(daemon), one);
        pin_pid(floor_pid, one);
        pin_pid(holder_pid, one);
}

/* ---- the floor server ---------------------------------------------------- */

static void floor_serve(int lfd, int memfd)
{
        struct pollfd p[256];
        int n = 1;
        char buf[MSG];

        p[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
        for (;;) {
                if (poll(p, (nfds_t)n, -1) < 0)
                        continue;
                if ((p[0].revents & POLLIN) && n < 256) {
                        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

                        if (c >= 0)
                                p[n++] = (struct pollfd){.fd = c, .events = POLLIN};
                }
                for (int i = 1; i < n; i++) {
                        union {
                                char b[CMSG_SPACE(sizeof(int))];
                                struct cmsghdr a;
                        } ctl;
                        struct iovec iov = {buf, MSG};
                        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
                        struct cmsghdr *cm;
                        ssize_t r;

                        if (!p[i].revents)
                                continue;
                        r = recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
                        if (r == 0 || (r < 0 && errno != EAGAIN)) {
                                close(p[i].fd);
                                p[i--] = p[--n];
                                continue;
                        }
                        if (r < 0 || buf[0] != 'A') /* 'R': a one-way release */
                                continue;
                        memset(&ctl, 0, sizeof(ctl));
                        mh.msg_control = ctl.b;
                        mh.msg_controllen = sizeof(ctl.b);
                        cm = CMSG_FIRSTHDR(&mh);
                        cm->cmsg_level = SOL_SOCKET;
                        cm->cmsg_type = SCM_RIGHTS;
                        cm->cmsg_len = CMSG_LEN(sizeof(int));
                        memcpy(CMSG_DATA(cm), &memfd, sizeof(int));
                        sendmsg(p[i].fd, &mh, MSG_NOSIGNAL);
                }
        }
}

static void floor_start(void)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int lfd, memfd;

        snprintf(floor_path, sizeof(floor_path), "/tmp/hugepaged-floor.%d", (int)getpid());
        memcpy(a.sun_path, floor_path, strlen(floor_path) + 1);
        unlink(floor_path);
        memfd = memfd_create("floor", MFD_HUGETLB | MFD_CLOEXEC);
        if (memfd < 0 || fallocate(memfd, 0, 0, MB2) < 0)
                die("floor memfd");
        lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 256) < 0)
                die("floor socket");
        floor_pid = fork();
        if (floor_pid == 0)
                floor_serve(lfd, memfd);
        close(lfd);
        close(memfd);
}

static int floor_connect(void)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

        memcpy(a.sun_path, floor_path, strlen(floor_path) + 1);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
                die("floor connect");
        return fd;
}

/* One floor request: its descriptor. */
static int floor_ask(int conn)
{
        union {
                char b[CMSG_SPACE(sizeof(int))];
                struct cmsghdr a;
        } ctl;
        char buf[MSG] = "A";
        struct iovec iov = {buf, MSG};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl.b,
                            .msg_controllen = sizeof(ctl.b)};
        int fd;

        if (send(conn, buf, MSG, 0) != MSG || recvmsg(conn, &mh, MSG_CMSG_CLOEXEC) != MSG ||
            !CMSG_FIRSTHDR(&mh))
                die("floor round trip");
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
        return fd;
}

/* ---- the cases: one call of each is one attach + free ------------------- */

static int fconn = -1;
static char *pre; /* a mapping made untimed, for the free-only cases */

static void touch(volatile char *p)
{
        p[0] = 1;
}

static void hp_attach_free(void)
{
        char *p = alloc_hugepages(KEY, NULL, MB2, PROT_READ | PROT_WRITE, 0);

        if (p == HUGEPAGES_FAILED)
                die("alloc_hugepages(KEY)");
        touch(p);
        free_hugepages(p);
}

static void floor_attach_free(void)
{
        int fd = floor_ask(fconn);
        char *p = mmap(NULL, MB2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

        if (p == MAP_FAILED)
                die("floor mmap");
        close(fd);
        touch(p);
        munmap(p, MB2);
}

static void sysv_attach_free(void)
{
        int id = shmget(SHM_KEY, MB2, 0);
        char *p = id < 0 ? (void *)-1 : shmat(id, NULL, 0);

        if (p == (void *)-1)
                die("shmget/shmat");
        touch(p);
        shmdt(p);
}

/* The free-only cases: the mapping is made before the clock starts. */
static void hp_free_setup(void)
{
        pre = alloc_hugepages(KEY, NULL, MB2, PROT_READ | PROT_WRITE, 0);
        if (pre == HUGEPAGES_FAILED)
                die("alloc_hugepages(KEY)");
        touch(pre);
}

static void hp_free(void)
{
        free_hugepages(pre);
}

static void floor_free_setup(void)
{
        int fd = floor_ask(fconn);

        pre = mmap(NULL, MB2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (pre == MAP_FAILED)
                die("floor mmap");
        touch(pre);
}

static void floor_free(void)
{
        char buf[MSG] = "R";

        munmap(pre, MB2);
        send(fconn, buf, MSG, MSG_DONTWAIT);
}

static size_t big;

static void hp_big(void)
{
        char *p = alloc_hugepages(0, NULL, big, PROT_READ | PROT_WRITE, 0);

        if (p == HUGEPAGES_FAILED)
                die("alloc_hugepages(0, big)");
        for (size_t o = 0; o < big; o += MB2)
                touch(p + o);
        free_hugepages(p);
}

static void kernel_big(void)
{
        char *p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
                       -1, 0);

        if (p == MAP_FAILED)
                die("mmap(MAP_HUGETLB)");
        for (size_t o = 0; o < big; o += MB2)
                touch(p + o);
        munmap(p, big);
}

static void hp_private(void)
{
        char *p = alloc_hugepages(0, NULL, MB2, PROT_READ | PROT_WRITE, 0);

        if (p == HUGEPAGES_FAILED)
                die("alloc_hugepages(0)");
        touch(p);
        free_hugepages(p);
}

static void memfd_private(void)
{
        int fd = memfd_create("bench", MFD_HUGETLB | MFD_CLOEXEC);
        char *p;

        if (fd < 0 || ftruncate(fd, MB2) < 0)
                die("memfd_create+ftruncate");
        p = mmap(NULL, MB2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                die("mmap(memfd)");
        touch(p);
        munmap(p, MB2);
        close(fd);
}

/* ---- timing: methods interleaved round by round -------------------------- */

struct method {
        const char *name;
        void (*setup)(void); /* untimed, before each call (or NULL) */
        void (*fn)(void);
        uint64_t *t;
        int n;
};

static int cmp(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return (x > y) - (x < y);
}

/* rounds x per, each method per calls a round, in turn; medians in µs. */
static void measure(struct method *m, int nm, int rounds, int per)
{
        for (int i = 0; i < nm; i++) {
                m[i].t = calloc((size_t)(rounds * per), sizeof(uint64_t));
                m[i].n = 0;
                for (int w = 0; w < per; w++) { /* warm up */
                        if (m[i].setup)
                                m[i].setup();
                        m[i].fn();
                }
        }
        for (int r = 0; r < rounds; r++)
                for (int i = 0; i < nm; i++)
                        for (int k = 0; k < per; k++) {
                                uint64_t t0;

                                if (m[i].setup)
                                        m[i].setup();
                                t0 = now_ns();
                                m[i].fn();
                                m[i].t[m[i].n++] = now_ns() - t0;
                        }
        for (int i = 0; i < nm; i++)
                qsort(m[i].t, (size_t)m[i].n, sizeof(uint64_t), cmp);
}

static double median(const struct method *m)
{
        return (double)m->t[m->n / 2] / 1000.0;
}

static void done(struct method *m, int nm)
{
        for (int i = 0; i < nm; i++)
                free(m[i].t);
}

static void goal(const char *id, const char *what, double ours, double ref, const char *refname,
                 double target, int lower_is_better)
{
        double ratio = ours / ref;
        int met = lower_is_better ? ratio <= target : ratio >= target;

        printf("  %-3s %-44s %10.1f  %-34s %10.1f  %6.2fx  goal %s %.2fx  %s\n", id, what, ours,
               refname, ref, ratio, lower_is_better ? "<=" : ">=", target, met ? "met" : "MISSED");
}

/* ---- the warm pool (a daemon started with --warm) ------------------------ */

/* Huge pages of 2 MiB in use, as the kernel counts them. */
static long used_2m(void)
{
        FILE *f = fopen("/proc/meminfo", "re");
        char line[128];
        long total = 0, free = 0;

        if (!f)
                die("/proc/meminfo");
        while (fgets(line, sizeof(line), f)) {
                sscanf(line, "HugePages_Total: %ld", &total);
                sscanf(line, "HugePages_Free: %ld", &free);
        }
        fclose(f);
        return total - free;
}

static long warm_used; /* with the warm pool full, and nothing else */

/* Untimed, before each warm create: the pool made again since the last,
 * and the last segment gone (the count steady at the pool's for 20 ms: it
 * passes that figure on the way while both change). */
static void warm_full(void)
{
        for (int steady = 0, i = 0; steady < 20 && i < 100000; i++) {
                steady = used_2m() == warm_used ? steady + 1 : 0;
                usleep(1000);
        }
}

static void settle_warm(void)
{
        long last = -1;

        for (int i = 0; i < 200; i++) {
                long now = used_2m();

                if (now == last && now > 0)
                        break;
                last = now;
                usleep(20000);
        }
        warm_used = used_2m();
}

/* P4 (warm): the daemon keeps big bytes warm; P7 (warm): a few 2 MiB. */
static void run_warm(const char *which, int rounds, int per)
{
        pin_all(0);
        settle_warm();
        printf("\nunpinned, warm pool (hugepaged --warm; %ld pages ready)\n", warm_used);
        if (strcmp(which, "big") == 0) {
                struct method m[] = {
                    {"hugepaged", warm_full, hp_big, NULL, 0},
                    {"kernel", NULL, kernel_big, NULL, 0},
                };
                char what[64];

                measure(m, 2, rounds, 1);
                snprintf(what, sizeof(what), "new private %zu MiB from the warm pool", big >> 20);
                goal("P4", what, median(&m[0]), median(&m[1]), "mmap(MAP_HUGETLB)+touch", 0.05, 1);
                done(m, 2);
        } else {
                struct method m[] = {
                    {"hugepaged", warm_full, hp_private, NULL, 0},
                    {"memfd", NULL, memfd_private, NULL, 0},
                };

                measure(m, 2, rounds, per);
                goal("P7", "new private 2 MiB from the warm pool", median(&m[0]), median(&m[1]),
                     "memfd+ftruncate+mmap+munmap+close", 2.0, 1);
                done(m, 2);
        }
}

/* ---- throughput: N processes for a while, ops per second ----------------- */

static double throughput(int nproc, int ms, int use_floor)
{
        int p[2];
        uint64_t total = 0;
        pid_t pids[64];

        if (pipe(p) < 0)
                die("pipe");
        for (int i = 0; i < nproc; i++) {
                if ((pids[i] = fork()) == 0) {
                        uint64_t end = now_ns() + (uint64_t)ms * 1000000u, n = 0;

                        close(p[0]);
                        if (use_floor)
                                fconn = floor_connect();
                        while (now_ns() < end) {
                                if (use_floor)
                                        floor_attach_free();
                                else
                                        hp_attach_free();
                                n++;
                        }
                        (void)!write(p[1], &n, sizeof(n));
                        _exit(0);
                }
        }
        close(p[1]);
        for (int i = 0; i < nproc; i++) {
                uint64_t n = 0;

                if (read(p[0], &n, sizeof(n)) == sizeof(n))
                        total += n;
        }
        close(p[0]);
        for (int i = 0; i < nproc; i++)
                waitpid(pids[i], NULL, 0);
        return (double)total * 1000.0 / ms;
}

/* ---- P6: many segments alive ----------------------------------------------*/

static double attach_with(int alive, int rounds, int per)
{
        char **keep = calloc((size_t)alive, sizeof(char *));
        struct method m = {"attach", NULL, hp_attach_free, NULL, 0};
        double med;

        for (int i = 0; i < alive; i++) {
                keep[i] = alloc_hugepages(0x7000 + i, NULL, MB2, PROT_READ, IPC_CREAT | 0600);
                if (keep[i] == HUGEPAGES_FAILED)
                        die("alloc_hugepages (P6 segments)");
        }
        measure(&m, 1, rounds, per);
        med = median(&m);
        done(&m, 1);
        for (int i = 0; i < alive; i++)
                free_hugepages(keep[i]);
        free(keep);
        return med;
}

static void run_mode(int one, int rounds, int per)
{
        struct method attach[] = {
            {"hugepaged attach+free (held elsewhere)", NULL, hp_attach_free, NULL, 0},
            {"floor", NULL, floor_attach_free, NULL, 0},
            {"sysv", NULL, sysv_attach_free, NULL, 0},
        };
        struct method frees[] = {
            {"free_hugepages", hp_free_setup, hp_free, NULL, 0},
            {"munmap+one-way send", floor_free_setup, floor_free, NULL, 0},
        };
        struct method priv[] = {
            {"alloc_hugepages(0, 2 MiB)+free", NULL, hp_private, NULL, 0},
            {"memfd", NULL, memfd_private, NULL, 0},
        };
        char *mine;

        pin_all(one);
        printf("\n%s (medians, microseconds; %d rounds x %d, methods interleaved)\n",
               one ? "all on one CPU" : "unpinned", rounds, per);
        measure(attach, 3, rounds, per);
        goal("P1", "attach+free, key held elsewhere", median(&attach[0]), median(&attach[1]),
             "floor server (SEQPACKET)", 1.2, 1);
        /* P2: the same, while this process maps the key itself. */
        mine = alloc_hugepages(KEY, NULL, MB2, PROT_READ | PROT_WRITE, 0);
        if (mine == HUGEPAGES_FAILED)
                die("alloc_hugepages(KEY)");
        {
                struct method held[] = {
                    {"hugepaged attach+free (held here)", NULL, hp_attach_free, NULL, 0},
                    {"sysv", NULL, sysv_attach_free, NULL, 0},
                };

                measure(held, 2, rounds, per);
                goal("P2", "attach+free, key this process maps", median(&held[0]), median(&held[1]),
                     "shmget+shmat+shmdt", 1.0, 1);
                done(held, 2);
        }
        free_hugepages(mine);
        measure(frees, 2, rounds, per);
        goal("P3", "free_hugepages() alone", median(&frees[0]), median(&frees[1]),
             "munmap + one-way send", 1.2, 1);
        measure(priv, 2, rounds, per);
        goal("P7", "new private 2 MiB segment", median(&priv[0]), median(&priv[1]),
             "memfd+ftruncate+mmap+munmap+close", 2.0, 1);
        printf("      (attach+free for reference: SysV %.1f us; hugepaged/SysV %.2fx)\n",
               median(&attach[2]), median(&attach[0]) / median(&attach[2]));
        done(attach, 3);
        done(frees, 2);
        done(priv, 2);
}

int main(int argc, char **argv)
{
        int rounds, per, tput_ms;
        char *held;

        short_mode = argc > 1 && strcmp(argv[1], "--short") == 0;
        rounds = short_mode ? 3 : 20;
        per = short_mode ? 5 : 100;
        tput_ms = short_mode ? 100 : 1000;
        big = short_mode ? 32 * MB2 : 512 * MB2;
        /* bench_goals [--short] --warm big|small: against a daemon with a warm pool. */
        if (argc >= 3 && strcmp(argv[argc - 2], "--warm") == 0) {
                run_warm(argv[argc - 1], short_mode ? 3 : 10, short_mode ? 5 : 20);
                return 0;
        }
        signal(SIGPIPE, SIG_IGN);
        main_pid = getpid();
        atexit(clean_up);

        /* The key, held by another process for the whole run (P1). */
        held = alloc_hugepages(KEY, NULL, MB2, PROT_READ | PROT_WRITE, IPC_CREAT | 0600);
        if (held == HUGEPAGES_FAILED)
                die("alloc_hugepages(KEY, IPC_CREAT)");
        holder_pid = fork();
        if (holder_pid == 0) {
                for (;;)
                        pause();
        }
        free_hugepages(held); /* the child holds it now */
        shm_id = shmget(SHM_KEY, MB2, IPC_CREAT | IPC_EXCL | SHM_HUGETLB | 0600);
        if (shm_id < 0)
                die("shmget(SHM_HUGETLB)");
        floor_start();
        fconn = floor_connect();

        printf("bench_goals%s: hugepaged against the kernel and a floor fd-passing server\n",
               short_mode ? " (short: checks that it works, not its figures)" : "");
        run_mode(0, rounds, per);
        run_mode(1, rounds, per);

        pin_all(0);
        {
                struct method m[] = {
                    {"hugepaged", NULL, hp_big, NULL, 0},
                    {"kernel", NULL, kernel_big, NULL, 0},
                };
                char what[64];

                measure(m, 2, short_mode ? 2 : 5, 1);
                snprintf(what, sizeof(what), "new private %zu MiB, every page touched", big >> 20);
                printf("\nunpinned, cold (no warm pool)\n");
                goal("P4", what, median(&m[0]), median(&m[1]), "mmap(MAP_HUGETLB)+touch", 0.6, 1);
                done(m, 2);
        }
        printf("\nthroughput, N processes attaching and freeing one key (ops/s; unpinned)\n");
        for (int n = 1; n <= (short_mode ? 2 : 32); n *= 2) {
                double ours = throughput(n, tput_ms, 0), ref = throughput(n, tput_ms, 1);
                char what[48];

                snprintf(what, sizeof(what), "throughput, N = %d", n);
                goal("P5", what, ours, ref, "floor server", 0.9, 0);
        }
        {
                int many = short_mode ? 20 : 2000;
                double few = attach_with(10, short_mode ? 2 : 10, per),
                       lots = attach_with(many, short_mode ? 2 : 10, per);
                char what[64];

                snprintf(what, sizeof(what), "attach with %d segments alive", many);
                printf("\n");
                goal("P6", what, lots, few, "attach with 10 alive", 1.2, 1);
        }

        clean_up();
        waitpid(floor_pid, NULL, 0);
        waitpid(holder_pid, NULL, 0);
        return 0;
}
