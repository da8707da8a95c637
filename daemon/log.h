/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * log.h - one entry per event: to the journal, with fields, under systemd;
 * else one line to stderr.
 *
 * Owns: the log level and the entry format. When stderr is the journal
 * ($JOURNAL_STREAM names it), entries go through the journal's native
 * protocol (sd_journal_sendv) with PRIORITY=, the fields an event has
 * (HUGEPAGED_KEY=, HUGEPAGED_SEGMENT=, HUGEPAGED_PEER_PID=,
 * HUGEPAGED_PEER_UID=, ERRNO=) and, for the events journalctl users look
 * for, a MESSAGE_ID=; should the journal refuse one, it goes to stderr.
 * Elsewhere a line "hugepaged: MESSAGE". Process-wide by nature (like errno):
 * the one piece of daemon state that is not reached through struct hpd.
 * Safe from any thread.
 */
#ifndef HPD_LOG_H
#define HPD_LOG_H

#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

/* MESSAGE_ID= of the events (journalctl MESSAGE_ID=...; hugepaged(8)). */
#define LOG_ID_CREATED   "48638f7036bd44ffa15c0936742ba941" /* a segment was made */
#define LOG_ID_DESTROYED "1cd22611bced460cb5538112eeec0290" /* a segment's last user went */
#define LOG_ID_REFUSED   "f832194bbbd84cde8fc2bfbaed33f6c0" /* a request or connection refused */
#define LOG_ID_REMOVED   "1b05d1b0e6b4458098901c6a47b859ec" /* a key removed (hugepagectl remove) */

/* Which fields of struct log_ctx an entry carries. */
#define LOG_KEY     (1u << 0)
#define LOG_SEGMENT (1u << 1)
#define LOG_PEER    (1u << 2) /* pid and uid */
#define LOG_ERRNO   (1u << 3)

struct log_ctx {
        unsigned fields;        /* LOG_* bits */
        const char *message_id; /* LOG_ID_*, or NULL */
        int32_t key;
        uint64_t segment;
        pid_t pid;
        uid_t uid;
        int err; /* an errno value, either sign */
};

/* A refusal of what a peer (anything with pid and uid: struct creds) asked,
 * about a key or not. */
#define LOG_REFUSED_KEY(cr, k, e)                                                                  \
        ((struct log_ctx){.fields = LOG_KEY | LOG_PEER | LOG_ERRNO,                                \
                          .message_id = LOG_ID_REFUSED,                                            \
                          .key = (k),                                                              \
                          .pid = (cr)->pid,                                                        \
                          .uid = (cr)->uid,                                                        \
                          .err = (e)})
#define LOG_REFUSED(cr, e)                                                                         \
        ((struct log_ctx){.fields = LOG_PEER | LOG_ERRNO,                                          \
                          .message_id = LOG_ID_REFUSED,                                            \
                          .pid = (cr)->pid,                                                        \
                          .uid = (cr)->uid,                                                        \
                          .err = (e)})

/* The level from a syslog priority (LOG_ERR .. LOG_DEBUG); and the one in
 * force. Where entries go is decided once, by log_setup(). */
void log_setup(void);
void log_set_level(int prio);
int log_level(void);
/* "err", "warning", "notice", "info", "debug" (and "emerg", "alert",
 * "crit"): the priority, or -1. And back: the name of one. */
int log_level_parse(const char *name);
const char *log_level_name(int prio);

/* An entry (with the fields of ctx, which may be NULL), from the caller's
 * file, line and function (CODE_FILE=, CODE_LINE=, CODE_FUNC=). */
void log_at(int prio, const char *file, int line, const char *func, const struct log_ctx *ctx,
            const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define log_msg(prio, ...) log_at(prio, __FILE__, __LINE__, __func__, NULL, __VA_ARGS__)
/* log_event(prio, ctx, fmt, ...): ctx may be a compound literal (its commas
 * are part of the variable arguments). */
#define log_event(prio, ...) log_at(prio, __FILE__, __LINE__, __func__, __VA_ARGS__)

/* The name of an errno value ("ENOMEM"), positive or negative; never NULL. */
const char *errname(int err);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
