/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * notify.h - telling systemd how the daemon is doing.
 *
 * Owns: READY/STATUS/STOPPING/WATCHDOG notifications and the idle exit. The
 * watchdog is pinged from a timer on the event loop, so a loop that hangs
 * stops pinging and systemd kills and restarts it. Without $NOTIFY_SOCKET
 * every call is a no-op, apart from the idle exit.
 */
#ifndef HPD_NOTIFY_H
#define HPD_NOTIFY_H

struct hpd;

/* Start the timers. idle_exit: seconds without clients, segments or holds
 * before the daemon ends itself (0: never). 0 or a negative errno. */
int notify_start(struct hpd *hpd, unsigned idle_exit);
void notify_ready(struct hpd *hpd);
void notify_stopping(struct hpd *hpd);
void notify_stop(struct hpd *hpd);

#endif
