/*
 * segment.h - the table of segments and each segment's memory.
 *
 * Owns: struct segment, the two indexes (by id, by key), and creating and
 * releasing a segment's memfd. A segment is in the table from the moment
 * it is requested until it is destroyed; while its memory is being made by
 * the worker, it is not ready and callers wait on it. Ids are never reused.
 */
#ifndef HPD_SEGMENT_H
#define HPD_SEGMENT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "htab.h"
#include "list.h"

struct client;
struct pool;
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

        int fd;         /* O_RDWR memfd; -1 until ready */
        int ro_fd;      /* O_RDONLY reopening of fd, made on first use; -1 */
        uint64_t users; /* references over all clients */

        int ready;              /* memory made; fd valid */
        int restored;           /* from systemd's store: one user is the grace period */
        int removed;            /* hugepagectl remove: the key no longer finds it */
        int error;              /* the worker's result: 0 or a negative errno */
        struct client *creator; /* waits for this segment to be made; NULL if gone */
        struct list waiters;    /* other clients waiting for it (client.wait_link) */

        struct hnode by_id;
        struct hnode by_key; /* only for key > 0 */
        int in_key_index;
        struct segment *job_next; /* worker queue */
};

struct segtab {
        struct htab by_id;
        struct htab by_key;
        uint64_t last_id;
};

/* A new, not yet ready segment entered in the table. NULL when out of memory. */
struct segment *segment_new(struct segtab *t, int32_t key, uint64_t size, struct pool_size *pool,
                            uid_t uid, gid_t gid, mode_t mode);
/* A segment that exists already (restored from systemd's store): ready, with
 * its given id and memfd. NULL if the id or key is taken, or out of memory. */
struct segment *segment_restore(struct segtab *t, uint64_t id, int32_t key, uint64_t size,
                                struct pool_size *pool, uid_t uid, gid_t gid, mode_t mode, int fd);
struct segment *segment_by_id(struct segtab *t, uint64_t id);
struct segment *segment_by_key(struct segtab *t, int32_t key);

/* hugepagectl remove: the key stops finding the segment (it stays in the id
 * index while it has users); its hugetlbfs file, if any, is renamed to key 0. */
void segment_forget_key(struct segtab *t, struct segment *s);

/* The key a segment is stored under: 0 once removed. */
int32_t segment_stored_key(const struct segment *s);

/* Take a segment out of both indexes: its key is free for a new segment. */
void segment_unlink(struct segtab *t, struct segment *s);

/*
 * Where memory lives. By default each segment is a memfd (sealed against
 * shrinking and growing). With a hugetlbfs directory, each is a file there,
 * named "seg-ID-KEY", owned and moded like the segment: a daemon started
 * again on the same directory finds its segments (segment_restore_dir).
 * hugetlbfs files cannot be sealed; see docs/systemd.md.
 */
int segment_use_hugetlbfs(const char *dir, uint64_t *page_size);
/* The hugetlbfs backend's page size, or 0 with memfds (any size). */
uint64_t segment_backend_page_size(void);
/* The directory's descriptor, or -1 with memfds. */
int segment_backend_dir(void);

/* Worker side: make the memory (a file of the segment's page size, owned and
 * moded like the segment, fallocated, sealed if it can be). 0 or a negative
 * errno. */
int segment_make_memory(struct segment *s);
/* Worker side, when the segment is destroyed: remove its file, if any. */
void segment_remove_memory(struct segment *s);

/* At start, with the hugetlbfs backend: enter every segment found in the
 * directory as restored. Returns how many, or a negative errno. */
int segment_restore_dir(struct segtab *t, struct pool *p);

/* A descriptor for a client: the O_RDWR one, or the O_RDONLY one (opened on
 * first use). Returns the fd (still owned by the segment) or a negative errno. */
int segment_fd(struct segment *s, int writable);

/* Close the descriptors and free. The segment must be unlinked. */
void segment_free(struct segment *s);

/* Visit every segment in the table. */
void segment_foreach(struct segtab *t, void (*fn)(struct segment *s, void *ctx), void *ctx);

#endif
