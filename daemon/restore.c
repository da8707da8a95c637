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
#include "segref.h"

struct restore {
        struct refs grace; /* one reference to each restored segment */
        struct event *ev;
        unsigned count;
};

int restore_init(struct hpd *hpd)
{
        hpd->restore = calloc(1, sizeof(*hpd->restore));
        if (!hpd->restore)
                return -ENOMEM;
        refs_init(&hpd->restore->grace);
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
        if (!segref_restore(hpd, r, ps, fd, kept, &hpd->restore->grace))
                return -EBADMSG;
        hpd->restore->count++;
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

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
        struct hpd *hpd = arg;

        (void)fd;
        (void)what;
        log_info("grace period over: restored segments now live by their users alone");
        segref_release_all(hpd, &hpd->restore->grace);
}

int restore_start_grace(struct hpd *hpd, unsigned grace)
{
        struct timeval tv = {grace, 0};

        if (hpd->restore->count == 0)
                return 0;
        log_info("%u segments restored; %u s for their users to come back", hpd->restore->count,
                 grace);
        hpd->restore->ev = evtimer_new(hpd->base, on_grace, hpd);
        if (!hpd->restore->ev || evtimer_add(hpd->restore->ev, &tv) < 0)
                return -ENOMEM;
        return 0;
}

void restore_stop(struct hpd *hpd)
{
        if (!hpd->restore)
                return;
        if (hpd->restore->ev)
                event_free(hpd->restore->ev);
        segref_release_all(hpd, &hpd->restore->grace); /* stopping: nothing dies */
        free(hpd->restore);
        hpd->restore = NULL;
}
