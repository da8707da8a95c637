/*
 * state.h - the library's process-wide state, shared by api.c and fork.c.
 *
 * One lock serialises everything; one connection carries every request.
 * Nothing here is exported from the shared library (-fvisibility=hidden and
 * the version script).
 */
#ifndef HPLIB_STATE_H
#define HPLIB_STATE_H

#include <pthread.h>

#include "conn.h"

extern pthread_mutex_t lib_lock;
extern struct conn lib_conn;

/* Once per process: install the fork handlers. */
void lib_init(void);

/* With lib_lock held, before any use of lib_conn: if this process is a child
 * made without the fork handlers (_Fork(), a raw clone()), forget the
 * parent's connection and what the child was never counted for. */
void lib_check_pid(void);

#endif
