/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keep.c - systemd's store and the pool markers; see keep.h.
 *
 * The state memfd is rewritten with one pwrite(), padded with newlines to
 * the length it had, so a daemon killed at any moment leaves either the old
 * lines or the new ones, never half of each. A growth is written before the
 * pool grows and cleared after it is taken back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "keep.h"
#include "log.h"
#include "persist.h"
#include "segment.h"

#define STATE_MAX (POOL_MAX_SIZES * (PERSIST_MAX + 1))

void keep_init(struct keep *k, int dir)
{
        const char *e = getenv("NOTIFY_SOCKET");

        memset(k, 0, sizeof(*k));
        k->active = e && *e;
        k->state_fd = -1;
        k->dir = dir;
        e = getenv("FDSTORE"); /* systemd 254 and later */
        k->store_max = e && *e ? (unsigned)strtoul(e, NULL, 10) : KEEP_STORE_MAX;
        k->store_max = k->store_max > KEEP_STORE_OWN ? k->store_max - KEEP_STORE_OWN : 0;
        pthread_mutex_init(&k->lock, NULL);
}

void keep_use_markers(struct keep *k, int dir)
{
        if (k->dir < 0 && !k->active) {
                k->dir = dir;
                k->own_dir = 1;
        } else {
                close(dir);
        }
}

void keep_close(struct keep *k)
{
        if (k->own_dir && k->dir >= 0)
                close(k->dir);
        if (k->state_fd >= 0)
                close(k->state_fd);
        k->state_fd = -1;
        pthread_mutex_destroy(&k->lock);
}

static void notify_name(struct keep *k, const char *what, const char *name, int fd)
{
        char msg[PERSIST_MAX + 40];
        int r;

        snprintf(msg, sizeof(msg), "%s=1\nFDNAME=%s", what, name);
        r = fd >= 0 ? sd_pid_notify_with_fds(0, 0, msg, &fd, 1) : sd_notify(0, msg);
        if (r <= 0 && fd >= 0)
                log_warn("store: '%s' not kept in systemd's store: %s", name,
                         r < 0 ? errname(r) : "no notify socket");
        (void)k;
}

void keep_segment(struct keep *k, struct segment *s)
{
        char name[PERSIST_MAX + 1];

        if (!k->active || s->kept || segment_name(s, name, sizeof(name)) < 0)
                return;
        notify_name(k, "FDSTORE", name, s->fd);
        s->kept = 1;
        k->stored++;
}

void keep_forget(struct keep *k, struct segment *s)
{
        char name[PERSIST_MAX + 1];

        if (!s->kept || segment_name(s, name, sizeof(name)) < 0)
                return;
        notify_name(k, "FDSTOREREMOVE", name, -1);
        s->kept = 0;
        if (k->stored)
                k->stored--;
}

int keep_room(const struct keep *k)
{
        return !k->active || k->stored < k->store_max;
}

static void conn_name(uint64_t id, char *buf, size_t cap)
{
        struct persist_rec r = {.kind = PERSIST_CONN, .u.conn.id = id};

        persist_format(&r, buf, cap);
}

int keep_connection(struct keep *k, uint64_t id, int fd)
{
        char name[PERSIST_MAX + 1];

        if (!k->active)
                return 0;
        if (!keep_room(k))
                return -ENOSPC;
        conn_name(id, name, sizeof(name));
        notify_name(k, "FDSTORE", name, fd);
        k->stored++;
        return 0;
}

void keep_forget_connection(struct keep *k, uint64_t id)
{
        char name[PERSIST_MAX + 1];

        if (!k->active)
                return;
        conn_name(id, name, sizeof(name));
        notify_name(k, "FDSTOREREMOVE", name, -1);
        if (k->stored)
                k->stored--;
}

static void keep_own(struct keep *k, enum persist_kind kind, int fd)
{
        char name[PERSIST_MAX + 1];
        struct persist_rec r = {.kind = kind};

        if (!k->active || fd < 0)
                return;
        persist_format(&r, name, sizeof(name));
        notify_name(k, "FDSTORE", name, fd);
}

void keep_ledger(struct keep *k, int fd)
{
        keep_own(k, PERSIST_LEDGER, fd);
}

void keep_epoch(struct keep *k, int fd)
{
        keep_own(k, PERSIST_EPOCH, fd);
}

void keep_adopted(struct keep *k)
{
        k->stored++;
}

void keep_drop(struct keep *k, int fd, const char *name)
{
        log_warn("store: dropping '%s'", name);
        if (k->active)
                notify_name(k, "FDSTOREREMOVE", name, -1);
        close(fd);
}

void keep_drop_marker(struct keep *k, const char *name)
{
        if (k->dir >= 0)
                unlinkat(k->dir, name, 0);
}

static int growth_name(const struct pool_size *ps, const struct pool_growth *g, char *buf,
                       size_t cap)
{
        struct persist_rec r = {.kind = PERSIST_POOL, .u.pool = {ps->page_size, g->pages, g->base}};

        return persist_format(&r, buf, cap);
}

/* The state memfd, made and stored once. k->lock held. 0 or -errno. */
static int open_state(struct keep *k)
{
        char name[PERSIST_MAX + 1];
        struct persist_rec r = {.kind = PERSIST_STATE};

        if (k->state_fd >= 0)
                return 0;
        k->state_fd = memfd_create("hugepaged-state", MFD_CLOEXEC);
        if (k->state_fd < 0)
                return -errno;
        persist_format(&r, name, sizeof(name));
        notify_name(k, "FDSTORE", name, k->state_fd);
        return 0;
}

void keep_open_state(struct keep *k)
{
        int r;

        if (!k->active)
                return;
        pthread_mutex_lock(&k->lock);
        r = open_state(k);
        pthread_mutex_unlock(&k->lock);
        if (r < 0)
                log_warn("store: no state memfd: %s", errname(r));
}

/* The state memfd holds a line per growth in flight. k->lock held. */
static void save_state(struct keep *k, const struct pool *p)
{
        char buf[STATE_MAX];
        size_t len = 0;

        for (size_t i = 0; i < p->nsizes; i++) {
                int n;

                if (!k->growth[i].pages)
                        continue;
                n = growth_name(&p->sizes[i], &k->growth[i], buf + len, sizeof(buf) - len - 1);
                if (n < 0)
                        continue;
                len += (size_t)n;
                buf[len++] = '\n';
        }
        if (open_state(k) < 0) {
                log_warn("store: no state memfd: %s", errname(errno));
                return;
        }
        /* Pad over what a longer previous state left: blank lines are nothing. */
        if (k->state_len > len) {
                memset(buf + len, '\n', k->state_len - len);
                len = k->state_len;
        }
        if (pwrite(k->state_fd, buf, len, 0) != (ssize_t)len) {
                log_warn("store: cannot write the state: %s", errname(errno));
                return;
        }
        k->state_len = len;
}

void keep_adopt_state(struct keep *k, int fd, size_t len)
{
        pthread_mutex_lock(&k->lock);
        if (k->state_fd >= 0)
                close(k->state_fd);
        k->state_fd = fd;
        k->state_len = len;
        /* Its growths were undone (restore.c): it says nothing any more. */
        if (len) {
                char blank[STATE_MAX];

                memset(blank, '\n', len < sizeof(blank) ? len : sizeof(blank));
                if (pwrite(fd, blank, len < sizeof(blank) ? len : sizeof(blank), 0) < 0)
                        log_warn("store: cannot clear the state: %s", errname(errno));
        }
        pthread_mutex_unlock(&k->lock);
}

void keep_growth(struct keep *k, const struct pool *p, const struct pool_size *ps,
                 const struct pool_growth *g, int started)
{
        struct pool_growth *now = &k->growth[ps - p->sizes];
        char old[PERSIST_MAX + 1], name[PERSIST_MAX + 1];
        int had = now->pages != 0, fd;

        pthread_mutex_lock(&k->lock);
        if (had)
                growth_name(ps, now, old, sizeof(old));
        if (started) {
                if (!now->pages)
                        now->base = g->base;
                now->pages += g->pages;
        } else {
                now->pages -= g->pages < now->pages ? g->pages : now->pages;
        }
        if (k->dir >= 0) {
                /* A marker file while growth is in flight, renamed as it changes. */
                if (now->pages && growth_name(ps, now, name, sizeof(name)) > 0) {
                        if (had) {
                                renameat(k->dir, old, k->dir, name);
                        } else {
                                fd = openat(k->dir, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                                if (fd >= 0)
                                        close(fd);
                        }
                } else if (had) {
                        unlinkat(k->dir, old, 0);
                }
        }
        if (k->active)
                save_state(k, p);
        pthread_mutex_unlock(&k->lock);
}
