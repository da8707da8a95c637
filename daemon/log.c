/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * log.c - the journal's native protocol, or stderr; see log.h.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#define SD_JOURNAL_SUPPRESS_LOCATION /* ours is the caller's */
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

static int journal;
static _Atomic int max_prio = LOG_INFO;

static const char *const names[] = {"emerg",   "alert",  "crit", "err",
                                    "warning", "notice", "info", "debug"};

/* stderr is the journal when $JOURNAL_STREAM names its device and inode. */
static int stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
                return 0;
        return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_setup(void)
{
        journal = stderr_is_journal();
}

void log_set_level(int prio)
{
        if (prio >= LOG_EMERG && prio <= LOG_DEBUG)
                max_prio = prio;
}

int log_level(void)
{
        return max_prio;
}

int log_level_parse(const char *name)
{
        for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
                if (strcmp(name, names[i]) == 0)
                        return i;
        return -1;
}

const char *log_level_name(int prio)
{
        return prio >= LOG_EMERG && prio <= LOG_DEBUG ? names[prio] : "unknown";
}

const char *errname(int err)
{
        const char *n = strerrorname_np(err < 0 ? -err : err);

        return n ? n : "unknown error";
}

/* "NAME=value" into buf; the iovec that points at it. */
static struct iovec field(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct iovec field(char *buf, size_t len, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, len, fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        return (struct iovec){buf, (size_t)n < len ? (size_t)n : len - 1};
}

struct where {
        const char *file, *func;
        int line;
};

static int to_journal(int prio, const struct log_ctx *ctx, const struct where *w, const char *line)
{
        char b[11][96], msg[600];
        struct iovec iov[12];
        const char *file = strrchr(w->file, '/');
        int n = 0;

        iov[n++] = field(msg, sizeof(msg), "MESSAGE=%s", line);
        iov[n++] = field(b[0], sizeof(b[0]), "PRIORITY=%d", prio);
        iov[n++] = field(b[1], sizeof(b[1]), "SYSLOG_IDENTIFIER=hugepaged");
        iov[n++] = field(b[8], sizeof(b[8]), "CODE_FILE=daemon/%s", file ? file + 1 : w->file);
        iov[n++] = field(b[9], sizeof(b[9]), "CODE_LINE=%d", w->line);
        iov[n++] = field(b[10], sizeof(b[10]), "CODE_FUNC=%s", w->func);
        if (ctx && ctx->message_id)
                iov[n++] = field(b[2], sizeof(b[2]), "MESSAGE_ID=%s", ctx->message_id);
        if (ctx && (ctx->fields & LOG_KEY))
                iov[n++] = field(b[3], sizeof(b[3]), "HUGEPAGED_KEY=%" PRId32, ctx->key);
        if (ctx && (ctx->fields & LOG_SEGMENT))
                iov[n++] = field(b[4], sizeof(b[4]), "HUGEPAGED_SEGMENT=%" PRIu64, ctx->segment);
        if (ctx && (ctx->fields & LOG_PEER)) {
                iov[n++] = field(b[5], sizeof(b[5]), "HUGEPAGED_PEER_PID=%d", (int)ctx->pid);
                iov[n++] = field(b[6], sizeof(b[6]), "HUGEPAGED_PEER_UID=%u", (unsigned)ctx->uid);
        }
        if (ctx && (ctx->fields & LOG_ERRNO))
                iov[n++] =
                    field(b[7], sizeof(b[7]), "ERRNO=%d", ctx->err < 0 ? -ctx->err : ctx->err);
        return sd_journal_sendv(iov, n);
}

void log_at(int prio, const char *file, int line, const char *func, const struct log_ctx *ctx,
            const char *fmt, ...)
{
        struct where w = {file, func, line};
        char text[512];
        va_list ap;

        if (prio > max_prio)
                return;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        if (journal && to_journal(prio, ctx, &w, text) >= 0)
                return;
        if (journal)
                fprintf(stderr, "<%d>%s\n", prio, text);
        else
                fprintf(stderr, "hugepaged: %s\n", text);
}
