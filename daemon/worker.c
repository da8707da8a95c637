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
};

/* A large segment is made in turns, and goes to the back of the queue
 * between them, so that a small create never waits for a large one, only
 * for one turn of it: pieces of CREATE_PIECE bytes until CREATE_TURN_MS have
 * passed (how long a piece takes varies: free pages come at once, pages the
 * kernel must first compact do not). */
#define CREATE_PIECE   (UINT64_C(16) << 20)
#define CREATE_TURN_MS 20

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

static int run_create(struct worker *w, struct segment *s)
{
        struct pool_growth g = {s->grown[0], s->grown[1]};
        struct timespec start;
        uint64_t piece;
        int r = 0;

        clock_gettime(CLOCK_MONOTONIC, &start);
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
                        r = memory_begin(w->backend, s);
        }
        while (r == 0 && s->made < s->size) {
                piece = s->size - s->made < CREATE_PIECE ? s->size - s->made : CREATE_PIECE;
                r = memory_fill(s, s->made, piece);
                s->made += r == 0 ? piece : 0;
                if (r == 0 && s->made < s->size && elapsed_ms(&start) >= CREATE_TURN_MS)
                        return 1;
        }
        if (r == 0)
                r = memory_end(w->backend, s);
        if (r < 0)
                memory_abort(w->backend, s);
        if (g.pages) {
                pool_ungrow(s->pool, &g);
                keep_growth(w->keep, w->pool, s->pool, &g, 0);
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

                while (!w->head && !w->stopping)
                        pthread_cond_wait(&w->cond, &w->lock);
                j = w->head;
                if (!j)
                        break;
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

void worker_create(struct worker *w, struct segment *s)
{
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
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        w->tail = &w->head;
        w->pool = pool;
        w->keep = keep;
        w->backend = backend;
        w->done_fn = done;
        w->ctx = ctx;
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
        worker_free(w);
}
