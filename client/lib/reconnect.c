/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reconnect.c - registering mappings again; see reconnect.h.
 */
#include "conn.h"
#include "maptab.h"
#include "reconnect.h"

int reconnect_register(struct conn *c)
{
        struct held *h;

        for (size_t i = 0; (h = held_at(i)); i++) {
                struct hp_register req;
                struct hp_msg reply;
                int r;

                /* A new connection, perhaps to a new daemon, with its own
                 * page: what a key named is asked again. */
                h->epoch = HELD_STALE;
                /* Held on a connection that broke (older generations only). */
                if (h->gen == 0 || h->gen >= c->gen)
                        continue;
                if (held_identify(h, -1) < 0) {
                        h->gen = 0; /* cannot be proved: not counted */
                        continue;
                }
                req = (struct hp_register){.id = h->id, .dev = h->dev, .ino = h->ino};
                r = conn_request(c, HP_MSG_REGISTER, &req, sizeof(req), HP_MSG_REGISTER_REPLY,
                                 &reply, NULL);
                if (r < 0)
                        return r;
                h->gen = reply.u.status.status == 0 ? c->gen : 0;
        }
        return 0;
}
