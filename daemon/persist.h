/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * persist.h - the one format of everything that survives the daemon.
 *
 * Owns: the text of each persisted record, and the one function that reads
 * it. A record is a short line of [0-9a-z-] (at most PERSIST_MAX bytes), so
 * the same text serves as a descriptor's FDNAME in systemd's store, as a file
 * name in the hugetlbfs directory, and as a line of the state memfd. Every
 * record names its format's version in its first bytes:
 *
 *   hpd2-seg-ID-KEY-UID-GID-MODE-SIZE-PAGESIZE-CTIME   a segment's memory
 *   hpd2-pool-PAGESIZE-PAGES-BASE                      a pool growth not yet taken
 *                                                      back: by PAGES, from BASE
 *   hpd2-state                                         the memfd of pool lines
 *
 * (decimal, MODE in octal; KEY is 0 once removed). Knows nothing of where a
 * record is kept; never trusts a record it reads.
 */
#ifndef HPD_PERSIST_H
#define HPD_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#define PERSIST_VERSION 2
#define PERSIST_MAX     255 /* systemd's limit for an FDNAME */

enum persist_kind {
        PERSIST_SEGMENT = 1,
        PERSIST_POOL = 2,
        PERSIST_STATE = 3,
};

struct persist_rec {
        enum persist_kind kind;
        union {
                struct {
                        uint64_t id;
                        int32_t key;
                        uint32_t uid, gid, mode;
                        uint64_t size, page_size;
                        int64_t ctime;
                } seg;
                struct {
                        uint64_t page_size, pages, base;
                } pool;
        } u;
};

/* Write r into buf (cap bytes, NUL-terminated). Returns the length, or
 * -ENOBUFS, or -EINVAL for a record no reader would accept. */
int persist_format(const struct persist_rec *r, char *buf, size_t cap);

/*
 * Read the n bytes at text (no NUL needed) as one record. Returns 0, or
 *   -ENOENT           not a record of ours at all (no "hpd" prefix);
 *   -EPROTONOSUPPORT  ours, but of another format version;
 *   -EBADMSG          anything else: truncated, a field missing, extra, out
 *                     of range, or not a plain decimal (octal for MODE).
 */
int persist_parse(const char *text, size_t n, struct persist_rec *out);

#endif
