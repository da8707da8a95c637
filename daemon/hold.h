/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hold.h - references a forking parent lends its child.
 *
 * Owns: the holds, one per fork() of a client that maps keyed segments. A
 * hold is a holder of references (segref.c) to every keyed segment the
 * parent held when it asked, so no free by the parent can destroy a segment
 * between fork() and the moment the child is counted. The child claims the
 * hold on its own connection; if it dies first (watched through a pidfd
 * once the parent has named it), or the parent reports no child, the hold
 * is dropped. A hold whose child was never named is dropped after
 * HOLD_UNNAMED_SECONDS, or HOLD_ORPHAN_SECONDS once its parent is gone too:
 * a living child claims within milliseconds of fork(), so by then there is
 * none. Each hold is charged to its parent's user (MaxForkHolds=) until it
 * is claimed or dropped. Handlers as client.h describes (handler_fn).
 */
#ifndef HPD_HOLD_H
#define HPD_HOLD_H

#include "client.h"
#include "persist.h"

struct hpd;

#define HOLD_UNNAMED_SECONDS 30
#define HOLD_ORPHAN_SECONDS  1

int hold_fork(struct client *c, const struct hp_msg *m, struct reply *r);
int hold_fork_done(struct client *c, const struct hp_msg *m, struct reply *r);
int hold_claim(struct client *c, const struct hp_msg *m, struct reply *r);

/* After a restart: the hold a ledger record describes (slot), watching its
 * child again if it was named (dropped at once if that process is gone),
 * else expiring as a new one would. Its references, which the caller adopts
 * next: NULL when out of memory (slot is then still the caller's to free). */
struct refs *hold_restore(struct hpd *hpd, uint32_t slot, const struct persist_slot *rec);
/* The references of the hold with token, or NULL. */
struct refs *hold_refs(struct hpd *hpd, uint64_t token);

/* c disconnects: holds it asked for stay (the child may still claim them). */
void hold_client_gone(struct client *c);

/* Shutdown: drop every hold. */
void hold_free_all(struct hpd *hpd);

#endif
