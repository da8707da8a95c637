/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * session.h - what of a connection survives the daemon.
 *
 * Owns: each connection's id, its slot in the ledger (its HELLO flags and the
 * last answer it was given to a request that changes anything), its place in
 * systemd's store ("hpd2-conn-ID"), and resuming it after a restart: a
 * restarted daemon gets the socket back from the store, finds it where the
 * last daemon left it, and, if the request at its head is the one whose
 * answer was recorded, answers it again from the record instead of doing it
 * twice. A client that went away while no daemon ran has no socket in the
 * store any more (systemd drops one on EPOLLHUP): its record, and every
 * reference it held, go.
 */
#ifndef HPD_SESSION_H
#define HPD_SESSION_H

#include "client.h"

struct hpd;

/* A new connection (client_ops.connected): its id, record and stored
 * socket. 0, or -ENOSPC when the store is full, or -ENOMEM. */
int session_open(struct client *c);
/* c goes: out of the store and the ledger (its references went before). */
void session_close(struct client *c);
/* The answer to c's request in progress (client_ops.answered); recorded if
 * the request changes anything (effect), and the ledger committed. */
void session_answered(struct client *c, int effect, int result, const struct reply *r);
/* A socket from the store for connection id, with its ledger slot: the
 * client resumes. 0, or a negative errno (fd closed, slot left to the
 * caller). */
int session_resume(struct hpd *hpd, uint64_t id, int fd, uint32_t slot,
                   const struct persist_slot *rec);
/* If c's request in progress is the one a previous daemon answered: answer
 * it again from the record and return 1; else 0. */
int session_replay(struct client *c);
/* The client with connection id, or NULL. */
struct client *session_find(struct hpd *hpd, uint64_t id);

/* Without a store: connection id's process, if it still lives (pid and
 * start time from rec), keeps what the connection held until it exits or
 * registers again. 0, or -ESRCH (gone) or -ENOMEM. */
int session_absent(struct hpd *hpd, uint64_t id, uint32_t slot, const struct persist_slot *rec);
/* The references connection id holds (a resumed client's, or an absent
 * process's), or NULL. */
struct refs *session_refs(struct hpd *hpd, uint64_t id);
/* An absent holder of process pid that holds segment seg, or NULL; once it
 * holds nothing, session_absent_settle() frees it. */
struct refs *session_absent_of(struct hpd *hpd, pid_t pid, uint64_t seg);
void session_absent_settle(struct hpd *hpd, struct refs *holder);
/* Shutdown: forget the absent (the ledger keeps them), free the indexes. */
void session_stop(struct hpd *hpd);

#endif
