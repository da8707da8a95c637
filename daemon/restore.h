/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * restore.h - start-up: what a previous daemon left.
 *
 * Owns: reading back, once at start, what a previous daemon persisted
 * (keep.c, ledger.c) — the segments, the pool counts, the ledger and the
 * client connections, from the descriptors systemd hands back, and from the
 * hugetlbfs directory — and making them whole again: each connection
 * resumes (session.c), each fork hold is held again (hold.c), each
 * reference the ledger records is counted again (segref.c), and a segment
 * left with no user dies. No timer decides anything. Every record is read by
 * persist.c; anything that is not a valid record of this version is
 * dropped, loudly.
 */
#ifndef HPD_RESTORE_H
#define HPD_RESTORE_H

struct hpd;

int restore_init(struct hpd *hpd);

/* A descriptor systemd handed back under name. Returns 1 if it was ours
 * (taken, or dropped from the store), 0 if it is a socket and no record:
 * the listening socket. */
int restore_systemd(struct hpd *hpd, int fd, const char *name);

/* With the hugetlbfs backend: every segment file and pool marker in the
 * directory. 0 or a negative errno. */
int restore_dir(struct hpd *hpd);

/* Growth markers a dead daemon left in dir (the socket's directory, when
 * nothing else keeps them): undone and removed; nothing else there is
 * touched. */
void restore_markers(struct hpd *hpd, int dir);

/* Without systemd's store, with the hugetlbfs backend: the ledger is a file
 * in dir (the socket's directory; taken). */
void restore_ledger_in(struct hpd *hpd, int dir);

/* Once every descriptor is read and clients can be served: the ledger
 * read back (or a new one made and kept), connections resumed, holds and
 * references counted again, unheld segments destroyed. */
void restore_finish(struct hpd *hpd);

/* Shutdown. */
void restore_stop(struct hpd *hpd);

#endif
