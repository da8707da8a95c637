/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * worker.h - the thread that does what may take long.
 *
 * Owns: one thread, its job queue, and growing the pool (pool_grow and
 * pool_ungrow are called only from here). Making a segment's memory
 * (growing the pool for it, fallocate zeroing every page, taking the growth
 * back) and destroying it (closing the memfd) happen here, in order, so the
 * event loop never waits for them. Every job reports back to the loop
 * through an eventfd; the loop's callback then owns the segment again.
 */
#ifndef HPD_WORKER_H
#define HPD_WORKER_H

struct backend;
struct event_base;
struct keep;
struct pool;
struct segment;
struct worker;

enum worker_job {
        WORKER_CREATE,  /* s made, or not: s->error */
        WORKER_DESTROY, /* s is gone (NULL here) */
};

/* Called on the loop after each job. */
typedef void (*worker_done_fn)(enum worker_job job, struct segment *s, void *ctx);

/* keep: where a growth in flight is persisted (keep_growth). */
int worker_start(struct worker **out, struct event_base *base, struct pool *pool, struct keep *keep,
                 const struct backend *backend, worker_done_fn done, void *ctx);

/* Make s's memory; done(WORKER_CREATE, s) follows on the loop. */
void worker_create(struct worker *w, struct segment *s);

/* Free s's memory and s itself, then give pages back. s must be unlinked. */
void worker_destroy(struct worker *w, struct segment *s);

/* Keep bytes of page_size zeroed and ready (the warm pool; 0: none), made
 * when no job waits; a create that fits takes from it. What is over is given
 * back at once. */
void worker_set_warm(struct worker *w, uint64_t page_size, uint64_t bytes);

/* Finish every queued job, stop the thread. Completions not yet delivered
 * are delivered before this returns. */
void worker_stop(struct worker *w);

#endif
