/* codec.c: msgpack encoding of records and event envelopes.
 *
 * Each record type is described once, by a table of fields (key, type, offset
 * in the struct); one encoder and one decoder walk those tables, so adding a
 * field is adding a row. A record is a msgpack map: "v" (the schema version)
 * followed by every field of its table. Absent optional strings are nil.
 *
 * Encoding uses msgpack-c's packer. Decoding uses the small reader below
 * rather than msgpack_unpack: msgpack-c's unpacker allocates by the counts an
 * input declares, and every byte string is untrusted here, even one read back
 * from our own database. The reader checks each declared count against the
 * bytes that remain before anything is allocated (a map entry needs at least
 * two bytes, an array element one), bounds string lengths per field, checks
 * types and enum ranges, rejects duplicate keys, strings holding NUL bytes and
 * trailing bytes, skips unknown keys (so records can evolve) with a bounded
 * nesting depth, and fails with LB_ECORRUPT and a cleared record. It never
 * reads past the end of its input.
 *
 * Keys of the stored records (internal; the event envelope's keys are the
 * public ones of DESIGN.md):
 *   all:         v, id, ver, cat (created_at), uat (updated_at)
 *   company:     orgnr, pers, name, loc, sni, contacts [{name, role, phone, email}], anon
 *   case:        year, serial, company, subject, category, descr, opened, owner, status,
 *                outcome, cnote, closed, hold
 *   contact:     case, at, channel, dir, summary, min, by
 *   handoff:     case, company, unit, note, by, status, sent, ack, ref, decided, decision,
 *                dnote, wdrawn, wnote, overdue
 *   followup:    company, assignee, due, status, attempts, items [{kind, case, handoff, unit}],
 *                answers [{item, q, type, val}], comment, rec, last
 *   improvement: unit, title, descr, followup, status, ident, impl
 *   user:        name, hash, role, units [str], disabled, pwchanged
 *   session:     th, name, cat, exp
 *   idempotency: rh, status, loc, body, at
 *   snapshot:    quarter, seq, json
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"

/* String limits in bytes: a field of LB_LIMIT_TEXT characters takes at most
 * four bytes a character. Documents (snapshot JSON, a stored answer) may be
 * larger, but are still bounded. */
#define STR_MAX_DEFAULT (64u * 1024u)
#define STR_MAX_DOCUMENT (64u * 1024u * 1024u)
#define SKIP_DEPTH_MAX 32

/* --- the reader ---------------------------------------------------------- */

struct rd {
    const uint8_t *p;
    const uint8_t *end;
};

static size_t rd_left(const struct rd *r)
{
    return (size_t)(r->end - r->p);
}

/* Reads n big-endian bytes (n <= 8) as an unsigned integer. */
static int rd_be(struct rd *r, size_t n, uint64_t *out)
{
    if (rd_left(r) < n)
        return LB_ECORRUPT;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | r->p[i];
    r->p += n;
    *out = v;
    return 0;
}

static int rd_byte(struct rd *r, uint8_t *b)
{
    if (rd_left(r) < 1)
        return LB_ECORRUPT;
    *b = *r->p++;
    return 0;
}

static bool rd_peek_nil(const struct rd *r)
{
    return rd_left(r) >= 1 && r->p[0] == 0xc0;
}

/* An integer of any msgpack width, as a signed 64-bit value. Unsigned values
 * over INT64_MAX are rejected (no field of ours needs them signed). */
static int rd_int(struct rd *r, int64_t *out)
{
    uint8_t b;
    uint64_t u;
    if (rd_byte(r, &b) < 0)
        return LB_ECORRUPT;
    if (b <= 0x7f) {
        *out = b;
        return 0;
    }
    if (b >= 0xe0) {
        *out = (int8_t)b;
        return 0;
    }
    switch (b) {
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        if (rd_be(r, (size_t)1 << (b - 0xcc), &u) < 0 || u > INT64_MAX)
            return LB_ECORRUPT;
        *out = (int64_t)u;
        return 0;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
        size_t n = (size_t)1 << (b - 0xd0);
        if (rd_be(r, n, &u) < 0)
            return LB_ECORRUPT;
        if (n < 8 && (u & ((uint64_t)1 << (n * 8 - 1))))
            u |= ~(uint64_t)0 << (n * 8); /* sign-extend */
        memcpy(out, &u, sizeof *out);
        return 0;
    }
    default:
        return LB_ECORRUPT;
    }
}

/* An unsigned integer of any width; negative values are rejected. */
static int rd_uint(struct rd *r, uint64_t *out)
{
    uint8_t b;
    if (rd_left(r) < 1)
        return LB_ECORRUPT;
    b = r->p[0];
    if (b >= 0xcc && b <= 0xcf) {
        r->p++;
        return rd_be(r, (size_t)1 << (b - 0xcc), out);
    }
    int64_t v;
    if (rd_int(r, &v) < 0 || v < 0)
        return LB_ECORRUPT;
    *out = (uint64_t)v;
    return 0;
}

static int rd_bool(struct rd *r, bool *out)
{
    uint8_t b;
    if (rd_byte(r, &b) < 0 || (b != 0xc2 && b != 0xc3))
        return LB_ECORRUPT;
    *out = b == 0xc3;
    return 0;
}

/* A str header and its bytes, checked against what remains. */
static int rd_str(struct rd *r, const char **s, size_t *len)
{
    uint8_t b;
    uint64_t n;
    if (rd_byte(r, &b) < 0)
        return LB_ECORRUPT;
    if (b >= 0xa0 && b <= 0xbf)
        n = b & 0x1f;
    else if (b >= 0xd9 && b <= 0xdb) {
        if (rd_be(r, (size_t)1 << (b - 0xd9), &n) < 0)
            return LB_ECORRUPT;
    } else
        return LB_ECORRUPT;
    if (n > rd_left(r))
        return LB_ECORRUPT;
    *s = (const char *)r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

static int rd_bin(struct rd *r, const uint8_t **s, size_t *len)
{
    uint8_t b;
    uint64_t n;
    if (rd_byte(r, &b) < 0 || b < 0xc4 || b > 0xc6)
        return LB_ECORRUPT;
    if (rd_be(r, (size_t)1 << (b - 0xc4), &n) < 0 || n > rd_left(r))
        return LB_ECORRUPT;
    *s = r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

/* A map header; the count must fit in what remains (two bytes an entry). */
static int rd_map(struct rd *r, uint32_t *count)
{
    uint8_t b;
    uint64_t n;
    if (rd_byte(r, &b) < 0)
        return LB_ECORRUPT;
    if (b >= 0x80 && b <= 0x8f)
        n = b & 0x0f;
    else if (b == 0xde || b == 0xdf) {
        if (rd_be(r, b == 0xde ? 2 : 4, &n) < 0)
            return LB_ECORRUPT;
    } else
        return LB_ECORRUPT;
    if (n > rd_left(r) / 2)
        return LB_ECORRUPT;
    *count = (uint32_t)n;
    return 0;
}

/* An array header; the count must fit in what remains (a byte an element). */
static int rd_array(struct rd *r, uint32_t *count)
{
    uint8_t b;
    uint64_t n;
    if (rd_byte(r, &b) < 0)
        return LB_ECORRUPT;
    if (b >= 0x90 && b <= 0x9f)
        n = b & 0x0f;
    else if (b == 0xdc || b == 0xdd) {
        if (rd_be(r, b == 0xdc ? 2 : 4, &n) < 0)
            return LB_ECORRUPT;
    } else
        return LB_ECORRUPT;
    if (n > rd_left(r))
        return LB_ECORRUPT;
    *count = (uint32_t)n;
    return 0;
}

static int rd_advance(struct rd *r, uint64_t n)
{
    if (n > rd_left(r))
        return LB_ECORRUPT;
    r->p += n;
    return 0;
}

/* Skips one value of any type, nesting at most `depth` deep. Every count is
 * bounded by the input's length, so the work is linear in it. */
static int rd_skip(struct rd *r, int depth)
{
    uint8_t b;
    uint64_t n;
    uint32_t count;
    if (depth <= 0 || rd_left(r) < 1)
        return LB_ECORRUPT;
    b = r->p[0];
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return rd_advance(r, 1);
    if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb)) {
        const char *s;
        size_t len;
        return rd_str(r, &s, &len);
    }
    if (b >= 0xc4 && b <= 0xc6) {
        const uint8_t *s;
        size_t len;
        return rd_bin(r, &s, &len);
    }
    if ((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf) {
        if (rd_map(r, &count) < 0)
            return LB_ECORRUPT;
        for (uint32_t i = 0; i < count; i++)
            if (rd_skip(r, depth - 1) < 0 || rd_skip(r, depth - 1) < 0)
                return LB_ECORRUPT;
        return 0;
    }
    if ((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd) {
        if (rd_array(r, &count) < 0)
            return LB_ECORRUPT;
        for (uint32_t i = 0; i < count; i++)
            if (rd_skip(r, depth - 1) < 0)
                return LB_ECORRUPT;
        return 0;
    }
    r->p++;
    switch (b) {
    case 0xcc:
    case 0xd0:
        return rd_advance(r, 1);
    case 0xcd:
    case 0xd1:
        return rd_advance(r, 2);
    case 0xce:
    case 0xd2:
    case 0xca:
        return rd_advance(r, 4);
    case 0xcf:
    case 0xd3:
    case 0xcb:
        return rd_advance(r, 8);
    case 0xd4:
        return rd_advance(r, 2); /* fixext: type byte + data */
    case 0xd5:
        return rd_advance(r, 3);
    case 0xd6:
        return rd_advance(r, 5);
    case 0xd7:
        return rd_advance(r, 9);
    case 0xd8:
        return rd_advance(r, 17);
    case 0xc7:
    case 0xc8:
    case 0xc9:
        if (rd_be(r, (size_t)1 << (b - 0xc7), &n) < 0)
            return LB_ECORRUPT;
        return rd_advance(r, n + 1);
    default: /* 0xc1 is never used */
        return LB_ECORRUPT;
    }
}

/* --- field tables -------------------------------------------------------- */

enum ftype {
    F_U64,    /* uint64_t */
    F_I64,    /* int64_t */
    F_I32,    /* int32_t */
    F_U32,    /* uint32_t */
    F_U16,    /* uint16_t */
    F_BOOL,   /* bool */
    F_ENUM,   /* an enum (int-sized) in [0, arg) */
    F_STR,    /* char *, NULL encoded as nil; arg = max bytes (0: default) */
    F_CHARS,  /* char[arg], NUL-terminated, at most arg-1 bytes */
    F_BIN32,  /* uint8_t[32] */
    F_ARRAY,  /* pointer at off, uint32_t count at count_off, elements of sub, arg bytes each */
    F_STRLIST /* char ** at off, uint32_t count at count_off */
};

struct schema;

struct field {
    const char *key;
    enum ftype type;
    size_t off;
    size_t arg;
    size_t count_off;
    const struct schema *sub;
};

struct schema {
    const struct field *fields;
    size_t nfields;
};

#define FLD(T, k, t, m)                                                                            \
    {                                                                                              \
        k, t, offsetof(T, m), 0, 0, NULL                                                           \
    }
#define FLDA(T, k, t, m, a)                                                                        \
    {                                                                                              \
        k, t, offsetof(T, m), a, 0, NULL                                                           \
    }
#define ENUMF(T, k, m, count)                                                                      \
    {                                                                                              \
        k, F_ENUM, offsetof(T, m), count, 0, NULL                                                  \
    }
#define META(T)                                                                                    \
    FLD(T, "id", F_U64, meta.id), FLD(T, "ver", F_U64, meta.version),                              \
        FLD(T, "cat", F_I64, meta.created_at), FLD(T, "uat", F_I64, meta.updated_at)
#define SCHEMA(name, table)                                                                        \
    static const struct schema name = {table, sizeof table / sizeof table[0]}

static const struct field person_fields[] = {
    FLD(struct lb_person, "name", F_STR, name),
    FLD(struct lb_person, "role", F_STR, role),
    FLD(struct lb_person, "phone", F_STR, phone),
    FLD(struct lb_person, "email", F_STR, email),
};
SCHEMA(person_schema, person_fields);

static const struct field company_fields[] = {
    META(struct lb_company),
    FLDA(struct lb_company, "orgnr", F_CHARS, orgnr, sizeof(((struct lb_company *)0)->orgnr)),
    FLD(struct lb_company, "pers", F_BOOL, personal_orgnr),
    FLD(struct lb_company, "name", F_STR, name),
    FLD(struct lb_company, "loc", F_STR, locality),
    FLD(struct lb_company, "sni", F_STR, sni),
    {"contacts", F_ARRAY, offsetof(struct lb_company, contacts), sizeof(struct lb_person),
     offsetof(struct lb_company, ncontacts), &person_schema},
    FLD(struct lb_company, "anon", F_I64, anonymized_at),
};
SCHEMA(company_schema, company_fields);

static const struct field case_fields[] = {
    META(struct lb_case),
    FLD(struct lb_case, "year", F_U16, year),
    FLD(struct lb_case, "serial", F_U32, serial),
    FLD(struct lb_case, "company", F_U64, company_id),
    FLD(struct lb_case, "subject", F_STR, subject),
    ENUMF(struct lb_case, "category", category, LB_CATEGORY_COUNT),
    FLD(struct lb_case, "descr", F_STR, description),
    FLD(struct lb_case, "opened", F_I64, opened_at),
    FLD(struct lb_case, "owner", F_STR, owner),
    ENUMF(struct lb_case, "status", status, LB_CASE_STATUS_COUNT),
    ENUMF(struct lb_case, "outcome", outcome, LB_OUTCOME_COUNT),
    FLD(struct lb_case, "cnote", F_STR, close_note),
    FLD(struct lb_case, "closed", F_I64, closed_at),
    FLD(struct lb_case, "hold", F_BOOL, legal_hold),
};
SCHEMA(case_schema, case_fields);

static const struct field contact_fields[] = {
    META(struct lb_contact),
    FLD(struct lb_contact, "case", F_U64, case_id),
    FLD(struct lb_contact, "at", F_I64, at),
    ENUMF(struct lb_contact, "channel", channel, LB_CHANNEL_COUNT),
    ENUMF(struct lb_contact, "dir", direction, LB_DIRECTION_COUNT),
    FLD(struct lb_contact, "summary", F_STR, summary),
    FLD(struct lb_contact, "min", F_I32, minutes),
    FLD(struct lb_contact, "by", F_STR, logged_by),
};
SCHEMA(contact_schema, contact_fields);

static const struct field handoff_fields[] = {
    META(struct lb_handoff),
    FLD(struct lb_handoff, "case", F_U64, case_id),
    FLD(struct lb_handoff, "company", F_U64, company_id),
    FLD(struct lb_handoff, "unit", F_STR, unit),
    FLD(struct lb_handoff, "note", F_STR, note),
    FLD(struct lb_handoff, "by", F_STR, sent_by),
    ENUMF(struct lb_handoff, "status", status, LB_HANDOFF_STATUS_COUNT),
    FLD(struct lb_handoff, "sent", F_I64, sent_at),
    FLD(struct lb_handoff, "ack", F_I64, acknowledged_at),
    FLD(struct lb_handoff, "ref", F_STR, reference),
    FLD(struct lb_handoff, "decided", F_I64, decided_at),
    ENUMF(struct lb_handoff, "decision", decision, LB_DECISION_COUNT),
    FLD(struct lb_handoff, "dnote", F_STR, decision_note),
    FLD(struct lb_handoff, "wdrawn", F_I64, withdrawn_at),
    FLD(struct lb_handoff, "wnote", F_STR, withdraw_note),
    FLD(struct lb_handoff, "overdue", F_BOOL, overdue),
};
SCHEMA(handoff_schema, handoff_fields);

static const struct field item_fields[] = {
    ENUMF(struct lb_followup_item, "kind", kind, LB_FOLLOWUP_KIND_COUNT),
    FLD(struct lb_followup_item, "case", F_U64, case_id),
    FLD(struct lb_followup_item, "handoff", F_U64, handoff_id),
    FLD(struct lb_followup_item, "unit", F_STR, unit),
};
SCHEMA(item_schema, item_fields);

static const struct field answer_fields[] = {
    FLD(struct lb_answer, "item", F_STR, item),
    FLD(struct lb_answer, "q", F_STR, question),
    ENUMF(struct lb_answer, "type", type, LB_ANSWER_BOOL + 1),
    FLD(struct lb_answer, "val", F_I32, value),
};
SCHEMA(answer_schema, answer_fields);

static const struct field followup_fields[] = {
    META(struct lb_followup),
    FLD(struct lb_followup, "company", F_U64, company_id),
    FLD(struct lb_followup, "assignee", F_STR, assignee),
    FLD(struct lb_followup, "due", F_I32, due),
    ENUMF(struct lb_followup, "status", status, LB_FOLLOWUP_STATUS_COUNT),
    FLD(struct lb_followup, "attempts", F_U32, attempts),
    {"items", F_ARRAY, offsetof(struct lb_followup, items), sizeof(struct lb_followup_item),
     offsetof(struct lb_followup, nitems), &item_schema},
    {"answers", F_ARRAY, offsetof(struct lb_followup, answers), sizeof(struct lb_answer),
     offsetof(struct lb_followup, nanswers), &answer_schema},
    FLD(struct lb_followup, "comment", F_STR, comment),
    FLD(struct lb_followup, "rec", F_I64, recorded_at),
    FLD(struct lb_followup, "last", F_I64, last_attempt_at),
};
SCHEMA(followup_schema, followup_fields);

static const struct field improvement_fields[] = {
    META(struct lb_improvement),
    FLD(struct lb_improvement, "unit", F_STR, unit),
    FLD(struct lb_improvement, "title", F_STR, title),
    FLD(struct lb_improvement, "descr", F_STR, description),
    FLD(struct lb_improvement, "followup", F_U64, followup_id),
    ENUMF(struct lb_improvement, "status", status, LB_IMPROVEMENT_STATUS_COUNT),
    FLD(struct lb_improvement, "ident", F_I64, identified_at),
    FLD(struct lb_improvement, "impl", F_I64, implemented_at),
};
SCHEMA(improvement_schema, improvement_fields);

static const struct field user_fields[] = {
    META(struct lb_user),
    FLD(struct lb_user, "name", F_STR, username),
    FLD(struct lb_user, "hash", F_STR, password_hash),
    ENUMF(struct lb_user, "role", role, LB_ROLE_COUNT),
    {"units", F_STRLIST, offsetof(struct lb_user, units), 0, offsetof(struct lb_user, nunits),
     NULL},
    FLD(struct lb_user, "disabled", F_BOOL, disabled),
    FLD(struct lb_user, "pwchanged", F_I64, password_changed_at),
};
SCHEMA(user_schema, user_fields);

static const struct field session_fields[] = {
    FLD(struct lb_session, "th", F_BIN32, token_hash),
    FLD(struct lb_session, "name", F_STR, username),
    FLD(struct lb_session, "cat", F_I64, created_at),
    FLD(struct lb_session, "exp", F_I64, expires_at),
};
SCHEMA(session_schema, session_fields);

static const struct field idempotency_fields[] = {
    FLD(struct lb_idempotency, "rh", F_BIN32, request_hash),
    FLD(struct lb_idempotency, "status", F_I32, status),
    FLD(struct lb_idempotency, "loc", F_STR, location),
    FLDA(struct lb_idempotency, "body", F_STR, body, STR_MAX_DOCUMENT),
    FLD(struct lb_idempotency, "at", F_I64, at),
};
SCHEMA(idempotency_schema, idempotency_fields);

static const struct field snapshot_fields[] = {
    META(struct lb_snapshot),
    FLDA(struct lb_snapshot, "quarter", F_CHARS, quarter,
         sizeof(((struct lb_snapshot *)0)->quarter)),
    FLD(struct lb_snapshot, "seq", F_U64, source_seq),
    FLDA(struct lb_snapshot, "json", F_STR, json, STR_MAX_DOCUMENT),
};
SCHEMA(snapshot_schema, snapshot_fields);

/* --- encoding ------------------------------------------------------------ */

static int pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    if (msgpack_pack_str(pk, len) != 0 || msgpack_pack_str_body(pk, s, len) != 0)
        return LB_ENOMEM;
    return 0;
}

static int pack_key(msgpack_packer *pk, const char *k)
{
    return pack_str(pk, k, strlen(k));
}

static int enc_value(msgpack_packer *pk, const void *rec, const struct field *f);

/* Packs the fields of a schema as a map, preceded by "v" when versioned. */
static int enc_map(msgpack_packer *pk, const void *rec, const struct schema *s, bool versioned)
{
    if (msgpack_pack_map(pk, s->nfields + (versioned ? 1 : 0)) != 0)
        return LB_ENOMEM;
    if (versioned && (pack_key(pk, "v") < 0 || msgpack_pack_uint32(pk, LB_SCHEMA_VERSION) != 0))
        return LB_ENOMEM;
    for (size_t i = 0; i < s->nfields; i++) {
        int rc;
        if ((rc = pack_key(pk, s->fields[i].key)) < 0 ||
            (rc = enc_value(pk, rec, &s->fields[i])) < 0)
            return rc;
    }
    return 0;
}

static int enc_value(msgpack_packer *pk, const void *rec, const struct field *f)
{
    const char *p = (const char *)rec + f->off;
    int rc = 0;
    switch (f->type) {
    case F_U64:
        rc = msgpack_pack_uint64(pk, *(const uint64_t *)p);
        break;
    case F_I64:
        rc = msgpack_pack_int64(pk, *(const int64_t *)p);
        break;
    case F_I32:
        rc = msgpack_pack_int32(pk, *(const int32_t *)p);
        break;
    case F_U32:
        rc = msgpack_pack_uint32(pk, *(const uint32_t *)p);
        break;
    case F_U16:
        rc = msgpack_pack_uint16(pk, *(const uint16_t *)p);
        break;
    case F_BOOL:
        rc = *(const bool *)p ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        break;
    case F_ENUM: {
        int v = *(const int *)p;
        if (v < 0 || (size_t)v >= f->arg)
            return LB_EINVAL;
        rc = msgpack_pack_uint32(pk, (uint32_t)v);
        break;
    }
    case F_STR: {
        const char *s = *(char *const *)p;
        return s == NULL ? (msgpack_pack_nil(pk) != 0 ? LB_ENOMEM : 0) : pack_str(pk, s, strlen(s));
    }
    case F_CHARS:
        return pack_str(pk, p, strnlen(p, f->arg - 1));
    case F_BIN32:
        if (msgpack_pack_bin(pk, 32) != 0 || msgpack_pack_bin_body(pk, p, 32) != 0)
            return LB_ENOMEM;
        return 0;
    case F_ARRAY: {
        const char *elems = *(const char *const *)p;
        uint32_t n = *(const uint32_t *)((const char *)rec + f->count_off);
        if (n > 0 && elems == NULL)
            return LB_EINVAL;
        if (msgpack_pack_array(pk, n) != 0)
            return LB_ENOMEM;
        for (uint32_t i = 0; i < n; i++)
            if ((rc = enc_map(pk, elems + (size_t)i * f->arg, f->sub, false)) < 0)
                return rc;
        return 0;
    }
    case F_STRLIST: {
        char *const *list = *(char **const *)p;
        uint32_t n = *(const uint32_t *)((const char *)rec + f->count_off);
        if (n > 0 && list == NULL)
            return LB_EINVAL;
        if (msgpack_pack_array(pk, n) != 0)
            return LB_ENOMEM;
        for (uint32_t i = 0; i < n; i++) {
            if (list[i] == NULL)
                return LB_EINVAL;
            if ((rc = pack_str(pk, list[i], strlen(list[i]))) < 0)
                return rc;
        }
        return 0;
    }
    }
    return rc != 0 ? LB_ENOMEM : 0;
}

static int encode(const void *rec, const struct schema *s, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    size_t before = out->size;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    int rc = enc_map(&pk, rec, s, true);
    if (rc < 0)
        out->size = before; /* leave the caller's buffer as it was */
    return rc;
}

/* --- decoding ------------------------------------------------------------ */

static int dec_map(struct rd *r, void *rec, const struct schema *s, bool versioned);

/* A copy of a msgpack string as a C string; NUL bytes inside are corrupt. */
static int dec_cstr(struct rd *r, size_t max, char **out)
{
    const char *s;
    size_t len;
    if (rd_str(r, &s, &len) < 0 || len > max || memchr(s, '\0', len) != NULL)
        return LB_ECORRUPT;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return LB_ENOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    *out = copy;
    return 0;
}

static int dec_value(struct rd *r, void *rec, const struct field *f)
{
    char *p = (char *)rec + f->off;
    int64_t v;
    uint64_t u;
    switch (f->type) {
    case F_U64:
        if (rd_uint(r, &u) < 0)
            return LB_ECORRUPT;
        *(uint64_t *)p = u;
        return 0;
    case F_I64:
        if (rd_int(r, &v) < 0)
            return LB_ECORRUPT;
        *(int64_t *)p = v;
        return 0;
    case F_I32:
        if (rd_int(r, &v) < 0 || v < INT32_MIN || v > INT32_MAX)
            return LB_ECORRUPT;
        *(int32_t *)p = (int32_t)v;
        return 0;
    case F_U32:
        if (rd_uint(r, &u) < 0 || u > UINT32_MAX)
            return LB_ECORRUPT;
        *(uint32_t *)p = (uint32_t)u;
        return 0;
    case F_U16:
        if (rd_uint(r, &u) < 0 || u > UINT16_MAX)
            return LB_ECORRUPT;
        *(uint16_t *)p = (uint16_t)u;
        return 0;
    case F_BOOL:
        return rd_bool(r, (bool *)p);
    case F_ENUM:
        if (rd_uint(r, &u) < 0 || u >= f->arg)
            return LB_ECORRUPT;
        *(int *)p = (int)u;
        return 0;
    case F_STR:
        if (rd_peek_nil(r)) {
            r->p++;
            return 0;
        }
        return dec_cstr(r, f->arg != 0 ? f->arg : STR_MAX_DEFAULT, (char **)p);
    case F_CHARS: {
        const char *s;
        size_t len;
        if (rd_str(r, &s, &len) < 0 || len >= f->arg || memchr(s, '\0', len) != NULL)
            return LB_ECORRUPT;
        memcpy(p, s, len);
        p[len] = '\0';
        return 0;
    }
    case F_BIN32: {
        const uint8_t *b;
        size_t len;
        if (rd_bin(r, &b, &len) < 0 || len != 32)
            return LB_ECORRUPT;
        memcpy(p, b, 32);
        return 0;
    }
    case F_ARRAY: {
        uint32_t n, *count = (uint32_t *)((char *)rec + f->count_off);
        if (rd_array(r, &n) < 0)
            return LB_ECORRUPT;
        if (n == 0)
            return 0;
        /* n <= bytes remaining, so this allocation is bounded by the input. */
        char *elems = calloc(n, f->arg);
        if (elems == NULL)
            return LB_ENOMEM;
        *(char **)p = elems;
        *count = n; /* set now, so that clearing a half-decoded record frees it all */
        for (uint32_t i = 0; i < n; i++) {
            int rc = dec_map(r, elems + (size_t)i * f->arg, f->sub, false);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    case F_STRLIST: {
        uint32_t n, *count = (uint32_t *)((char *)rec + f->count_off);
        if (rd_array(r, &n) < 0)
            return LB_ECORRUPT;
        if (n == 0)
            return 0;
        char **list = calloc(n, sizeof *list);
        if (list == NULL)
            return LB_ENOMEM;
        *(char ***)p = list;
        *count = n;
        for (uint32_t i = 0; i < n; i++) {
            int rc = dec_cstr(r, STR_MAX_DEFAULT, &list[i]);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    }
    return LB_ECORRUPT;
}

/* Decodes a map into rec by the schema: every field must be present exactly
 * once; unknown keys are skipped; "v" is required when versioned. */
static int dec_map(struct rd *r, void *rec, const struct schema *s, bool versioned)
{
    uint32_t n;
    uint64_t seen = 0, all = (s->nfields >= 64) ? ~(uint64_t)0 : (((uint64_t)1 << s->nfields) - 1);
    bool have_version = false;
    if (rd_map(r, &n) < 0)
        return LB_ECORRUPT;
    for (uint32_t i = 0; i < n; i++) {
        const char *key;
        size_t klen, j;
        int rc;
        if (rd_str(r, &key, &klen) < 0)
            return LB_ECORRUPT;
        if (versioned && klen == 1 && key[0] == 'v') {
            uint64_t ver;
            if (have_version || rd_uint(r, &ver) < 0 || ver < 1 || ver > LB_SCHEMA_VERSION)
                return LB_ECORRUPT;
            have_version = true;
            continue;
        }
        for (j = 0; j < s->nfields; j++)
            if (strlen(s->fields[j].key) == klen && memcmp(s->fields[j].key, key, klen) == 0)
                break;
        if (j == s->nfields) {
            if (rd_skip(r, SKIP_DEPTH_MAX) < 0)
                return LB_ECORRUPT;
            continue;
        }
        if (seen & ((uint64_t)1 << j))
            return LB_ECORRUPT; /* duplicate key */
        seen |= (uint64_t)1 << j;
        if ((rc = dec_value(r, rec, &s->fields[j])) < 0)
            return rc;
    }
    if (seen != all || (versioned && !have_version))
        return LB_ECORRUPT;
    return 0;
}

static int decode(const void *buf, size_t len, void *rec, size_t size, const struct schema *s,
                  void (*clear)(void *))
{
    struct rd r = {buf, (const uint8_t *)buf + len};
    memset(rec, 0, size);
    if (buf == NULL && len != 0)
        return LB_ECORRUPT;
    int rc = dec_map(&r, rec, s, true);
    if (rc == 0 && r.p != r.end)
        rc = LB_ECORRUPT; /* trailing bytes */
    if (rc < 0)
        clear(rec);
    return rc;
}

#define CODEC_DEFINE(type)                                                                         \
    static void clear_##type(void *r)                                                              \
    {                                                                                              \
        lb_##type##_clear(r);                                                                      \
    }                                                                                              \
    int lb_##type##_encode(const struct lb_##type *r, msgpack_sbuffer *out)                        \
    {                                                                                              \
        return encode(r, &type##_schema, out);                                                     \
    }                                                                                              \
    int lb_##type##_decode(const void *buf, size_t len, struct lb_##type *out)                     \
    {                                                                                              \
        return decode(buf, len, out, sizeof *out, &type##_schema, clear_##type);                   \
    }

CODEC_DEFINE(company)
CODEC_DEFINE(case)
CODEC_DEFINE(contact)
CODEC_DEFINE(handoff)
CODEC_DEFINE(followup)
CODEC_DEFINE(improvement)
CODEC_DEFINE(user)
CODEC_DEFINE(session)
CODEC_DEFINE(idempotency)
CODEC_DEFINE(snapshot)

/* --- the event envelope -------------------------------------------------- */

/* Whether buf is exactly one well-formed msgpack map. */
static bool is_one_map(const void *buf, size_t len)
{
    struct rd r = {buf, (const uint8_t *)buf + len};
    if (buf == NULL || len == 0)
        return false;
    if (!((r.p[0] >= 0x80 && r.p[0] <= 0x8f) || r.p[0] == 0xde || r.p[0] == 0xdf))
        return false;
    return rd_skip(&r, SKIP_DEPTH_MAX) == 0 && r.p == r.end;
}

int lb_event_encode(const struct lb_event *ev, msgpack_sbuffer *out)
{
    if (ev->type == NULL || ev->actor == NULL || !is_one_map(ev->data, ev->data_len))
        return LB_EINVAL;
    size_t before = out->size;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    int rc = 0;
    if (msgpack_pack_map(&pk, 6) != 0 || pack_key(&pk, "seq") < 0 ||
        msgpack_pack_uint64(&pk, ev->seq) != 0 || pack_key(&pk, "type") < 0 ||
        pack_key(&pk, ev->type) < 0 || pack_key(&pk, "at") < 0 ||
        msgpack_pack_int64(&pk, ev->at) != 0 || pack_key(&pk, "actor") < 0 ||
        pack_key(&pk, ev->actor) < 0 || pack_key(&pk, "id") < 0 ||
        msgpack_pack_uint64(&pk, ev->id) != 0 || pack_key(&pk, "data") < 0 ||
        msgpack_sbuffer_write(out, (const char *)ev->data, ev->data_len) != 0)
        rc = LB_ENOMEM;
    if (rc < 0)
        out->size = before;
    return rc;
}

int lb_event_decode(const void *buf, size_t len, struct lb_event *out)
{
    struct rd r = {buf, (const uint8_t *)buf + len};
    uint32_t n;
    unsigned seen = 0;
    int rc = LB_ECORRUPT;
    memset(out, 0, sizeof *out);
    if (buf == NULL || rd_map(&r, &n) < 0)
        goto fail;
    for (uint32_t i = 0; i < n; i++) {
        const char *key;
        size_t klen;
        unsigned bit;
        int64_t v;
        if (rd_str(&r, &key, &klen) < 0)
            goto fail;
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
        if (KEY("seq")) {
            bit = 1;
            if ((seen & bit) || rd_uint(&r, &out->seq) < 0)
                goto fail;
        } else if (KEY("type")) {
            bit = 2;
            if ((seen & bit) || (rc = dec_cstr(&r, 256, &out->type)) < 0)
                goto fail;
        } else if (KEY("at")) {
            bit = 4;
            if ((seen & bit) || rd_int(&r, &v) < 0)
                goto fail;
            out->at = v;
        } else if (KEY("actor")) {
            bit = 8;
            if ((seen & bit) || (rc = dec_cstr(&r, 256, &out->actor)) < 0)
                goto fail;
        } else if (KEY("id")) {
            bit = 16;
            if ((seen & bit) || rd_uint(&r, &out->id) < 0)
                goto fail;
        } else if (KEY("data")) {
            bit = 32;
            const uint8_t *start = r.p;
            if ((seen & bit) || rd_left(&r) < 1 ||
                !((r.p[0] >= 0x80 && r.p[0] <= 0x8f) || r.p[0] == 0xde || r.p[0] == 0xdf) ||
                rd_skip(&r, SKIP_DEPTH_MAX) < 0)
                goto fail;
            out->data_len = (size_t)(r.p - start);
            if ((out->data = malloc(out->data_len)) == NULL) {
                rc = LB_ENOMEM;
                goto fail;
            }
            memcpy(out->data, start, out->data_len);
        } else {
            bit = 0;
            if (rd_skip(&r, SKIP_DEPTH_MAX) < 0)
                goto fail;
        }
#undef KEY
        seen |= bit;
        rc = LB_ECORRUPT;
    }
    if (seen != 63 || r.p != r.end)
        goto fail;
    return 0;
fail:
    lb_event_clear(out);
    return rc == LB_ENOMEM ? LB_ENOMEM : LB_ECORRUPT;
}
