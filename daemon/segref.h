/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * segref.h - the one owner of a segment's life.
 *
 * Owns: every segment's user count and the references behind it (struct
 * refs, one per holder: a connection, a fork hold) and their slots in the
 * ledger (every change to a count is staged there; the caller commits), a
 * segment's birth (segref_create, segref_restore), its readiness
 * (segref_made), and its death: destroy() in segref.c is the only road to
 * it, taken when the last reference goes. Every charge taken for a segment
 * is taken here and undone here. Requests, fork holds, restores and admin
 * removal all come through these calls; nothing else writes s->users.
 */
#ifndef HPD_SEGREF_H
#define HPD_SEGREF_H

#include <stdint.h>
#include <sys/types.h>

struct creds;
struct hpd;
struct persist_rec;
struct pool_size;
struct refs;
struct segment;

/* An empty holder, recorded in the ledger as kind (PERSIST_SLOT_CONN or
 * _HOLD) and id; id 0: not recorded. */
void refs_init(struct refs *holder, uint32_t kind, uint64_t id);

/* n more of holder's references to s; s->users grows by n. 0 or -ENOMEM. */
int segref_take(struct hpd *hpd, struct refs *holder, struct segment *s, uint64_t n);
/* One of holder's references to segment id let go. 0, or -EINVAL if the
 * holder has none. The segment dies with its last reference. */
int segref_release(struct hpd *hpd, struct refs *holder, uint64_t id);
/* Every reference of holder let go; holder is empty (and may be freed) after. */
void segref_release_all(struct hpd *hpd, struct refs *holder);
/* Give to a copy of every reference from holds on keyed segments (a fork
 * hold: the child will map those). 0 or -ENOMEM (to is emptied then). */
int segref_copy_keyed(struct hpd *hpd, const struct refs *from, struct refs *to);
/* Move every reference of from to to; the users they count stay counted.
 * 0 or -ENOMEM (what could not be moved stays with from). */
int segref_move_all(struct hpd *hpd, struct refs *from, struct refs *to);
/* How many references holder has on segment id. */
uint64_t segref_count(const struct refs *holder, uint64_t id);
/* Segments the holder has references to. */
size_t segref_nsegments(const struct refs *holder);

/* A new segment of cr's, not ready, handed to the worker to make; its
 * bytes and its count charged to cr's user (the owner) until it is
 * destroyed. 0, -EDQUOT over cr's limits, or -ENOMEM. The caller waits on
 * *out (s->creator). */
int segref_create(struct hpd *hpd, const struct creds *cr, int32_t key, uint64_t size,
                  struct pool_size *ps, mode_t mode, struct segment **out);
/* The worker has made s, or failed (s->error): ready and kept, or out of the
 * key index so that the key is free for the next try. */
void segref_made(struct hpd *hpd, struct segment *s);
/* After those who waited for s have had their turn: if nobody holds it (the
 * creator went away, or making it failed), it dies. */
void segref_settle(struct hpd *hpd, struct segment *s);

/* A segment a previous daemon left (restore.c), with no users yet: the
 * ledger's references are adopted next, and segref_settle() then destroys
 * it if none holds it. NULL if its id or key is taken, or out of memory. */
struct segment *segref_restore(struct hpd *hpd, const struct persist_rec *r, struct pool_size *ps,
                               int fd, int kept);
/* A reference count the ledger holds in slot for holder on s (restore.c).
 * 0 or -ENOMEM. */
int segref_adopt(struct hpd *hpd, struct refs *holder, struct segment *s, uint64_t count,
                 uint32_t slot);

/* hugepagectl remove: the key no longer finds s; it dies with its last user. */
void segref_remove_key(struct hpd *hpd, struct segment *s);

/* Shutdown: free the daemon's copy of every segment; what systemd's store or
 * the hugetlbfs directory keeps stays for the next daemon. */
void segref_shutdown(struct hpd *hpd);

#endif
