/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ledger.h - who holds what, in memory that outlives the daemon.
 *
 * Owns: the ledger (persist.h has its layout): a memfd (kept in systemd's
 * store by keep.c) or a file, mapped, whose slots say which connections and
 * fork holds exist and how many references each holds on each segment. A
 * restarted daemon reads it back (restore.c, session.c) and knows exactly
 * the users there were. Changes are staged, then committed together:
 * ledger_commit() is the moment they take effect for a reader, so a daemon
 * killed at any instant leaves each group of changes whole or absent. Only
 * the loop thread uses it. Knows nothing of what the slots mean beyond
 * their layout; must never be written around (every slot write is staged).
 *
 * Without a place to keep it (no systemd store, no directory), the ledger
 * is inactive: slot 0 stands for "not recorded" and every call is a no-op.
 */
#ifndef HPD_LEDGER_H
#define HPD_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "persist.h"

struct ledger {
        int fd; /* -1: inactive */
        struct persist_ledger *head;
        struct persist_slot *slots; /* slots[0] unused */
        size_t len;                 /* bytes mapped */
        uint32_t *free;             /* free slot indexes, a stack */
        size_t nfree, free_cap;
};

/* A new, empty ledger in a memfd. 0 or a negative errno (inactive then). */
int ledger_create(struct ledger *l);
/* The ledger in file name of directory dir (no systemd store): the one a
 * previous daemon left, as ledger_adopt(), else a new one. 1 (adopted), 0
 * (new), or a negative errno (inactive). */
int ledger_open_at(struct ledger *l, int dir, const char *name);
/* The ledger a previous daemon left in fd (taken): checked, its committed
 * journal applied. 0, or a negative errno (persist_ledger_check()); fd is
 * closed then and the ledger stays inactive. */
int ledger_adopt(struct ledger *l, int fd);
void ledger_close(struct ledger *l);

static inline int ledger_active(const struct ledger *l)
{
        return l->fd >= 0;
}

/* A free slot for a new record, in *idx (0 when inactive). 0 or -ENOMEM. */
int ledger_alloc(struct ledger *l, uint32_t *idx);
/* Stage slot idx's new contents; or its freeing (the index is free again at
 * once: a later stage in the same group may reuse it). No-op for idx 0. */
void ledger_set(struct ledger *l, uint32_t idx, const struct persist_slot *s);
void ledger_free(struct ledger *l, uint32_t idx);
/* Commit what is staged, if there is room for fewer than n more entries: a
 * caller whose n entries must take effect together asks first. */
void ledger_room(struct ledger *l, unsigned n);
/* Make what is staged take effect. */
void ledger_commit(struct ledger *l);

/* Slot idx as committed (NULL if out of range or inactive). */
const struct persist_slot *ledger_slot(const struct ledger *l, uint32_t idx);
uint32_t ledger_nslots(const struct ledger *l);
/* A connection id never used before (also not by a previous daemon). */
uint64_t ledger_new_conn_id(struct ledger *l);

#endif
