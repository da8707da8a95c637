/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * state.h - the library's process-wide state.
 *
 * Owns: the one lock that serialises every call, the one connection that
 * carries every request, and the pid that connection belongs to (state.c).
 * Nothing here is exported from the shared library (-fvisibility=hidden and
 * the version script).
 */
#ifndef HPLIB_STATE_H
#define HPLIB_STATE_H

#include <pthread.h>
#include <sys/types.h>

#include "conn.h"

extern pthread_mutex_t lib_lock;
extern struct conn lib_conn;

/* The process lib_conn belongs to, and handing it to another (a child). */
pid_t lib_owner(void);
void lib_set_owner(pid_t pid);

#endif
