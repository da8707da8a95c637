/*
 * log.h - one line per event to stderr (the journal under systemd).
 *
 * Lines carry a syslog priority prefix ("<3>") when stderr is the journal,
 * so journald files them at the right level.
 */
#ifndef HPD_LOG_H
#define HPD_LOG_H

#include <syslog.h>

void log_init(int verbose);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
