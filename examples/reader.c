/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reader.c - attach to the segment writer.c made, read it, answer in it.
 *
 *   hugepages-reader KEY [--no-wait]
 */
#include <errno.h>
#include <hugepages.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEN (2UL << 20)

int main(int argc, char **argv)
{
        int key = argc > 1 ? atoi(argv[1]) : 42;
        int tries = argc > 2 && !strcmp(argv[2], "--no-wait") ? 1 : 500;
        char *p = HUGEPAGES_FAILED;

        /* No IPC_CREAT: attach only. Wait a little for the writer to make it. */
        for (int i = 0; i < tries; i++) {
                p = alloc_hugepages(key, NULL, LEN, PROT_READ | PROT_WRITE, 0);
                if (p != HUGEPAGES_FAILED || errno != ENOENT)
                        break;
                usleep(10000);
        }
        if (p == HUGEPAGES_FAILED) {
                fprintf(stderr, "reader: alloc_hugepages(%d): %s\n", key, strerror(errno));
                return 1;
        }
        /* The writer may not have written yet. */
        for (int i = 0; i < 500 && *(volatile char *)p == '\0'; i++)
                usleep(10000);
        printf("reader (pid %d): key %d mapped at %p, read \"%s\"\n", (int)getpid(), key, (void *)p,
               p);
        snprintf(p + 4096, 256, "hello back from the reader, pid %d", (int)getpid());
        free_hugepages(p);
        printf("reader (pid %d): answered and freed\n", (int)getpid());
        return 0;
}
