/*
 * notify.c - systemd notifications, the watchdog and idle exit; see notify.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "hpd.h"
#include "log.h"
#include "notify.h"
#include "worker.h"

static struct event *watchdog_ev, *tick_ev;
static struct hpd *daemon_state;
static unsigned idle_limit;
static time_t idle_since;
static char last_status[160];

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
        struct usage u = {0};
        char status[sizeof(last_status)];

        segment_foreach(&hpd->segs, count, &u);
        snprintf(status, sizeof(status),
                 "STATUS=%" PRIu64 " segments, %" PRIu64 " huge pages, %u clients", u.segments,
                 u.pages, hpd->nclients);
        if (strcmp(status, last_status)) {
                strcpy(last_status, status);
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
        return hpd->nclients == 0 && hpd->segs.by_id.count == 0 && hpd->holds.count == 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
        struct hpd *hpd = arg;
        time_t now = time(NULL);

        (void)fd;
        (void)what;
        update_status(hpd);
        /* Every few seconds: pages a process kept mapped after its segment
         * was destroyed are free by now. */
        if (now % 2 == 0)
                worker_give_back(hpd->worker);
        if (!idle_limit)
                return;
        if (!idle(hpd)) {
                idle_since = now;
                return;
        }
        if (now - idle_since >= (time_t)idle_limit) {
                log_info("idle for %u s: exiting (the socket brings me back)", idle_limit);
                event_base_loopbreak(hpd->base);
        }
}

int notify_start(struct hpd *hpd, unsigned idle_exit)
{
        struct timeval second = {1, 0};
        uint64_t usec = 0;

        daemon_state = hpd;
        idle_limit = idle_exit;
        idle_since = time(NULL);
        tick_ev = event_new(hpd->base, -1, EV_PERSIST, on_tick, hpd);
        if (!tick_ev || event_add(tick_ev, &second) < 0)
                return -ENOMEM;
        if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
                struct timeval half = {(time_t)(usec / 2000000), (long)(usec / 2 % 1000000)};

                watchdog_ev = event_new(hpd->base, -1, EV_PERSIST, on_watchdog, NULL);
                if (!watchdog_ev || event_add(watchdog_ev, &half) < 0)
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

void notify_stopping(void)
{
        sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void notify_stop(void)
{
        if (watchdog_ev)
                event_free(watchdog_ev);
        if (tick_ev)
                event_free(tick_ev);
        watchdog_ev = tick_ev = NULL;
        daemon_state = NULL;
}
