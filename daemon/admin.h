/*
 * admin.h - what hugepagectl asks: the segments, the daemon's state, removal.
 *
 * Owns: deciding what a peer may see (the segments it may read; root sees
 * all) and remove (owner or root), and filling the replies. Each request
 * replies.
 */
#ifndef HPD_ADMIN_H
#define HPD_ADMIN_H

struct client;

void admin_list(struct client *c);
void admin_status(struct client *c);
void admin_remove(struct client *c);

#endif
