/* test_fuzz_regressions.c: one test per defect the libFuzzer targets of
 * tests/fuzz found, each with the smallest input that shows it. The inputs
 * the fuzzer wrote are also kept in tests/fuzz/corpus/<target>/crash-*, so
 * every fuzz run replays them first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../worker/envelope.c"

/* fuzz_worker_envelope: an ext 32 whose length is 0xffffffff made the bounded
 * walk compute length + 1 in 32 bits, wrap to 0 and accept a 4 GiB payload in
 * a 6-byte frame. lb_mp_check must refuse it, alone and inside an array. */
static void ext32_length_wrap(void **state)
{
    (void)state;
    static const uint8_t alone[] = {0xc9, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(lb_mp_check(alone, sizeof alone), LB_ECORRUPT);
    static const uint8_t inside[] = {0x92, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(lb_mp_check(inside, sizeof inside), LB_ECORRUPT);
    /* A well-formed ext 32 still passes. */
    static const uint8_t ok[] = {0xc9, 0x00, 0x00, 0x00, 0x02, 0x05, 0xaa, 0xbb};
    assert_int_equal(lb_mp_check(ok, sizeof ok), 0);
    msgpack_zone zone;
    assert_true(msgpack_zone_init(&zone, 256));
    msgpack_object o;
    assert_int_equal(lb_mp_unpack(alone, sizeof alone, &zone, &o), LB_ECORRUPT);
    assert_int_equal(lb_mp_unpack(ok, sizeof ok, &zone, &o), 0);
    assert_int_equal(o.type, MSGPACK_OBJECT_EXT);
    msgpack_zone_destroy(&zone);
}

/* fuzz_worker_envelope: 32 nested arrays around a map (33 containers) passed
 * the walk's depth limit but not msgpack-c's unpacker stack of 32, so checked
 * bytes failed to unpack. The walk must refuse what the unpacker cannot take,
 * and accept the deepest nesting the unpacker can. */
static void nesting_beyond_unpacker_stack(void **state)
{
    (void)state;
    uint8_t deep[33];
    memset(deep, 0x91, 32);
    deep[32] = 0x80;
    assert_int_equal(lb_mp_check(deep, sizeof deep), LB_ECORRUPT);
    uint8_t ok[32];
    memset(ok, 0x91, 31);
    ok[31] = 0x80;
    assert_int_equal(lb_mp_check(ok, sizeof ok), 0);
    msgpack_zone zone;
    assert_true(msgpack_zone_init(&zone, 4096));
    msgpack_object o;
    assert_int_equal(lb_mp_unpack(ok, sizeof ok, &zone, &o), 0);
    msgpack_zone_destroy(&zone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ext32_length_wrap),
        cmocka_unit_test(nesting_beyond_unpacker_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
