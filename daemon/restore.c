/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * restore.c - what a previous daemon left; see restore.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "hpd.h"
#include "log.h"
#include "persist.h"
#include "restore.h"
#include "hold.h"
#include "segref.h"
#include "session.h"

/* Connections systemd handed back, until the ledger says what they held. */
struct stashed {
        uint64_t id;
        int fd;
};

struct restore {
        int ledger_fd;  /* the previous daemon's ledger, or -1 */
        int ledger_dir; /* without a store: where the ledger file is, or -1 */
        struct stashed *conns;
        size_t nconns, cap;
        unsigned segments;
};

int restore_init(struct hpd *hpd)
{
        hpd->restore = calloc(1, sizeof(*hpd->restore));
        if (!hpd->restore)
                return -ENOMEM;
        hpd->restore->ledger_fd = -1;
        hpd->restore->ledger_dir = -1;
        return 0;
}

void restore_ledger_in(struct hpd *hpd, int dir)
{
        if (hpd->restore->ledger_dir >= 0)
                close(hpd->restore->ledger_dir);
        hpd->restore->ledger_dir = dir;
}

static int stash(struct restore *rs, uint64_t id, int fd)
{
        if (rs->nconns == rs->cap) {
                size_t cap = rs->cap ? rs->cap * 2 : 64;
                struct stashed *n = realloc(rs->conns, cap * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                rs->conns = n;
                rs->cap = cap;
        }
        rs->conns[rs->nconns++] = (struct stashed){id, fd};
        return 0;
}

/* A segment record and its memory (fd, taken on success). 0 or -EBADMSG. */
static int take_segment(struct hpd *hpd, const struct persist_rec *r, int fd, int kept)
{
        struct pool_size *ps = pool_find(&hpd->pool, r->u.seg.page_size);
        struct stat st;

        if (!ps || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
            (uint64_t)st.st_size != r->u.seg.size ||
            (hpd->backend.page_size && r->u.seg.page_size != hpd->backend.page_size))
                return -EBADMSG;
        if (!segref_restore(hpd, r, ps, fd, kept))
                return -EBADMSG;
        if (kept)
                keep_adopted(&hpd->keep);
        hpd->restore->segments++;
        log_info("segment id=%" PRIu64 " key=%" PRId32 ": restored (%" PRIu64 " bytes)",
                 r->u.seg.id, r->u.seg.key, r->u.seg.size);
        return 0;
}

/* A pool growth the previous daemon died in the middle of: undone. */
static void take_pool(struct hpd *hpd, const struct persist_rec *r)
{
        struct pool_size *ps = pool_find(&hpd->pool, r->u.pool.page_size);
        struct pool_growth g = {r->u.pool.pages, r->u.pool.base};

        if (ps)
                pool_undo(ps, &g);
}

/* The state memfd: one record a line. */
static void take_state(struct hpd *hpd, int fd)
{
        char buf[POOL_MAX_SIZES * (PERSIST_MAX + 1)];
        ssize_t n = pread(fd, buf, sizeof(buf), 0);
        size_t at = 0;

        if (n < 0)
                n = 0;
        while ((size_t)at < (size_t)n) {
                char *nl = memchr(buf + at, '\n', (size_t)n - at);
                size_t len = (nl ? (size_t)(nl - buf) : (size_t)n) - at;
                struct persist_rec r;
                int e;

                if (len && (e = persist_parse(buf + at, len, &r)) == 0 && r.kind == PERSIST_POOL)
                        take_pool(hpd, &r);
                else if (len)
                        log_warn("store: ignoring a line of the state: %s", errname(e));
                at += len + 1;
        }
        keep_adopt_state(&hpd->keep, fd, (size_t)n);
}

int restore_systemd(struct hpd *hpd, int fd, const char *name)
{
        struct persist_rec r;
        struct stat st;
        int e = persist_parse(name, strlen(name), &r);

        if (e == 0 && r.kind == PERSIST_SEGMENT && take_segment(hpd, &r, fd, 1) == 0)
                return 1;
        if (e == 0 && r.kind == PERSIST_STATE) {
                take_state(hpd, fd);
                return 1;
        }
        if (e == 0 && r.kind == PERSIST_LEDGER && hpd->restore->ledger_fd < 0) {
                hpd->restore->ledger_fd = fd;
                return 1;
        }
        if (e == 0 && r.kind == PERSIST_EPOCH && hpd->epoch.fd < 0) {
                if ((e = epoch_adopt(&hpd->epoch, fd)) < 0)
                        log_warn("store: the key epoch's page is unusable (%s): a new one",
                                 errname(e));
                return 1;
        }
        if (e == 0 && r.kind == PERSIST_CONN && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
            stash(hpd->restore, r.u.conn.id, fd) == 0) {
                keep_adopted(&hpd->keep);
                return 1;
        }
        if (e == -ENOENT && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
                return 0;
        if (e == -EPROTONOSUPPORT)
                log_warn("store: '%s' is of another format version", name);
        keep_drop(&hpd->keep, fd, name);
        return 1;
}

int restore_dir(struct hpd *hpd)
{
        int dir = hpd->backend.dir, dfd;
        struct dirent *de;
        DIR *d;

        if (dir < 0)
                return 0;
        /* Its own open file: a dup would share (and move) the read offset. */
        dfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!d) {
                if (dfd >= 0)
                        close(dfd);
                return -errno;
        }
        while ((de = readdir(d))) {
                const char *name = de->d_name;
                _cleanup_close_ int fd = -1;
                struct persist_rec r;
                int e;

                if (name[0] == '.')
                        continue;
                e = persist_parse(name, strlen(name), &r);
                if (e == 0 && r.kind == PERSIST_POOL) {
                        take_pool(hpd, &r);
                        keep_drop_marker(&hpd->keep, name);
                        continue;
                }
                if (e == -EPROTONOSUPPORT) {
                        log_warn("hugetlbfs: leaving %s alone: another format version", name);
                        continue;
                }
                if (e == 0 && r.kind == PERSIST_SEGMENT) {
                        fd = openat(dir, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
                        if (fd >= 0 && take_segment(hpd, &r, fd, 0) == 0) {
                                take_fd(&fd);
                                continue;
                        }
                }
                /* A half-made segment (tmp-), or a stranger: not ours to keep. */
                log_warn("hugetlbfs: removing %s", name);
                unlinkat(dir, name, 0);
        }
        closedir(d);
        return 0;
}

void restore_markers(struct hpd *hpd, int dir)
{
        int dfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        struct dirent *de;

        if (!d) {
                if (dfd >= 0)
                        close(dfd);
                return;
        }
        while ((de = readdir(d))) {
                struct persist_rec r;

                if (persist_parse(de->d_name, strlen(de->d_name), &r) == 0 &&
                    r.kind == PERSIST_POOL) {
                        take_pool(hpd, &r);
                        unlinkat(dir, de->d_name, 0);
                }
        }
        closedir(d);
}

/* The socket systemd kept for connection id, taken out of the stash; -1. */
static int unstash(struct restore *rs, uint64_t id)
{
        for (size_t i = 0; i < rs->nconns; i++) {
                if (rs->conns[i].id == id && rs->conns[i].fd >= 0) {
                        int fd = rs->conns[i].fd;

                        rs->conns[i].fd = -1;
                        return fd;
                }
        }
        return -1;
}

struct tally {
        unsigned conns, absent, gone, holds, refs, dropped;
};

/* Pass 1: connections. One whose socket systemd no longer has went away
 * while no daemon ran (systemd drops a stored socket on EPOLLHUP): its
 * record goes, and so, in pass 3, do its references. */
static void take_conns(struct hpd *hpd, struct tally *t)
{
        struct ledger *l = &hpd->ledger;

        for (uint32_t i = 1; i < ledger_nslots(l); i++) {
                const struct persist_slot *s = ledger_slot(l, i);
                struct persist_slot rec;
                int fd;

                if (s->kind != PERSIST_SLOT_CONN)
                        continue;
                rec = *s;
                fd = unstash(hpd->restore, rec.id);
                if (fd >= 0 && session_resume(hpd, rec.id, fd, i, &rec) == 0) {
                        t->conns++;
                        continue;
                }
                /* No store: the socket is gone whatever the process did. */
                if (!hpd->keep.active && session_absent(hpd, rec.id, i, &rec) == 0) {
                        t->absent++;
                        continue;
                }
                if (fd < 0) {
                        t->gone++;
                        log_debug("connection %" PRIu64 " (pid=%" PRIu64 "): gone while no daemon "
                                  "ran",
                                  rec.id, rec.d);
                }
                ledger_free(l, i);
        }
}

/* Pass 2: fork holds (their parents are known now). */
static void take_holds(struct hpd *hpd, struct tally *t)
{
        struct ledger *l = &hpd->ledger;

        for (uint32_t i = 1; i < ledger_nslots(l); i++) {
                const struct persist_slot *s = ledger_slot(l, i);
                struct persist_slot rec;

                if (s->kind != PERSIST_SLOT_HOLD)
                        continue;
                rec = *s;
                if (hold_restore(hpd, i, &rec))
                        t->holds++;
                else
                        ledger_free(l, i);
        }
}

/* Pass 3: references, to holders and segments that exist; the rest go. */
static void take_refs(struct hpd *hpd, struct tally *t)
{
        struct ledger *l = &hpd->ledger;

        for (uint32_t i = 1; i < ledger_nslots(l); i++) {
                const struct persist_slot *s = ledger_slot(l, i);
                struct refs *holder = NULL;
                struct segment *seg;

                if (s->kind != PERSIST_SLOT_REF)
                        continue;
                if (s->sub == PERSIST_SLOT_CONN)
                        holder = session_refs(hpd, s->id);
                else if (s->sub == PERSIST_SLOT_HOLD)
                        holder = hold_refs(hpd, s->id);
                seg = segment_by_id(&hpd->segs, s->a);
                if (holder && seg && seg->ready && s->b > 0 &&
                    segref_adopt(hpd, holder, seg, s->b, i) == 0) {
                        t->refs++;
                        continue;
                }
                t->dropped++;
                ledger_free(l, i);
        }
}

struct unheld {
        struct segment **v;
        size_t n, cap;
};

static void find_unheld(struct segment *s, void *arg)
{
        struct unheld *u = arg;

        if (s->users || !s->ready)
                return;
        if (u->n == u->cap) {
                size_t cap = u->cap ? u->cap * 2 : 64;
                struct segment **v = realloc(u->v, cap * sizeof(*v));

                if (!v)
                        return; /* it stays; the next restart tries again */
                u->v = v;
                u->cap = cap;
        }
        u->v[u->n++] = s;
}

/* Every restored segment nobody holds any more dies now. */
static void restore_settle(struct hpd *hpd)
{
        struct unheld u = {0};

        segment_foreach(&hpd->segs, find_unheld, &u);
        for (size_t i = 0; i < u.n; i++)
                segref_settle(hpd, u.v[i]);
        if (u.n)
                log_info("%zu restored segments had no user left: destroyed", u.n);
        free(u.v);
}

/* The key epoch's page: the previous daemon's, or a new one, and either
 * way a new epoch (what a key names may have changed while no daemon ran,
 * or with a segment the store lost). */
static void open_epoch(struct hpd *hpd)
{
        int r;

        if (hpd->epoch.fd < 0) {
                if ((r = epoch_create(&hpd->epoch)) < 0)
                        log_warn("key epoch: none (%s): clients ask the daemon for every key",
                                 errname(r));
                else
                        keep_epoch(&hpd->keep, hpd->epoch.fd);
        }
        epoch_bump(&hpd->epoch);
}

void restore_finish(struct hpd *hpd)
{
        struct restore *rs = hpd->restore;
        struct tally t = {0};
        int r = -ENOENT;

        if (rs->ledger_fd >= 0) {
                r = ledger_adopt(&hpd->ledger, rs->ledger_fd);
                rs->ledger_fd = -1;
                if (r < 0)
                        log_warn("store: the previous daemon's ledger is unreadable (%s): "
                                 "nobody is known to hold what it left",
                                 errname(r));
        }
        if (r < 0 && hpd->keep.active) {
                if ((r = ledger_create(&hpd->ledger)) < 0)
                        log_warn("ledger: none (%s): connections will not survive a restart",
                                 errname(r));
                else
                        keep_ledger(&hpd->keep, hpd->ledger.fd);
        } else if (r < 0 && rs->ledger_dir >= 0) {
                char name[PERSIST_MAX + 1];
                struct persist_rec pr = {.kind = PERSIST_LEDGER};

                persist_format(&pr, name, sizeof(name));
                if ((r = ledger_open_at(&hpd->ledger, rs->ledger_dir, name)) < 0)
                        log_warn("ledger: cannot open %s beside the socket: %s", name, errname(r));
        }
        keep_open_state(&hpd->keep);
        open_epoch(hpd);
        if (ledger_active(&hpd->ledger)) {
                take_conns(hpd, &t);
                take_holds(hpd, &t);
                take_refs(hpd, &t);
        }
        /* A socket without a record: a connection that was never recorded. */
        for (size_t i = 0; i < rs->nconns; i++) {
                if (rs->conns[i].fd >= 0) {
                        struct persist_rec pr = {.kind = PERSIST_CONN,
                                                 .u.conn.id = rs->conns[i].id};
                        char name[PERSIST_MAX + 1];

                        persist_format(&pr, name, sizeof(name));
                        keep_drop(&hpd->keep, rs->conns[i].fd, name);
                        rs->conns[i].fd = -1;
                }
        }
        ledger_commit(&hpd->ledger);
        if (rs->segments || t.conns || t.absent || t.gone)
                log_info("restored %u segments, %u connections (%u gone meanwhile), %u "
                         "processes without theirs, %u fork holds, %u references (%u dropped)",
                         rs->segments, t.conns, t.gone, t.absent, t.holds, t.refs, t.dropped);
        restore_settle(hpd);
}

void restore_stop(struct hpd *hpd)
{
        struct restore *rs = hpd->restore;

        if (!rs)
                return;
        for (size_t i = 0; i < rs->nconns; i++)
                if (rs->conns[i].fd >= 0)
                        close(rs->conns[i].fd);
        if (rs->ledger_fd >= 0)
                close(rs->ledger_fd);
        if (rs->ledger_dir >= 0)
                close(rs->ledger_dir);
        free(rs->conns);
        free(rs);
        hpd->restore = NULL;
}
