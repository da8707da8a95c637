/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * restore.h - start-up: what a previous daemon left.
 *
 * Owns: reading back, once at start, the segments and pool counts a previous
 * daemon persisted (keep.c) — from the descriptors systemd hands back, and
 * from the hugetlbfs directory — and the grace period: every restored
 * segment is held by one holder (segref.c) until the period ends, so that its
 * old users may register again first. Every record is read by persist.c;
 * anything that is not a valid record of this version is dropped, loudly.
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

/* After everything is restored: drop the grace holder's references after
 * grace seconds. 0 or -ENOMEM. */
int restore_start_grace(struct hpd *hpd, unsigned grace);

/* Shutdown. */
void restore_stop(struct hpd *hpd);

#endif
