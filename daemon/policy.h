/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * policy.h - who may use which segment.
 *
 * Owns: the peer's identity as the kernel gave it (SO_PEERCRED,
 * SO_PEERGROUPS) and the shmget()-style access decision. Never reads an
 * identity from a message.
 */
#ifndef HPD_POLICY_H
#define HPD_POLICY_H

#include <stdint.h>
#include <sys/types.h>

struct segment;

struct creds {
        pid_t pid;
        uid_t uid;
        gid_t gid;
        gid_t *groups; /* supplementary groups, owned */
        int ngroups;
};

/* Fill c from a connected socket. 0 or a negative errno. */
int policy_peer_creds(int sock, struct creds *c);
void policy_creds_free(struct creds *c);

/* May c map s with prot (HP_PROT_*)? Read permission is needed for any
 * mapping, write permission too for HP_PROT_WRITE. Root may do anything.
 * Returns 0 or -EACCES. */
/* The parent of process pid, from /proc/PID/stat, and (if start) its start
 * time in clock ticks after boot: with the pid, the identity of a process
 * that no later process with the same pid shares. -1 if there is no such
 * process. */
pid_t policy_proc(pid_t pid, uint64_t *start);

int policy_check(const struct creds *c, const struct segment *s, uint32_t prot);

#endif
