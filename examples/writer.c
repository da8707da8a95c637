/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * writer.c - create a shared huge-page segment, write into it, and wait for
 * another program (reader.c) to answer through the same memory.
 *
 *   hugepages-writer KEY
 */
#include <errno.h>
#include <hugepages.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEN (2UL << 20) /* one 2 MiB huge page */

/* What the kernel says of its huge pages. */
static void show_meminfo(void)
{
        char line[128];
        FILE *f = fopen("/proc/meminfo", "r");

        while (f && fgets(line, sizeof(line), f))
                if (!strncmp(line, "HugePages_Total", 15) || !strncmp(line, "HugePages_Free", 14))
                        printf("writer: kernel: %s", line);
        if (f)
                fclose(f);
}

int main(int argc, char **argv)
{
        int key = argc > 1 ? atoi(argv[1]) : 42;
        volatile char *p;

        /* Create the segment (0666: any local user may read and write it). */
        p = alloc_hugepages(key, NULL, LEN, PROT_READ | PROT_WRITE, IPC_CREAT | IPC_EXCL | 0666);
        if (p == HUGEPAGES_FAILED) {
                fprintf(stderr, "writer: alloc_hugepages(%d): %s\n", key, strerror(errno));
                return 1;
        }
        printf("writer (pid %d): key %d mapped at %p\n", (int)getpid(), key, (void *)p);
        show_meminfo();
        printf("writer (pid %d): writing a greeting\n", (int)getpid());
        fflush(stdout);
        snprintf((char *)p, 256, "hello from the writer, pid %d", (int)getpid());

        /* The reader answers at offset 4096. */
        for (int i = 0; i < 3000 && p[4096] == '\0'; i++)
                usleep(10000);
        if (p[4096] == '\0') {
                fprintf(stderr, "writer: no answer\n");
                free_hugepages((void *)p);
                return 1;
        }
        printf("writer (pid %d): read back \"%s\"\n", (int)getpid(), (char *)p + 4096);
        free_hugepages((void *)p);
        printf("writer (pid %d): freed\n", (int)getpid());
        return 0;
}
