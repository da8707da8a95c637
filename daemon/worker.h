/*
 * worker.h - the thread that does what may take long.
 *
 * Owns: one thread, its job queue, and the pool (pool_take/pool_give_back
 * are called only from here while the worker runs). Making a segment's
 * memory (growing the pool, fallocate zeroing every page) and destroying it
 * (closing the memfd, giving pages back) happen here, in order, so the event
 * loop never waits for them. Completions return to the loop through an
 * eventfd; the loop's callback then owns the segment again.
 */
#ifndef HPD_WORKER_H
#define HPD_WORKER_H

struct event_base;
struct pool;
struct segment;
struct worker;

typedef void (*worker_done_fn)(struct segment *s, void *ctx);

int worker_start(struct worker **out, struct event_base *base, struct pool *pool,
                 worker_done_fn done, void *ctx);

/* Make s's memory; done(s) is called on the loop with s->error set. */
void worker_create(struct worker *w, struct segment *s);

/* Free s's memory and s itself, then give pages back. s must be unlinked. */
void worker_destroy(struct worker *w, struct segment *s);

/* Hand back to the kernel any pages the daemon added that are free now. */
void worker_give_back(struct worker *w);

/* Finish every queued job, stop the thread. Completions not yet delivered
 * are delivered before this returns. */
void worker_stop(struct worker *w);

#endif
