/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * user.h - what each user holds, charged and undone.
 *
 * Owns: one struct user per uid that holds anything (huge-page bytes in
 * all and per page size, segments, connections, fork holds not yet
 * claimed), the total of all non-root users, and struct charge: what one
 * thing (a segment, a connection, a hold) took, given back by one call
 * whatever the path that frees it (dbus-broker's user.c is the model). A
 * user's entry lives while it holds a charge. Limits come from the caller;
 * this file only counts and compares. Over a limit is -EDQUOT.
 */
#ifndef HPD_USER_H
#define HPD_USER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "htab.h"

#define USER_SIZES 8 /* page sizes counted apart (POOL_MAX_SIZES) */

enum user_count {
        USER_BYTES, /* of one page size (charge.size) */
        USER_SEGMENTS,
        USER_CONNECTIONS,
        USER_FORK_HOLDS,
        USER_SENT_FDS, /* descriptors it sent that the closer has yet to close */
        USER_NCOUNTS,
};

struct user {
        struct hnode node; /* key: uid */
        uid_t uid;
        uint64_t count[USER_NCOUNTS]; /* USER_BYTES: all page sizes together */
        uint64_t bytes[USER_SIZES];   /* per page size index */
        unsigned charges;             /* live charges: the entry goes with the last */
        uint64_t limit[USER_NCOUNTS]; /* the limits of its last charge, for reports */
        uint64_t size_limit[USER_SIZES];
        unsigned refused; /* USER_* bits logged as refused, until under again */
};

struct users {
        struct htab by_uid;
        uint64_t all_bytes; /* every non-root user's bytes together */
};

struct charge {
        struct user *user; /* NULL: nothing charged */
        enum user_count what;
        size_t size; /* page size index, for USER_BYTES */
        uint64_t amount;
};

/*
 * Charge amount of what to uid, unless that takes the user over limit (and,
 * for bytes of a non-root user, all non-root users over all_limit; pass
 * LIMIT_INFINITY for none). For bytes, size is the page size index and
 * limit the user's limit for that size, size_limit over all sizes. 0,
 * -EDQUOT, or -ENOMEM. force: charge even over the limit (what already
 * exists, restored after a restart, is never refused).
 */
int user_charge(struct users *us, struct charge *ch, uid_t uid, enum user_count what, size_t size,
                uint64_t amount, uint64_t limit, uint64_t size_limit, uint64_t all_limit,
                int force);

/* Give back what ch took (nothing if it took nothing). */
void user_uncharge(struct users *us, struct charge *ch);

/* The user's entry, or NULL if uid holds nothing. */
const struct user *user_find(const struct users *us, uid_t uid);

/* Once per user and count: 1 if this refusal should be logged, 0 if one
 * already was since the user last fell back under the limit. */
int user_should_log(struct users *us, uid_t uid, enum user_count what);

void user_foreach(const struct users *us, void (*fn)(const struct user *u, void *ctx), void *ctx);

#endif
