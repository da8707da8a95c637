/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keep.h - what the daemon leaves for the next one.
 *
 * Owns: systemd's file descriptor store (each ready segment's memfd under its
 * record as FDNAME; each client connection as "hpd2-conn-ID"; the ledger,
 * "hpd2-ledger"; the state memfd, "hpd2-state", with a line for each pool
 * growth in flight) and how full the store is, and, with the hugetlbfs
 * backend, a marker file per growth in flight named by its record. The records' text is
 * persist.c's; reading them back at start is restore.c's. Without $NOTIFY_SOCKET nothing goes to
 * systemd. A daemon ending on SIGTERM leaves everything where it is: systemd keeps its store across
 * "systemctl restart" and empties it on "stop". Must never decide what lives or dies.
 */
#ifndef HPD_KEEP_H
#define HPD_KEEP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "pool.h"

struct segment;

/* systemd's FileDescriptorStoreMax= (the unit's), unless $FDSTORE says it. */
#define KEEP_STORE_MAX 65536u
/* Kept free for the ledger, the state memfd and the key epoch's page. */
#define KEEP_STORE_OWN 3u

struct keep {
        int active;           /* descriptors go to systemd's store */
        int dir;              /* directory for growth markers (hugetlbfs, or the socket's), or -1 */
        int own_dir;          /* dir is keep's to close */
        pthread_mutex_t lock; /* the growths and the state memfd: the worker writes them */
        int state_fd;         /* the state memfd, or -1 until needed */
        size_t state_len;     /* bytes last written there */
        unsigned stored;      /* segments and connections in the store */
        unsigned store_max;   /* of them, at most */
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

/* Whether the store has room for one more segment or connection (always,
 * without a store). Everything the daemon keeps must fit: what systemd
 * would refuse would be lost at the next restart. */
int keep_room(const struct keep *k);
/* A connection (fd stays the caller's) into the store as "hpd2-conn-ID",
 * and out again. 0, or -ENOSPC without room; 0 without a store. */
int keep_connection(struct keep *k, uint64_t id, int fd);
void keep_forget_connection(struct keep *k, uint64_t id);
/* The state memfd, made and stored now if no previous daemon left one (so
 * that the daemon's descriptors do not grow with its first pool growth). */
void keep_open_state(struct keep *k);
/* The ledger's memfd, and the key epoch's, into the store (once). */
void keep_ledger(struct keep *k, int fd);
void keep_epoch(struct keep *k, int fd);
/* At start-up: one more entry systemd handed back and the daemon kept. */
void keep_adopted(struct keep *k);

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
