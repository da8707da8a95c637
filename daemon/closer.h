/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * closer.h - closing what clients send, where a blocking close() hurts no one.
 *
 * Owns: one thread and its queue of descriptors to close. A descriptor a
 * client sent the daemon (which no request may carry) can block close():
 * a TCP socket with SO_LINGER and unsent data, a file on a FUSE mount whose
 * server never answers FLUSH. The event loop never closes one; it hands it
 * here and forgets it. Sockets are first told to linger 0 (an abortive
 * close, at once). Each descriptor is charged to the user who sent it
 * until it is closed (USER_SENT_FDS), so one user cannot fill the daemon's
 * descriptor table through a close that never ends: past CLOSER_MAX_PER_USER
 * pending, that user's connections are refused (client.c).
 *
 * Where the kernel can refuse descriptors at the socket (SO_PASSRIGHTS,
 * Linux 6.16), none arrive at all: see closer_refuse_rights().
 */
#ifndef HPD_CLOSER_H
#define HPD_CLOSER_H

#include <sys/types.h>

struct closer;
struct event_base;
struct users;

#define CLOSER_MAX_PER_USER 16

int closer_start(struct closer **out, struct event_base *base, struct users *users);

/* Close fd (sent by uid) off the loop; the closer owns it from now on. */
void closer_add(struct closer *c, int fd, uid_t uid);

/* Tell the kernel to refuse descriptors sent to the connected socket sock.
 * 1 done, 0 this kernel cannot (the closer is the defence then), or a
 * negative errno. HUGEPAGED_SO_PASSRIGHTS=0 in the environment forces 0
 * (for testing the fallback on a kernel that has it). */
int closer_refuse_rights(int sock);

/* Shutdown: the thread is left to finish what it can; the process is ending. */
void closer_stop(struct closer *c);

#endif
