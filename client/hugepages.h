/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hugepages.h - huge-page memory by key, through hugepaged.
 *
 * alloc_hugepages() and free_hugepages() bring back the Linux 2.5.36-2.5.54
 * system calls of the same names, with the same signatures and meaning, for
 * unprivileged programs on today's kernels. See alloc_hugepages(3).
 *
 * Link with -lhugepages (pkg-config hugepages).
 */
#ifndef HUGEPAGES_H
#define HUGEPAGES_H

#include <stddef.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What alloc_hugepages() returns on error, with errno set. */
#define HUGEPAGES_FAILED ((void *)-1)

/* Where the library looks for the daemon unless $HUGEPAGED_SOCKET says. */
#define HUGEPAGES_DEFAULT_SOCKET "/run/hugepaged/hugepaged.sock"

/* Page size selection in flag, encoded as for shmget() and memfd_create():
 * log2 of the page size in bits 26..31. glibc's <sys/shm.h> does not define
 * these; <linux/shm.h> defines the same values. */
#ifndef SHM_HUGE_SHIFT
#define SHM_HUGE_SHIFT 26
#endif
#ifndef SHM_HUGE_MASK
#define SHM_HUGE_MASK 0x3f
#endif
#ifndef SHM_HUGE_2MB
#define SHM_HUGE_2MB (21 << SHM_HUGE_SHIFT)
#endif
#ifndef SHM_HUGE_1GB
#define SHM_HUGE_1GB (30 << SHM_HUGE_SHIFT)
#endif

/*
 * Map len bytes of the huge-page segment with this key.
 *
 * key 0: a new private segment, not inherited across fork().
 * key > 0: the segment shared by every user of key; created (zero-filled)
 *          when absent if flag has IPC_CREAT; EEXIST with IPC_CREAT|IPC_EXCL
 *          if it exists. Inherited by children, who count as users.
 * addr:    NULL, or a hint aligned to the huge page size.
 * prot:    PROT_READ, PROT_WRITE, PROT_EXEC, or a combination.
 * flag:    IPC_CREAT, IPC_EXCL, permission bits (0666-style) of a new segment,
 *          SHM_HUGE_2MB / SHM_HUGE_1GB for a page size other than the default.
 *
 * Returns the address, or HUGEPAGES_FAILED with errno set: EINVAL, ENOENT,
 * EEXIST, EACCES, ENOMEM, or ENOSYS when hugepaged cannot be reached.
 */
void *alloc_hugepages(int key, void *addr, size_t len, int prot, int flag);

/*
 * Release a mapping alloc_hugepages() returned. The memory is freed when its
 * last user has released it. Returns 0, or -1 with errno EINVAL when addr is
 * not the start of a live mapping made by alloc_hugepages().
 */
int free_hugepages(void *addr);

/*
 * Extensions: what the two historical calls never had. See hugepages_stat(3)
 * and hugepages_pagesize(3).
 */

/* The huge page size alloc_hugepages() uses when flag names none, in bytes;
 * -1 with errno ENOSYS when hugepaged cannot be reached. */
long hugepages_pagesize(void);

/* The huge page sizes hugepaged offers, smallest first: stores up to n of
 * them in sizes and returns how many there are (hugepages_pagesizes(NULL, 0)
 * counts them). -1 with errno EINVAL (n < 0, or sizes NULL and n > 0) or
 * ENOSYS. */
int hugepages_pagesizes(long sizes[], int n);

/* What hugepaged knows of one segment (shmctl(IPC_STAT)'s struct shmid_ds). */
struct hugepages_stat {
        size_t size;               /* bytes: the whole segment */
        size_t page_size;          /* bytes */
        uid_t uid;                 /* owner: who created it */
        gid_t gid;                 /* its group */
        mode_t mode;               /* permission bits (0777) */
        unsigned long users;       /* its users: mappings and fork holds, over all processes */
        unsigned long processes;   /* processes attached */
        time_t ctime;              /* when it was created */
        unsigned long long id;     /* its id, as hugepagectl shows it */
        unsigned long reserved[8]; /* zero */
};

/* Describe the segment of key (> 0) the caller may read. Returns 0, or -1
 * with errno EINVAL, ENOENT, EACCES (no read permission) or ENOSYS. */
int hugepages_stat(int key, struct hugepages_stat *st);

/* Remove key (> 0), as shmctl(IPC_RMID) and hugepagectl remove: the key no
 * longer finds the segment, whose memory goes when its last user lets go.
 * Owner or root only. Returns 0, or -1 with errno EINVAL, ENOENT, EPERM or
 * ENOSYS. */
int hugepages_remove(int key);

#ifdef __cplusplus
}
#endif

#endif
