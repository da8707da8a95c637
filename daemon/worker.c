/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * worker.c - the worker thread; see worker.h.
 *
 * The queue and the done list are the only state shared with the loop, and
 * both are under one mutex.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "keep.h"
#include "log.h"
#include "memory.h"
#include "pool.h"
#include "segment.h"
#include "worker.h"

struct job {
        enum worker_job kind;
        struct segment *seg;
        struct job *next;
};

/* The warm pool of one page size: files made and zeroed ahead, for nobody
 * yet. The worker makes them; the pieces, ready, target and retry_at are
 * under w->lock, because the loop sets the target and takes a piece of a
 * create's exact size itself; ps->warm_ready is their sum for the counters.
 * filling is the worker's alone. */
#define WARM_PIECES 64

struct warm {
        struct pool_size *ps;
        uint64_t target;           /* bytes to keep ready: Warm= */
        uint64_t ready;            /* bytes in pieces */
        uint64_t piece;            /* bytes of the next piece made */
        uint64_t retry_at;         /* could not make one: not before (ms, CLOCK_MONOTONIC) */
        int fd[WARM_PIECES];       /* the pieces */
        uint64_t len[WARM_PIECES]; /* their sizes */
        unsigned n;
        struct segment *filling; /* a piece being made (no id, no owner), or NULL */
};

struct worker {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct job *head, **tail; /* queued jobs */
        struct job *done;         /* finished jobs, newest first, for the loop */
        int stopping;
        int efd;
        struct event *ev;
        struct pool *pool;
        struct keep *keep;
        const struct backend *backend;
        worker_done_fn done_fn;
        void *ctx;
        struct warm warm[POOL_MAX_SIZES];
        size_t nwarm;
};

/* A large segment is made in turns, and goes to the back of the queue
 * between them, so that a small create never waits for a large one, only
 * for one turn of it: pieces of CREATE_PIECE bytes until CREATE_TURN_MS have
 * passed (how long a piece takes varies: free pages come at once, pages the
 * kernel must first compact do not). */
#define CREATE_PIECE   (UINT64_C(16) << 20)
#define CREATE_TURN_MS 20

/* A warm piece that could not be made is tried again this much later (or
 * at the next create of its page size, or a new target). */
#define WARM_RETRY_MS 1000

static uint64_t now_ms(void)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static uint64_t elapsed_ms(const struct timespec *since)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (uint64_t)(now.tv_sec - since->tv_sec) * 1000 +
               (uint64_t)((now.tv_nsec - since->tv_nsec) / 1000000);
}

/* One turn of making s: the first grows the pool by what s lacks (held
 * until the last) and makes the file; each fills pieces for a turn; the
 * last seals it and takes the growth back, so that s's extra pages are
 * surplus pages, which go when its last user lets go. Returns 1 while more
 * turns remain, else 0 with s->error set. */
struct growth_record {
        struct worker *w;
        struct pool_size *ps;
};

/* Before the pool's setting is raised: the marker that says so. */
static void record_growth(void *arg, const struct pool_growth *planned)
{
        struct growth_record *gr = arg;

        keep_growth(gr->w->keep, gr->w->pool, gr->ps, planned, 1);
}

static int warm_take(struct worker *w, struct segment *s);

/* A turn of making s, a segment or (warm) a piece of the warm pool, which
 * is not sealed and whose failure is its own to report. */
static int make_turn(struct worker *w, struct segment *s, int warm)
{
        struct pool_growth g = {s->grown[0], s->grown[1]};
        struct timespec start;
        uint64_t piece;
        int r = 0, fd;

        clock_gettime(CLOCK_MONOTONIC, &start);
        /* Made already, and zeroed: the warm pool's. */
        if (!warm && s->made == 0 && s->fd < 0 && (fd = warm_take(w, s)) >= 0 &&
            memory_warm_take(s, fd) == 0)
                s->made = s->size;
        if (s->made == 0 && s->fd < 0) {
                struct growth_record gr = {w, s->pool};
                struct pool_growth planned;

                r = pool_grow(w->pool, s->pool, s->size / s->page_size, &g, record_growth, &gr,
                              &planned);
                s->grown[0] = g.pages;
                s->grown[1] = g.base;
                /* The marker holds what was planned: down to what happened. */
                if (planned.pages > g.pages)
                        keep_growth(w->keep, w->pool, s->pool,
                                    &(struct pool_growth){planned.pages - g.pages, planned.base},
                                    0);
                if (r == 0)
                        r = warm ? memory_warm_begin(s) : memory_begin(w->backend, s);
        }
        while (r == 0 && s->made < s->size) {
                piece = s->size - s->made < CREATE_PIECE ? s->size - s->made : CREATE_PIECE;
                r = memory_fill(s, s->made, piece);
                s->made += r == 0 ? piece : 0;
                if (r == 0 && s->made < s->size && elapsed_ms(&start) >= CREATE_TURN_MS)
                        return 1;
        }
        if (r == 0 && !warm)
                r = memory_end(w->backend, s);
        if (r < 0)
                memory_abort(w->backend, s);
        if (g.pages) {
                pool_ungrow(s->pool, &g);
                keep_growth(w->keep, w->pool, s->pool, &g, 0);
        }
        s->grown[0] = s->grown[1] = 0;
        if (warm) {
                s->error = r;
                return 0;
        }
        if (r < 0 && r != -ENOMEM) {
                /* The contract has one answer for "no memory to be had". */
                log_warn("segment id=%" PRIu64 " key=%" PRId32 ": cannot make it: %s", s->id,
                         s->key, errname(r));
                r = -ENOMEM;
        }
        s->error = r;
        return 0;
}

static int run_create(struct worker *w, struct segment *s)
{
        return make_turn(w, s, 0);
}

/* ---- the warm pool ------------------------------------------------------- */

/* Piece i out of the pool, w->lock held: its fd. */
static int warm_remove(struct warm *wm, unsigned i)
{
        int fd = wm->fd[i];

        wm->ready -= wm->len[i];
        wm->n--;
        wm->fd[i] = wm->fd[wm->n];
        wm->len[i] = wm->len[wm->n];
        __atomic_store_n(&wm->ps->warm_ready, wm->ready, __ATOMIC_RELAXED);
        return fd;
}

static struct warm *warm_of(struct worker *w, uint64_t page_size)
{
        for (size_t i = 0; i < w->nwarm; i++)
                if (w->warm[i].ps->page_size == page_size)
                        return &w->warm[i];
        return NULL;
}

static uint64_t round_up(uint64_t v, uint64_t to)
{
        return (v + to - 1) / to * to;
}

/* A create of s: the smallest piece that holds it, taken out (its fd), or
 * -1. The first piece is the whole target; the next are made the size
 * creates ask for (at least a 64th of the target: no more than 64 files). */
static int warm_take(struct worker *w, struct segment *s)
{
        struct warm *wm = w->backend->dir < 0 ? warm_of(w, s->page_size) : NULL;
        unsigned best = WARM_PIECES;
        int fd;

        if (!wm)
                return -1;
        pthread_mutex_lock(&w->lock);
        if (s->size <= wm->target) {
                uint64_t floor = round_up(wm->target / WARM_PIECES, s->page_size);

                wm->piece = s->size > floor ? s->size : floor;
        }
        wm->retry_at = 0;
        for (unsigned i = 0; i < wm->n; i++)
                if (wm->len[i] >= s->size && (best == WARM_PIECES || wm->len[i] < wm->len[best]))
                        best = i;
        fd = best == WARM_PIECES ? -1 : warm_remove(wm, best);
        pthread_mutex_unlock(&w->lock);
        return fd;
}

static void warm_drop_filling(struct worker *w, struct warm *wm)
{
        struct segment *f = wm->filling;
        struct pool_growth g = {f->grown[0], f->grown[1]};

        memory_abort(w->backend, f);
        if (g.pages) {
                pool_ungrow(f->pool, &g);
                keep_growth(w->keep, w->pool, f->pool, &g, 0);
        }
        free(f);
        wm->filling = NULL;
}

/* Give back what is over the target: the largest pieces first. */
static void warm_trim(struct worker *w, struct warm *wm, uint64_t target)
{
        uint64_t ready;

        pthread_mutex_lock(&w->lock);
        ready = wm->ready;
        pthread_mutex_unlock(&w->lock);
        if (wm->filling && ready + wm->filling->size > target)
                warm_drop_filling(w, wm);
        pthread_mutex_lock(&w->lock);
        while (wm->ready > target && wm->n) {
                unsigned big = 0;
                int fd;

                for (unsigned i = 1; i < wm->n; i++)
                        if (wm->len[i] > wm->len[big])
                                big = i;
                fd = warm_remove(wm, big);
                pthread_mutex_unlock(&w->lock);
                close(fd); /* its pages are free again, or gone */
                pthread_mutex_lock(&w->lock);
        }
        pthread_mutex_unlock(&w->lock);
}

/* What the warm pool of wm wants done, w->lock held: 1 (trim or fill), 0. */
static int warm_wants(const struct warm *wm)
{
        uint64_t filling = wm->filling ? wm->filling->size : 0;

        if (wm->ready + filling > wm->target || wm->filling)
                return 1; /* trim, or finish the piece under way */
        return (!wm->retry_at || now_ms() >= wm->retry_at) && wm->n < WARM_PIECES &&
               wm->target - wm->ready - filling >= wm->ps->page_size;
}

static int warm_pending(const struct worker *w)
{
        for (size_t i = 0; i < w->nwarm; i++)
                if (warm_wants(&w->warm[i]))
                        return 1;
        return 0;
}

/* The earliest retry still to come of a piece that could not be made, if
 * any (one that is due is warm_pending()'s). */
static int warm_retry(const struct worker *w, struct timespec *at)
{
        uint64_t first = 0, now = now_ms();

        for (size_t i = 0; i < w->nwarm; i++)
                if (w->warm[i].retry_at > now && (!first || w->warm[i].retry_at < first))
                        first = w->warm[i].retry_at;
        at->tv_sec = (time_t)(first / 1000);
        at->tv_nsec = (long)(first % 1000) * 1000000;
        return first != 0;
}

/* One turn of warm-pool work, with the queue empty: trim, or make a piece. */
static void warm_turn(struct worker *w)
{
        for (size_t i = 0; i < w->nwarm; i++) {
                struct warm *wm = &w->warm[i];
                struct segment *f;
                uint64_t target, ready, want;

                pthread_mutex_lock(&w->lock);
                target = wm->target;
                ready = wm->ready;
                if (!warm_wants(wm)) {
                        pthread_mutex_unlock(&w->lock);
                        continue;
                }
                pthread_mutex_unlock(&w->lock);
                if (ready + (wm->filling ? wm->filling->size : 0) > target) {
                        warm_trim(w, wm, target);
                        return;
                }
                if (!wm->filling) {
                        want = target - ready;
                        if (!wm->piece)
                                wm->piece = target;
                        if (want > wm->piece)
                                want = wm->piece;
                        want -= want % wm->ps->page_size;
                        f = calloc(1, sizeof(*f));
                        if (!f) {
                                pthread_mutex_lock(&w->lock);
                                wm->retry_at = now_ms() + WARM_RETRY_MS;
                                pthread_mutex_unlock(&w->lock);
                                return;
                        }
                        *f = (struct segment){.size = want,
                                              .page_size = wm->ps->page_size,
                                              .pool = wm->ps,
                                              .fd = -1,
                                              .ro_fd = -1};
                        wm->filling = f;
                }
                f = wm->filling;
                if (make_turn(w, f, 1))
                        return;
                wm->filling = NULL;
                if (f->error) {
                        log_debug("warm pool (%" PRIu64 " kB pages): %s; tried again in %d ms",
                                  wm->ps->page_size / 1024, errname(f->error), WARM_RETRY_MS);
                        pthread_mutex_lock(&w->lock);
                        wm->retry_at = now_ms() + WARM_RETRY_MS;
                        pthread_mutex_unlock(&w->lock);
                } else {
                        pthread_mutex_lock(&w->lock);
                        wm->retry_at = 0;
                        wm->fd[wm->n] = f->fd;
                        wm->len[wm->n++] = f->size;
                        wm->ready += f->size;
                        __atomic_store_n(&wm->ps->warm_ready, wm->ready, __ATOMIC_RELAXED);
                        pthread_mutex_unlock(&w->lock);
                }
                free(f);
                return;
        }
}

void worker_set_warm(struct worker *w, uint64_t page_size, uint64_t bytes)
{
        struct warm *wm = warm_of(w, page_size);

        if (!wm)
                return;
        pthread_mutex_lock(&w->lock);
        wm->target = bytes;
        wm->retry_at = 0;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
}

/* Closing the memory frees its pages, once no process maps them. */
static void run_destroy(struct worker *w, struct segment *s)
{
        if (s->fd >= 0)
                memory_remove(w->backend, s);
        segment_free(s);
}

/* Returns 1 if the job has more to do (it goes to the back of the queue). */
static int run(struct worker *w, struct job *j)
{
        switch (j->kind) {
        case WORKER_CREATE:
                return run_create(w, j->seg);
        case WORKER_DESTROY:
                run_destroy(w, j->seg);
                j->seg = NULL;
                break;
        }
        return 0;
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                struct job *j;
                uint64_t one = 1;
                int more;

                while (!w->head && !w->stopping && !warm_pending(w)) {
                        struct timespec at;

                        if (warm_retry(w, &at))
                                pthread_cond_timedwait(&w->cond, &w->lock, &at);
                        else
                                pthread_cond_wait(&w->cond, &w->lock);
                }
                j = w->head;
                if (!j && w->stopping)
                        break;
                if (!j) {
                        /* Nothing asked for: the warm pool's turn. */
                        pthread_mutex_unlock(&w->lock);
                        warm_turn(w);
                        pthread_mutex_lock(&w->lock);
                        continue;
                }
                w->head = j->next;
                if (!w->head)
                        w->tail = &w->head;
                pthread_mutex_unlock(&w->lock);

                more = run(w, j);

                pthread_mutex_lock(&w->lock);
                if (more) {
                        j->next = NULL;
                        *w->tail = j;
                        w->tail = &j->next;
                        continue;
                }
                j->next = w->done;
                w->done = j;
                if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                        log_err("worker: eventfd write: %s", errname(errno));
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

/* Deliver finished jobs, oldest first. */
static void deliver(struct worker *w)
{
        struct job *list, *rev = NULL;

        pthread_mutex_lock(&w->lock);
        list = w->done;
        w->done = NULL;
        pthread_mutex_unlock(&w->lock);
        while (list) {
                struct job *next = list->next;

                list->next = rev;
                rev = list;
                list = next;
        }
        while (rev) {
                struct job *next = rev->next;
                enum worker_job kind = rev->kind;
                struct segment *s = rev->seg;

                free(rev);
                w->done_fn(kind, s, w->ctx);
                rev = next;
        }
}

static void on_eventfd(evutil_socket_t fd, short what, void *arg)
{
        uint64_t v;

        (void)what;
        if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                log_err("worker: eventfd read: %s", errname(errno));
        deliver(arg);
}

static void enqueue(struct worker *w, enum worker_job kind, struct segment *s)
{
        struct job *j = calloc(1, sizeof(*j));

        if (!j) {
                /* Cannot queue: do the work here rather than lose it. */
                struct job local = {kind, s, NULL};

                log_err("worker: out of memory, working on the loop");
                while (run(w, &local))
                        ;
                w->done_fn(kind, local.seg, w->ctx);
                return;
        }
        j->kind = kind;
        j->seg = s;
        pthread_mutex_lock(&w->lock);
        *w->tail = j;
        w->tail = &j->next;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
}

/* On the loop: a warm piece of exactly s's size, made into s now (a few
 * system calls, no page freed or zeroed), its completion delivered through
 * the eventfd as the worker's are, without waking the worker. 1 if so. */
static int take_warm_here(struct worker *w, struct segment *s)
{
        struct warm *wm = w->backend->dir < 0 ? warm_of(w, s->page_size) : NULL;
        struct job *j;
        uint64_t one = 1;
        int fd = -1;

        if (!wm)
                return 0;
        pthread_mutex_lock(&w->lock);
        for (unsigned i = 0; i < wm->n && fd < 0; i++)
                if (wm->len[i] == s->size) {
                        fd = warm_remove(wm, i);
                        wm->retry_at = 0;
                        pthread_cond_signal(&w->cond); /* to be made again */
                }
        pthread_mutex_unlock(&w->lock);
        if (fd < 0)
                return 0;
        j = calloc(1, sizeof(*j));
        if (!j || memory_warm_take(s, fd) < 0) {
                free(j);
                if (s->fd >= 0)
                        memory_abort(w->backend, s);
                return 0; /* the worker makes it, from cold */
        }
        s->made = s->size;
        if (memory_end(w->backend, s) < 0) {
                memory_abort(w->backend, s);
                s->error = -ENOMEM;
        }
        j->kind = WORKER_CREATE;
        j->seg = s;
        pthread_mutex_lock(&w->lock);
        j->next = w->done;
        w->done = j;
        pthread_mutex_unlock(&w->lock);
        if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                log_err("worker: eventfd write: %s", errname(errno));
        return 1;
}

void worker_create(struct worker *w, struct segment *s)
{
        if (!take_warm_here(w, s))
                enqueue(w, WORKER_CREATE, s);
}

void worker_destroy(struct worker *w, struct segment *s)
{
        enqueue(w, WORKER_DESTROY, s);
}

static void worker_free(struct worker *w)
{
        if (w->ev)
                event_free(w->ev);
        if (w->efd >= 0)
                close(w->efd);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
}

int worker_start(struct worker **out, struct event_base *base, struct pool *pool, struct keep *keep,
                 const struct backend *backend, worker_done_fn done, void *ctx)
{
        struct worker *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
        pthread_condattr_t ca;

        pthread_mutex_init(&w->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w->cond, &ca);
        pthread_condattr_destroy(&ca);
        w->tail = &w->head;
        w->pool = pool;
        w->keep = keep;
        w->backend = backend;
        w->done_fn = done;
        w->ctx = ctx;
        for (size_t i = 0; i < pool->nsizes && i < POOL_MAX_SIZES; i++)
                w->warm[w->nwarm++].ps = &pool->sizes[i];
        w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->efd < 0) {
                r = -errno;
                worker_free(w);
                return r;
        }
        w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST, on_eventfd, w);
        if (!w->ev || event_add(w->ev, NULL) < 0) {
                worker_free(w);
                return -ENOMEM;
        }
        r = pthread_create(&w->thread, NULL, worker_main, w);
        if (r) {
                worker_free(w);
                return -r;
        }
        *out = w;
        return 0;
}

void worker_stop(struct worker *w)
{
        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        w->stopping = 1;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        deliver(w);
        /* Delivering may have queued jobs: do them here, the thread is gone. */
        while (w->head) {
                struct job *j = w->head;

                w->head = j->next;
                while (run(w, j))
                        ;
                w->done_fn(j->kind, j->seg, w->ctx);
                free(j);
        }
        w->tail = &w->head;
        /* The warm pool goes back: its pages are free again, or gone. */
        for (size_t i = 0; i < w->nwarm; i++)
                warm_trim(w, &w->warm[i], 0);
        worker_free(w);
}
