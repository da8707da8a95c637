/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * log.h - one line per event to stderr (the journal under systemd).
 *
 * Owns: the log level and the line format. Lines carry a syslog priority
 * prefix ("<3>") when stderr is the journal, so journald files them at the
 * right level. Process-wide by nature (like errno): the one piece of daemon
 * state that is not reached through struct hpd. Safe from any thread.
 */
#ifndef HPD_LOG_H
#define HPD_LOG_H

#include <syslog.h>

void log_init(int verbose);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The name of an errno value ("ENOMEM"), positive or negative; never NULL. */
const char *errname(int err);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
