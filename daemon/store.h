/*
 * store.h - segments kept in systemd's file descriptor store.
 *
 * Owns: naming a segment for the store (everything needed to rebuild it is
 * in its FDNAME), putting it there when it is made, taking it out when it is
 * destroyed, and rebuilding the table from what systemd hands back at start.
 * A daemon ending on SIGTERM leaves the store alone: systemd keeps it across
 * "systemctl restart" and empties it on "systemctl stop". Restored segments
 * that nobody claims within the grace period are destroyed. Without
 * $NOTIFY_SOCKET nothing is stored.
 */
#ifndef HPD_STORE_H
#define HPD_STORE_H

struct hpd;
struct segment;

#define STORE_POOL_NAME "hp1-pool"

/* Whether descriptors go to systemd at all. */
void store_init(void);
int store_active(void);

void store_add(struct segment *s);
void store_remove(struct segment *s);

/* At start: a descriptor systemd handed back under name. Returns 1 if it was
 * ours (taken or closed), 0 if the name is not the store's. */
int store_restore(struct hpd *hpd, int fd, const char *name);

/* After the restored descriptors: destroy, after grace seconds, every
 * restored segment nobody has attached or registered by then. */
int store_start_grace(struct hpd *hpd, unsigned grace);
void store_stop(void);

/* The pool's state memfd: kept in the store while the daemon has pages of
 * its own in the pool (called from the worker thread). */
void store_pool_state(int fd, int keep);

#endif
