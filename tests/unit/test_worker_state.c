/* test_worker_state.c: the worker's LMDB state (worker/state.c) and its
 * bounded envelope reader (worker/envelope.c), against real LMDB in a temp
 * directory. The worker's modules are not in the library, so they are
 * compiled in here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../worker/envelope.c"
#include "../../worker/state.c"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/lb-wstate-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void test_cursor_survives_reopen(void **state)
{
    (void)state;
    char sub[96];
    snprintf(sub, sizeof sub, "%s/w", dir); /* created when missing */
    lb_wstate *s;
    MDB_txn *t;
    uint64_t seq = 99;
    assert_int_equal(lb_wstate_open(sub, 0, &s), 0);
    assert_int_equal(lb_wstate_begin(s, true, &t), 0);
    assert_int_equal(lb_wstate_cursor_get(s, t, &seq), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(lb_wstate_cursor_put(s, t, 12345), 0);
    assert_int_equal(lb_wstate_commit(t), 0);
    /* An aborted transaction leaves the cursor alone. */
    assert_int_equal(lb_wstate_begin(s, true, &t), 0);
    assert_int_equal(lb_wstate_cursor_put(s, t, 99999), 0);
    lb_wstate_abort(t);
    lb_wstate_close(s);

    assert_int_equal(lb_wstate_open(sub, 0, &s), 0);
    assert_int_equal(lb_wstate_begin(s, false, &t), 0);
    assert_int_equal(lb_wstate_cursor_get(s, t, &seq), 0);
    assert_int_equal(seq, 12345);
    lb_wstate_abort(t);
    lb_wstate_close(s);
}

static void test_records_and_company_calls(void **state)
{
    (void)state;
    lb_wstate *s;
    MDB_txn *t;
    assert_int_equal(lb_wstate_open(dir, 0, &s), 0);
    assert_int_equal(lb_wstate_begin(s, true, &t), 0);
    struct lb_wcase c = {.status = 1, .company_id = 7, .lots_fid = 0};
    strcpy(c.owner, "anna");
    assert_int_equal(lb_wstate_case_put(s, t, 3, &c), 0);
    struct lb_wcase got;
    assert_int_equal(lb_wstate_case_get(s, t, 3, &got), 0);
    assert_int_equal(got.company_id, 7);
    assert_string_equal(got.owner, "anna");
    assert_int_equal(lb_wstate_case_get(s, t, 4, &got), LB_ENOTFOUND);

    /* Calls of company 7 and 8 interleaved; each company sees its own, in id order. */
    lb_id fids[] = {300, 5, 260, 1};
    lb_id companies[] = {7, 8, 7, 7};
    for (int i = 0; i < 4; i++) {
        struct lb_wfollowup f = {.status = 0, .company_id = companies[i], .due = 100 + i};
        assert_int_equal(lb_wstate_followup_put(s, t, fids[i], &f), 0);
    }
    /* Writing a call again does not list it twice. */
    struct lb_wfollowup again = {.status = 1, .company_id = 7, .due = 200, .made = 150};
    assert_int_equal(lb_wstate_followup_put(s, t, 260, &again), 0);
    lb_id ids[8];
    size_t n;
    assert_int_equal(lb_wstate_company_calls(s, t, 7, ids, 8, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 260);
    assert_int_equal(ids[2], 300);
    assert_int_equal(lb_wstate_company_calls(s, t, 7, ids, 2, &n), LB_ETOOBIG);
    assert_int_equal(n, 2);
    assert_int_equal(lb_wstate_company_calls(s, t, 9, ids, 8, &n), 0);
    assert_int_equal(n, 0);
    struct lb_wfollowup f;
    assert_int_equal(lb_wstate_followup_get(s, t, 260, &f), 0);
    assert_int_equal(f.made, 150);
    assert_int_equal(lb_wstate_commit(t), 0);
    lb_wstate_close(s);
}

static void test_pending_in_date_order(void **state)
{
    (void)state;
    lb_wstate *s;
    MDB_txn *t;
    assert_int_equal(lb_wstate_open(dir, 0, &s), 0);
    assert_int_equal(lb_wstate_begin(s, true, &t), 0);
    /* Dates before 1970 are negative: the order must still be by date. */
    assert_int_equal(lb_wstate_pending_put(s, t, 20000, 1), 0);
    assert_int_equal(lb_wstate_pending_put(s, t, -5, 2), 0);
    assert_int_equal(lb_wstate_pending_put(s, t, 19999, 3), 0);
    assert_int_equal(lb_wstate_pending_put(s, t, 19999, 4), 0);
    assert_int_equal(lb_wstate_pending_del(s, t, 20000, 1), 0);
    assert_int_equal(lb_wstate_pending_del(s, t, 20000, 1), 0); /* twice is fine */
    struct lb_wpending p[8];
    size_t n;
    assert_int_equal(lb_wstate_pending_list(s, t, p, 8, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(p[0].sent, -5);
    assert_int_equal(p[0].handoff_id, 2);
    assert_int_equal(p[1].sent, 19999);
    assert_int_equal(p[1].handoff_id, 3);
    assert_int_equal(p[2].handoff_id, 4);
    lb_wstate_abort(t);
    lb_wstate_close(s);
}

static void test_effect_keys(void **state)
{
    (void)state;
    lb_wstate *s;
    MDB_txn *t;
    assert_int_equal(lb_wstate_open(dir, 0, &s), 0);
    assert_int_equal(lb_wstate_begin(s, true, &t), 0);
    struct lb_weffect e = {.target = 17, .seq = 42}, got;
    assert_int_equal(lb_wstate_effect_get(s, t, "ev-42-lots", &got), LB_ENOTFOUND);
    assert_int_equal(lb_wstate_effect_put(s, t, "ev-42-lots", &e), 0);
    assert_int_equal(lb_wstate_effect_get(s, t, "ev-42-lots", &got), 0);
    assert_int_equal(got.target, 17);
    assert_int_equal(lb_wstate_effect_get(s, t, "ev-42-unit", &got), LB_ENOTFOUND);
    assert_int_equal(lb_wstate_commit(t), 0);
    lb_wstate_close(s);
}

/* Packs an envelope like lotsd's. */
static void pack_envelope(msgpack_sbuffer *sb, uint64_t seq, const char *type, uint64_t id)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    msgpack_pack_str_with_body(&pk, "seq", 3);
    msgpack_pack_uint64(&pk, seq);
    msgpack_pack_str_with_body(&pk, "type", 4);
    msgpack_pack_str_with_body(&pk, type, strlen(type));
    msgpack_pack_str_with_body(&pk, "at", 2);
    msgpack_pack_int64(&pk, 1775000000000LL);
    msgpack_pack_str_with_body(&pk, "actor", 5);
    msgpack_pack_str_with_body(&pk, "anna", 4);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_uint64(&pk, id);
    msgpack_pack_str_with_body(&pk, "data", 4);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "company_id", 10);
    msgpack_pack_uint64(&pk, 9);
    msgpack_pack_str_with_body(&pk, "closed_at", 9);
    msgpack_pack_str_with_body(&pk, "2026-04-02T21:30:00Z", 20);
    msgpack_pack_str_with_body(&pk, "due", 3);
    msgpack_pack_str_with_body(&pk, "2026-04-20", 10);
}

static void test_envelope_view(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_envelope(&sb, 42, "case.closed", 5);
    msgpack_zone zone;
    assert_true(msgpack_zone_init(&zone, 4096));
    msgpack_object o;
    assert_int_equal(lb_mp_unpack(sb.data, sb.size, &zone, &o), 0);
    struct lb_wev ev;
    assert_int_equal(lb_wev_from_object(&o, &ev), 0);
    assert_int_equal(ev.seq, 42);
    assert_int_equal(ev.id, 5);
    assert_true(lb_wev_is(&ev, "case.closed"));
    assert_false(lb_wev_is(&ev, "case.close"));
    uint64_t company;
    assert_true(lb_wev_u64(&ev, "company_id", &company));
    assert_int_equal(company, 9);
    lb_time at;
    assert_true(lb_wev_time(&ev, "closed_at", &at));
    /* 21:30 UTC on 2 April is 23:30 in Stockholm (CEST): still 2 April. */
    assert_int_equal(lb_stockholm_date(at), lb_date_from_ymd(2026, 4, 2));
    lb_date due;
    assert_true(lb_wev_date(&ev, "due", &due));
    assert_int_equal(due, lb_date_from_ymd(2026, 4, 20));
    assert_false(lb_wev_u64(&ev, "missing", &company));
    char small[4];
    assert_false(lb_wev_str(&ev, "due", small, sizeof small));
    /* Trailing bytes are refused. */
    msgpack_sbuffer_write(&sb, "\xc0", 1);
    assert_int_equal(lb_mp_check(sb.data, sb.size), LB_ECORRUPT);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
}

static void test_hostile_msgpack(void **state)
{
    (void)state;
    /* array32 claiming 2^32-1 elements in 5 bytes, map32 likewise, str32 longer
     * than the buffer, nesting deeper than the limit, the unused 0xc1. */
    const uint8_t arr[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    const uint8_t map[] = {0xdf, 0x7f, 0xff, 0xff, 0xff, 0x01};
    const uint8_t str[] = {0xdb, 0x00, 0x00, 0x10, 0x00, 'a'};
    const uint8_t unused[] = {0xc1};
    uint8_t deep[40];
    memset(deep, 0x91, sizeof deep); /* [[[[...]]]] one element each */
    deep[sizeof deep - 1] = 0x01;
    assert_int_equal(lb_mp_check(arr, sizeof arr), LB_ECORRUPT);
    assert_int_equal(lb_mp_check(map, sizeof map), LB_ECORRUPT);
    assert_int_equal(lb_mp_check(str, sizeof str), LB_ECORRUPT);
    assert_int_equal(lb_mp_check(unused, sizeof unused), LB_ECORRUPT);
    assert_int_equal(lb_mp_check(deep, sizeof deep), LB_ECORRUPT);
    assert_int_equal(lb_mp_check(deep + 20, 20), 0); /* 19 levels are fine */
    assert_int_equal(lb_mp_check(NULL, 0), LB_ECORRUPT);
    /* Every truncation of a valid envelope is refused, never read past. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_envelope(&sb, 1, "contact.logged", 2);
    for (size_t len = 1; len < sb.size; len++) {
        uint8_t *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, sb.data, len);
        assert_int_equal(lb_mp_check(copy, len), LB_ECORRUPT);
        free(copy);
    }
    assert_int_equal(lb_mp_check(sb.data, sb.size), 0);
    msgpack_sbuffer_destroy(&sb);
}

static void test_envelope_missing_fields(void **state)
{
    (void)state;
    /* {"seq": 0, ...} and an envelope whose data is not a map are refused. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "seq", 3);
    msgpack_pack_uint64(&pk, 3);
    msgpack_pack_str_with_body(&pk, "data", 4);
    msgpack_pack_array(&pk, 0);
    msgpack_zone zone;
    assert_true(msgpack_zone_init(&zone, 1024));
    msgpack_object o;
    assert_int_equal(lb_mp_unpack(sb.data, sb.size, &zone, &o), 0);
    struct lb_wev ev;
    assert_int_equal(lb_wev_from_object(&o, &ev), LB_ECORRUPT);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cursor_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_and_company_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_in_date_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_effect_keys, setup, teardown),
        cmocka_unit_test(test_envelope_view),
        cmocka_unit_test(test_hostile_msgpack),
        cmocka_unit_test(test_envelope_missing_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
