/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * log.c - stderr logging; see log.h.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int journal;
static int max_prio = LOG_INFO;

void log_init(int verbose)
{
        journal = getenv("JOURNAL_STREAM") != NULL;
        max_prio = verbose ? LOG_DEBUG : LOG_INFO;
}

const char *errname(int err)
{
        const char *n = strerrorname_np(err < 0 ? -err : err);

        return n ? n : "unknown error";
}

void log_msg(int prio, const char *fmt, ...)
{
        char line[512];
        va_list ap;

        if (prio > max_prio)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        if (journal)
                fprintf(stderr, "<%d>%s\n", prio, line);
        else
                fprintf(stderr, "hugepaged: %s\n", line);
}
