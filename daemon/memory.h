/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memory.h - where a segment's memory lives.
 *
 * Owns: the backend (memfds, or files in a hugetlbfs directory), making a
 * segment's memory (a file of its page size, owned and moded like the
 * segment, fallocated, sealed where it can be), the read-only reopening,
 * and removing a segment's file. The hugetlbfs file of a segment is named by
 * its record (persist.h), so a restarted daemon finds it (restore.c).
 * hugetlbfs files cannot be sealed; see docs/systemd.md. Must never decide
 * when memory is made or freed, nor persist anything but that file's name.
 */
#ifndef HPD_MEMORY_H
#define HPD_MEMORY_H

#include <stdint.h>

struct segment;

struct backend {
        int dir;            /* hugetlbfs directory, or -1: memfds */
        uint64_t page_size; /* the hugetlbfs mount's page size; 0 with memfds */
};

#define BACKEND_MEMFD ((struct backend){.dir = -1})

/* Use files in dir, on a hugetlbfs mount. 0 or a negative errno. */
int memory_use_hugetlbfs(struct backend *b, const char *dir);
void memory_close(struct backend *b);

/* Worker side, making s's memory in steps: the file (owned and moded like
 * s, into s->fd), then its pages bytes at a time from offset (fallocate:
 * zeroed), then sealing or naming it. Each 0 or a negative errno; after a
 * failure at any step, memory_abort. */
int memory_begin(const struct backend *b, struct segment *s);
/* The warm pool (memfds only): a file made and filled like a segment's, but
 * for nobody yet (memory_warm_begin, then memory_fill; never sealed), and,
 * when a create takes it, cut to the segment's size and given its owner and
 * mode (memory_warm_take, then memory_end). Both take the file or fail
 * without it. */
int memory_warm_begin(struct segment *piece);
int memory_warm_take(struct segment *s, int fd);
int memory_fill(struct segment *s, uint64_t offset, uint64_t bytes);
int memory_end(const struct backend *b, struct segment *s);
void memory_abort(const struct backend *b, struct segment *s);
/* Worker side, when s is destroyed: remove its file, if any. */
void memory_remove(const struct backend *b, const struct segment *s);
/* s was renamed (removed key): its file follows, if any. old is its name. */
void memory_rename(const struct backend *b, const struct segment *s, const char *old);

/* A descriptor for a client: the O_RDWR one, or the O_RDONLY one (opened on
 * first use). Returns the fd (still owned by the segment) or a negative errno. */
int memory_fd(struct segment *s, int writable);

#endif
