/* test_codec.c: msgpack codec of records and event envelopes.
 *
 * Round-trips every record type with every field set and with every optional
 * field absent, checks the encoder and decoder refuse out-of-range enums and
 * malformed shapes, then throws damaged and hostile bytes at every decoder:
 * all truncated prefixes, every single-bit flip, deterministic pseudo-random
 * strings, giant declared counts and deep nesting. Under ASan/UBSan this also
 * proves no leak or overflow on any of those paths.
 *
 * With LB_CODEC_SEED_DIR set, it writes the valid encodings there as seeds for
 * tests/fuzz/fuzz_codec.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"

static char *S(const char *s)
{
    char *c = strdup(s);
    assert_non_null(c);
    return c;
}

static void str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void meta_full(struct lb_meta *m)
{
    m->id = UINT64_MAX - 3;
    m->version = 7;
    m->created_at = 1773480600000; /* 2026-03-14 */
    m->updated_at = -5;            /* before the epoch still round-trips */
}

static void meta_min(struct lb_meta *m)
{
    m->id = 0;
    m->version = 1;
    m->created_at = LB_TIME_NONE;
    m->updated_at = LB_TIME_NONE;
}

static void meta_eq(const struct lb_meta *a, const struct lb_meta *b)
{
    assert_true(a->id == b->id);
    assert_true(a->version == b->version);
    assert_true(a->created_at == b->created_at);
    assert_true(a->updated_at == b->updated_at);
}

/* --- company --- */
static void company_full(void *p)
{
    struct lb_company *r = p;
    meta_full(&r->meta);
    strcpy(r->orgnr, "5560360793");
    r->personal_orgnr = true;
    r->name = S("Mälarbygg i Norrtälje AB");
    r->locality = S("Norrtälje");
    r->sni = S("41200");
    r->contacts = calloc(2, sizeof(*r->contacts));
    assert_non_null(r->contacts);
    r->ncontacts = 2;
    r->contacts[0] = (struct lb_person){.name = S("Åsa Öberg"),
                                        .role = S("vd"),
                                        .phone = S("+46 176 123 45"),
                                        .email = S("asa@example.se"),
                                        .survey_opt_out = true,
                                        .email_bounced = true};
    r->contacts[1] = (struct lb_person){.name = S("Per")};
    r->anonymized_at = 1;
}
static void company_min(void *p)
{
    struct lb_company *r = p;
    meta_min(&r->meta);
    r->anonymized_at = LB_TIME_NONE;
}
static void company_eq(const void *pa, const void *pb)
{
    const struct lb_company *a = pa, *b = pb;
    meta_eq(&a->meta, &b->meta);
    assert_string_equal(a->orgnr, b->orgnr);
    assert_int_equal(a->personal_orgnr, b->personal_orgnr);
    str_eq(a->name, b->name);
    str_eq(a->locality, b->locality);
    str_eq(a->sni, b->sni);
    assert_int_equal(a->ncontacts, b->ncontacts);
    for (uint32_t i = 0; i < a->ncontacts; i++) {
        str_eq(a->contacts[i].name, b->contacts[i].name);
        str_eq(a->contacts[i].role, b->contacts[i].role);
        str_eq(a->contacts[i].phone, b->contacts[i].phone);
        str_eq(a->contacts[i].email, b->contacts[i].email);
        assert_int_equal(a->contacts[i].survey_opt_out, b->contacts[i].survey_opt_out);
        assert_int_equal(a->contacts[i].email_bounced, b->contacts[i].email_bounced);
    }
    assert_true(a->anonymized_at == b->anonymized_at);
}

/* --- case --- */
static void case_full(void *p)
{
    struct lb_case *r = p;
    meta_full(&r->meta);
    r->year = 2026;
    r->serial = 70000;
    r->company_id = 12;
    r->subject = S("Ny restaurang vid hamnen");
    r->category = LB_CATEGORY_OTHER;
    r->description = S("Lång beskrivning\nmed radbrytning");
    r->opened_at = INT64_MAX;
    r->owner = S("lotsen");
    r->status = LB_CASE_CLOSED;
    r->outcome = LB_OUTCOME_NO_ACTION;
    r->close_note = S("klart");
    r->closed_at = INT64_MIN + 1;
    r->legal_hold = true;
}
static void case_min(void *p)
{
    struct lb_case *r = p;
    meta_min(&r->meta);
    r->opened_at = LB_TIME_NONE;
    r->closed_at = LB_TIME_NONE;
}
static void case_eq(const void *pa, const void *pb)
{
    const struct lb_case *a = pa, *b = pb;
    meta_eq(&a->meta, &b->meta);
    assert_int_equal(a->year, b->year);
    assert_int_equal(a->serial, b->serial);
    assert_true(a->company_id == b->company_id);
    str_eq(a->subject, b->subject);
    assert_int_equal(a->category, b->category);
    str_eq(a->description, b->description);
    assert_true(a->opened_at == b->opened_at);
    str_eq(a->owner, b->owner);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->outcome, b->outcome);
    str_eq(a->close_note, b->close_note);
    assert_true(a->closed_at == b->closed_at);
    assert_int_equal(a->legal_hold, b->legal_hold);
}

/* --- contact --- */
static void contact_full(void *p)
{
    struct lb_contact *r = p;
    meta_full(&r->meta);
    r->case_id = 99;
    r->at = 1773480600123;
    r->channel = LB_CHANNEL_VIDEO;
    r->direction = LB_DIRECTION_OUTBOUND;
    r->summary = S("Ringde om bygglov");
    r->minutes = INT32_MAX;
    r->logged_by = S("lotsen");
}
static void contact_min(void *p)
{
    struct lb_contact *r = p;
    meta_min(&r->meta);
    r->at = LB_TIME_NONE;
    r->minutes = -1;
}
static void contact_eq(const void *pa, const void *pb)
{
    const struct lb_contact *a = pa, *b = pb;
    meta_eq(&a->meta, &b->meta);
    assert_true(a->case_id == b->case_id);
    assert_true(a->at == b->at);
    assert_int_equal(a->channel, b->channel);
    assert_int_equal(a->direction, b->direction);
    str_eq(a->summary, b->summary);
    assert_int_equal(a->minutes, b->minutes);
    str_eq(a->logged_by, b->logged_by);
}

/* --- handoff --- */
static void handoff_full(void *p)
{
    struct lb_handoff *r = p;
    meta_full(&r->meta);
    r->case_id = 5;
    r->company_id = 6;
    r->unit = S("raddningstjanst");
    r->note = S("Brandskydd");
    r->sent_by = S("lotsen");
    r->status = LB_HANDOFF_WITHDRAWN;
    r->sent_at = 10;
    r->acknowledged_at = 20;
    r->reference = S("BN 2026/123");
    r->decided_at = 30;
    r->decision = LB_DECISION_OTHER;
    r->decision_note = S("beslut");
    r->withdrawn_at = 40;
    r->withdraw_note = S("återtagen");
    r->overdue = true;
}
static void handoff_min(void *p)
{
    struct lb_handoff *r = p;
    meta_min(&r->meta);
    r->sent_at = r->acknowledged_at = r->decided_at = r->withdrawn_at = LB_TIME_NONE;
}
static void handoff_eq(const void *pa, const void *pb)
{
    const struct lb_handoff *a = pa, *b = pb;
    meta_eq(&a->meta, &b->meta);
    assert_true(a->case_id == b->case_id);
    assert_true(a->company_id == b->company_id);
    str_eq(a->unit, b->unit);
    str_eq(a->note, b->note);
    str_eq(a->sent_by, b->sent_by);
    assert_int_equal(a->status, b->status);
    assert_true(a->sent_at == b->sent_at);
    assert_true(a->acknowledged_at == b->acknowledged_at);
    str_eq(a->reference, b->reference);
    assert_true(a->decided_at == b->decided_at);
    assert_int_equal(a->decision, b->decision);
    str_eq(a->decision_note, b->decision_note);
    assert_true(a->withdrawn_at == b->withdrawn_at);
    str_eq(a->withdraw_note, b->withdraw_note);
    assert_int_equal(a->overdue, b->overdue);
}

/* --- followup --- */
static void followup_full(void *p)
{
    struct lb_followup *r = p;
    meta_full(&r->meta);
    r->company_id = 3;
    r->assignee = S("lotsen");
    r->due = 20530;
    r->status = LB_FOLLOWUP_CANCELLED;
    r->attempts = 2;
    r->items = calloc(2, sizeof(*r->items));
    assert_non_null(r->items);
    r->nitems = 2;
    r->items[0] = (struct lb_followup_item){LB_FOLLOWUP_KIND_LOTS, 4, 0, NULL};
    r->items[1] = (struct lb_followup_item){LB_FOLLOWUP_KIND_UNIT, 4, 8, S("bygglov")};
    r->answers = calloc(3, sizeof(*r->answers));
    assert_non_null(r->answers);
    r->nanswers = 3;
    r->answers[0] = (struct lb_answer){S("lots"), S("usefulness"), LB_ANSWER_SCALE, 6};
    r->answers[1] = (struct lb_answer){S("bygglov"), S("clear_and_lawful"), LB_ANSWER_BOOL, 1};
    r->answers[2] = (struct lb_answer){S("bygglov"), S("nki_ideal"), LB_ANSWER_NULL, 0};
    r->comment = S("Nöjd");
    r->recorded_at = 77;
    r->last_attempt_at = 66;
    r->channel = LB_ANSWER_CHANNEL_EMAIL;
    r->survey = (struct lb_followup_survey){.status = LB_SURVEY_OPTED_OUT,
                                            .sent_at = 10,
                                            .reminders = 2,
                                            .reminded_at = 20,
                                            .call_from = 20540,
                                            .expires_at = 30,
                                            .ended_at = 40};
    memset(r->survey.recipient, 0x3c, 32);
}
static void followup_min(void *p)
{
    struct lb_followup *r = p;
    meta_min(&r->meta);
    r->due = LB_DATE_NONE;
    r->recorded_at = r->last_attempt_at = LB_TIME_NONE;
    r->survey.sent_at = r->survey.reminded_at = LB_TIME_NONE;
    r->survey.expires_at = r->survey.ended_at = LB_TIME_NONE;
    r->survey.call_from = LB_DATE_NONE;
}
static void followup_eq(const void *pa, const void *pb)
{
    const struct lb_followup *a = pa, *b = pb;
    meta_eq(&a->meta, &b->meta);
    assert_true(a->company_id == b->company_id);
    str_eq(a->assignee, b->assignee);
    assert_int_equal(a->due, b->due);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->attempts, b->attempts);
    assert_int_equal(a->nitems, b->nitems);
    for (uint32_t i = 0; i < a->nitems; i++) {
        assert_int_equal(a->items[i].kind, b->items[i].kind);
        assert_true(a->items[i].case_id == b->items[i].case_id);
        assert_true(a->items[i].handoff_id == b->items[i].handoff_id);
        str_eq(a->items[i].unit, b->items[i].unit);
    }
    assert_int_equal(a->nanswers, b->nanswers);
    for (uint32_t i = 0; i < a->nanswers; i++) {
        str_eq(a->answers[i].item, b->answers[i].item);
        str_eq(a->answers[i].question, b->answers[i].question);
        assert_int_equal(a->answers[i].type, b->answers[i].type);
        assert_int_equal(a->answers[i].value, b->answers[i].value);
    }
    str_eq(a->comment, b->comment);
    assert_true(a->recorded_at == b->recorded_at);
    assert_true(a->last_attempt_at == b->last_attempt_at);
    assert_int_equal(a->channel, b->channel);
    assert_int_equal(a->survey.status, b->survey.status);
    assert_true(a->survey.sent_at == b->survey.sent_at);
    assert_int_equal(a->survey.reminders, b->survey.reminders);
    assert_true(a->survey.reminded_at == b->survey.reminded_at);
    assert_int_equal(a->survey.call_from, b->survey.call_from);
    assert_true(a->survey.expires_at == b->survey.expires_at);
    assert_true(a->survey.ended_at == b->survey.ended_at);
    assert_memory_equal(a->survey.recipient, b->survey.recipient, 32);
}

/* --- improvement --- */
static void improvement_full(void *p)
{
    struct lb_improvement *r = p;
    meta_full(&r->meta);
    r->unit = S("miljo");
    r->title = S("Snabbare återkoppling");
    r->description = S("Beskrivning");
    r->followup_id = 44;
    r->status = LB_IMPROVEMENT_DROPPED;
    r->identified_at = 1;
    r->implemented_at = 2;
}
static void improvement_min(void *p)
{
    struct lb_improvement *r = p;
    meta_min(&r->meta);
    r->identified_at = r->implemented_at = LB_TIME_NONE;
}
static void improvement_eq(const void *pa, const void *pb)
{
    const struct lb_improvement *a = pa, *b = pb;
    meta_eq(&a->meta, &b->meta);
    str_eq(a->unit, b->unit);
    str_eq(a->title, b->title);
    str_eq(a->description, b->description);
    assert_true(a->followup_id == b->followup_id);
    assert_int_equal(a->status, b->status);
    assert_true(a->identified_at == b->identified_at);
    assert_true(a->implemented_at == b->implemented_at);
}

/* --- user --- */
static void user_full(void *p)
{
    struct lb_user *r = p;
    meta_full(&r->meta);
    r->username = S("handlaggare.1");
    r->display_name = S("Åsa Öberg-Lind");
    r->password_hash = S("$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
    r->role = LB_ROLE_SERVICE;
    r->units = calloc(2, sizeof(char *));
    assert_non_null(r->units);
    r->nunits = 2;
    r->units[0] = S("bygglov");
    r->units[1] = S("miljo");
    r->disabled = true;
    r->password_changed_at = 9;
}
static void user_min(void *p)
{
    struct lb_user *r = p;
    meta_min(&r->meta);
    r->password_changed_at = LB_TIME_NONE;
}
static void user_eq(const void *pa, const void *pb)
{
    const struct lb_user *a = pa, *b = pb;
    meta_eq(&a->meta, &b->meta);
    str_eq(a->username, b->username);
    str_eq(a->display_name, b->display_name);
    str_eq(a->password_hash, b->password_hash);
    assert_int_equal(a->role, b->role);
    assert_int_equal(a->nunits, b->nunits);
    for (uint32_t i = 0; i < a->nunits; i++)
        str_eq(a->units[i], b->units[i]);
    assert_int_equal(a->disabled, b->disabled);
    assert_true(a->password_changed_at == b->password_changed_at);
}

/* --- session --- */
static void session_full(void *p)
{
    struct lb_session *r = p;
    for (int i = 0; i < 32; i++)
        r->token_hash[i] = (uint8_t)(0xf0 + i);
    r->username = S("lotsen");
    r->created_at = 100;
    r->expires_at = 200;
}
static void session_min(void *p)
{
    struct lb_session *r = p;
    r->created_at = r->expires_at = LB_TIME_NONE;
}
static void session_eq(const void *pa, const void *pb)
{
    const struct lb_session *a = pa, *b = pb;
    assert_memory_equal(a->token_hash, b->token_hash, 32);
    str_eq(a->username, b->username);
    assert_true(a->created_at == b->created_at);
    assert_true(a->expires_at == b->expires_at);
}

/* --- survey token --- */
static void survey_token_full(void *p)
{
    struct lb_survey_token *r = p;
    memset(r->token_hash, 0x5e, 32);
    r->kind = LB_SURVEY_KIND_MEETING;
    r->target_id = 12;
    r->created_at = 100;
    r->expires_at = 200;
    r->answers = 7;
    r->max_answers = 0;
}
static void survey_token_min(void *p)
{
    struct lb_survey_token *r = p;
    r->created_at = r->expires_at = LB_TIME_NONE;
}
static void survey_token_eq(const void *pa, const void *pb)
{
    const struct lb_survey_token *a = pa, *b = pb;
    assert_memory_equal(a->token_hash, b->token_hash, 32);
    assert_int_equal(a->kind, b->kind);
    assert_true(a->target_id == b->target_id);
    assert_true(a->created_at == b->created_at);
    assert_true(a->expires_at == b->expires_at);
    assert_int_equal(a->answers, b->answers);
    assert_int_equal(a->max_answers, b->max_answers);
}

/* --- idempotency --- */
static void idempotency_full(void *p)
{
    struct lb_idempotency *r = p;
    memset(r->request_hash, 0xab, 32);
    r->status = 201;
    r->location = S("/api/v1/cases/17");
    r->body = S("{\"id\":17,\"number\":\"L2026-0001\"}");
    r->at = 5;
}
static void idempotency_min(void *p)
{
    struct lb_idempotency *r = p;
    r->status = -1;
    r->at = LB_TIME_NONE;
}
static void idempotency_eq(const void *pa, const void *pb)
{
    const struct lb_idempotency *a = pa, *b = pb;
    assert_memory_equal(a->request_hash, b->request_hash, 32);
    assert_int_equal(a->status, b->status);
    str_eq(a->location, b->location);
    str_eq(a->body, b->body);
    assert_true(a->at == b->at);
}

/* --- snapshot --- */
static void snapshot_full(void *p)
{
    struct lb_snapshot *r = p;
    meta_full(&r->meta);
    strcpy(r->quarter, "2026-Q1");
    r->source_seq = 1234;
    r->json = S("{\"quarter\":\"2026-Q1\"}");
    r->json_public = S("{\"quarter\":\"2026-Q1\",\"published\":1}");
}
static void snapshot_min(void *p)
{
    struct lb_snapshot *r = p;
    meta_min(&r->meta);
}
static void snapshot_eq(const void *pa, const void *pb)
{
    const struct lb_snapshot *a = pa, *b = pb;
    meta_eq(&a->meta, &b->meta);
    assert_string_equal(a->quarter, b->quarter);
    assert_true(a->source_seq == b->source_seq);
    str_eq(a->json, b->json);
    str_eq(a->json_public, b->json_public);
}

/* --- event (as a "record type" for the generic robustness loops) --- */
static const uint8_t event_data[] = {
    /* {"case_id": 17, "answers": {"lots": [1, nil, true]}, "x": -1.5} */
    0x83, 0xa7, 'c',  'a', 's',  'e',  '_',  'i', 'd', 0x11, 0xa7, 'a',  'n',
    's',  'w',  'e',  'r', 's',  0x81, 0xa4, 'l', 'o', 't',  's',  0x93, 0x01,
    0xc0, 0xc3, 0xa1, 'x', 0xcb, 0xbf, 0xf8, 0,   0,   0,    0,    0,    0};
static void event_full(void *p)
{
    struct lb_event *r = p;
    r->seq = 1042;
    r->type = S("followup.recorded");
    r->at = 1773480600000;
    r->actor = S("worker");
    r->id = 17;
    r->data = malloc(sizeof(event_data));
    assert_non_null(r->data);
    memcpy(r->data, event_data, sizeof(event_data));
    r->data_len = sizeof(event_data);
}
static void event_min(void *p)
{
    struct lb_event *r = p;
    r->type = S("");
    r->actor = S("");
    r->data = malloc(1);
    assert_non_null(r->data);
    r->data[0] = 0x80;
    r->data_len = 1;
}
static void event_eq(const void *pa, const void *pb)
{
    const struct lb_event *a = pa, *b = pb;
    assert_true(a->seq == b->seq);
    str_eq(a->type, b->type);
    assert_true(a->at == b->at);
    str_eq(a->actor, b->actor);
    assert_true(a->id == b->id);
    assert_int_equal(a->data_len, b->data_len);
    assert_memory_equal(a->data, b->data, a->data_len);
}

struct rtype {
    const char *name;
    size_t size;
    int (*enc)(const void *, msgpack_sbuffer *);
    int (*dec)(const void *, size_t, void *);
    void (*clear)(void *);
    void (*full)(void *);
    void (*min)(void *);
    void (*eq)(const void *, const void *);
};

#define WRAP(T)                                                                                    \
    static int T##_enc(const void *r, msgpack_sbuffer *o)                                          \
    {                                                                                              \
        return lb_##T##_encode(r, o);                                                              \
    }                                                                                              \
    static int T##_dec(const void *b, size_t n, void *o)                                           \
    {                                                                                              \
        return lb_##T##_decode(b, n, o);                                                           \
    }                                                                                              \
    static void T##_clr(void *r)                                                                   \
    {                                                                                              \
        lb_##T##_clear(r);                                                                         \
    }
WRAP(company)
WRAP(case)
WRAP(contact)
WRAP(handoff)
WRAP(followup)
WRAP(improvement)
WRAP(user)
WRAP(session)
WRAP(survey_token)
WRAP(idempotency)
WRAP(snapshot)
WRAP(event)

#define RT(T)                                                                                      \
    {                                                                                              \
#T, sizeof(struct lb_##T), T##_enc, T##_dec, T##_clr, T##_full, T##_min, T##_eq            \
    }
static const struct rtype types[] = {
    RT(company), RT(case),    RT(contact),     RT(handoff),  RT(followup), RT(improvement),
    RT(user),    RT(session), RT(idempotency), RT(snapshot), RT(event),    RT(survey_token),
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* A record buffer big enough for any type. */
union anyrec {
    struct lb_company company;
    struct lb_case c;
    struct lb_contact contact;
    struct lb_handoff handoff;
    struct lb_followup followup;
    struct lb_improvement improvement;
    struct lb_user user;
    struct lb_session session;
    struct lb_survey_token survey_token;
    struct lb_idempotency idempotency;
    struct lb_snapshot snapshot;
    struct lb_event event;
};

static const union anyrec zero_rec;

/* Encodes the full (or minimal) record of t into sb. */
static void encode_sample(const struct rtype *t, bool full, msgpack_sbuffer *sb)
{
    union anyrec r;
    memset(&r, 0, sizeof(r));
    (full ? t->full : t->min)(&r);
    msgpack_sbuffer_init(sb);
    assert_int_equal(t->enc(&r, sb), 0);
    t->clear(&r);
}

/* Decodes buf as t: on success re-encodes, re-decodes and checks both
 * encodings are the same bytes; on failure checks the code and that *out is
 * zeroed. Returns the decode result. */
static int decode_check(const struct rtype *t, const void *buf, size_t len)
{
    union anyrec r, r2;
    memset(&r, 0x5a, sizeof(r)); /* garbage in *out must not matter */
    int rc = t->dec(buf, len, &r);
    if (rc != 0) {
        assert_int_equal(rc, LB_ECORRUPT);
        assert_memory_equal(&r, &zero_rec, t->size);
        return rc;
    }
    msgpack_sbuffer a, b;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    assert_int_equal(t->enc(&r, &a), 0);
    assert_int_equal(t->dec(a.data, a.size, &r2), 0);
    t->eq(&r, &r2);
    assert_int_equal(t->enc(&r2, &b), 0);
    assert_int_equal(a.size, b.size);
    assert_memory_equal(a.data, b.data, a.size);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
    t->clear(&r);
    t->clear(&r2);
    return 0;
}

static void roundtrip(const struct rtype *t, bool full)
{
    union anyrec in, out;
    memset(&in, 0, sizeof(in));
    (full ? t->full : t->min)(&in);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(t->enc(&in, &sb), 0);
    assert_int_equal(t->dec(sb.data, sb.size, &out), 0);
    t->eq(&in, &out);
    /* re-encoding gives the same bytes */
    msgpack_sbuffer sb2;
    msgpack_sbuffer_init(&sb2);
    assert_int_equal(t->enc(&out, &sb2), 0);
    assert_int_equal(sb.size, sb2.size);
    assert_memory_equal(sb.data, sb2.data, sb.size);
    /* appending to a non-empty buffer appends */
    size_t before = sb2.size;
    assert_int_equal(t->enc(&out, &sb2), 0);
    assert_int_equal(sb2.size, 2 * before);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&sb2);
    t->clear(&in);
    t->clear(&out);
}

static void test_roundtrip_full(void **state)
{
    (void)state;
    for (size_t i = 0; i < NTYPES; i++)
        roundtrip(&types[i], true);
}

static void test_roundtrip_min(void **state)
{
    (void)state;
    for (size_t i = 0; i < NTYPES; i++)
        roundtrip(&types[i], false);
}

/* Optional fields are left out of the encoding, so a minimal case is small,
 * and a full one carries the schema version. */
static void test_optional_omitted(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    encode_sample(&types[1], false, &sb); /* case */
    /* {v, vn, yr, sn, cat, st, out, lh}: 8 entries, nothing optional */
    assert_int_equal((uint8_t)sb.data[0], 0x88);
    assert_memory_equal(sb.data + 1, "\xa1v\x01", 3);
    msgpack_sbuffer_destroy(&sb);
}

/* Finds the fixstr key in buf and returns the offset of its value. */
static size_t find_key(const msgpack_sbuffer *sb, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + 1 + kl < sb->size; i++)
        if ((uint8_t)sb->data[i] == (0xa0 | kl) && memcmp(sb->data + i + 1, key, kl) == 0)
            return i + 1 + kl;
    fail_msg("key %s not found", key);
    return 0;
}

/* Sets the byte after key to value and expects decode to fail. */
static void expect_corrupt_value(const struct rtype *t, const char *key, uint8_t value)
{
    msgpack_sbuffer sb;
    encode_sample(t, true, &sb);
    size_t at = find_key(&sb, key);
    uint8_t old = (uint8_t)sb.data[at];
    assert_true(old <= 0x7f); /* a positive fixint we can replace */
    union anyrec r;
    assert_int_equal(t->dec(sb.data, sb.size, &r), 0);
    t->clear(&r);
    sb.data[at] = (char)value;
    assert_int_equal(t->dec(sb.data, sb.size, &r), LB_ECORRUPT);
    assert_memory_equal(&r, &zero_rec, t->size);
    msgpack_sbuffer_destroy(&sb);
}

static void test_enum_out_of_range(void **state)
{
    (void)state;
    expect_corrupt_value(&types[1], "cat", LB_CATEGORY_COUNT);
    expect_corrupt_value(&types[1], "st", LB_CASE_STATUS_COUNT);
    expect_corrupt_value(&types[1], "out", 0x7f);
    expect_corrupt_value(&types[2], "ch", LB_CHANNEL_COUNT);
    expect_corrupt_value(&types[2], "dir", LB_DIRECTION_COUNT);
    expect_corrupt_value(&types[3], "st", LB_HANDOFF_STATUS_COUNT);
    expect_corrupt_value(&types[3], "dec", LB_DECISION_COUNT);
    expect_corrupt_value(&types[4], "st", LB_FOLLOWUP_STATUS_COUNT);
    expect_corrupt_value(&types[4], "k", LB_FOLLOWUP_KIND_COUNT);
    expect_corrupt_value(&types[4], "t", 3); /* answer type */
    expect_corrupt_value(&types[5], "st", LB_IMPROVEMENT_STATUS_COUNT);
    expect_corrupt_value(&types[6], "r", LB_ROLE_COUNT);
    /* a negative enum is no better */
    expect_corrupt_value(&types[1], "cat", 0xff);
    /* and the schema version must be one we know */
    expect_corrupt_value(&types[0], "v", LB_SCHEMA_VERSION + 1);
    expect_corrupt_value(&types[0], "v", 0);

    /* the encoder refuses to write what the decoder would refuse */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    struct lb_case c;
    memset(&c, 0, sizeof(c));
    case_full(&c);
    c.category = LB_CATEGORY_COUNT;
    assert_int_equal(lb_case_encode(&c, &sb), LB_EINVAL);
    assert_int_equal(sb.size, 0);
    c.category = LB_CATEGORY_PERMIT;
    c.outcome = (enum lb_outcome)99;
    assert_int_equal(lb_case_encode(&c, &sb), LB_EINVAL);
    assert_int_equal(sb.size, 0);
    lb_case_clear(&c);
    msgpack_sbuffer_destroy(&sb);
}

static void test_encoder_bounds(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    struct lb_contact ct;
    memset(&ct, 0, sizeof(ct));
    contact_full(&ct);
    free(ct.summary);
    size_t big = LB_LIMIT_SUMMARY * 4 + 1;
    ct.summary = malloc(big + 1);
    assert_non_null(ct.summary);
    memset(ct.summary, 'a', big);
    ct.summary[big] = '\0';
    assert_int_equal(lb_contact_encode(&ct, &sb), LB_ETOOBIG);
    assert_int_equal(sb.size, 0);
    ct.summary[big - 1] = '\0'; /* exactly at the bound: fine */
    assert_int_equal(lb_contact_encode(&ct, &sb), 0);
    struct lb_contact back;
    assert_int_equal(lb_contact_decode(sb.data, sb.size, &back), 0);
    assert_int_equal(strlen(back.summary), big - 1);
    lb_contact_clear(&back);
    lb_contact_clear(&ct);

    /* orgnr must be NUL-terminated inside its array */
    struct lb_company co;
    memset(&co, 0, sizeof(co));
    company_min(&co);
    memset(co.orgnr, '5', sizeof(co.orgnr));
    sb.size = 0;
    assert_int_equal(lb_company_encode(&co, &sb), LB_EINVAL);
    /* an array with a count and no elements is a bug */
    memset(co.orgnr, 0, sizeof(co.orgnr));
    co.ncontacts = 1;
    assert_int_equal(lb_company_encode(&co, &sb), LB_EINVAL);
    assert_int_equal(sb.size, 0);
    msgpack_sbuffer_destroy(&sb);
}

/* lb_case_company_id: the company of a stored case without a full decode;
 * the same shape errors as the decoder where they touch "v" and "co". */
static void test_case_company_id(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    lb_id co = 99;

    encode_sample(&types[1], true, &sb);
    union anyrec r;
    assert_int_equal(lb_case_decode(sb.data, sb.size, &r.c), 0);
    assert_int_equal(lb_case_company_id(sb.data, sb.size, &co), 0);
    assert_true(co == r.c.company_id && co != 0);
    lb_case_clear(&r.c);
    /* trailing byte, truncation */
    assert_int_equal(lb_case_company_id(sb.data, sb.size - 1, &co), LB_ECORRUPT);
    assert_true(co == 0);
    msgpack_sbuffer_write(&sb, "\xc0", 1);
    assert_int_equal(lb_case_company_id(sb.data, sb.size, &co), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&sb);

    /* "v" missing */
    encode_sample(&types[1], true, &sb);
    sb.data[4] = 'w';
    assert_int_equal(lb_case_company_id(sb.data, sb.size, &co), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&sb);

    /* "co" twice: rename "cn" (close note, a string) to "co" */
    encode_sample(&types[1], true, &sb);
    sb.data[find_key(&sb, "cn") - 1] = 'o';
    assert_int_equal(lb_case_company_id(sb.data, sb.size, &co), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&sb);

    /* "co" absent: 0, as the decoder gives */
    encode_sample(&types[1], true, &sb);
    sb.data[find_key(&sb, "co") - 1] = 'x';
    assert_int_equal(lb_case_company_id(sb.data, sb.size, &co), 0);
    assert_true(co == 0);
    msgpack_sbuffer_destroy(&sb);

    assert_int_equal(lb_case_company_id(NULL, 0, &co), LB_ECORRUPT);
    assert_int_equal(lb_case_company_id("\x90", 1, &co), LB_ECORRUPT);
    assert_int_equal(lb_case_company_id("\x80", 1, &co), LB_ECORRUPT); /* {} has no "v" */
}

/* Shape errors: missing required key, duplicate key, trailing bytes, nil for
 * optional fields (accepted), unknown keys (skipped). */
static void test_shape(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    union anyrec r;

    /* rename "v" to "w": v missing */
    encode_sample(&types[1], true, &sb);
    assert_int_equal((uint8_t)sb.data[0], 0xde); /* 18 entries: map16 */
    assert_memory_equal(sb.data + 3, "\xa1v", 2);
    sb.data[4] = 'w';
    assert_int_equal(lb_case_decode(sb.data, sb.size, &r.c), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&sb);

    /* rename "yr" (required) to "yy": missing */
    encode_sample(&types[1], true, &sb);
    sb.data[find_key(&sb, "yr") - 1] = 'y';
    assert_int_equal(lb_case_decode(sb.data, sb.size, &r.c), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&sb);

    /* rename "ca" to "ua": duplicate key */
    encode_sample(&types[1], true, &sb);
    sb.data[find_key(&sb, "ca") - 2] = 'u';
    assert_int_equal(lb_case_decode(sb.data, sb.size, &r.c), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&sb);

    /* rename "su" (subject) to "sx": unknown key, skipped, subject absent */
    encode_sample(&types[1], true, &sb);
    sb.data[find_key(&sb, "su") - 1] = 'x';
    assert_int_equal(lb_case_decode(sb.data, sb.size, &r.c), 0);
    assert_null(r.c.subject);
    assert_string_equal(r.c.owner, "lotsen");
    lb_case_clear(&r.c);

    /* trailing byte */
    msgpack_sbuffer_write(&sb, "\xc0", 1);
    assert_int_equal(lb_case_decode(sb.data, sb.size, &r.c), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&sb);

    /* nil for every optional field of a contact, built by hand; plus an
     * unknown key holding a nested map that must be skipped */
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 13);
    const char *nils[] = {"id", "ca", "ua", "cs", "at", "su", "by"};
    for (size_t i = 0; i < 7; i++) {
        msgpack_pack_str_with_body(&pk, nils[i], strlen(nils[i]));
        msgpack_pack_nil(&pk);
    }
    msgpack_pack_str_with_body(&pk, "v", 1);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_str_with_body(&pk, "vn", 2);
    msgpack_pack_uint64(&pk, 3);
    msgpack_pack_str_with_body(&pk, "ch", 2);
    msgpack_pack_uint64(&pk, LB_CHANNEL_EMAIL);
    msgpack_pack_str_with_body(&pk, "dir", 3);
    msgpack_pack_uint64(&pk, LB_DIRECTION_INBOUND);
    msgpack_pack_str_with_body(&pk, "min", 3);
    msgpack_pack_int64(&pk, -1);
    msgpack_pack_str_with_body(&pk, "future", 6);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "a", 1);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_double(&pk, 1.5);
    msgpack_pack_bin_with_body(&pk, "xyz", 3);
    msgpack_pack_int64(&pk, -70000);
    msgpack_pack_ext_with_body(&pk, "abcd", 4, 7);
    assert_int_equal(lb_contact_decode(sb.data, sb.size, &r.contact), 0);
    assert_true(r.contact.meta.id == 0);
    assert_true(r.contact.meta.version == 3);
    assert_true(r.contact.meta.created_at == LB_TIME_NONE);
    assert_true(r.contact.at == LB_TIME_NONE);
    assert_null(r.contact.summary);
    assert_null(r.contact.logged_by);
    assert_int_equal(r.contact.channel, LB_CHANNEL_EMAIL);
    assert_int_equal(r.contact.minutes, -1);
    lb_contact_clear(&r.contact);
    /* a required field cannot be nil */
    sb.size = 0;
    msgpack_pack_map(&pk, 5);
    msgpack_pack_str_with_body(&pk, "v", 1);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_str_with_body(&pk, "vn", 2);
    msgpack_pack_nil(&pk);
    msgpack_pack_str_with_body(&pk, "ch", 2);
    msgpack_pack_uint64(&pk, 0);
    msgpack_pack_str_with_body(&pk, "dir", 3);
    msgpack_pack_uint64(&pk, 0);
    msgpack_pack_str_with_body(&pk, "min", 3);
    msgpack_pack_int64(&pk, 0);
    assert_int_equal(lb_contact_decode(sb.data, sb.size, &r.contact), LB_ECORRUPT);
    /* a string with an embedded NUL is refused */
    sb.size = 0;
    msgpack_pack_map(&pk, 6);
    msgpack_pack_str_with_body(&pk, "v", 1);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_str_with_body(&pk, "vn", 2);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_str_with_body(&pk, "ch", 2);
    msgpack_pack_uint64(&pk, 0);
    msgpack_pack_str_with_body(&pk, "dir", 3);
    msgpack_pack_uint64(&pk, 0);
    msgpack_pack_str_with_body(&pk, "min", 3);
    msgpack_pack_int64(&pk, 0);
    size_t ok_len = sb.size;
    msgpack_pack_str_with_body(&pk, "su", 2);
    msgpack_pack_str_with_body(&pk, "a\0b", 3);
    assert_int_equal(lb_contact_decode(sb.data, sb.size, &r.contact), LB_ECORRUPT);
    /* out-of-range integer for an int32 */
    sb.size = ok_len;
    msgpack_pack_str_with_body(&pk, "su", 2);
    msgpack_pack_str_with_body(&pk, "ok", 2);
    sb.data[0] = (char)0x86;
    assert_int_equal(lb_contact_decode(sb.data, sb.size, &r.contact), 0);
    lb_contact_clear(&r.contact);
    sb.size = ok_len - 1; /* drop min's value 0 */
    msgpack_pack_int64(&pk, (int64_t)INT32_MAX + 1);
    assert_int_equal(lb_contact_decode(sb.data, sb.size, &r.contact), LB_ECORRUPT);
    msgpack_sbuffer_destroy(&sb);

    /* not a map at all */
    assert_int_equal(lb_case_decode("\x90", 1, &r.c), LB_ECORRUPT);
    assert_int_equal(lb_case_decode("", 0, &r.c), LB_ECORRUPT);
    assert_int_equal(lb_case_decode(NULL, 0, &r.c), LB_ECORRUPT);
    assert_int_equal(lb_case_decode("\xc1", 1, &r.c), LB_ECORRUPT);
}

/* Strings must be UTF-8: the decoder refuses malformed sequences in stored
 * bytes and the encoder refuses to write them. */
static void test_utf8(void **state)
{
    (void)state;
    static const char *good[] = {"", "Mälarö", "\xf0\x9f\x98\x80", "\xef\xbf\xbd",
                                 "\xf4\x8f\xbf\xbf"};
    static const char *bad[] = {"\xc0\x80",     "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                "\xe0\x80\xaf", "\xff", "a\x80",        "\xf8\x88\x80\x80\x80"};
    struct lb_improvement im, back;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        memset(&im, 0, sizeof(im));
        improvement_min(&im);
        im.title = (char *)good[i];
        sb.size = 0;
        assert_int_equal(lb_improvement_encode(&im, &sb), 0);
        assert_int_equal(lb_improvement_decode(sb.data, sb.size, &back), 0);
        assert_string_equal(back.title, good[i]);
        lb_improvement_clear(&back);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&im, 0, sizeof(im));
        improvement_min(&im);
        im.title = (char *)bad[i];
        sb.size = 0;
        assert_int_equal(lb_improvement_encode(&im, &sb), LB_EINVAL);
        assert_int_equal(sb.size, 0);
        /* the same bytes written behind the encoder's back */
        im.title = (char *)"x";
        assert_int_equal(lb_improvement_encode(&im, &sb), 0);
        sb.data[0]++;
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_str_with_body(&pk, "de", 2);
        msgpack_pack_str_with_body(&pk, bad[i], strlen(bad[i]));
        assert_int_equal(lb_improvement_decode(sb.data, sb.size, &back), LB_ECORRUPT);
        assert_null(back.title);
        /* control: the same construction with a good string decodes */
        sb.size -= strlen(bad[i]) + 1;
        msgpack_pack_str_with_body(&pk, "\xc3\x85", 2);
        assert_int_equal(lb_improvement_decode(sb.data, sb.size, &back), 0);
        assert_string_equal(back.description, "Å");
        lb_improvement_clear(&back);
    }
    msgpack_sbuffer_destroy(&sb);
}

/* Every proper prefix of a valid encoding fails cleanly (nothing leaks). */
static void test_truncated(void **state)
{
    (void)state;
    for (size_t i = 0; i < NTYPES; i++) {
        for (int full = 0; full < 2; full++) {
            msgpack_sbuffer sb;
            encode_sample(&types[i], full, &sb);
            for (size_t k = 0; k < sb.size; k++)
                assert_int_equal(decode_check(&types[i], sb.data, k), LB_ECORRUPT);
            assert_int_equal(decode_check(&types[i], sb.data, sb.size), 0);
            msgpack_sbuffer_destroy(&sb);
        }
    }
}

/* Every single-bit flip of a valid encoding either fails with LB_ECORRUPT and
 * a zeroed record or decodes into something that round-trips. */
static void test_bit_flips(void **state)
{
    (void)state;
    size_t rejected = 0, accepted = 0;
    for (size_t i = 0; i < NTYPES; i++) {
        msgpack_sbuffer sb;
        encode_sample(&types[i], true, &sb);
        for (size_t k = 0; k < sb.size; k++) {
            for (int bit = 0; bit < 8; bit++) {
                sb.data[k] ^= (char)(1 << bit);
                if (decode_check(&types[i], sb.data, sb.size) == 0)
                    accepted++;
                else
                    rejected++;
                sb.data[k] ^= (char)(1 << bit);
            }
        }
        msgpack_sbuffer_destroy(&sb);
    }
    /* both outcomes must occur: flips inside string bodies decode, flips in
     * headers do not */
    assert_true(accepted > 100);
    assert_true(rejected > 100);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Deterministic pseudo-random bytes, half of them starting with a map header
 * and "v": 1 so the decoder gets past the first checks; and random multi-byte
 * mutations of valid encodings. */
static void test_random_bytes(void **state)
{
    (void)state;
    uint8_t buf[96];
    for (int n = 0; n < 3000; n++) {
        size_t len = (size_t)(rng() % sizeof(buf));
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)rng();
        if ((n & 1) && len > 4) {
            buf[0] = (uint8_t)(0x80 | (rng() & 0x0f));
            memcpy(buf + 1, "\xa1v\x01", 3);
        }
        for (size_t i = 0; i < NTYPES; i++)
            decode_check(&types[i], buf, len);
    }
    for (size_t i = 0; i < NTYPES; i++) {
        msgpack_sbuffer sb;
        encode_sample(&types[i], true, &sb);
        for (int n = 0; n < 300; n++) {
            msgpack_sbuffer m;
            msgpack_sbuffer_init(&m);
            msgpack_sbuffer_write(&m, sb.data, sb.size);
            for (int k = 0; k < 4; k++)
                m.data[rng() % m.size] = (char)rng();
            decode_check(&types[i], m.data, m.size);
            msgpack_sbuffer_destroy(&m);
        }
        msgpack_sbuffer_destroy(&sb);
    }
}

/* Headers that declare far more than the input holds are refused before any
 * allocation (ASan would fail on a 4 GiB malloc; a leak would show too). */
static void test_hostile_counts(void **state)
{
    (void)state;
    union anyrec r;
    /* map32 claiming 2^32-1 entries, in 10 bytes */
    static const uint8_t bigmap[10] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'v', 0x01, 0xa1, 'n'};
    for (size_t i = 0; i < NTYPES; i++)
        assert_int_equal(decode_check(&types[i], bigmap, sizeof(bigmap)), LB_ECORRUPT);

    /* str32 claiming 4 GiB as a company name */
    static const uint8_t bigstr[] = {0x82, 0xa1, 'v',  0x01, 0xa1, 'n', 0xdb,
                                     0xff, 0xff, 0xff, 0xff, 'x',  'y'};
    assert_int_equal(lb_company_decode(bigstr, sizeof(bigstr), &r.company), LB_ECORRUPT);
    /* str32 claiming 4 GiB as an unknown key's value and as a key */
    static const uint8_t bigstr2[] = {0x82, 0xa1, 'v',  0x01, 0xa1, 'z',
                                      0xdb, 0xff, 0xff, 0xff, 0xff, 'x'};
    assert_int_equal(lb_company_decode(bigstr2, sizeof(bigstr2), &r.company), LB_ECORRUPT);
    static const uint8_t bigkey[] = {0x81, 0xdb, 0xff, 0xff, 0xff, 0xff, 'v'};
    assert_int_equal(lb_company_decode(bigkey, sizeof(bigkey), &r.company), LB_ECORRUPT);
    /* array32 of contacts claiming 2^32-1 persons */
    static const uint8_t bigarr[] = {0x82, 0xa1, 'v',  0x01, 0xa1, 'c', 0xdd,
                                     0xff, 0xff, 0xff, 0xff, 0x80, 0x80};
    assert_int_equal(lb_company_decode(bigarr, sizeof(bigarr), &r.company), LB_ECORRUPT);
    /* bin32 and ext32 claiming 4 GiB in an unknown key */
    static const uint8_t bigbin[] = {0x82, 0xa1, 'v',  0x01, 0xa1, 'z',
                                     0xc6, 0xff, 0xff, 0xff, 0xff, 0};
    assert_int_equal(lb_company_decode(bigbin, sizeof(bigbin), &r.company), LB_ECORRUPT);
    static const uint8_t bigext[] = {0x82, 0xa1, 'v',  0x01, 0xa1, 'z', 0xc9,
                                     0xff, 0xff, 0xff, 0xff, 1,    0};
    assert_int_equal(lb_company_decode(bigext, sizeof(bigext), &r.company), LB_ECORRUPT);
    /* event: data map32 claiming 2^32-1 entries */
    static const uint8_t bigev[] = {0x81, 0xa4, 'd',  'a',  't',  'a',
                                    0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0};
    assert_int_equal(lb_event_decode(bigev, sizeof(bigev), &r.event), LB_ECORRUPT);
    /* a string over its field's bound (company name: 800 bytes), well-formed */
    msgpack_sbuffer sb;
    encode_sample(&types[0], false, &sb);
    sb.data[0]++; /* one more entry */
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_str_with_body(&pk, "n", 1);
    char name[LB_LIMIT_NAME * 4 + 1];
    memset(name, 'a', sizeof(name));
    size_t at = sb.size;
    msgpack_pack_str_with_body(&pk, name, sizeof(name));
    assert_int_equal(lb_company_decode(sb.data, sb.size, &r.company), LB_ECORRUPT);
    sb.size = at;
    msgpack_pack_str_with_body(&pk, name, sizeof(name) - 1);
    assert_int_equal(lb_company_decode(sb.data, sb.size, &r.company), 0);
    lb_company_clear(&r.company);
    msgpack_sbuffer_destroy(&sb);
}

/* Appends depth nested arrays (innermost empty) as an unknown key's value. */
static int decode_nested(const struct rtype *t, int depth, bool as_maps)
{
    msgpack_sbuffer sb;
    encode_sample(t, false, &sb);
    assert_true((uint8_t)sb.data[0] >= 0x80 && (uint8_t)sb.data[0] < 0x8f);
    sb.data[0]++;
    msgpack_sbuffer_write(&sb, "\xa3zzz", 4);
    for (int i = 0; i < depth - 1; i++)
        msgpack_sbuffer_write(&sb, as_maps ? "\x81\xa0" : "\x91", as_maps ? 2 : 1);
    msgpack_sbuffer_write(&sb, as_maps ? "\x80" : "\x90", 1);
    int rc = decode_check(t, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static void test_deep_nesting(void **state)
{
    (void)state;
    for (size_t i = 0; i < NTYPES - 1; i++) {
        /* moderate nesting in an unknown key is skipped */
        assert_int_equal(decode_nested(&types[i], 20, false), 0);
        assert_int_equal(decode_nested(&types[i], 20, true), 0);
        /* the record is depth 1, so 31 more levels are allowed, 32 are not */
        assert_int_equal(decode_nested(&types[i], 31, false), 0);
        assert_int_equal(decode_nested(&types[i], 32, false), LB_ECORRUPT);
        /* far deeper is refused without exhausting the stack */
        assert_int_equal(decode_nested(&types[i], 100000, false), LB_ECORRUPT);
        assert_int_equal(decode_nested(&types[i], 100000, true), LB_ECORRUPT);
    }
    /* deep nesting inside event data */
    struct lb_event ev;
    memset(&ev, 0, sizeof(ev));
    event_full(&ev);
    free(ev.data);
    size_t depth = 10000;
    ev.data = malloc(depth * 2 + 1);
    assert_non_null(ev.data);
    for (size_t i = 0; i < depth; i++)
        memcpy(ev.data + i * 2, "\x81\xa0", 2);
    ev.data[depth * 2] = 0x80;
    ev.data_len = depth * 2 + 1;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(lb_event_encode(&ev, &sb), LB_EINVAL);
    ev.data_len = 30 * 2 + 1; /* 30 nested maps + 1 inner: depth 2..32 */
    ev.data[60] = 0x80;
    assert_int_equal(lb_event_encode(&ev, &sb), 0);
    struct lb_event back;
    assert_int_equal(lb_event_decode(sb.data, sb.size, &back), 0);
    assert_int_equal(back.data_len, 61);
    lb_event_clear(&back);
    lb_event_clear(&ev);
    msgpack_sbuffer_destroy(&sb);
}

static void test_event(void **state)
{
    (void)state;
    struct lb_event ev, back;
    memset(&ev, 0, sizeof(ev));
    event_full(&ev);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(lb_event_encode(&ev, &sb), 0);

    /* the envelope is readable by msgpack-c's own unpacker with the full key
     * names, and data is the same map */
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, sb.size);
    assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(u.data.via.map.size, 6);
    static const char *keys[] = {"seq", "type", "at", "actor", "id", "data"};
    for (int i = 0; i < 6; i++) {
        msgpack_object_kv *kv = &u.data.via.map.ptr[i];
        assert_int_equal(kv->key.type, MSGPACK_OBJECT_STR);
        assert_int_equal(kv->key.via.str.size, strlen(keys[i]));
        assert_memory_equal(kv->key.via.str.ptr, keys[i], strlen(keys[i]));
    }
    assert_true(u.data.via.map.ptr[0].val.via.u64 == 1042);
    assert_true(u.data.via.map.ptr[2].val.via.i64 == 1773480600000);
    assert_int_equal(u.data.via.map.ptr[5].val.type, MSGPACK_OBJECT_MAP);
    msgpack_unpacked_destroy(&u);
    /* data is written verbatim at the end */
    assert_memory_equal(sb.data + sb.size - sizeof(event_data), event_data, sizeof(event_data));

    /* data must be one well-formed map */
    size_t good = sb.size;
    uint8_t *saved = ev.data;
    ev.data = (uint8_t *)"\x91\x01";
    ev.data_len = 2;
    assert_int_equal(lb_event_encode(&ev, &sb), LB_EINVAL);
    ev.data = (uint8_t *)"\x80\x80";
    assert_int_equal(lb_event_encode(&ev, &sb), LB_EINVAL);
    ev.data = (uint8_t *)"\x81\xa1";
    assert_int_equal(lb_event_encode(&ev, &sb), LB_EINVAL);
    ev.data_len = 0;
    assert_int_equal(lb_event_encode(&ev, &sb), LB_EINVAL);
    ev.data = NULL;
    assert_int_equal(lb_event_encode(&ev, &sb), LB_EINVAL);
    ev.data = saved;
    ev.data_len = sizeof(event_data);
    char *type = ev.type;
    ev.type = NULL;
    assert_int_equal(lb_event_encode(&ev, &sb), LB_EINVAL);
    ev.type = type;
    assert_int_equal(sb.size, good); /* failures appended nothing */

    /* decode side: data not a map, missing key, duplicate key */
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    const char *names[] = {"seq", "type", "at", "actor", "id", "data"};
    for (int variant = 1; variant < 4; variant++) {
        sb.size = 0;
        msgpack_pack_map(&pk, variant == 1 ? 5 : variant == 2 ? 7 : 6);
        for (int i = 0; i < 6; i++) {
            if (variant == 1 && i == 3)
                continue; /* actor missing */
            msgpack_pack_str_with_body(&pk, names[i], strlen(names[i]));
            if (i == 1 || i == 3)
                msgpack_pack_str_with_body(&pk, "x", 1);
            else if (i == 5 && variant == 3)
                msgpack_pack_array(&pk, 0); /* data not a map */
            else if (i == 5)
                msgpack_pack_map(&pk, 0);
            else
                msgpack_pack_uint64(&pk, 1);
        }
        if (variant == 2) { /* a second "type" */
            msgpack_pack_str_with_body(&pk, "type", 4);
            msgpack_pack_str_with_body(&pk, "y", 1);
        }
        assert_int_equal(lb_event_decode(sb.data, sb.size, &back), LB_ECORRUPT);
        assert_null(back.type);
        assert_null(back.data);
    }
    /* variant 0 with an extra unknown key decodes (forward compatible) */
    sb.size = 0;
    msgpack_pack_map(&pk, 7);
    msgpack_pack_str_with_body(&pk, "later", 5);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_nil(&pk);
    for (int i = 0; i < 6; i++) {
        msgpack_pack_str_with_body(&pk, names[i], strlen(names[i]));
        if (i == 1 || i == 3)
            msgpack_pack_str_with_body(&pk, "x", 1);
        else if (i == 5)
            msgpack_pack_map(&pk, 0);
        else if (i == 2)
            msgpack_pack_int64(&pk, -3);
        else
            msgpack_pack_uint64(&pk, 1);
    }
    assert_int_equal(lb_event_decode(sb.data, sb.size, &back), 0);
    assert_true(back.at == -3);
    assert_int_equal(back.data_len, 1);
    lb_event_clear(&back);
    msgpack_sbuffer_destroy(&sb);
    lb_event_clear(&ev);
}

/* With LB_CODEC_SEED_DIR set, writes every sample encoding as a fuzz seed. */
static void test_write_seeds(void **state)
{
    (void)state;
    const char *dir = getenv("LB_CODEC_SEED_DIR");
    if (dir == NULL)
        skip();
    for (size_t i = 0; i < NTYPES; i++) {
        for (int full = 0; full < 2; full++) {
            msgpack_sbuffer sb;
            encode_sample(&types[i], full, &sb);
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s_%s.msgpack", dir, types[i].name,
                     full ? "full" : "min");
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            assert_int_equal(fwrite(sb.data, 1, sb.size, f), sb.size);
            assert_int_equal(fclose(f), 0);
            msgpack_sbuffer_destroy(&sb);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_full),
        cmocka_unit_test(test_case_company_id),
        cmocka_unit_test(test_roundtrip_min),
        cmocka_unit_test(test_optional_omitted),
        cmocka_unit_test(test_enum_out_of_range),
        cmocka_unit_test(test_encoder_bounds),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_hostile_counts),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_write_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
