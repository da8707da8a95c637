/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * private.c - a private huge-page segment (key 0), and the kernel's word that
 * it really is made of huge pages (/proc/self/smaps, KernelPageSize).
 *
 *   hugepages-private
 */
#include <errno.h>
#include <hugepages.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LEN (4UL << 20) /* two 2 MiB huge pages */

static void show_smaps(const void *addr)
{
        char line[512];
        int inside = 0;
        FILE *f = fopen("/proc/self/smaps", "r");

        while (f && fgets(line, sizeof(line), f)) {
                unsigned long lo, hi;

                if (sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
                        inside = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
                        if (inside)
                                printf("private: smaps: %s", line);
                } else if (inside &&
                           (!strncmp(line, "KernelPageSize", 14) || !strncmp(line, "Size:", 5))) {
                        printf("private: smaps:   %s", line);
                }
        }
        if (f)
                fclose(f);
}

int main(void)
{
        char *p = alloc_hugepages(0, NULL, LEN, PROT_READ | PROT_WRITE, 0);

        if (p == HUGEPAGES_FAILED) {
                fprintf(stderr, "private: alloc_hugepages(0): %s\n", strerror(errno));
                return 1;
        }
        memset(p, 0x5a, LEN);
        printf("private (pid %d): %lu bytes at %p, all mine\n", (int)getpid(), LEN, (void *)p);
        show_smaps(p);
        free_hugepages(p);
        printf("private (pid %d): freed\n", (int)getpid());
        return 0;
}
