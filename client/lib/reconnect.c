/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reconnect.c - registering mappings again; see reconnect.h.
 */
#include "conn.h"
#include "maptab.h"
#include "reconnect.h"

int reconnect_register(struct conn *c)
{
        struct mapping *m;

        for (size_t i = 0; (m = maptab_at(i)); i++) {
                struct hp_register req = {.id = m->id, .dev = m->dev, .ino = m->ino};
                struct hp_msg reply;
                int r;

                /* Held on a connection that broke (older generations only). */
                if (m->gen == 0 || m->gen >= c->gen)
                        continue;
                r = conn_request(c, HP_MSG_REGISTER, &req, sizeof(req), HP_MSG_REGISTER_REPLY,
                                 &reply, NULL);
                if (r < 0)
                        return r;
                m->gen = reply.u.status.status == 0 ? c->gen : 0;
        }
        return 0;
}
