/*
 * worker.h - the thread that does what may take long.
 *
 * Owns: one thread, its job queue, the periodic give-back, and the pool
 * (pool_take/pool_give_back are called only from here while the worker
 * runs). Making a segment's memory (growing the pool, fallocate zeroing
 * every page) and destroying it (closing the memfd, giving pages back)
 * happen here, in order, so the event loop never waits for them. Every job
 * reports back to the loop through an eventfd; the loop's callback then owns
 * the segment again (for a create) and may persist the pool's counts.
 */
#ifndef HPD_WORKER_H
#define HPD_WORKER_H

struct backend;
struct event_base;
struct pool;
struct segment;
struct worker;

enum worker_job {
        WORKER_CREATE,    /* s made, or not: s->error */
        WORKER_DESTROY,   /* s is gone (NULL here) */
        WORKER_GIVE_BACK, /* free added pages went back (NULL) */
};

/* Called on the loop after each job. */
typedef void (*worker_done_fn)(enum worker_job job, struct segment *s, void *ctx);

/* give_back_seconds: how often to hand back free pages the daemon added
 * (pages a process kept mapped after its segment was destroyed come free
 * only when it unmaps); 0 never. */
int worker_start(struct worker **out, struct event_base *base, struct pool *pool,
                 const struct backend *backend, unsigned give_back_seconds, worker_done_fn done,
                 void *ctx);

/* Make s's memory; done(WORKER_CREATE, s) follows on the loop. */
void worker_create(struct worker *w, struct segment *s);

/* Free s's memory and s itself, then give pages back. s must be unlinked. */
void worker_destroy(struct worker *w, struct segment *s);

/* Finish every queued job, stop the thread. Completions not yet delivered
 * are delivered before this returns. */
void worker_stop(struct worker *w);

#endif
