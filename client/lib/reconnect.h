/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reconnect.h - a new connection after an old one broke.
 *
 * Owns: telling a restarted daemon about every mapping an old connection
 * held (REGISTER), so that it counts this process again. One it does not
 * know (the table did not survive) is held by nobody from now on:
 * free_hugepages() just unmaps it.
 */
#ifndef HPLIB_RECONNECT_H
#define HPLIB_RECONNECT_H

struct conn;

/* conn.on_connect: 0 or a negative errno (the connection is abandoned). */
int reconnect_register(struct conn *c);

#endif
