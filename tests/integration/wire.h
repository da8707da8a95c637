/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wire.h - a client that speaks hugepaged's protocol by hand, for the tests
 * that must do what the library never would (lie, stall, die half-way).
 *
 * Nothing here asserts: every function returns a descriptor or 0, or a
 * negative errno, so that a test can assert and a forked child can _exit.
 */
#ifndef HP_TEST_WIRE_H
#define HP_TEST_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "hp_proto.h"

/* A connected socket, or -errno. */
int wire_connect(const char *sock);

/* Send one well-formed message (no descriptor). 0 or -errno. */
int wire_send(int fd, uint16_t type, uint64_t seq, const void *body, size_t len);

/* Receive and decode one reply. A descriptor that came with it goes to
 * *passed (-1 if none); with passed NULL, one is an error. 0 or -errno. */
int wire_recv(int fd, struct hp_msg *m, int *passed);

/* The HELLO exchange on a connected socket. 0 or -errno. */
int wire_greet(int fd);

/* ALLOC of len bytes, and its reply in *m. Returns the descriptor, or
 * -errno (the reply's status when the daemon refused). */
int wire_alloc(int fd, int32_t key, uint32_t flag, uint32_t prot, uint64_t len, struct hp_msg *m);

#endif
