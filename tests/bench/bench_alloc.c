/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_alloc.c - alloc_hugepages()/free_hugepages() against the kernel's own
 * ways to get the same memory, in one run, as medians and ratios:
 *
 *   new private segment:  alloc_hugepages(0)       vs mmap(MAP_HUGETLB|MAP_POPULATE),
 *                                                     memfd_create+fallocate+mmap,
 *                                                     shmget(SHM_HUGETLB)+shmat
 *   attach existing key:  alloc_hugepages(KEY)     vs shmget(KEY)+shmat
 *
 * Every case maps the memory, touches its first byte and releases it. Needs a
 * running hugepaged ($HUGEPAGED_SOCKET) and free huge pages in the pool:
 * scripts/bench.sh sets both up.
 *
 *   bench_alloc [iterations]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <hugepages.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#define KEY 0x6870 /* "hp" */

static size_t len;
static int shm_existing = -1;

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The SysV segment outlives the process unless removed: on any exit. */
static void remove_shm(void)
{
        if (shm_existing >= 0)
                shmctl(shm_existing, IPC_RMID, NULL);
        shm_existing = -1;
}

static void die(const char *what)
{
        fprintf(stderr, "bench_alloc: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void touch(volatile char *p)
{
        p[0] = 1;
}

static void hp_private(void)
{
        char *p = alloc_hugepages(0, NULL, len, PROT_READ | PROT_WRITE, 0);

        if (p == HUGEPAGES_FAILED)
                die("alloc_hugepages(0)");
        touch(p);
        free_hugepages(p);
}

static void hp_attach(void)
{
        char *p = alloc_hugepages(KEY, NULL, len, PROT_READ | PROT_WRITE, 0);

        if (p == HUGEPAGES_FAILED)
                die("alloc_hugepages(KEY)");
        touch(p);
        free_hugepages(p);
}

static void k_mmap(void)
{
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);

        if (p == MAP_FAILED)
                die("mmap(MAP_HUGETLB)");
        touch(p);
        munmap(p, len);
}

static void k_memfd(void)
{
        int fd = memfd_create("bench", MFD_HUGETLB | MFD_CLOEXEC);
        char *p;

        if (fd < 0 || fallocate(fd, 0, 0, (off_t)len) < 0)
                die("memfd_create+fallocate");
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                die("mmap(memfd)");
        touch(p);
        munmap(p, len);
        close(fd);
}

static void k_shm_new(void)
{
        int id = shmget(IPC_PRIVATE, len, IPC_CREAT | SHM_HUGETLB | 0600);
        char *p;

        if (id < 0)
                die("shmget(SHM_HUGETLB)");
        p = shmat(id, NULL, 0);
        if (p == (void *)-1)
                die("shmat");
        touch(p);
        shmdt(p);
        shmctl(id, IPC_RMID, NULL);
}

static void k_shm_attach(void)
{
        int id = shmget(KEY, len, 0);
        char *p;

        if (id < 0)
                die("shmget(KEY)");
        p = shmat(id, NULL, 0);
        if (p == (void *)-1)
                die("shmat");
        touch(p);
        shmdt(p);
}

static int cmp(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return (x > y) - (x < y);
}

static double median_us(void (*fn)(void), int iters)
{
        uint64_t *t = calloc((size_t)iters, sizeof(*t));
        double m;

        for (int i = -iters / 10; i < iters; i++) {
                uint64_t t0 = now_ns();

                fn();
                if (i >= 0)
                        t[i] = now_ns() - t0;
        }
        qsort(t, (size_t)iters, sizeof(*t), cmp);
        m = (double)t[iters / 2] / 1000.0;
        free(t);
        return m;
}

static void run(size_t bytes, int iters)
{
        double hp_new, hp_att, mm, mf, sn, sa;
        char *held;

        len = bytes;
        /* The key and the SysV segment exist, held by us, for the attach cases. */
        held = alloc_hugepages(KEY, NULL, len, PROT_READ | PROT_WRITE, IPC_CREAT | 0600);
        if (held == HUGEPAGES_FAILED)
                die("alloc_hugepages(KEY, IPC_CREAT)");
        shm_existing = shmget(KEY, len, IPC_CREAT | IPC_EXCL | SHM_HUGETLB | 0600);
        if (shm_existing < 0)
                die("shmget(KEY, SHM_HUGETLB)");
        atexit(remove_shm);

        hp_new = median_us(hp_private, iters);
        mm = median_us(k_mmap, iters);
        mf = median_us(k_memfd, iters);
        sn = median_us(k_shm_new, iters);
        hp_att = median_us(hp_attach, iters);
        sa = median_us(k_shm_attach, iters);

        remove_shm();
        free_hugepages(held);

        printf("\n%zu MiB, %d iterations, median microseconds (ratio = hugepaged / kernel)\n",
               bytes >> 20, iters);
        printf("  new private segment\n");
        printf("    alloc_hugepages(0)+free_hugepages      %9.1f\n", hp_new);
        printf("    mmap(MAP_HUGETLB|MAP_POPULATE)+munmap  %9.1f   ratio %.2f\n", mm, hp_new / mm);
        printf("    memfd_create+fallocate+mmap+munmap     %9.1f   ratio %.2f\n", mf, hp_new / mf);
        printf("    shmget(SHM_HUGETLB)+shmat+shmdt+RMID   %9.1f   ratio %.2f\n", sn, hp_new / sn);
        printf("  attach an existing key\n");
        printf("    alloc_hugepages(KEY)+free_hugepages    %9.1f\n", hp_att);
        printf("    shmget(KEY)+shmat+shmdt                %9.1f   ratio %.2f\n", sa, hp_att / sa);
}

int main(int argc, char **argv)
{
        int iters = argc > 1 ? atoi(argv[1]) : 1000;

        if (iters < 10)
                iters = 10;
        run(2UL << 20, iters);
        run(64UL << 20, iters / 10 > 10 ? iters / 10 : 10);
        return 0;
}
