/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hpd.h - the daemon's shared state, handed to the modules above the core.
 *
 * Owns nothing itself: each field belongs to the module named beside it.
 * Only the loop thread touches this structure. Included only by modules
 * that sit above everything it embeds (see docs/architecture.md): those
 * below take their own object, never struct hpd.
 */
#ifndef HPD_HPD_H
#define HPD_HPD_H

#include <time.h>

#include "client.h"
#include "config.h"
#include "epoch.h"
#include "htab.h"
#include "keep.h"
#include "ledger.h"
#include "memory.h"
#include "pool.h"
#include "segment.h"
#include "user.h"

struct closer;
struct event_base;
struct notify;
struct restore;
struct worker;

struct hpd {
        struct event_base *base;
        struct segtab segs;      /* segment.c, lives by segref.c */
        struct backend backend;  /* memory.c */
        struct keep keep;        /* keep.c */
        struct ledger ledger;    /* ledger.c: written through segref.c, session.c, hold.c */
        struct epoch epoch;      /* epoch.c: bumped by admin.c (a key removed), restore.c */
        struct htab sessions;    /* session.c: connection id -> struct client */
        struct htab absent;      /* session.c: connection id -> a process that held it */
        struct pool pool;        /* pool.c (the worker's while it runs) */
        struct worker *worker;   /* worker.c */
        struct closer *closer;   /* closer.c */
        struct clients clients;  /* client.c */
        struct config *config;   /* main.c: the configuration in force (swapped on SIGHUP) */
        struct users users;      /* user.c: what each user holds */
        struct htab holds;       /* hold.c: token -> struct hold */
        struct restore *restore; /* restore.c: what start-up found, until it is settled */
        struct notify *notify;   /* notify.c */
        struct event *progress;  /* request.c: the PROGRESS timer */
        time_t started;          /* main.c */
        uint64_t created;        /* segref.c: segments made since start (hugepagectl status) */
        uint64_t destroyed;      /* segref.c: segments whose last user went */
        int stopping;            /* main.c: shutting down; kept state is left alone */
};

#endif
