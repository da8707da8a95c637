/*
 * log.c - stderr logging; see log.h. Safe to call from the worker thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int journal;
static int max_prio = LOG_INFO;

void log_init(int verbose)
{
        journal = getenv("JOURNAL_STREAM") != NULL;
        max_prio = verbose ? LOG_DEBUG : LOG_INFO;
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
