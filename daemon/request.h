/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * request.h - what alloc_hugepages() and free_hugepages() mean.
 *
 * Owns: the rules of alloc_hugepages() (create, attach, EEXIST, ENOENT,
 * EINVAL, EACCES, ENOMEM), waiting for a segment being made, and the
 * greeting. References themselves are segref.c's; access is policy.c's.
 * Handlers as client.h describes (handler_fn).
 */
#ifndef HPD_REQUEST_H
#define HPD_REQUEST_H

#include "client.h"

struct hpd;
struct segment;

int request_hello(struct client *c, const struct hp_msg *m, struct reply *r);
int request_alloc(struct client *c, const struct hp_msg *m, struct reply *r);
int request_release(struct client *c, const struct hp_msg *m, struct reply *r);
int request_register(struct client *c, const struct hp_msg *m, struct reply *r);

/* The worker finished making s (s->error says how): answer who waited. */
void request_created(struct hpd *hpd, struct segment *s);

/* While a create is under way, PROGRESS goes to those who wait for it every
 * REQUEST_PROGRESS_SECONDS (the library's bound on silence is larger). */
#define REQUEST_PROGRESS_SECONDS 1
int request_start(struct hpd *hpd);

/* c is going away: stop its waiting, let go of its references. */
void request_client_gone(struct client *c);

#endif
