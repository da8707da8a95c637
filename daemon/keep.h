/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keep.h - what the daemon leaves for the next one.
 *
 * Owns: systemd's file descriptor store (each ready segment's memfd under its
 * record as FDNAME; the state memfd, "hpd2-state", with a line for each pool
 * growth in flight) and, with the hugetlbfs backend, a marker file per
 * growth in flight named by its record. The records' text is persist.c's;
 * reading them back at start is restore.c's. Without $NOTIFY_SOCKET nothing
 * goes to systemd. A daemon ending on SIGTERM leaves everything where it
 * is: systemd keeps its store across "systemctl restart" and empties it on
 * "stop". Must never decide what lives or dies.
 */
#ifndef HPD_KEEP_H
#define HPD_KEEP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "pool.h"

struct segment;

struct keep {
        int active;           /* descriptors go to systemd's store */
        int dir;              /* directory for growth markers (hugetlbfs, or the socket's), or -1 */
        int own_dir;          /* dir is keep's to close */
        pthread_mutex_t lock; /* the growths and the state memfd: the worker writes them */
        int state_fd;         /* the state memfd, or -1 until needed */
        size_t state_len;     /* bytes last written there */
        struct pool_growth growth[POOL_MAX_SIZES]; /* in flight, per pool size */
};

/* dir: the hugetlbfs backend's directory, or -1. */
void keep_init(struct keep *k, int dir);
/* Without systemd's store or a hugetlbfs directory: keep growth markers in
 * dir (the socket's own directory), which keep then owns. */
void keep_use_markers(struct keep *k, int dir);
void keep_close(struct keep *k);

/* A ready segment into the store; out again (destroyed, or about to be renamed). */
void keep_segment(struct keep *k, struct segment *s);
void keep_forget(struct keep *k, struct segment *s);

/* From the worker, around a pool growth: g as it is about to happen
 * (started 1), then again once it is taken back (started 0). Growths of one
 * page size in flight together (creates made in steps) are kept as one: their
 * pages summed, from the base of the first. Persisted before the growth, so
 * that a daemon that dies in between leaves what the next needs to undo it. */
void keep_growth(struct keep *k, const struct pool *p, const struct pool_size *ps,
                 const struct pool_growth *g, int started);

/* At start-up (restore.c): a stored entry that is not ours to keep is closed
 * and taken out of the store; the state memfd of the previous daemon is
 * adopted (and rewritten empty: what it said has been undone); a marker file
 * is removed. */
void keep_drop(struct keep *k, int fd, const char *name);
void keep_adopt_state(struct keep *k, int fd, size_t len);
void keep_drop_marker(struct keep *k, const char *name);

#endif
