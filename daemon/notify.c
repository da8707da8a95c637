/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * notify.c - systemd notifications, the watchdog and idle exit; see notify.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "hpd.h"
#include "log.h"
#include "notify.h"

struct notify {
        struct event *watchdog, *tick;
        unsigned idle_limit;
        time_t idle_since;
        char last_status[160];
};

struct usage {
        uint64_t segments, pages;
};

static void count(struct segment *s, void *arg)
{
        struct usage *u = arg;

        u->segments++;
        u->pages += s->size / s->page_size;
}

static void update_status(struct hpd *hpd)
{
        struct notify *n = hpd->notify;
        struct usage u = {0};
        char status[sizeof(n->last_status)];

        segment_foreach(&hpd->segs, count, &u);
        snprintf(status, sizeof(status),
                 "STATUS=%" PRIu64 " segments, %" PRIu64 " huge pages, %u clients", u.segments,
                 u.pages, hpd->clients.count);
        if (strcmp(status, n->last_status)) {
                strcpy(n->last_status, status);
                sd_notify(0, status);
        }
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        (void)arg;
        sd_notify(0, "WATCHDOG=1");
}

static int idle(struct hpd *hpd)
{
        return hpd->clients.count == 0 && hpd->segs.by_id.count == 0 && hpd->holds.count == 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
        struct hpd *hpd = arg;
        struct notify *n = hpd->notify;
        time_t now = time(NULL);

        (void)fd;
        (void)what;
        update_status(hpd);
        if (!n->idle_limit)
                return;
        if (!idle(hpd)) {
                n->idle_since = now;
                return;
        }
        if (now - n->idle_since >= (time_t)n->idle_limit) {
                log_info("idle for %u s: exiting (the socket brings me back)", n->idle_limit);
                event_base_loopbreak(hpd->base);
        }
}

int notify_start(struct hpd *hpd, unsigned idle_exit)
{
        struct timeval second = {1, 0};
        struct notify *n = calloc(1, sizeof(*n));
        uint64_t usec = 0;

        if (!n)
                return -ENOMEM;
        hpd->notify = n;
        n->idle_limit = idle_exit;
        n->idle_since = time(NULL);
        n->tick = event_new(hpd->base, -1, EV_PERSIST, on_tick, hpd);
        if (!n->tick || event_add(n->tick, &second) < 0)
                return -ENOMEM;
        if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
                struct timeval half = {(time_t)(usec / 2000000), (long)(usec / 2 % 1000000)};

                n->watchdog = event_new(hpd->base, -1, EV_PERSIST, on_watchdog, NULL);
                if (!n->watchdog || event_add(n->watchdog, &half) < 0)
                        return -ENOMEM;
                log_info("watchdog: pinging every %" PRIu64 " ms", usec / 2000);
        }
        return 0;
}

void notify_ready(struct hpd *hpd)
{
        update_status(hpd);
        sd_notify(0, "READY=1");
}

void notify_stopping(struct hpd *hpd)
{
        (void)hpd;
        sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void notify_stop(struct hpd *hpd)
{
        struct notify *n = hpd->notify;

        if (!n)
                return;
        if (n->watchdog)
                event_free(n->watchdog);
        if (n->tick)
                event_free(n->tick);
        free(n);
        hpd->notify = NULL;
}
