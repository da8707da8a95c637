/*
 * worker.c - the worker thread; see worker.h.
 *
 * The queue and the done list are the only state shared with the loop, and
 * both are under one mutex. A job is a segment; its job_next links it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "segment.h"
#include "worker.h"

enum job_kind { JOB_CREATE, JOB_DESTROY, JOB_GIVE_BACK };

struct job {
        enum job_kind kind;
        struct segment *seg;
        struct job *next;
};

struct worker {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct job *head, **tail; /* queued jobs */
        struct job *done;         /* finished creates, for the loop */
        int stopping;
        int give_back_queued;
        int efd;
        struct event *ev;
        struct pool *pool;
        worker_done_fn done_fn;
        void *ctx;
};

static void run_create(struct worker *w, struct segment *s)
{
        uint64_t npages = s->size / s->page_size;
        int r;

        r = pool_take(w->pool, s->pool, npages);
        if (r == 0)
                r = segment_make_memory(s);
        if (r < 0)
                pool_give_back(w->pool, s->pool);
        if (r < 0 && r != -ENOMEM) {
                /* The contract has one answer for "no memory to be had". */
                log_warn("segment id=%" PRIu64 " key=%" PRId32 ": cannot make it: %s", s->id,
                         s->key, strerrorname_np(-r));
                r = -ENOMEM;
        }
        s->error = r;
}

static void run_destroy(struct worker *w, struct segment *s)
{
        struct pool_size *ps = s->pool;

        segment_remove_memory(s);
        segment_free(s);
        pool_give_back(w->pool, ps);
}

/* Pages freed after their segment was destroyed (a process still mapped
 * it) go back on the next round. */
static void run_give_back(struct worker *w)
{
        for (size_t i = 0; i < w->pool->nsizes; i++)
                pool_give_back(w->pool, &w->pool->sizes[i]);
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                struct job *j;

                while (!w->head && !w->stopping)
                        pthread_cond_wait(&w->cond, &w->lock);
                j = w->head;
                if (!j)
                        break;
                w->head = j->next;
                if (!w->head)
                        w->tail = &w->head;
                pthread_mutex_unlock(&w->lock);

                if (j->kind == JOB_CREATE)
                        run_create(w, j->seg);
                else if (j->kind == JOB_DESTROY)
                        run_destroy(w, j->seg);
                else
                        run_give_back(w);

                pthread_mutex_lock(&w->lock);
                if (j->kind == JOB_GIVE_BACK)
                        w->give_back_queued = 0;
                if (j->kind == JOB_CREATE) {
                        uint64_t one = 1;

                        j->next = w->done;
                        w->done = j;
                        if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                                log_err("worker: eventfd write: %m");
                } else {
                        free(j);
                }
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

/* Deliver finished creates, oldest first. */
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
                struct segment *s = rev->seg;

                free(rev);
                w->done_fn(s, w->ctx);
                rev = next;
        }
}

static void on_eventfd(evutil_socket_t fd, short what, void *arg)
{
        uint64_t v;

        (void)what;
        if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                log_err("worker: eventfd read: %m");
        deliver(arg);
}

static void enqueue(struct worker *w, enum job_kind kind, struct segment *s)
{
        struct job *j = calloc(1, sizeof(*j));

        if (!j) {
                /* Cannot queue: do the work here rather than lose it. */
                log_err("worker: out of memory, working on the loop");
                if (kind == JOB_CREATE) {
                        run_create(w, s);
                        w->done_fn(s, w->ctx);
                } else if (kind == JOB_DESTROY) {
                        run_destroy(w, s);
                } else {
                        pthread_mutex_lock(&w->lock);
                        w->give_back_queued = 0; /* try again next time */
                        pthread_mutex_unlock(&w->lock);
                }
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
        enqueue(w, JOB_CREATE, s);
}

void worker_destroy(struct worker *w, struct segment *s)
{
        enqueue(w, JOB_DESTROY, s);
}

void worker_give_back(struct worker *w)
{
        int queued;

        pthread_mutex_lock(&w->lock);
        queued = w->give_back_queued;
        w->give_back_queued = 1;
        pthread_mutex_unlock(&w->lock);
        if (!queued)
                enqueue(w, JOB_GIVE_BACK, NULL);
}

int worker_start(struct worker **out, struct event_base *base, struct pool *pool,
                 worker_done_fn done, void *ctx)
{
        struct worker *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        w->tail = &w->head;
        w->pool = pool;
        w->done_fn = done;
        w->ctx = ctx;
        w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->efd < 0) {
                r = -errno;
                free(w);
                return r;
        }
        w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST, on_eventfd, w);
        if (!w->ev || event_add(w->ev, NULL) < 0) {
                close(w->efd);
                free(w);
                return -ENOMEM;
        }
        r = pthread_create(&w->thread, NULL, worker_main, w);
        if (r) {
                event_free(w->ev);
                close(w->efd);
                free(w);
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
        /* Delivering may have queued destroys: do them here, the thread is gone. */
        while (w->head) {
                struct job *j = w->head;

                w->head = j->next;
                if (j->kind == JOB_CREATE) {
                        run_create(w, j->seg);
                        w->done_fn(j->seg, w->ctx);
                } else if (j->kind == JOB_DESTROY) {
                        run_destroy(w, j->seg);
                }
                free(j);
        }
        w->tail = &w->head;
        event_free(w->ev);
        close(w->efd);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
}
