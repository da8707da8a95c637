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
 *   hpd2-conn-ID                                       a client's connection
 *   hpd2-ledger                                        the ledger (below)
 *
 * (decimal, MODE in octal; KEY is 0 once removed).
 *
 * The ledger is the one binary record: who holds what. A header page (struct
 * persist_ledger, with the redo journal) and then an array of fixed-size
 * slots (struct persist_slot): one per connection, one per fork hold, and
 * one per holder and segment it holds, with the count. A change to the
 * slots is written first to the journal, then marked committed by one
 * aligned store, then applied; a reader that finds a committed journal not
 * yet applied applies it again (every entry is a whole slot, so applying
 * twice is applying once). A daemon killed at any instant thus leaves the
 * slots either before or after each change, never in between.
 *
 * Knows nothing of where a record is kept; never trusts a record it reads.
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
        PERSIST_CONN = 4,
        PERSIST_LEDGER = 5,
        PERSIST_EPOCH = 6,
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
                struct {
                        uint64_t id;
                } conn;
        } u;
};

/* The ledger's binary layout. Native byte order: it never leaves the host. */
#define PERSIST_LEDGER_MAGIC "hpdledgr"
#define PERSIST_LEDGER_HEAD  4096u /* the header page; slots follow it */
#define PERSIST_TX_MAX       48u   /* slots one journal entry may change */

enum persist_slot_kind {
        PERSIST_SLOT_FREE = 0,
        PERSIST_SLOT_CONN = 1, /* id: connection id (its hpd2-conn-ID) */
        PERSIST_SLOT_HOLD = 2, /* id: the fork hold's token */
        PERSIST_SLOT_REF = 3,  /* id: the holder's id, sub: its kind (CONN or HOLD) */
};

struct persist_slot {
        uint32_t kind; /* enum persist_slot_kind */
        uint32_t sub;  /* REF: the holder's kind; CONN: the last answer's status */
        uint64_t id;
        /* CONN: a = flags (PERSIST_CONN_*), b = seq of the last request answered,
         *       c = that answer's value (a segment id, a token), d = pid,
         *       e = the pid's start time (clock ticks after boot), f = uid.
         * HOLD: a = parent's connection id, b = parent pid, c = child pid (0:
         *       not named yet), d = the child's start time, e = uid of the parent.
         * REF:  a = segment id, b = count (> 0). */
        uint64_t a, b, c, d, e, f;
};

#define PERSIST_CONN_GREETED    0x1u  /* HELLO done */
#define PERSIST_CONN_PROGRESS   0x2u  /* it asked for PROGRESS */
#define PERSIST_CONN_ANSWERED   0x4u  /* b, c and sub hold an answer */
#define PERSIST_CONN_RDWR       0x8u  /* that answer: an ALLOC that asked to write */
#define PERSIST_CONN_EPOCH      0x10u /* it asked for the key epoch's page */
#define PERSIST_CONN_TYPE(t)    ((uint64_t)(t) << 16) /* that answer's request type */
#define PERSIST_CONN_TYPE_OF(a) ((uint16_t)((a) >> 16))

struct persist_tx_entry {
        uint32_t idx; /* slot index (>= 1) */
        uint32_t reserved;
        struct persist_slot slot;
};

struct persist_ledger {
        char magic[8];      /* PERSIST_LEDGER_MAGIC, no NUL */
        uint32_t version;   /* PERSIST_VERSION */
        uint32_t slot_size; /* sizeof(struct persist_slot) */
        uint64_t nslots;    /* slots after the header page; slot 0 is never used */
        uint64_t next_conn; /* the next connection id (ids are never reused) */
        uint64_t committed; /* journal entries committed, ever */
        uint64_t applied;   /* journal entries applied, ever */
        uint32_t ntx;       /* entries in the journal */
        uint32_t reserved;
        struct persist_tx_entry tx[PERSIST_TX_MAX];
};

_Static_assert(sizeof(struct persist_ledger) <= PERSIST_LEDGER_HEAD, "ledger header page");

/* Whether len bytes at mem are a ledger this version can read: 0,
 * -EPROTONOSUPPORT (another version), or -EBADMSG (not one, or cut short,
 * or a journal that names slots it does not have). */
int persist_ledger_check(const void *mem, size_t len);

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
