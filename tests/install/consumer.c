/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * consumer.c - a program built against the installed hugepaged, the way a
 * user builds theirs. It creates a key, execs itself as a second process
 * that learns its size (hugepages_stat), checks the bytes, and both let go.
 */
#include <errno.h>
#include <hugepages.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEY  4242
#define LEN  (2UL << 20)
#define TEXT "shared through the installed libhugepages"

int main(int argc, char **argv)
{
        char *p;
        int status;
        pid_t pid;

        if (argc > 1) { /* the second process */
                struct hugepages_stat st;

                if (hugepages_stat(KEY, &st) < 0 || st.size != LEN) {
                        fprintf(stderr, "consumer child: stat: %s\n", strerror(errno));
                        return 2;
                }
                p = alloc_hugepages(KEY, NULL, st.size, PROT_READ, 0);
                if (p == HUGEPAGES_FAILED) {
                        fprintf(stderr, "consumer child: %s\n", strerror(errno));
                        return 2;
                }
                return strcmp(p, TEXT) == 0 && free_hugepages(p) == 0 ? 0 : 1;
        }
        p = alloc_hugepages(KEY, NULL, LEN, PROT_READ | PROT_WRITE, IPC_CREAT | 0600);
        if (p == HUGEPAGES_FAILED) {
                fprintf(stderr, "consumer: %s\n", strerror(errno));
                return 2;
        }
        strcpy(p, TEXT);
        pid = fork();
        if (pid == 0) {
                execl("/proc/self/exe", argv[0], "child", (char *)NULL);
                _exit(127);
        }
        waitpid(pid, &status, 0);
        free_hugepages(p);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "consumer: the second process did not see the bytes\n");
                return 1;
        }
        printf("consumer: two processes shared key %d\n", KEY);
        return 0;
}
