/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * admin.h - what hugepagectl asks: the segments, the daemon's state, removal.
 *
 * Owns: deciding what a peer may see (the segments it may read, its own
 * usage; root sees all) and remove (owner or root), and filling the replies. Removal itself
 * is segref.c's. Handlers as client.h describes (handler_fn).
 */
#ifndef HPD_ADMIN_H
#define HPD_ADMIN_H

#include "client.h"

int admin_list(struct client *c, const struct hp_msg *m, struct reply *r);
int admin_status(struct client *c, const struct hp_msg *m, struct reply *r);
int admin_stat(struct client *c, const struct hp_msg *m, struct reply *r);
int admin_remove(struct client *c, const struct hp_msg *m, struct reply *r);
int admin_log_level(struct client *c, const struct hp_msg *m, struct reply *r);
int admin_counter(struct client *c, const struct hp_msg *m, struct reply *r);
int admin_users(struct client *c, const struct hp_msg *m, struct reply *r);

#endif
