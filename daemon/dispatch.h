/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dispatch.h - from a request to its handler, by table.
 *
 * Owns: one row per request type (its reply type, whether it may come
 * before HELLO, whether its reply may carry a descriptor, its handler), the
 * HELLO-first rule, and the client ops the transport calls. Handlers
 * return as client.h says (handler_fn). A new message type is one row here and one
 * handler in the module it belongs to.
 */
#ifndef HPD_DISPATCH_H
#define HPD_DISPATCH_H

#include "client.h"

/* What client_listen() is given. */
extern const struct client_ops dispatch_ops;

/* Every request type the codec accepts has a row: 0, or -ENOENT (a build
 * that forgot one; fatal at start-up). */
int dispatch_check(void);

#endif
