/* fuzz_codec.c: libFuzzer target for the record codec and event envelope.
 *
 * Decodes the input as every record type and as an event envelope. What
 * decodes is re-encoded, decoded again and re-encoded, and the two encodings
 * must be the same bytes (decode . encode is the identity on what decode
 * accepts). Any decode failure must be LB_ECORRUPT with *out zeroed. Build:
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude tests/fuzz/fuzz_codec.c \
 *       core/domain/codec.c core/domain/records.c $(pkg-config --cflags --libs msgpack)
 * Seeds: tests/fuzz/corpus/codec/ (written by test_codec with
 * LB_CODEC_SEED_DIR set). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

#define FUZZ_TYPE(T)                                                                               \
    static void fuzz_##T(const uint8_t *data, size_t size)                                         \
    {                                                                                              \
        struct lb_##T r, r2;                                                                       \
        memset(&r, 0xa5, sizeof(r));                                                               \
        int rc = lb_##T##_decode(data, size, &r);                                                  \
        if (rc != 0) {                                                                             \
            CHECK(rc == LB_ECORRUPT);                                                              \
            CHECK(all_zero(&r, sizeof(r)));                                                        \
            return;                                                                                \
        }                                                                                          \
        msgpack_sbuffer a, b;                                                                      \
        msgpack_sbuffer_init(&a);                                                                  \
        msgpack_sbuffer_init(&b);                                                                  \
        CHECK(lb_##T##_encode(&r, &a) == 0);                                                       \
        CHECK(lb_##T##_decode(a.data, a.size, &r2) == 0);                                          \
        CHECK(lb_##T##_encode(&r2, &b) == 0);                                                      \
        CHECK(a.size == b.size && memcmp(a.data, b.data, a.size) == 0);                            \
        msgpack_sbuffer_destroy(&a);                                                               \
        msgpack_sbuffer_destroy(&b);                                                               \
        lb_##T##_clear(&r);                                                                        \
        lb_##T##_clear(&r2);                                                                       \
    }

FUZZ_TYPE(company)
FUZZ_TYPE(case)
FUZZ_TYPE(contact)
FUZZ_TYPE(handoff)
FUZZ_TYPE(followup)
FUZZ_TYPE(improvement)
FUZZ_TYPE(user)
FUZZ_TYPE(session)
FUZZ_TYPE(survey_token)
FUZZ_TYPE(idempotency)
FUZZ_TYPE(snapshot)
FUZZ_TYPE(event)

/* The contact write path's light lookup agrees with the full decoder on
 * every case record the full decoder accepts, and never crashes on others. */
static void fuzz_case_company(const uint8_t *data, size_t size)
{
    struct lb_case c;
    lb_id co = 1;
    int light = lb_case_company_id(data, size, &co);
    CHECK(light == 0 || (light == LB_ECORRUPT && co == 0));
    if (lb_case_decode(data, size, &c) == 0) {
        CHECK(light == 0 && co == c.company_id);
        lb_case_clear(&c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_company(data, size);
    fuzz_case(data, size);
    fuzz_case_company(data, size);
    fuzz_contact(data, size);
    fuzz_handoff(data, size);
    fuzz_followup(data, size);
    fuzz_improvement(data, size);
    fuzz_user(data, size);
    fuzz_session(data, size);
    fuzz_survey_token(data, size);
    fuzz_idempotency(data, size);
    fuzz_snapshot(data, size);
    fuzz_event(data, size);
    return 0;
}
