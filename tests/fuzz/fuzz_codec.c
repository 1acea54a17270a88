/* fuzz_codec.c: libFuzzer target for the msgpack record codec (core/codec.c).
 *
 * The first byte picks what the rest is decoded as: one of the ten record
 * types or the event envelope. Records come back from LMDB and envelopes
 * from the outbox, and codec.h promises that any byte string decodes to a
 * record or to LB_ECORRUPT, never a crash, a leak or an allocation sized by
 * a hostile count. A record that decodes must also encode again, and the
 * encoding must decode (the codec can write everything it reads). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"

#define ROUND_TRIP(type)                                                                           \
    static void fuzz_##type(const uint8_t *data, size_t size)                                      \
    {                                                                                              \
        struct lb_##type r;                                                                        \
        memset(&r, 0, sizeof r);                                                                   \
        if (lb_##type##_decode(data, size, &r) != 0)                                               \
            return;                                                                                \
        msgpack_sbuffer sb;                                                                        \
        msgpack_sbuffer_init(&sb);                                                                 \
        if (lb_##type##_encode(&r, &sb) == 0) {                                                    \
            struct lb_##type again;                                                                \
            memset(&again, 0, sizeof again);                                                       \
            if (lb_##type##_decode(sb.data, sb.size, &again) != 0) {                               \
                fprintf(stderr, "fuzz_codec: %s re-encoding does not decode\n", #type);            \
                abort();                                                                           \
            }                                                                                      \
            lb_##type##_clear(&again);                                                             \
        }                                                                                          \
        msgpack_sbuffer_destroy(&sb);                                                              \
        lb_##type##_clear(&r);                                                                     \
    }

ROUND_TRIP(company)
ROUND_TRIP(case)
ROUND_TRIP(contact)
ROUND_TRIP(handoff)
ROUND_TRIP(followup)
ROUND_TRIP(improvement)
ROUND_TRIP(user)
ROUND_TRIP(session)
ROUND_TRIP(idempotency)
ROUND_TRIP(snapshot)
ROUND_TRIP(event)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static void (*const decoders[])(const uint8_t *, size_t) = {
        fuzz_company,     fuzz_case,        fuzz_contact, fuzz_handoff,
        fuzz_followup,    fuzz_improvement, fuzz_user,    fuzz_session,
        fuzz_idempotency, fuzz_snapshot,    fuzz_event};
    if (size < 1)
        return 0;
    size_t n = sizeof decoders / sizeof decoders[0];
    decoders[data[0] % n](data + 1, size - 1);
    return 0;
}
