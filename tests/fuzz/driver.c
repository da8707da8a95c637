/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * driver.c - run the fuzz target without libFuzzer: a fixed-seed stream of
 * inputs made by mutating valid messages of every type (flipped bits, cut and
 * stretched lengths, random words in every field) and pure noise. Used by
 * CTest on every build, so the decoder meets hostile bytes even where clang
 * is not installed. Prints "N passed, 0 failed" (an assertion aborts).
 *
 *   fuzz_decode_driver [iterations]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t state = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
}

int main(int argc, char **argv)
{
        long iters = argc > 1 ? atol(argv[1]) : 2000000;
        uint8_t buf[HP_MSG_MAX + 8];
        long valid = 0;

        for (long i = 0; i < iters; i++) {
                uint16_t type = (uint16_t)(1 + next() % (HP_MSG_TYPE_END - 1));
                uint8_t body[HP_MSG_MAX] = {0};
                size_t size;
                int n;

                /* Start from a well-formed message of a random type... */
                for (size_t k = 0; k < sizeof(body); k += 8) {
                        uint64_t v = next() % 4 ? next() % 8 : next();

                        memcpy(body + k, &v, 8);
                }
                n = hp_proto_encode(buf, sizeof(buf), type, next(), body, hp_proto_body_size(type));
                size = n > 0 ? (size_t)n : 0;
                /* ...then damage it, most of the time. */
                switch (next() % 6) {
                case 0:
                        break;
                case 1:
                        buf[next() % (size ? size : 1)] ^= (uint8_t)(1u << (next() % 8));
                        break;
                case 2:
                        size = next() % sizeof(buf);
                        break;
                case 3:
                        ((struct hp_hdr *)buf)->type = (uint16_t)next();
                        break;
                case 4:
                        ((struct hp_hdr *)buf)->len = (uint32_t)next();
                        break;
                default:
                        size = next() % sizeof(buf);
                        for (size_t k = 0; k < size; k++)
                                buf[k] = (uint8_t)next();
                }
                {
                        struct hp_msg m;

                        valid += hp_proto_decode(buf, size, HP_DIR_REQUEST, &m) == 0 ||
                                 hp_proto_decode(buf, size, HP_DIR_REPLY, &m) == 0;
                }
                LLVMFuzzerTestOneInput(buf, size);
        }
        printf("fuzz_decode: %ld inputs, %ld of them valid messages\n", iters, valid);
        printf("%ld passed, 0 failed\n", iters);
        return valid > 0 ? 0 : 1;
}
