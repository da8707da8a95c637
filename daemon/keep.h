/*
 * keep.h - what the daemon leaves for the next one.
 *
 * Owns: systemd's file descriptor store (each ready segment's memfd under its
 * record as FDNAME; the state memfd, "hpd2-state", with one line per pool
 * record) and the pool's marker files in the hugetlbfs directory (an empty
 * file named by its record). The records' text is persist.c's; reading them
 * back at start is restore.c's. Without $NOTIFY_SOCKET nothing goes to
 * systemd. A daemon ending on SIGTERM leaves everything where it is: systemd
 * keeps its store across "systemctl restart" and empties it on "stop".
 * Must never decide what lives or dies.
 */
#ifndef HPD_KEEP_H
#define HPD_KEEP_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"

struct segment;

struct keep {
        int active;                    /* descriptors go to systemd's store */
        int state_fd;                  /* the state memfd, or -1 until needed */
        size_t state_len;              /* bytes last written there */
        int dir;                       /* hugetlbfs directory for pool markers, or -1 */
        uint64_t kept[POOL_MAX_SIZES]; /* each pool size's added count, as persisted */
};

/* dir: the hugetlbfs backend's directory, or -1. */
void keep_init(struct keep *k, int dir);
void keep_close(struct keep *k);

/* A ready segment into the store; out again (destroyed, or about to be renamed). */
void keep_segment(struct keep *k, struct segment *s);
void keep_forget(struct keep *k, struct segment *s);

/* Persist the pool's added counts where they changed since the last call. */
void keep_pool(struct keep *k, const struct pool *p);

/* At start-up (restore.c): a stored entry that is not ours to keep is closed
 * and taken out of the store; the state memfd of the previous daemon is
 * adopted; a count read back is what is persisted already. */
void keep_drop(struct keep *k, int fd, const char *name);
void keep_adopt_state(struct keep *k, int fd, size_t len);
void keep_mark_persisted(struct keep *k, const struct pool *p, const struct pool_size *ps);

#endif
