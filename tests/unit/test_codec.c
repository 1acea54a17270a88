/* test_codec.c: records and event envelopes survive a round trip, and no byte
 * string, however hostile, makes the decoders crash, leak or accept garbage.
 * (Leaks and overruns are caught by the ASan/UBSan run of this same test.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"

/* Every record type behind one interface, so each test runs over all. */
struct codec {
    const char *name;
    size_t size;
    int (*encode)(const void *, msgpack_sbuffer *);
    int (*decode)(const void *, size_t, void *);
    void (*clear)(void *);
    void (*fill)(void *, bool full);
};

static char *dup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

static void fill_company(void *p, bool full)
{
    struct lb_company *r = p;
    r->meta = (struct lb_meta){7, 3, 1773480600000, 1773480601234};
    strcpy(r->orgnr, "5560360793");
    r->name = dup("Mälarbåtar AB");
    r->anonymized_at = LB_TIME_NONE;
    if (full) {
        r->personal_orgnr = true;
        r->locality = dup("Norrtälje");
        r->sni = dup("30120");
        r->ncontacts = 2;
        r->contacts = calloc(2, sizeof *r->contacts);
        r->contacts[0] = (struct lb_person){dup("Anna Öberg"), dup("VD"), dup("0176-123 45"),
                                            dup("anna@example.se")};
        r->contacts[1] = (struct lb_person){dup("Bo Ek"), NULL, NULL, NULL};
        r->anonymized_at = -5;
    }
}

static void fill_case(void *p, bool full)
{
    struct lb_case *r = p;
    r->meta = (struct lb_meta){1, 1, 10, 10};
    r->year = 2026;
    r->serial = 42;
    r->company_id = 7;
    r->subject = dup("Etablering av café");
    r->category = LB_CATEGORY_PREMISES_LAND;
    r->opened_at = 1773480600000;
    r->owner = dup("lotsen");
    r->closed_at = LB_TIME_NONE;
    if (full) {
        r->description = dup("Lång text");
        r->status = LB_CASE_CLOSED;
        r->outcome = LB_OUTCOME_NO_ACTION;
        r->close_note = dup("klart");
        r->closed_at = 1773480700000;
        r->legal_hold = true;
    }
}

static void fill_contact(void *p, bool full)
{
    struct lb_contact *r = p;
    r->meta = (struct lb_meta){UINT64_MAX, 1, 0, 0};
    r->case_id = 1;
    r->at = INT64_MIN; /* LB_TIME_NONE must survive */
    r->channel = LB_CHANNEL_VIDEO;
    r->direction = LB_DIRECTION_OUTBOUND;
    r->summary = dup("Ringde om bygglov");
    r->minutes = -1;
    r->logged_by = dup("lotsen");
    if (full)
        r->minutes = 15;
}

static void fill_handoff(void *p, bool full)
{
    struct lb_handoff *r = p;
    r->meta = (struct lb_meta){3, 2, 1, 2};
    r->case_id = 1;
    r->company_id = 7;
    r->unit = dup("bygglov");
    r->note = dup("Se bifogat");
    r->sent_by = dup("lotsen");
    r->sent_at = 100;
    r->acknowledged_at = r->decided_at = r->withdrawn_at = LB_TIME_NONE;
    if (full) {
        r->status = LB_HANDOFF_DECIDED;
        r->acknowledged_at = 200;
        r->reference = dup("BYGG 2026-123");
        r->decided_at = 300;
        r->decision = LB_DECISION_ADVICE_GIVEN;
        r->decision_note = dup("Råd");
        r->withdraw_note = dup("x");
        r->overdue = true;
    }
}

static void fill_followup(void *p, bool full)
{
    struct lb_followup *r = p;
    r->meta = (struct lb_meta){9, 1, 5, 5};
    r->company_id = 7;
    r->assignee = dup("lotsen");
    r->due = 20556;
    r->nitems = 1;
    r->items = calloc(1, sizeof *r->items);
    r->items[0] = (struct lb_followup_item){LB_FOLLOWUP_KIND_LOTS, 1, 0, NULL};
    r->recorded_at = r->last_attempt_at = LB_TIME_NONE;
    if (full) {
        r->status = LB_FOLLOWUP_DONE;
        r->attempts = 2;
        r->due = LB_DATE_NONE;
        struct lb_followup_item *it = realloc(r->items, 2 * sizeof *it);
        assert_non_null(it);
        r->items = it;
        r->items[1] = (struct lb_followup_item){LB_FOLLOWUP_KIND_UNIT, 1, 3, dup("bygglov")};
        r->nitems = 2;
        r->nanswers = 3;
        r->answers = calloc(3, sizeof *r->answers);
        r->answers[0] = (struct lb_answer){dup("lots"), dup("usefulness"), LB_ANSWER_SCALE, 5};
        r->answers[1] =
            (struct lb_answer){dup("bygglov"), dup("clear_and_lawful"), LB_ANSWER_BOOL, 1};
        r->answers[2] = (struct lb_answer){dup("bygglov"), dup("nki_ideal"), LB_ANSWER_NULL, 0};
        r->comment = dup("Nöjd");
        r->recorded_at = 1;
        r->last_attempt_at = 2;
    }
}

static void fill_improvement(void *p, bool full)
{
    struct lb_improvement *r = p;
    r->meta = (struct lb_meta){2, 1, 1, 1};
    r->title = dup("Tydligare checklista för bygglov");
    r->identified_at = 1;
    r->implemented_at = LB_TIME_NONE;
    if (full) {
        r->unit = dup("bygglov");
        r->description = dup("...");
        r->followup_id = 9;
        r->status = LB_IMPROVEMENT_IMPLEMENTED;
        r->implemented_at = 2;
    }
}

static void fill_user(void *p, bool full)
{
    struct lb_user *r = p;
    r->meta = (struct lb_meta){4, 1, 1, 1};
    r->username = dup("handlaggare");
    r->password_hash = dup("$argon2id$v=19$m=65536,t=2,p=1$abc$def");
    r->role = LB_ROLE_HANDLER;
    r->password_changed_at = 1;
    if (full) {
        r->nunits = 2;
        r->units = calloc(2, sizeof *r->units);
        r->units[0] = dup("bygglov");
        r->units[1] = dup("miljo");
        r->disabled = true;
    }
}

static void fill_session(void *p, bool full)
{
    struct lb_session *r = p;
    for (int i = 0; i < 32; i++)
        r->token_hash[i] = (uint8_t)(i * 7 + (full ? 1 : 0));
    r->username = dup("admin");
    r->created_at = 1;
    r->expires_at = 2;
}

static void fill_idempotency(void *p, bool full)
{
    struct lb_idempotency *r = p;
    memset(r->request_hash, 0xab, 32);
    r->status = 201;
    r->body = dup("{\"id\":1}");
    r->at = 3;
    if (full)
        r->location = dup("/api/v1/cases/1");
}

static void fill_snapshot(void *p, bool full)
{
    struct lb_snapshot *r = p;
    r->meta = (struct lb_meta){1, 1, 1, 1};
    strcpy(r->quarter, "2026-Q1");
    r->source_seq = full ? 1234 : 0;
    r->json = dup("{\"quarter\":\"2026-Q1\"}");
}

#define CODEC(t)                                                                                   \
    {                                                                                              \
#t, sizeof(struct lb_##t), (int (*)(const void *, msgpack_sbuffer *))lb_##t##_encode,      \
            (int (*)(const void *, size_t, void *))lb_##t##_decode,                                \
            (void (*)(void *))lb_##t##_clear, fill_##t                                             \
    }

static const struct codec codecs[] = {
    CODEC(company),     CODEC(case), CODEC(contact), CODEC(handoff),     CODEC(followup),
    CODEC(improvement), CODEC(user), CODEC(session), CODEC(idempotency), CODEC(snapshot),
};
#define NCODECS (sizeof codecs / sizeof codecs[0])

/* Encodes a filled record into buf (caller destroys). */
static void encode_sample(const struct codec *c, bool full, msgpack_sbuffer *buf)
{
    void *rec = calloc(1, c->size);
    assert_non_null(rec);
    c->fill(rec, full);
    msgpack_sbuffer_init(buf);
    assert_int_equal(c->encode(rec, buf), 0);
    c->clear(rec);
    free(rec);
}

/* Decoding then encoding again gives the same bytes: the encoder writes every
 * field of the table, so equal bytes mean equal records. */
static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODECS; i++) {
        for (int full = 0; full <= 1; full++) {
            const struct codec *c = &codecs[i];
            msgpack_sbuffer a, b;
            encode_sample(c, full, &a);
            void *rec = calloc(1, c->size);
            assert_int_equal(c->decode(a.data, a.size, rec), 0);
            msgpack_sbuffer_init(&b);
            assert_int_equal(c->encode(rec, &b), 0);
            assert_int_equal(a.size, b.size);
            assert_memory_equal(a.data, b.data, a.size);
            c->clear(rec);
            c->clear(rec); /* clearing twice is safe */
            free(rec);
            msgpack_sbuffer_destroy(&a);
            msgpack_sbuffer_destroy(&b);
        }
    }
}

static void test_fields_restored(void **state)
{
    (void)state;
    msgpack_sbuffer buf;
    encode_sample(&codecs[0], true, &buf);
    struct lb_company co;
    assert_int_equal(lb_company_decode(buf.data, buf.size, &co), 0);
    assert_string_equal(co.orgnr, "5560360793");
    assert_string_equal(co.name, "Mälarbåtar AB");
    assert_true(co.personal_orgnr);
    assert_int_equal(co.ncontacts, 2);
    assert_string_equal(co.contacts[0].email, "anna@example.se");
    assert_null(co.contacts[1].role);
    assert_int_equal(co.meta.updated_at, 1773480601234);
    lb_company_clear(&co);
    msgpack_sbuffer_destroy(&buf);

    encode_sample(&codecs[2], false, &buf);
    struct lb_contact ct;
    assert_int_equal(lb_contact_decode(buf.data, buf.size, &ct), 0);
    assert_true(ct.at == LB_TIME_NONE);
    assert_int_equal(ct.minutes, -1);
    assert_int_equal(ct.meta.id, UINT64_MAX);
    assert_int_equal(ct.channel, LB_CHANNEL_VIDEO);
    lb_contact_clear(&ct);
    msgpack_sbuffer_destroy(&buf);
}

/* Helpers that write raw msgpack for hand-made hostile inputs. */
static void put_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static void test_enum_out_of_range_rejected(void **state)
{
    (void)state;
    struct lb_case c;
    memset(&c, 0, sizeof c);
    fill_case(&c, false);
    c.category = LB_CATEGORY_COUNT; /* not encodable */
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    assert_int_equal(lb_case_encode(&c, &buf), LB_EINVAL);
    assert_int_equal(buf.size, 0);
    c.category = LB_CATEGORY_OTHER;
    assert_int_equal(lb_case_encode(&c, &buf), 0);
    lb_case_clear(&c);

    /* Patch the encoded category value (a positive fixint) to 99. */
    const char key[] = "\xa8"
                       "category";
    char *at = NULL;
    for (size_t i = 0; at == NULL && i + sizeof key - 1 <= buf.size; i++)
        if (memcmp(buf.data + i, key, sizeof key - 1) == 0)
            at = buf.data + i;
    assert_non_null(at);
    at[sizeof key - 1] = 99;
    struct lb_case out;
    assert_int_equal(lb_case_decode(buf.data, buf.size, &out), LB_ECORRUPT);
    assert_null(out.subject); /* cleared on failure */
    msgpack_sbuffer_destroy(&buf);
}

static void test_missing_and_duplicate_keys(void **state)
{
    (void)state;
    msgpack_sbuffer buf;
    msgpack_packer pk;
    struct lb_session s;

    /* Missing "exp". */
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    uint8_t th[32] = {0};
    msgpack_pack_map(&pk, 4);
    put_str(&pk, "v"), msgpack_pack_uint8(&pk, 1);
    put_str(&pk, "th"), msgpack_pack_bin(&pk, 32), msgpack_pack_bin_body(&pk, th, 32);
    put_str(&pk, "name"), put_str(&pk, "x");
    put_str(&pk, "cat"), msgpack_pack_int64(&pk, 1);
    assert_int_equal(lb_session_decode(buf.data, buf.size, &s), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&buf);

    /* Duplicate "name" (the second would leak the first). */
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    put_str(&pk, "v"), msgpack_pack_uint8(&pk, 1);
    put_str(&pk, "th"), msgpack_pack_bin(&pk, 32), msgpack_pack_bin_body(&pk, th, 32);
    put_str(&pk, "name"), put_str(&pk, "x");
    put_str(&pk, "name"), put_str(&pk, "y");
    put_str(&pk, "cat"), msgpack_pack_int64(&pk, 1);
    put_str(&pk, "exp"), msgpack_pack_int64(&pk, 1);
    assert_int_equal(lb_session_decode(buf.data, buf.size, &s), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&buf);

    /* An unknown key is skipped; an unknown schema version is not. */
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    put_str(&pk, "v"), msgpack_pack_uint8(&pk, 1);
    put_str(&pk, "future"), msgpack_pack_array(&pk, 2), msgpack_pack_nil(&pk),
        msgpack_pack_map(&pk, 0);
    put_str(&pk, "th"), msgpack_pack_bin(&pk, 32), msgpack_pack_bin_body(&pk, th, 32);
    put_str(&pk, "name"), put_str(&pk, "x");
    put_str(&pk, "cat"), msgpack_pack_int64(&pk, 1);
    put_str(&pk, "exp"), msgpack_pack_int64(&pk, 2);
    assert_int_equal(lb_session_decode(buf.data, buf.size, &s), 0);
    assert_string_equal(s.username, "x");
    assert_int_equal(s.expires_at, 2);
    lb_session_clear(&s);
    buf.data[2] = 2; /* "v": 2 */
    assert_int_equal(lb_session_decode(buf.data, buf.size, &s), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&buf);
}

/* Every prefix, every single-bit flip, and trailing bytes. */
static void test_truncations_and_bit_flips(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODECS; i++) {
        const struct codec *c = &codecs[i];
        msgpack_sbuffer buf;
        encode_sample(c, true, &buf);
        void *rec = calloc(1, c->size);
        for (size_t len = 0; len < buf.size; len++)
            assert_int_equal(c->decode(buf.data, len, rec), LB_ECORRUPT);
        char *copy = malloc(buf.size + 1);
        memcpy(copy, buf.data, buf.size);
        copy[buf.size] = 0;
        assert_int_equal(c->decode(copy, buf.size + 1, rec), LB_ECORRUPT);
        for (size_t at = 0; at < buf.size; at++) {
            for (int bit = 0; bit < 8; bit++) {
                memcpy(copy, buf.data, buf.size);
                copy[at] ^= (char)(1 << bit);
                if (c->decode(copy, buf.size, rec) == 0)
                    c->clear(rec); /* some flips give another valid record */
            }
        }
        free(copy);
        free(rec);
        msgpack_sbuffer_destroy(&buf);
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_random_bytes(void **state)
{
    (void)state;
    uint8_t data[512];
    for (int round = 0; round < 5000; round++) {
        size_t len = rng() % sizeof data;
        for (size_t i = 0; i < len; i++)
            data[i] = (uint8_t)rng();
        /* Start most inputs with a map header so decoding gets past byte 0. */
        if (len > 0 && round % 2 == 0)
            data[0] = (uint8_t)(0x80 | (rng() & 0x0f));
        for (size_t i = 0; i < NCODECS; i++) {
            void *rec = calloc(1, codecs[i].size);
            if (codecs[i].decode(data, len, rec) == 0)
                codecs[i].clear(rec);
            free(rec);
        }
        struct lb_event ev;
        if (lb_event_decode(data, len, &ev) == 0)
            lb_event_clear(&ev);
    }
}

/* Headers that claim far more than the input holds must fail before any
 * allocation of that size. */
static void test_huge_declared_counts(void **state)
{
    (void)state;
    struct lb_company co;
    const uint8_t map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'v', 0x01, 0, 0};
    assert_int_equal(lb_company_decode(map32, sizeof map32, &co), LB_ECORRUPT);
    const uint8_t str32[] = {0x81, 0xa4, 'n', 'a', 'm', 'e', 0xdb, 0xff, 0xff, 0xff, 0xff, 'x'};
    assert_int_equal(lb_company_decode(str32, sizeof str32, &co), LB_ECORRUPT);
    const uint8_t arr32[] = {0x82, 0xa1, 'v', 0x01, 0xa8, 'c',  'o',  'n',  't', 'a',
                             'c',  't',  's', 0xdd, 0xff, 0xff, 0xff, 0xff, 0x80};
    assert_int_equal(lb_company_decode(arr32, sizeof arr32, &co), LB_ECORRUPT);

    /* An unknown key whose value nests 10,000 arrays deep. */
    uint8_t deep[10010];
    size_t n = 0;
    deep[n++] = 0x81;
    deep[n++] = 0xa1;
    deep[n++] = 'z';
    while (n < sizeof deep)
        deep[n++] = 0x91;
    assert_int_equal(lb_company_decode(deep, sizeof deep, &co), LB_ECORRUPT);
    struct lb_event ev;
    assert_int_equal(lb_event_decode(deep, sizeof deep, &ev), LB_ECORRUPT);
    assert_int_equal(lb_event_decode(NULL, 0, &ev), LB_ECORRUPT);
}

static void test_event_envelope(void **state)
{
    (void)state;
    msgpack_sbuffer data, env;
    msgpack_packer pk;
    msgpack_sbuffer_init(&data);
    msgpack_packer_init(&pk, &data, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    put_str(&pk, "case_id"), msgpack_pack_uint64(&pk, 12);
    put_str(&pk, "unit"), put_str(&pk, "bygglov");

    struct lb_event ev = {.seq = 1042,
                          .type = "handoff.created",
                          .at = 1773480600000,
                          .actor = "lotsen",
                          .id = 5,
                          .data = (uint8_t *)data.data,
                          .data_len = data.size};
    msgpack_sbuffer_init(&env);
    assert_int_equal(lb_event_encode(&ev, &env), 0);

    /* An independent decoder (msgpack-c's own) sees the public keys. */
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&u, env.data, env.size, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, env.size);
    assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(u.data.via.map.size, 6);
    const char *keys[] = {"seq", "type", "at", "actor", "id", "data"};
    for (int i = 0; i < 6; i++) {
        const msgpack_object *k = &u.data.via.map.ptr[i].key;
        assert_int_equal(k->type, MSGPACK_OBJECT_STR);
        assert_int_equal(k->via.str.size, strlen(keys[i]));
        assert_memory_equal(k->via.str.ptr, keys[i], k->via.str.size);
    }
    assert_int_equal(u.data.via.map.ptr[0].val.via.u64, 1042);
    msgpack_unpacked_destroy(&u);

    struct lb_event out;
    assert_int_equal(lb_event_decode(env.data, env.size, &out), 0);
    assert_int_equal(out.seq, 1042);
    assert_string_equal(out.type, "handoff.created");
    assert_int_equal(out.at, 1773480600000);
    assert_string_equal(out.actor, "lotsen");
    assert_int_equal(out.id, 5);
    assert_int_equal(out.data_len, data.size);
    assert_memory_equal(out.data, data.data, data.size);
    lb_event_clear(&out);

    /* Every prefix fails; data that is not one map is refused on both sides. */
    for (size_t len = 0; len < env.size; len++)
        assert_int_equal(lb_event_decode(env.data, len, &out), LB_ECORRUPT);
    ev.data_len = data.size - 1;
    msgpack_sbuffer_clear(&env);
    assert_int_equal(lb_event_encode(&ev, &env), LB_EINVAL);
    uint8_t arr[] = {0x90};
    ev.data = arr;
    ev.data_len = 1;
    assert_int_equal(lb_event_encode(&ev, &env), LB_EINVAL);
    assert_int_equal(env.size, 0);
    msgpack_sbuffer_destroy(&env);
    msgpack_sbuffer_destroy(&data);
}

static void test_case_number(void **state)
{
    (void)state;
    struct lb_case c = {.year = 2026, .serial = 42};
    char buf[16];
    lb_case_number(&c, buf, sizeof buf);
    assert_string_equal(buf, "L2026-0042");
    uint16_t y;
    uint32_t s;
    assert_int_equal(lb_case_number_parse("L2026-0042", &y, &s), 0);
    assert_int_equal(y, 2026);
    assert_int_equal(s, 42);
    assert_int_equal(lb_case_number_parse("L2026-12345", &y, &s), 0);
    assert_int_equal(s, 12345);
    const char *bad[] = {"",           "L2026",    "L2026-",     "L2026-042",   "L2026-0000",
                         "X2026-0001", "L26-0001", "L2026-00a1", "L2026-0001 ", "L2026-9999999999",
                         NULL};
    for (int i = 0; bad[i] != NULL; i++)
        assert_int_equal(lb_case_number_parse(bad[i], &y, &s), LB_EINVAL);
    assert_int_equal(lb_case_number_parse(NULL, &y, &s), LB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_fields_restored),
        cmocka_unit_test(test_enum_out_of_range_rejected),
        cmocka_unit_test(test_missing_and_duplicate_keys),
        cmocka_unit_test(test_truncations_and_bit_flips),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_huge_declared_counts),
        cmocka_unit_test(test_event_envelope),
        cmocka_unit_test(test_case_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
