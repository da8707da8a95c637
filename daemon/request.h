/*
 * request.h - what a request means.
 *
 * Owns: the rules of alloc_hugepages() (create, attach, EEXIST, ENOENT,
 * EINVAL, EACCES, ENOMEM), the references each client holds, and when a
 * segment dies. Talks to the client only through client_reply().
 */
#ifndef HPD_REQUEST_H
#define HPD_REQUEST_H

#include <stdint.h>

struct client;
struct hpd;
struct segment;

/* Handle c->req (already validated by the codec). Replies now, or later when
 * a segment the request waits for is made. */
void request_dispatch(struct client *c);

/* The worker finished making s (s->error says how). */
void request_created(struct segment *s, void *hpd);

/* c is going away: drop its references, stop its waiting. */
void request_client_gone(struct client *c);

/* References, for hold.c. Add n of c's references to s; unless already_counted,
 * s->users grows by n too. 0 or -ENOMEM. */
int request_ref_add(struct client *c, struct segment *s, uint64_t n, int already_counted);
/* Take n users off s; destroys s when none are left. */
void request_unref(struct hpd *hpd, struct segment *s, uint64_t n);
/* Call fn for each segment c holds references to, with their number. */
void request_foreach_ref(struct client *c, void (*fn)(struct segment *s, uint64_t n, void *ctx),
                         void *ctx);

#endif
