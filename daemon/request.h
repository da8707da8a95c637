/*
 * request.h - what a request means.
 *
 * Owns: the rules of alloc_hugepages() (create, attach, EEXIST, ENOENT,
 * EINVAL, EACCES, ENOMEM), the references each client holds, and when a
 * segment dies. Talks to the client only through client_reply().
 */
#ifndef HPD_REQUEST_H
#define HPD_REQUEST_H

struct client;
struct segment;

/* Handle c->req (already validated by the codec). Replies now, or later when
 * a segment the request waits for is made. */
void request_dispatch(struct client *c);

/* The worker finished making s (s->error says how). */
void request_created(struct segment *s, void *hpd);

/* c is going away: drop its references, stop its waiting. */
void request_client_gone(struct client *c);

#endif
