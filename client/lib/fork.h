/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fork.h - what fork() does to the library, and how the child is counted.
 *
 * Owns: the pthread_atfork handlers, the hold a parent lends its child, and
 * noticing a child made without the handlers.
 */
#ifndef HPLIB_FORK_H
#define HPLIB_FORK_H

/* Install the handlers (once, from api.c). */
void fork_install(void);

/* With lib_lock held, before any use of lib_conn: if this process is a child
 * made without the fork handlers (_Fork(), a raw clone()), forget the
 * parent's connection and what the child was never counted for. Costs no
 * system call where the kernel has MADV_WIPEONFORK. */
void fork_check_pid(void);

#endif
