/*
 * store.c - the file descriptor store; see store.h.
 *
 * FDNAME: "hp1-ID-KEY-UID-GID-MODE-SIZE-PAGESIZE" (decimal, MODE octal), at
 * most 255 characters of [0-9a-z-] as systemd requires.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "hpd.h"
#include "log.h"
#include "request.h"
#include "store.h"

static int active;
static int pool_stored;
static struct event *grace_ev;

void store_init(void)
{
        const char *e = getenv("NOTIFY_SOCKET");

        active = e && *e;
}

int store_active(void)
{
        return active;
}

static void name_of(const struct segment *s, char *buf, size_t len)
{
        snprintf(buf, len, "hp1-%" PRIu64 "-%" PRId32 "-%u-%u-%o-%" PRIu64 "-%" PRIu64, s->id,
                 segment_stored_key(s), (unsigned)s->uid, (unsigned)s->gid, (unsigned)s->mode,
                 s->size, s->page_size);
}

void store_add(struct segment *s)
{
        char msg[128] = "FDSTORE=1\nFDNAME=";
        int r;

        if (!active)
                return;
        name_of(s, msg + strlen(msg), sizeof(msg) - strlen(msg));
        r = sd_pid_notify_with_fds(0, 0, msg, &s->fd, 1);
        if (r <= 0)
                log_warn("segment id=%" PRIu64 ": not kept in systemd's store: %s", s->id,
                         r < 0 ? strerror(-r) : "no notify socket");
}

void store_remove(struct segment *s)
{
        char msg[128] = "FDSTOREREMOVE=1\nFDNAME=";

        if (!active)
                return;
        name_of(s, msg + strlen(msg), sizeof(msg) - strlen(msg));
        sd_notify(0, msg);
}

void store_pool_state(int fd, int keep)
{
        if (!active || keep == pool_stored)
                return;
        if (keep)
                sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=" STORE_POOL_NAME, &fd, 1);
        else
                sd_notify(0, "FDSTOREREMOVE=1\nFDNAME=" STORE_POOL_NAME);
        pool_stored = keep;
}

static void forget(int fd, const char *name)
{
        char msg[300];

        log_warn("store: dropping '%s'", name);
        snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
        sd_notify(0, msg);
        close(fd);
}

int store_restore(struct hpd *hpd, int fd, const char *name)
{
        unsigned long long id, size, page_size;
        unsigned uid, gid, mode;
        struct pool_size *ps;
        struct segment *s;
        struct stat st;
        int key, n = 0;

        if (strcmp(name, STORE_POOL_NAME) == 0) {
                pool_stored = 1;
                if (pool_load_state(&hpd->pool, fd) < 0)
                        forget(fd, name);
                return 1;
        }
        if (strncmp(name, "hp1-", 4))
                return 0;
        if (sscanf(name, "hp1-%llu-%d-%u-%u-%o-%llu-%llu%n", &id, &key, &uid, &gid, &mode, &size,
                   &page_size, &n) != 7 ||
            name[n] || id == 0 || key < 0 || !(ps = pool_find(&hpd->pool, page_size)) ||
            size == 0 || size % page_size || fstat(fd, &st) < 0 || (uint64_t)st.st_size != size) {
                forget(fd, name);
                return 1;
        }
        s = segment_restore(&hpd->segs, id, key, size, ps, uid, gid, mode, fd);
        if (!s) {
                forget(fd, name);
                return 1;
        }
        log_info("segment id=%llu key=%d: restored from systemd's store (%llu bytes)", id, key,
                 size);
        return 1;
}

static void reap_unclaimed(struct segment *s, void *arg)
{
        struct hpd *hpd = arg;

        if (!s->restored)
                return;
        s->restored = 0;
        if (s->users == 1)
                log_info("segment id=%" PRIu64 " key=%" PRId32 ": nobody came back for it", s->id,
                         s->key);
        request_unref(hpd, s, 1); /* the grace period's reference */
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        segment_foreach(&((struct hpd *)arg)->segs, reap_unclaimed, arg);
}

int store_start_grace(struct hpd *hpd, unsigned grace)
{
        struct timeval tv = {grace, 0};

        if (hpd->segs.by_id.count == 0)
                return 0;
        log_info("%zu segments restored; %u s for their users to come back", hpd->segs.by_id.count,
                 grace);
        grace_ev = evtimer_new(hpd->base, on_grace, hpd);
        if (!grace_ev || evtimer_add(grace_ev, &tv) < 0)
                return -ENOMEM;
        return 0;
}

void store_stop(void)
{
        if (grace_ev)
                event_free(grace_ev);
        grace_ev = NULL;
}
