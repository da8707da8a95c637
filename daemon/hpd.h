/*
 * hpd.h - the daemon's shared state, handed to each module.
 *
 * Owns nothing itself: each field belongs to the module named beside it.
 * Only the loop thread touches this structure.
 */
#ifndef HPD_HPD_H
#define HPD_HPD_H

#include <time.h>

#include "list.h"
#include "pool.h"
#include "segment.h"

struct event;
struct event_base;
struct worker;

struct hpd {
        struct event_base *base;
        struct segtab segs;         /* segment.c */
        struct htab holds;          /* hold.c: token -> struct hold */
        struct pool pool;           /* pool.c (the worker's while it runs) */
        struct worker *worker;      /* worker.c */
        struct list clients;        /* client.c */
        unsigned nclients;          /* client.c */
        unsigned max_clients;       /* main.c, from RLIMIT_NOFILE */
        int listen_fd;              /* listener.c */
        struct event *accept_ev;    /* client.c */
        struct event *accept_pause; /* client.c: re-enables accept after EMFILE */
        time_t started;
        int stopping; /* main.c: shutting down; the store is left alone */
};

#endif
