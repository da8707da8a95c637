/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * conn.h - the library's one connection to hugepaged.
 *
 * Owns: the socket, the HELLO exchange, request/reply round trips, and
 * noticing that the daemon went away. Not thread-safe: api.c holds its lock
 * around every call. Errors are negative errno values; errno is never set
 * here.
 */
#ifndef HPLIB_CONN_H
#define HPLIB_CONN_H

#include <stdint.h>

#include "hp_proto.h"

/* Silence from the daemon longer than this ends a call with ENOSYS (see
 * $HUGEPAGED_TIMEOUT). */
#define CONN_TIMEOUT_SECONDS 5

struct conn {
        int fd; /* -1: not connected */
        uint64_t seq;
        uint64_t gen;                 /* bumped whenever a connection ends */
        uint64_t default_page_size;   /* from HELLO */
        int connect_errno;            /* why the last connect() failed (the library says ENOSYS) */
        int want_epoch;               /* ask for the key epoch's page at HELLO */
        const struct hp_epoch *epoch; /* that page, mapped (the last connection's), or NULL */
        /* Called on every new connection after the greeting (requests go
         * through conn_request); a negative return abandons the connection. */
        int (*on_connect)(struct conn *c);
};

#define CONN_INIT                                                                                  \
        {                                                                                          \
                .fd = -1, .gen = 1                                                                 \
        } /* gen 0 means "no connection" in maptab */

/* Connect and greet, unless connected. -ENOSYS when no daemon answers. */
int conn_ensure(struct conn *c);

/*
 * One round trip: send a request, wait for its reply, decode it. The reply
 * must be of type reply_type. *fd receives the descriptor that came with it
 * (or -1); pass fd NULL when none may come. If the connection breaks and
 * may_retry is set, reconnect once and send again. Returns 0 (the reply's
 * status is in *reply) or a negative errno: -ENOSYS no daemon, -EPROTO a
 * reply the codec rejected (the connection is then closed).
 */
int conn_call(struct conn *c, uint16_t type, const void *body, size_t len, uint16_t reply_type,
              struct hp_msg *reply, int *fd, int may_retry);

/* One round trip on the connection as it is: no connecting, no retry. On
 * failure the connection is dropped. Same returns as conn_call. */
int conn_request(struct conn *c, uint16_t type, const void *body, size_t len, uint16_t reply_type,
                 struct hp_msg *reply, int *fd);

/* A one-way request, with no reply to wait for, sent only if the socket has
 * room at once: 0, -EAGAIN (nothing sent), or another negative errno (the
 * connection is then dropped). */
int conn_post(struct conn *c, uint16_t type, const void *body, size_t len);

/* Drop the connection (in a forked child: our copy of the parent's). */
void conn_drop(struct conn *c);

/* The key epoch now (struct hp_epoch), or 0 without its page. */
static inline uint64_t conn_epoch(const struct conn *c)
{
        return c->epoch ? __atomic_load_n(&c->epoch->epoch, __ATOMIC_ACQUIRE) : 0;
}

#endif
