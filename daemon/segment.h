/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * segment.h - the table of segments.
 *
 * Owns: struct segment, the two indexes (by id, by key), and the id counter
 * (ids are never reused). A segment is in the table from the moment it is
 * requested until it is destroyed; while the worker makes its memory it is
 * not ready and callers wait on it. Must never change a segment's user count
 * or decide its death: that is segref.c's alone. Also defines struct refs,
 * the table a holder keeps of its references, whose operations are segref's.
 */
#ifndef HPD_SEGMENT_H
#define HPD_SEGMENT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "htab.h"
#include "list.h"
#include "user.h"

struct client;
struct persist_rec;
struct pool_size;

struct segment {
        uint64_t id;
        int32_t key; /* 0: private */
        uint64_t size;
        uint64_t page_size;
        uid_t uid;
        gid_t gid;
        mode_t mode; /* 0777 bits from the creator's flag */
        time_t ctime;
        struct pool_size *pool;

        int fd;                     /* O_RDWR memfd or hugetlbfs file; -1 until ready */
        int ro_fd;                  /* O_RDONLY reopening of fd, made on first use; -1 */
        uint64_t users;             /* references over all holders: written by segref.c only */
        struct charge bytes, count; /* the owner's, until destroyed (segref.c) */

        int ready;              /* memory made; fd valid */
        int kept;               /* in systemd's store (keep.c) */
        int removed;            /* hugepagectl remove: the key no longer finds it */
        int error;              /* the worker's result: 0 or a negative errno */
        uint64_t made;          /* worker: bytes of memory made so far */
        uint64_t grown[2];      /* worker: the pool growth held while making it */
        struct client *creator; /* waits for this segment to be made; NULL if gone */
        pid_t creator_pid;      /* who asked for it (for the log) */
        struct list waiters;    /* other clients waiting for it (client.wait_link) */

        struct hnode by_id;
        struct hnode by_key; /* only for key > 0 */
        int in_id_index, in_key_index;
};

struct segtab {
        struct htab by_id;
        struct htab by_key;
        uint64_t last_id;
};

/* What one holder (a connection, a fork hold) holds: segment id -> count,
 * each recorded in the ledger under the holder's kind and id (0: not
 * recorded). Operated on by segref.c only. */
struct refs {
        struct htab by_seg;
        uint64_t holder;
        uint32_t kind; /* PERSIST_SLOT_CONN or PERSIST_SLOT_HOLD */
};

/* A new, not yet ready segment entered in the table. NULL when out of memory
 * or when the key is taken. */
struct segment *segment_new(struct segtab *t, int32_t key, uint64_t size, struct pool_size *pool,
                            uid_t uid, gid_t gid, mode_t mode);
/* A segment that exists already (restored): ready, with the id, metadata and
 * memory a previous daemon gave it. NULL if the id or key is taken, or out of
 * memory. */
struct segment *segment_restore(struct segtab *t, const struct persist_rec *r,
                                struct pool_size *pool, int fd);
struct segment *segment_by_id(struct segtab *t, uint64_t id);
struct segment *segment_by_key(struct segtab *t, int32_t key);

/* hugepagectl remove: the key stops finding the segment; it stays in the id
 * index while it has users, and is persisted under key 0. */
void segment_forget_key(struct segtab *t, struct segment *s);

/* The record that describes s (its key 0 once removed). */
void segment_record(const struct segment *s, struct persist_rec *r);
/* That record's text: the FDNAME and the hugetlbfs file name. 0 or -ENOBUFS. */
int segment_name(const struct segment *s, char *buf, size_t cap);

/* Take a segment out of both indexes (once; again is a no-op): its key is free
 * for a new segment. */
void segment_unlink(struct segtab *t, struct segment *s);

/* Close the descriptors and free. The segment must be unlinked. */
void segment_free(struct segment *s);

/* Visit every segment in the table. */
void segment_foreach(struct segtab *t, void (*fn)(struct segment *s, void *ctx), void *ctx);

#endif
