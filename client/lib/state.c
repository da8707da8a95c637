/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * state.c - the lock, the connection and whose they are; see state.h.
 */
#include <pthread.h>

#include "state.h"

pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
struct conn lib_conn = CONN_INIT;

static pid_t owner;

pid_t lib_owner(void)
{
        return owner;
}

void lib_set_owner(pid_t pid)
{
        owner = pid;
}
