/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_decode.c - libFuzzer target for the codec: any bytes, either
 * direction. What decodes must re-encode to the very same bytes, and must
 * satisfy the rules the daemon and the library rely on.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "hp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        for (int dir = HP_DIR_REQUEST; dir <= HP_DIR_REPLY; dir++) {
                struct hp_msg m;
                char again[HP_MSG_MAX];
                int n;

                if (hp_proto_decode(data, size, (enum hp_dir)dir, &m) < 0)
                        continue;
                assert(size == m.hdr.len);
                assert(hp_proto_is_request(m.hdr.type) == (dir == HP_DIR_REQUEST));
                if (m.hdr.type == HP_MSG_ALLOC) {
                        assert(m.u.alloc.key >= 0);
                        assert((m.u.alloc.flag & ~HP_FLAG_KNOWN) == 0);
                        assert((m.u.alloc.prot & ~HP_PROT_KNOWN) == 0);
                }
                n = hp_proto_encode(again, sizeof(again), m.hdr.type, m.hdr.seq, &m.u,
                                    hp_proto_body_size(m.hdr.type));
                assert(n == (int)size);
                assert(memcmp(again, data, size) == 0);
        }
        return 0;
}
