/* codec.c: msgpack encoding of records and of the event envelope.
 *
 * Records are described by tables (struct codec_desc): one row per struct field
 * giving its map key, its kind and where it lives. One generic encoder and one
 * generic decoder walk those tables, so a field added to a record is one row
 * here. Encoding uses msgpack-c's packer over the caller's sbuffer. Decoding
 * uses a small reader written here instead of msgpack_unpack, because
 * msgpack-c's unpacker allocates by the counts a buffer declares; this reader
 * allocates nothing until a count or length has been checked against the
 * bytes that remain, so no allocation is ever larger than the input itself.
 *
 * Encoding rules
 *   - every record is a map; its first entry is "v": LB_SCHEMA_VERSION.
 *   - optional kinds are omitted when they hold their "absent" value: a NULL
 *     string, LB_TIME_NONE, LB_DATE_NONE, a 0 id, an empty array. On decode,
 *     a missing key or nil gives that absent value back.
 *   - every other field (integers, enums, bools, fixed strings, hashes) is
 *     always written and its key is required when decoding.
 *   - enums are unsigned integers and must be < their *_COUNT; strings must
 *     be UTF-8 without NUL and are bounded (bytes) per field; fixed-size strings
 *     (orgnr, quarter) must fit their array; hashes are bin of 32 bytes.
 *   - the encoder rejects what the decoder would reject (LB_EINVAL for a bad
 *     enum, non-UTF-8 or fixed string, LB_ETOOBIG for an over-long string or
 *     array), so nothing undecodable is ever written.
 *
 * Decoding rules: a trailing byte, a duplicate key, a non-string key, a type
 * mismatch, a value out of range, a missing required key, a schema version
 * outside 1..LB_SCHEMA_VERSION or nesting deeper than LB_CODEC_MAX_DEPTH is
 * LB_ECORRUPT. Unknown keys are skipped (bounded by the same depth limit).
 *
 * Keys (every record also has "v"; meta is "id" id, "vn" version,
 * "ca" created_at, "ua" updated_at):
 *
 *   company      o orgnr, po personal_orgnr, n name, lo locality, sni sni,
 *                c contacts (array of person), an anonymized_at
 *   person       n name, r role, p phone, e email, oo survey_opt_out,
 *                eb email_bounced
 *   case         yr year, sn serial, co company_id, su subject, cat category,
 *                de description, oa opened_at, ow owner, st status,
 *                out outcome, cn close_note, cla closed_at, lh legal_hold
 *   contact      cs case_id, at at, ch channel, dir direction, su summary,
 *                min minutes, by logged_by
 *   handoff      cs case_id, co company_id, u unit, no note, by sent_by,
 *                st status, sa sent_at, ack acknowledged_at, ref reference,
 *                da decided_at, dec decision, dn decision_note,
 *                wa withdrawn_at, wn withdraw_note, od overdue
 *   followup     co company_id, as assignee, due due, st status, att attempts,
 *                it items (array of item), ans answers (array of answer),
 *                cm comment, ra recorded_at, la last_attempt_at, ch channel,
 *                the survey: ss status, ssa sent_at, srn reminders,
 *                sra reminded_at, scf call_from, sea expires_at, sen ended_at,
 *                srh recipient, cor corrections (array of change)
 *   change       at at, by by, it item, q question, bt before_type, bv before,
 *                aty after_type, av after
 *   item         k kind, cs case_id, h handoff_id, u unit
 *   answer       it item, q question, t type, val value
 *   improvement  u unit, ti title, de description, fu followup_id, st status,
 *                ia identified_at, ima implemented_at
 *   meeting      k kind, ti title, sa starts_at, pl place, u unit, ac actions
 *                (array of str), no notes, it items (array of {t type, tx
 *                text}), co companies (array of {co company_id, n persons}),
 *                st staff (array of {u unit, n count}), tok eval_token,
 *                th eval_hash, tea eval_expires_at
 *   meeting_eval m meeting_id, r relevant, kn knowledge, cm comment,
 *                pa paper, co company_id
 *   user         un username, ph password_hash, r role, us units (array of
 *                str), dis disabled, pca password_changed_at, dn display_name
 *   session      th token_hash, un username, ca created_at, ea expires_at
 *                (no meta)
 *   survey_token th token_hash, k kind, tg target_id, ca created_at,
 *                ea expires_at, n answers, max max_answers (no meta)
 *   idempotency  rh request_hash, s status, loc location, b body, at at,
 *                cl cls, sq seq, co companies (array of {id}) (no meta)
 *   snapshot     q quarter (the period), seq source_seq, js json, pub json_public
 *   plan_header  js json
 *   plan_action  cd code, ar area, js json
 *   plan_followup cd code, yr year, js json
 *
 * The event envelope is a public wire format and uses full key names: seq,
 * type, at, actor, id, data (see lb_event_encode below). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"

/* Nesting limit for anything we decode or skip, counting the outer map as 1. */
#define LB_CODEC_MAX_DEPTH 32
/* No string we decode is longer than this, whatever its field says... */
#define LB_CODEC_STR_HARD_MAX (64u * 1024u)
/* ...except the stored JSON documents (a snapshot with many units can pass
 * 64 KiB), which get the HTTP body limit. */
#define LB_CODEC_DOC_MAX (1024u * 1024u)
#define LB_CODEC_ARRAY_MAX 4096u

#define TEXT_MAX (LB_LIMIT_TEXT * 4u)
#define NAME_MAX_B (LB_LIMIT_NAME * 4u)
#define SUMMARY_MAX (LB_LIMIT_SUMMARY * 4u)
#define SHORT_MAX (LB_LIMIT_SHORT * 4u)
#define USERNAME_MAX 256u
#define UNIT_MAX 128u

_Static_assert(sizeof(enum lb_category) == sizeof(unsigned) &&
                   sizeof(enum lb_role) == sizeof(unsigned) &&
                   sizeof(enum lb_answer_type) == sizeof(unsigned),
               "enums are stored through an unsigned lvalue");
_Static_assert(TEXT_MAX <= LB_CODEC_STR_HARD_MAX, "text bound under the hard cap");

enum field_kind {
    K_U64,    /* uint64_t, required */
    K_U32,    /* uint32_t, required */
    K_U16,    /* uint16_t, required */
    K_I32,    /* int32_t, required */
    K_INT,    /* int, required */
    K_BOOL,   /* bool, required */
    K_ENUM,   /* enum (unsigned), max = *_COUNT, required */
    K_CHARS,  /* char[max], NUL-terminated inside, required */
    K_HASH32, /* uint8_t[32] as bin 32, required */
    K_ID,     /* lb_id, optional (0) */
    K_TIME,   /* lb_time, optional (LB_TIME_NONE) */
    K_DATE,   /* lb_date, optional (LB_DATE_NONE) */
    K_STR,    /* char *, max bytes, optional (NULL) */
    K_ARRAY,  /* array of elem structs at off, uint32_t count at count_off, optional */
    K_STRARR, /* char ** at off, uint32_t count at count_off, optional */
    /* Optional scalars, for fields added to a record after it was first
     * stored: written only when not zero, a missing key or nil decodes as 0. */
    K_OBOOL,   /* bool, optional (false) */
    K_OENUM,   /* enum (unsigned), max = *_COUNT, optional (0, the NONE value) */
    K_OU32,    /* uint32_t, optional (0) */
    K_OHASH32, /* uint8_t[32] as bin 32, optional (all zeros) */
};

struct codec_desc;

struct codec_field {
    const char *key;
    size_t klen; /* strlen(key), from the literal */
    enum field_kind kind;
    size_t off;
    uint32_t max;                  /* string bytes, enum count, char array size, array count */
    size_t count_off;              /* K_ARRAY, K_STRARR */
    const struct codec_desc *elem; /* K_ARRAY */
};

struct codec_desc {
    const struct codec_field *fields;
    size_t nfields;
    size_t size;    /* of the struct (array element size for elements) */
    bool versioned; /* top-level records carry "v" */
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
#define F(T, key, kind, member, max)                                                               \
    {                                                                                              \
        key, sizeof(key) - 1, kind, offsetof(struct T, member), max, 0, NULL                       \
    }
#define FA(T, key, member, count, max, elem)                                                       \
    {                                                                                              \
        key, sizeof(key) - 1, K_ARRAY, offsetof(struct T, member), max, offsetof(struct T, count), \
            elem                                                                                   \
    }
#define FS(T, key, member, count, max)                                                             \
    {                                                                                              \
        key, sizeof(key) - 1, K_STRARR, offsetof(struct T, member), max,                           \
            offsetof(struct T, count), NULL                                                        \
    }
#define META(T)                                                                                    \
    F(T, "id", K_ID, meta.id, 0), F(T, "vn", K_U64, meta.version, 0),                              \
        F(T, "ca", K_TIME, meta.created_at, 0), F(T, "ua", K_TIME, meta.updated_at, 0)

static const struct codec_field person_fields[] = {
    F(lb_person, "n", K_STR, name, NAME_MAX_B),     F(lb_person, "r", K_STR, role, SHORT_MAX),
    F(lb_person, "p", K_STR, phone, SHORT_MAX),     F(lb_person, "e", K_STR, email, SHORT_MAX),
    F(lb_person, "oo", K_OBOOL, survey_opt_out, 0), F(lb_person, "eb", K_OBOOL, email_bounced, 0),
};
static const struct codec_desc person_desc = {person_fields, NFIELDS(person_fields),
                                              sizeof(struct lb_person), false};

static const struct codec_field company_fields[] = {
    META(lb_company),
    F(lb_company, "o", K_CHARS, orgnr, sizeof(((struct lb_company *)0)->orgnr)),
    F(lb_company, "po", K_BOOL, personal_orgnr, 0),
    F(lb_company, "n", K_STR, name, NAME_MAX_B),
    F(lb_company, "lo", K_STR, locality, SHORT_MAX),
    F(lb_company, "sni", K_STR, sni, SHORT_MAX),
    FA(lb_company, "c", contacts, ncontacts, LB_CODEC_ARRAY_MAX, &person_desc),
    F(lb_company, "an", K_TIME, anonymized_at, 0),
};

static const struct codec_field case_fields[] = {
    META(lb_case),
    F(lb_case, "yr", K_U16, year, 0),
    F(lb_case, "sn", K_U32, serial, 0),
    F(lb_case, "co", K_ID, company_id, 0),
    F(lb_case, "su", K_STR, subject, NAME_MAX_B),
    F(lb_case, "cat", K_ENUM, category, LB_CATEGORY_COUNT),
    F(lb_case, "de", K_STR, description, TEXT_MAX),
    F(lb_case, "oa", K_TIME, opened_at, 0),
    F(lb_case, "ow", K_STR, owner, USERNAME_MAX),
    F(lb_case, "st", K_ENUM, status, LB_CASE_STATUS_COUNT),
    F(lb_case, "out", K_ENUM, outcome, LB_OUTCOME_COUNT),
    F(lb_case, "cn", K_STR, close_note, TEXT_MAX),
    F(lb_case, "cla", K_TIME, closed_at, 0),
    F(lb_case, "lh", K_BOOL, legal_hold, 0),
};

static const struct codec_field contact_fields[] = {
    META(lb_contact),
    F(lb_contact, "cs", K_ID, case_id, 0),
    F(lb_contact, "at", K_TIME, at, 0),
    F(lb_contact, "ch", K_ENUM, channel, LB_CHANNEL_COUNT),
    F(lb_contact, "dir", K_ENUM, direction, LB_DIRECTION_COUNT),
    F(lb_contact, "su", K_STR, summary, SUMMARY_MAX),
    F(lb_contact, "min", K_I32, minutes, 0),
    F(lb_contact, "by", K_STR, logged_by, USERNAME_MAX),
};

static const struct codec_field handoff_fields[] = {
    META(lb_handoff),
    F(lb_handoff, "cs", K_ID, case_id, 0),
    F(lb_handoff, "co", K_ID, company_id, 0),
    F(lb_handoff, "u", K_STR, unit, UNIT_MAX),
    F(lb_handoff, "no", K_STR, note, TEXT_MAX),
    F(lb_handoff, "by", K_STR, sent_by, USERNAME_MAX),
    F(lb_handoff, "st", K_ENUM, status, LB_HANDOFF_STATUS_COUNT),
    F(lb_handoff, "sa", K_TIME, sent_at, 0),
    F(lb_handoff, "ack", K_TIME, acknowledged_at, 0),
    F(lb_handoff, "ref", K_STR, reference, SHORT_MAX),
    F(lb_handoff, "da", K_TIME, decided_at, 0),
    F(lb_handoff, "dec", K_ENUM, decision, LB_DECISION_COUNT),
    F(lb_handoff, "dn", K_STR, decision_note, TEXT_MAX),
    F(lb_handoff, "wa", K_TIME, withdrawn_at, 0),
    F(lb_handoff, "wn", K_STR, withdraw_note, TEXT_MAX),
    F(lb_handoff, "od", K_BOOL, overdue, 0),
};

static const struct codec_field item_fields[] = {
    F(lb_followup_item, "k", K_ENUM, kind, LB_FOLLOWUP_KIND_COUNT),
    F(lb_followup_item, "cs", K_ID, case_id, 0),
    F(lb_followup_item, "h", K_ID, handoff_id, 0),
    F(lb_followup_item, "u", K_STR, unit, UNIT_MAX),
};
static const struct codec_desc item_desc = {item_fields, NFIELDS(item_fields),
                                            sizeof(struct lb_followup_item), false};

static const struct codec_field answer_fields[] = {
    F(lb_answer, "it", K_STR, item, UNIT_MAX),
    F(lb_answer, "q", K_STR, question, UNIT_MAX),
    F(lb_answer, "t", K_ENUM, type, LB_ANSWER_BOOL + 1),
    F(lb_answer, "val", K_I32, value, 0),
};
static const struct codec_desc answer_desc = {answer_fields, NFIELDS(answer_fields),
                                              sizeof(struct lb_answer), false};

static const struct codec_field change_fields[] = {
    F(lb_answer_change, "at", K_TIME, at, 0),
    F(lb_answer_change, "by", K_STR, by, USERNAME_MAX),
    F(lb_answer_change, "it", K_STR, item, UNIT_MAX),
    F(lb_answer_change, "q", K_STR, question, UNIT_MAX),
    F(lb_answer_change, "bt", K_ENUM, before_type, LB_ANSWER_BOOL + 1),
    F(lb_answer_change, "bv", K_I32, before, 0),
    F(lb_answer_change, "aty", K_ENUM, after_type, LB_ANSWER_BOOL + 1),
    F(lb_answer_change, "av", K_I32, after, 0),
};
static const struct codec_desc change_desc = {change_fields, NFIELDS(change_fields),
                                              sizeof(struct lb_answer_change), false};

static const struct codec_field followup_fields[] = {
    META(lb_followup),
    F(lb_followup, "co", K_ID, company_id, 0),
    F(lb_followup, "as", K_STR, assignee, USERNAME_MAX),
    F(lb_followup, "due", K_DATE, due, 0),
    F(lb_followup, "st", K_ENUM, status, LB_FOLLOWUP_STATUS_COUNT),
    F(lb_followup, "att", K_U32, attempts, 0),
    FA(lb_followup, "it", items, nitems, LB_CODEC_ARRAY_MAX, &item_desc),
    FA(lb_followup, "ans", answers, nanswers, LB_CODEC_ARRAY_MAX, &answer_desc),
    F(lb_followup, "cm", K_STR, comment, TEXT_MAX),
    F(lb_followup, "ra", K_TIME, recorded_at, 0),
    F(lb_followup, "la", K_TIME, last_attempt_at, 0),
    F(lb_followup, "ch", K_OENUM, channel, LB_ANSWER_CHANNEL_COUNT),
    F(lb_followup, "ss", K_OENUM, survey.status, LB_SURVEY_STATUS_COUNT),
    F(lb_followup, "ssa", K_TIME, survey.sent_at, 0),
    F(lb_followup, "srn", K_OU32, survey.reminders, 0),
    F(lb_followup, "sra", K_TIME, survey.reminded_at, 0),
    F(lb_followup, "scf", K_DATE, survey.call_from, 0),
    F(lb_followup, "sea", K_TIME, survey.expires_at, 0),
    F(lb_followup, "sen", K_TIME, survey.ended_at, 0),
    F(lb_followup, "srh", K_OHASH32, survey.recipient, 0),
    FA(lb_followup, "cor", corrections, ncorrections, LB_FOLLOWUP_CORRECTIONS_MAX, &change_desc),
};

static const struct codec_field improvement_fields[] = {
    META(lb_improvement),
    F(lb_improvement, "u", K_STR, unit, UNIT_MAX),
    F(lb_improvement, "ti", K_STR, title, NAME_MAX_B),
    F(lb_improvement, "de", K_STR, description, TEXT_MAX),
    F(lb_improvement, "fu", K_ID, followup_id, 0),
    F(lb_improvement, "st", K_ENUM, status, LB_IMPROVEMENT_STATUS_COUNT),
    F(lb_improvement, "ia", K_TIME, identified_at, 0),
    F(lb_improvement, "ima", K_TIME, implemented_at, 0),
};

static const struct codec_field meeting_item_fields[] = {
    F(lb_meeting_item, "t", K_ENUM, type, LB_MEETING_ITEM_TYPE_COUNT),
    F(lb_meeting_item, "tx", K_STR, text, TEXT_MAX),
};
static const struct codec_desc meeting_item_desc = {
    meeting_item_fields, NFIELDS(meeting_item_fields), sizeof(struct lb_meeting_item), false};

static const struct codec_field meeting_company_fields[] = {
    F(lb_meeting_company, "co", K_ID, company_id, 0),
    F(lb_meeting_company, "n", K_U32, persons, 0),
};
static const struct codec_desc meeting_company_desc = {meeting_company_fields,
                                                       NFIELDS(meeting_company_fields),
                                                       sizeof(struct lb_meeting_company), false};

static const struct codec_field meeting_staff_fields[] = {
    F(lb_meeting_staff, "u", K_STR, unit, UNIT_MAX),
    F(lb_meeting_staff, "n", K_U32, count, 0),
};
static const struct codec_desc meeting_staff_desc = {
    meeting_staff_fields, NFIELDS(meeting_staff_fields), sizeof(struct lb_meeting_staff), false};

static const struct codec_field meeting_fields[] = {
    META(lb_meeting),
    F(lb_meeting, "k", K_ENUM, kind, LB_MEETING_KIND_COUNT),
    F(lb_meeting, "ti", K_STR, title, NAME_MAX_B),
    F(lb_meeting, "sa", K_TIME, starts_at, 0),
    F(lb_meeting, "pl", K_STR, place, NAME_MAX_B),
    F(lb_meeting, "u", K_STR, unit, UNIT_MAX),
    FS(lb_meeting, "ac", actions, nactions, 64),
    F(lb_meeting, "no", K_STR, notes, TEXT_MAX),
    FA(lb_meeting, "it", items, nitems, 200, &meeting_item_desc),
    FA(lb_meeting, "co", companies, ncompanies, 2000, &meeting_company_desc),
    FA(lb_meeting, "st", staff, nstaff, 64, &meeting_staff_desc),
    F(lb_meeting, "tok", K_STR, eval_token, 64),
    F(lb_meeting, "th", K_OHASH32, eval_hash, 0),
    F(lb_meeting, "tea", K_TIME, eval_expires_at, 0),
};

static const struct codec_field meeting_eval_fields[] = {
    META(lb_meeting_eval),
    F(lb_meeting_eval, "m", K_ID, meeting_id, 0),
    F(lb_meeting_eval, "r", K_U32, relevant, 0),
    F(lb_meeting_eval, "kn", K_U32, knowledge, 0),
    F(lb_meeting_eval, "cm", K_STR, comment, TEXT_MAX),
    F(lb_meeting_eval, "pa", K_BOOL, paper, 0),
    F(lb_meeting_eval, "co", K_ID, company_id, 0),
};

static const struct codec_field user_fields[] = {
    META(lb_user),
    F(lb_user, "un", K_STR, username, USERNAME_MAX),
    F(lb_user, "ph", K_STR, password_hash, 1024),
    F(lb_user, "r", K_ENUM, role, LB_ROLE_COUNT),
    FS(lb_user, "us", units, nunits, LB_UNITS_MAX),
    F(lb_user, "dis", K_BOOL, disabled, 0),
    F(lb_user, "dn", K_STR, display_name, NAME_MAX_B),
    F(lb_user, "pca", K_TIME, password_changed_at, 0),
};

static const struct codec_field session_fields[] = {
    F(lb_session, "th", K_HASH32, token_hash, 0),
    F(lb_session, "un", K_STR, username, USERNAME_MAX),
    F(lb_session, "ca", K_TIME, created_at, 0),
    F(lb_session, "ea", K_TIME, expires_at, 0),
};

static const struct codec_field survey_token_fields[] = {
    F(lb_survey_token, "th", K_HASH32, token_hash, 0),
    F(lb_survey_token, "k", K_ENUM, kind, LB_SURVEY_KIND_COUNT),
    F(lb_survey_token, "tg", K_ID, target_id, 0),
    F(lb_survey_token, "ca", K_TIME, created_at, 0),
    F(lb_survey_token, "ea", K_TIME, expires_at, 0),
    F(lb_survey_token, "n", K_U32, answers, 0),
    F(lb_survey_token, "max", K_U32, max_answers, 0),
};

static const struct codec_field idem_company_fields[] = {
    F(lb_idem_company, "id", K_ID, id, 0),
};
static const struct codec_desc idem_company_desc = {
    idem_company_fields, NFIELDS(idem_company_fields), sizeof(struct lb_idem_company), false};

static const struct codec_field idempotency_fields[] = {
    F(lb_idempotency, "rh", K_HASH32, request_hash, 0),
    F(lb_idempotency, "s", K_INT, status, 0),
    F(lb_idempotency, "loc", K_STR, location, 2048),
    F(lb_idempotency, "b", K_STR, body, LB_CODEC_DOC_MAX),
    F(lb_idempotency, "at", K_TIME, at, 0),
    F(lb_idempotency, "cl", K_OENUM, cls, LB_IDEM_CLASS_COUNT),
    F(lb_idempotency, "sq", K_ID, seq, 0),
    FA(lb_idempotency, "co", companies, ncompanies, LB_IDEM_COMPANIES_MAX, &idem_company_desc),
};

static const struct codec_field snapshot_fields[] = {
    META(lb_snapshot),
    F(lb_snapshot, "q", K_CHARS, quarter, sizeof(((struct lb_snapshot *)0)->quarter)),
    F(lb_snapshot, "seq", K_U64, source_seq, 0),
    F(lb_snapshot, "js", K_STR, json, LB_CODEC_DOC_MAX),
    F(lb_snapshot, "pub", K_STR, json_public, LB_CODEC_DOC_MAX),
};

static const struct codec_field plan_header_fields[] = {
    META(lb_plan_header),
    F(lb_plan_header, "js", K_STR, json, LB_CODEC_DOC_MAX),
};

static const struct codec_field plan_action_fields[] = {
    META(lb_plan_action),
    F(lb_plan_action, "cd", K_CHARS, code, sizeof(((struct lb_plan_action *)0)->code)),
    F(lb_plan_action, "ar", K_U32, area, 0),
    F(lb_plan_action, "js", K_STR, json, LB_CODEC_DOC_MAX),
};

static const struct codec_field plan_followup_fields[] = {
    META(lb_plan_followup),
    F(lb_plan_followup, "cd", K_CHARS, code, sizeof(((struct lb_plan_followup *)0)->code)),
    F(lb_plan_followup, "yr", K_U16, year, 0),
    F(lb_plan_followup, "js", K_STR, json, LB_CODEC_DOC_MAX),
};

/* ------------------------------------------------------------------------ */
/* Reader: a cursor over untrusted bytes. Every function checks that what it
 * reads is there; none allocates. */

struct rd {
    const uint8_t *p;
    size_t n; /* bytes remaining */
};

static bool rd_take(struct rd *r, size_t k, const uint8_t **at)
{
    if (k > r->n)
        return false;
    *at = r->p;
    r->p += k;
    r->n -= k;
    return true;
}

/* Reads a k-byte big-endian unsigned (k = 1, 2, 4 or 8). */
static bool rd_be(struct rd *r, size_t k, uint64_t *v)
{
    const uint8_t *b;
    if (!rd_take(r, k, &b))
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < k; i++)
        x = (x << 8) | b[i];
    *v = x;
    return true;
}

static bool rd_peek(const struct rd *r, uint8_t *b)
{
    if (r->n == 0)
        return false;
    *b = r->p[0];
    return true;
}

/* Consumes a nil if one is next; returns whether it did. */
static bool rd_nil(struct rd *r)
{
    if (r->n > 0 && r->p[0] == 0xc0) {
        r->p++;
        r->n--;
        return true;
    }
    return false;
}

/* Reads any msgpack integer. *neg tells whether it is negative; *u holds the
 * value (non-negative) or *s (negative). */
static bool rd_int(struct rd *r, bool *neg, uint64_t *u, int64_t *s)
{
    uint8_t b;
    const uint8_t *t;
    uint64_t v;
    if (!rd_take(r, 1, &t))
        return false;
    b = t[0];
    *neg = false;
    if (b <= 0x7f) {
        *u = b;
        return true;
    }
    if (b >= 0xe0) {
        *neg = true;
        *s = (int8_t)b;
        return true;
    }
    switch (b) {
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        if (!rd_be(r, (size_t)1 << (b - 0xcc), &v))
            return false;
        *u = v;
        return true;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
        size_t k = (size_t)1 << (b - 0xd0);
        if (!rd_be(r, k, &v))
            return false;
        int64_t x;
        if (k == 1)
            x = (int8_t)(uint8_t)v;
        else if (k == 2)
            x = (int16_t)(uint16_t)v;
        else if (k == 4)
            x = (int32_t)(uint32_t)v;
        else
            x = (int64_t)v; /* two's complement on every platform we build for */
        if (x >= 0) {
            *u = (uint64_t)x;
        } else {
            *neg = true;
            *s = x;
        }
        return true;
    }
    default:
        return false;
    }
}

static bool rd_uint(struct rd *r, uint64_t max, uint64_t *out)
{
    bool neg;
    uint64_t u = 0;
    int64_t s = 0;
    if (!rd_int(r, &neg, &u, &s) || neg || u > max)
        return false;
    *out = u;
    return true;
}

static bool rd_sint(struct rd *r, int64_t min, int64_t max, int64_t *out)
{
    bool neg;
    uint64_t u = 0;
    int64_t s = 0;
    if (!rd_int(r, &neg, &u, &s))
        return false;
    if (!neg) {
        if (u > (uint64_t)INT64_MAX)
            return false;
        s = (int64_t)u;
    }
    if (s < min || s > max)
        return false;
    *out = s;
    return true;
}

/* Reads a str header and body; *s points into the input, not NUL-terminated. */
static bool rd_str(struct rd *r, const uint8_t **s, size_t *len)
{
    const uint8_t *t;
    uint64_t l;
    if (!rd_take(r, 1, &t))
        return false;
    if ((t[0] & 0xe0) == 0xa0)
        l = t[0] & 0x1f;
    else if (t[0] == 0xd9 || t[0] == 0xda || t[0] == 0xdb) {
        if (!rd_be(r, (size_t)1 << (t[0] - 0xd9), &l))
            return false;
    } else
        return false;
    if (l > r->n)
        return false;
    *len = (size_t)l;
    return rd_take(r, (size_t)l, s);
}

/* Reads a map (is_map) or array header; the count is checked against the bytes
 * remaining (each entry takes at least one byte per element). */
static bool rd_container(struct rd *r, bool is_map, uint64_t *count)
{
    const uint8_t *t;
    uint64_t c;
    if (!rd_take(r, 1, &t))
        return false;
    uint8_t fix = is_map ? 0x80 : 0x90;
    uint8_t b16 = is_map ? 0xde : 0xdc;
    if ((t[0] & 0xf0) == fix)
        c = t[0] & 0x0f;
    else if (t[0] == b16 || t[0] == b16 + 1) {
        if (!rd_be(r, t[0] == b16 ? 2 : 4, &c))
            return false;
    } else
        return false;
    if (c > r->n || (is_map && c * 2 > r->n))
        return false;
    *count = c;
    return true;
}

/* Skips one well-formed value. depth is the depth of this value (the outer
 * record map is 1); containers deeper than LB_CODEC_MAX_DEPTH are refused.
 * Work is bounded by the input: every element consumes at least one byte. */
static bool rd_skip(struct rd *r, int depth)
{
    uint8_t b;
    uint64_t n;
    const uint8_t *t;
    if (depth > LB_CODEC_MAX_DEPTH || !rd_peek(r, &b))
        return false;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return rd_take(r, 1, &t);
    if ((b & 0xe0) == 0xa0 || (b >= 0xd9 && b <= 0xdb)) {
        size_t len;
        return rd_str(r, &t, &len);
    }
    if ((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf || (b & 0xf0) == 0x90 || b == 0xdc ||
        b == 0xdd) {
        bool is_map = (b & 0xf0) == 0x80 || b == 0xde || b == 0xdf;
        if (!rd_container(r, is_map, &n))
            return false;
        uint64_t items = is_map ? n * 2 : n;
        for (uint64_t i = 0; i < items; i++)
            if (!rd_skip(r, depth + 1))
                return false;
        return true;
    }
    rd_take(r, 1, &t);
    switch (b) {
    case 0xc4: /* bin 8/16/32 */
    case 0xc5:
    case 0xc6:
        return rd_be(r, (size_t)1 << (b - 0xc4), &n) && n <= r->n && rd_take(r, (size_t)n, &t);
    case 0xc7: /* ext 8/16/32: length, type byte, data */
    case 0xc8:
    case 0xc9:
        return rd_be(r, (size_t)1 << (b - 0xc7), &n) && n < r->n && rd_take(r, (size_t)n + 1, &t);
    case 0xca:
        return rd_take(r, 4, &t);
    case 0xcb:
        return rd_take(r, 8, &t);
    case 0xcc:
    case 0xd0:
        return rd_take(r, 1, &t);
    case 0xcd:
    case 0xd1:
        return rd_take(r, 2, &t);
    case 0xce:
    case 0xd2:
        return rd_take(r, 4, &t);
    case 0xcf:
    case 0xd3:
        return rd_take(r, 8, &t);
    case 0xd4: /* fixext 1/2/4/8/16: type byte + data */
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        return rd_take(r, 1 + ((size_t)1 << (b - 0xd4)), &t);
    default: /* 0xc1 is never used */
        return false;
    }
}

/* ------------------------------------------------------------------------ */
/* Decoder */

/* Whether s[0..len) is well-formed UTF-8 without NUL: no overlong forms, no
 * surrogates, nothing above U+10FFFF (records.h promises UTF-8, and jansson
 * refuses anything else when a record is turned into JSON). */
static bool valid_utf8(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n > len - i - 1)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

/* Copies a string of len bytes into a fresh NUL-terminated allocation. Rejects
 * a string over max bytes and anything but UTF-8 without NUL (a NUL would
 * silently truncate the copy). */
static int dup_str(const uint8_t *s, size_t len, uint32_t max, char **out)
{
    if (len > max || len > LB_CODEC_DOC_MAX || !valid_utf8(s, len))
        return LB_ECORRUPT;
    char *c = malloc(len + 1);
    if (c == NULL)
        return LB_ENOMEM;
    memcpy(c, s, len);
    c[len] = '\0';
    *out = c;
    return 0;
}

/* Reads a string field value: nil gives NULL. */
static int read_str_field(struct rd *r, uint32_t max, char **out)
{
    const uint8_t *s;
    size_t len;
    if (rd_nil(r))
        return 0;
    if (!rd_str(r, &s, &len))
        return LB_ECORRUPT;
    return dup_str(s, len, max, out);
}

/* Puts the "absent" values into a zeroed struct (times and dates). */
static void set_defaults(const struct codec_desc *d, void *obj)
{
    for (size_t i = 0; i < d->nfields; i++) {
        char *at = (char *)obj + d->fields[i].off;
        if (d->fields[i].kind == K_TIME)
            *(lb_time *)at = LB_TIME_NONE;
        else if (d->fields[i].kind == K_DATE)
            *(lb_date *)at = LB_DATE_NONE;
    }
}

static int decode_map(struct rd *r, const struct codec_desc *d, void *obj, int depth);

static bool key_is(const uint8_t *k, size_t klen, const char *name)
{
    return strlen(name) == klen && memcmp(k, name, klen) == 0;
}

/* Keys are one to three bytes: compared in place, no memcmp call. */
static inline bool field_is(const struct codec_field *f, const uint8_t *k, size_t klen)
{
    if (f->klen != klen)
        return false;
    for (size_t i = 0; i < klen; i++)
        if ((uint8_t)f->key[i] != k[i])
            return false;
    return true;
}

/* Decodes the value of one field into obj. Anything it allocates is stored in
 * obj at once (arrays with their count set and elements zeroed), so the
 * record's clear function frees it whatever happens next. */
static int decode_field(struct rd *r, const struct codec_field *f, void *obj, int depth)
{
    char *at = (char *)obj + f->off;
    uint64_t u;
    int64_t s;
    const uint8_t *t;
    size_t len;

    switch (f->kind) {
    case K_U64:
        if (!rd_uint(r, UINT64_MAX, &u))
            return LB_ECORRUPT;
        *(uint64_t *)at = u;
        return 0;
    case K_U32:
        if (!rd_uint(r, UINT32_MAX, &u))
            return LB_ECORRUPT;
        *(uint32_t *)at = (uint32_t)u;
        return 0;
    case K_U16:
        if (!rd_uint(r, UINT16_MAX, &u))
            return LB_ECORRUPT;
        *(uint16_t *)at = (uint16_t)u;
        return 0;
    case K_I32:
        if (!rd_sint(r, INT32_MIN, INT32_MAX, &s))
            return LB_ECORRUPT;
        *(int32_t *)at = (int32_t)s;
        return 0;
    case K_INT:
        if (!rd_sint(r, INT32_MIN, INT32_MAX, &s))
            return LB_ECORRUPT;
        *(int *)at = (int)s;
        return 0;
    case K_BOOL:
        if (!rd_take(r, 1, &t) || (t[0] != 0xc2 && t[0] != 0xc3))
            return LB_ECORRUPT;
        *(bool *)at = t[0] == 0xc3;
        return 0;
    case K_ENUM:
        if (!rd_uint(r, f->max - 1, &u))
            return LB_ECORRUPT;
        *(unsigned *)at = (unsigned)u;
        return 0;
    case K_CHARS:
        if (!rd_str(r, &t, &len) || len >= f->max || !valid_utf8(t, len))
            return LB_ECORRUPT;
        memset(at, 0, f->max);
        memcpy(at, t, len);
        return 0;
    case K_HASH32:
        if (!rd_take(r, 1, &t) || t[0] != 0xc4 || !rd_take(r, 1, &t) || t[0] != 32 ||
            !rd_take(r, 32, &t))
            return LB_ECORRUPT;
        memcpy(at, t, 32);
        return 0;
    case K_ID:
        if (rd_nil(r)) {
            *(lb_id *)at = 0;
            return 0;
        }
        if (!rd_uint(r, UINT64_MAX, &u))
            return LB_ECORRUPT;
        *(lb_id *)at = u;
        return 0;
    case K_TIME:
        if (rd_nil(r)) {
            *(lb_time *)at = LB_TIME_NONE;
            return 0;
        }
        if (!rd_sint(r, INT64_MIN, INT64_MAX, &s))
            return LB_ECORRUPT;
        *(lb_time *)at = s;
        return 0;
    case K_DATE:
        if (rd_nil(r)) {
            *(lb_date *)at = LB_DATE_NONE;
            return 0;
        }
        if (!rd_sint(r, INT32_MIN, INT32_MAX, &s))
            return LB_ECORRUPT;
        *(lb_date *)at = (lb_date)s;
        return 0;
    case K_STR:
        return read_str_field(r, f->max, (char **)at);
    case K_OBOOL:
        if (rd_nil(r)) {
            *(bool *)at = false;
            return 0;
        }
        if (!rd_take(r, 1, &t) || (t[0] != 0xc2 && t[0] != 0xc3))
            return LB_ECORRUPT;
        *(bool *)at = t[0] == 0xc3;
        return 0;
    case K_OENUM:
        if (rd_nil(r)) {
            *(unsigned *)at = 0;
            return 0;
        }
        if (!rd_uint(r, f->max - 1, &u))
            return LB_ECORRUPT;
        *(unsigned *)at = (unsigned)u;
        return 0;
    case K_OU32:
        if (rd_nil(r)) {
            *(uint32_t *)at = 0;
            return 0;
        }
        if (!rd_uint(r, UINT32_MAX, &u))
            return LB_ECORRUPT;
        *(uint32_t *)at = (uint32_t)u;
        return 0;
    case K_OHASH32:
        if (rd_nil(r)) {
            memset(at, 0, 32);
            return 0;
        }
        if (!rd_take(r, 1, &t) || t[0] != 0xc4 || !rd_take(r, 1, &t) || t[0] != 32 ||
            !rd_take(r, 32, &t))
            return LB_ECORRUPT;
        memcpy(at, t, 32);
        return 0;
    case K_ARRAY:
    case K_STRARR: {
        if (rd_nil(r))
            return 0;
        if (depth + 1 > LB_CODEC_MAX_DEPTH || !rd_container(r, false, &u) || u > f->max)
            return LB_ECORRUPT;
        if (u == 0)
            return 0;
        size_t esize = f->kind == K_ARRAY ? f->elem->size : sizeof(char *);
        void *arr = calloc((size_t)u, esize);
        if (arr == NULL)
            return LB_ENOMEM;
        *(void **)at = arr;
        *(uint32_t *)((char *)obj + f->count_off) = (uint32_t)u;
        for (uint64_t i = 0; i < u; i++) {
            int rc;
            if (f->kind == K_ARRAY) {
                void *el = (char *)arr + i * esize;
                set_defaults(f->elem, el);
                rc = decode_map(r, f->elem, el, depth + 2);
            } else {
                /* units in a user: strings, nil not allowed */
                if (!rd_str(r, &t, &len))
                    return LB_ECORRUPT;
                rc = dup_str(t, len, UNIT_MAX, &((char **)arr)[i]);
            }
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    }
    return LB_ECORRUPT;
}

/* Decodes one map described by d into obj (already zeroed and defaulted).
 * depth is the map's own depth. On failure obj may hold partial allocations,
 * all reachable for the owner's clear function. */
static int decode_map(struct rd *r, const struct codec_desc *d, void *obj, int depth)
{
    uint64_t n;
    uint64_t seen = 0;
    size_t hint = 0;
    bool have_v = false;
    _Static_assert(NFIELDS(handoff_fields) < 64, "seen is a 64-bit mask");

    if (depth > LB_CODEC_MAX_DEPTH || !rd_container(r, true, &n))
        return LB_ECORRUPT;
    for (uint64_t e = 0; e < n; e++) {
        const uint8_t *key;
        size_t klen;
        if (!rd_str(r, &key, &klen))
            return LB_ECORRUPT;
        if (d->versioned && klen == 1 && key[0] == 'v') {
            uint64_t v;
            if (have_v || !rd_uint(r, LB_SCHEMA_VERSION, &v) || v < 1)
                return LB_ECORRUPT;
            have_v = true;
            continue;
        }
        /* The encoder writes fields in table order: try the one after the
         * last match first, then scan. */
        size_t i = hint;
        if (i >= d->nfields || !field_is(&d->fields[i], key, klen))
            for (i = 0; i < d->nfields; i++)
                if (field_is(&d->fields[i], key, klen))
                    break;
        hint = i + 1;
        if (i == d->nfields) {
            if (!rd_skip(r, depth + 1))
                return LB_ECORRUPT;
            continue;
        }
        if (seen & ((uint64_t)1 << i))
            return LB_ECORRUPT;
        seen |= (uint64_t)1 << i;
        int rc = decode_field(r, &d->fields[i], obj, depth);
        if (rc != 0)
            return rc;
    }
    if (d->versioned && !have_v)
        return LB_ECORRUPT;
    for (size_t i = 0; i < d->nfields; i++)
        if (d->fields[i].kind < K_ID && !(seen & ((uint64_t)1 << i)))
            return LB_ECORRUPT;
    return 0;
}

/* Decodes a whole buffer holding exactly one record. On failure the record is
 * cleared with clear() and zeroed. */
static int decode_record(const struct codec_desc *d, const void *buf, size_t len, void *out,
                         void (*clear)(void *))
{
    if (out == NULL)
        return LB_EINVAL;
    memset(out, 0, d->size);
    if (buf == NULL)
        return LB_ECORRUPT;
    set_defaults(d, out);
    struct rd r = {buf, len};
    int rc = decode_map(&r, d, out, 1);
    if (rc == 0 && r.n != 0)
        rc = LB_ECORRUPT;
    if (rc != 0) {
        clear(out);
        memset(out, 0, d->size);
    }
    return rc;
}

int lb_case_company_id(const void *buf, size_t len, lb_id *out)
{
    struct rd r = {buf, len};
    uint64_t n, v, co = 0;
    bool have_v = false, have_co = false;
    *out = 0;
    if (buf == NULL || !rd_container(&r, true, &n))
        return LB_ECORRUPT;
    for (uint64_t e = 0; e < n; e++) {
        const uint8_t *key;
        size_t klen;
        if (!rd_str(&r, &key, &klen))
            return LB_ECORRUPT;
        if (key_is(key, klen, "v")) {
            if (have_v || !rd_uint(&r, LB_SCHEMA_VERSION, &v) || v < 1)
                return LB_ECORRUPT;
            have_v = true;
        } else if (key_is(key, klen, "co")) {
            if (have_co || (!rd_nil(&r) && !rd_uint(&r, UINT64_MAX, &co)))
                return LB_ECORRUPT;
            have_co = true;
        } else if (!rd_skip(&r, 2)) {
            return LB_ECORRUPT;
        }
    }
    if (!have_v || r.n != 0)
        return LB_ECORRUPT;
    *out = co;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Encoder */

static bool field_present(const struct codec_field *f, const void *obj)
{
    const char *at = (const char *)obj + f->off;
    switch (f->kind) {
    case K_ID:
        return *(const lb_id *)at != 0;
    case K_TIME:
        return *(const lb_time *)at != LB_TIME_NONE;
    case K_DATE:
        return *(const lb_date *)at != LB_DATE_NONE;
    case K_STR:
        return *(char *const *)at != NULL;
    case K_ARRAY:
    case K_STRARR:
        return *(const uint32_t *)((const char *)obj + f->count_off) != 0;
    case K_OBOOL:
        return *(const bool *)at;
    case K_OENUM:
        return *(const unsigned *)at != 0;
    case K_OU32:
        return *(const uint32_t *)at != 0;
    case K_OHASH32: {
        static const uint8_t zero[32];
        return memcmp(at, zero, 32) != 0;
    }
    default:
        return true;
    }
}

/* Checks a string against what the decoder accepts: LB_ETOOBIG over max
 * bytes, LB_EINVAL when it is not UTF-8. */
static int check_str(const char *s, uint32_t max)
{
    size_t len = strlen(s);
    if (len > max)
        return LB_ETOOBIG;
    return valid_utf8((const uint8_t *)s, len) ? 0 : LB_EINVAL;
}

/* Maps a packer result (0 or -1 when the sbuffer cannot grow) to lb_err. */
#define PK(call)                                                                                   \
    do {                                                                                           \
        if ((call) != 0)                                                                           \
            return LB_ENOMEM;                                                                      \
    } while (0)

static int encode_map(msgpack_packer *pk, const struct codec_desc *d, const void *obj);

/* Validates then packs one field's value (its key is already packed). */
static int encode_value(msgpack_packer *pk, const struct codec_field *f, const void *obj)
{
    const char *at = (const char *)obj + f->off;
    switch (f->kind) {
    case K_U64:
    case K_ID:
        PK(msgpack_pack_uint64(pk, *(const uint64_t *)at));
        return 0;
    case K_U32:
        PK(msgpack_pack_uint64(pk, *(const uint32_t *)at));
        return 0;
    case K_U16:
        PK(msgpack_pack_uint64(pk, *(const uint16_t *)at));
        return 0;
    case K_I32:
    case K_DATE:
        PK(msgpack_pack_int64(pk, *(const int32_t *)at));
        return 0;
    case K_INT:
        PK(msgpack_pack_int64(pk, *(const int *)at));
        return 0;
    case K_TIME:
        PK(msgpack_pack_int64(pk, *(const lb_time *)at));
        return 0;
    case K_BOOL:
    case K_OBOOL:
        PK(*(const bool *)at ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
        return 0;
    case K_OU32:
        PK(msgpack_pack_uint64(pk, *(const uint32_t *)at));
        return 0;
    case K_ENUM:
    case K_OENUM: {
        unsigned v = *(const unsigned *)at;
        if (v >= f->max)
            return LB_EINVAL;
        PK(msgpack_pack_uint64(pk, v));
        return 0;
    }
    case K_CHARS: {
        size_t len = strnlen(at, f->max);
        if (len >= f->max || !valid_utf8((const uint8_t *)at, len))
            return LB_EINVAL;
        PK(msgpack_pack_str_with_body(pk, at, len));
        return 0;
    }
    case K_HASH32:
    case K_OHASH32:
        PK(msgpack_pack_bin_with_body(pk, at, 32));
        return 0;
    case K_STR: {
        const char *s = *(char *const *)at;
        int rc = check_str(s, f->max);
        if (rc != 0)
            return rc;
        PK(msgpack_pack_str_with_body(pk, s, strlen(s)));
        return 0;
    }
    case K_ARRAY:
    case K_STRARR: {
        uint32_t n = *(const uint32_t *)((const char *)obj + f->count_off);
        const void *arr = *(const void *const *)at;
        if (n > f->max)
            return LB_ETOOBIG;
        if (arr == NULL)
            return LB_EINVAL;
        PK(msgpack_pack_array(pk, n));
        for (uint32_t i = 0; i < n; i++) {
            int rc;
            if (f->kind == K_ARRAY) {
                rc = encode_map(pk, f->elem, (const char *)arr + (size_t)i * f->elem->size);
            } else {
                const char *s = ((const char *const *)arr)[i];
                if (s == NULL)
                    return LB_EINVAL;
                rc = check_str(s, UNIT_MAX);
                if (rc == 0 && msgpack_pack_str_with_body(pk, s, strlen(s)) != 0)
                    rc = LB_ENOMEM;
            }
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    }
    return LB_EINTERNAL;
}

static int encode_map(msgpack_packer *pk, const struct codec_desc *d, const void *obj)
{
    size_t n = d->versioned ? 1 : 0;
    for (size_t i = 0; i < d->nfields; i++)
        n += field_present(&d->fields[i], obj);
    PK(msgpack_pack_map(pk, n));
    if (d->versioned) {
        PK(msgpack_pack_str_with_body(pk, "v", 1));
        PK(msgpack_pack_uint64(pk, LB_SCHEMA_VERSION));
    }
    for (size_t i = 0; i < d->nfields; i++) {
        const struct codec_field *f = &d->fields[i];
        if (!field_present(f, obj))
            continue;
        PK(msgpack_pack_str_with_body(pk, f->key, strlen(f->key)));
        int rc = encode_value(pk, f, obj);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Appends one record to out; on failure out is restored to its former size. */
static int encode_record(const struct codec_desc *d, const void *obj, msgpack_sbuffer *out)
{
    if (obj == NULL || out == NULL)
        return LB_EINVAL;
    size_t before = out->size;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    int rc = encode_map(&pk, d, obj);
    if (rc != 0)
        out->size = before;
    return rc;
}

#define LB_CODEC_DEFINE(type)                                                                      \
    static const struct codec_desc type##_desc = {type##_fields, NFIELDS(type##_fields),           \
                                                  sizeof(struct lb_##type), true};                 \
    static void type##_clear_any(void *r)                                                          \
    {                                                                                              \
        lb_##type##_clear(r);                                                                      \
    }                                                                                              \
    int lb_##type##_encode(const struct lb_##type *r, msgpack_sbuffer *out)                        \
    {                                                                                              \
        return encode_record(&type##_desc, r, out);                                                \
    }                                                                                              \
    int lb_##type##_decode(const void *buf, size_t len, struct lb_##type *out)                     \
    {                                                                                              \
        return decode_record(&type##_desc, buf, len, out, type##_clear_any);                       \
    }

LB_CODEC_DEFINE(company)
LB_CODEC_DEFINE(case)
LB_CODEC_DEFINE(contact)
LB_CODEC_DEFINE(handoff)
LB_CODEC_DEFINE(followup)
LB_CODEC_DEFINE(improvement)
LB_CODEC_DEFINE(meeting)
LB_CODEC_DEFINE(meeting_eval)
LB_CODEC_DEFINE(user)
LB_CODEC_DEFINE(session)
LB_CODEC_DEFINE(survey_token)
LB_CODEC_DEFINE(idempotency)
LB_CODEC_DEFINE(snapshot)
LB_CODEC_DEFINE(plan_header)
LB_CODEC_DEFINE(plan_action)
LB_CODEC_DEFINE(plan_followup)

/* ------------------------------------------------------------------------ */
/* Event envelope */

#define EVENT_TYPE_MAX 128u
#define EVENT_ACTOR_MAX USERNAME_MAX

/* Whether buf holds exactly one well-formed msgpack map within the depth limit
 * (the envelope is depth 1, so data is depth 2). */
static bool is_one_map(const uint8_t *buf, size_t len)
{
    struct rd r = {buf, len};
    uint8_t b;
    if (!rd_peek(&r, &b) || !((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf))
        return false;
    return rd_skip(&r, 2) && r.n == 0;
}

/* Packs {seq, type, at, actor, id, data} with data written verbatim. LB_EINVAL
 * when type or actor is NULL or not UTF-8, or data is not one well-formed map;
 * LB_ETOOBIG when type or actor is over its bound. out is unchanged on failure. */
int lb_event_encode(const struct lb_event *ev, msgpack_sbuffer *out)
{
    if (ev == NULL || out == NULL || ev->type == NULL || ev->actor == NULL || ev->data == NULL)
        return LB_EINVAL;
    int rc = check_str(ev->type, EVENT_TYPE_MAX);
    if (rc == 0)
        rc = check_str(ev->actor, EVENT_ACTOR_MAX);
    if (rc != 0)
        return rc;
    if (!is_one_map(ev->data, ev->data_len))
        return LB_EINVAL;
    size_t before = out->size;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    if (msgpack_pack_map(&pk, 6) != 0 || msgpack_pack_str_with_body(&pk, "seq", 3) != 0 ||
        msgpack_pack_uint64(&pk, ev->seq) != 0 || msgpack_pack_str_with_body(&pk, "type", 4) != 0 ||
        msgpack_pack_str_with_body(&pk, ev->type, strlen(ev->type)) != 0 ||
        msgpack_pack_str_with_body(&pk, "at", 2) != 0 || msgpack_pack_int64(&pk, ev->at) != 0 ||
        msgpack_pack_str_with_body(&pk, "actor", 5) != 0 ||
        msgpack_pack_str_with_body(&pk, ev->actor, strlen(ev->actor)) != 0 ||
        msgpack_pack_str_with_body(&pk, "id", 2) != 0 || msgpack_pack_uint64(&pk, ev->id) != 0 ||
        msgpack_pack_str_with_body(&pk, "data", 4) != 0 ||
        msgpack_sbuffer_write(out, (const char *)ev->data, ev->data_len) != 0) {
        out->size = before;
        return LB_ENOMEM;
    }
    return 0;
}

/* Decodes one envelope filling every field; all six keys are required, each
 * once; unknown keys are skipped. */
static int event_decode_map(struct rd *r, struct lb_event *out)
{
    uint64_t n, u;
    unsigned seen = 0;
    if (!rd_container(r, true, &n))
        return LB_ECORRUPT;
    for (uint64_t e = 0; e < n; e++) {
        const uint8_t *k, *s;
        size_t klen, len;
        unsigned bit;
        int rc = 0;
        if (!rd_str(r, &k, &klen))
            return LB_ECORRUPT;
        if (key_is(k, klen, "seq")) {
            bit = 1;
            if (!rd_uint(r, UINT64_MAX, &u))
                return LB_ECORRUPT;
            out->seq = u;
        } else if (key_is(k, klen, "type")) {
            bit = 2;
            if (out->type != NULL || !rd_str(r, &s, &len))
                return LB_ECORRUPT;
            rc = dup_str(s, len, EVENT_TYPE_MAX, &out->type);
        } else if (key_is(k, klen, "at")) {
            bit = 4;
            if (!rd_sint(r, INT64_MIN, INT64_MAX, &out->at))
                return LB_ECORRUPT;
        } else if (key_is(k, klen, "actor")) {
            bit = 8;
            if (out->actor != NULL || !rd_str(r, &s, &len))
                return LB_ECORRUPT;
            rc = dup_str(s, len, EVENT_ACTOR_MAX, &out->actor);
        } else if (key_is(k, klen, "id")) {
            bit = 16;
            if (!rd_uint(r, UINT64_MAX, &u))
                return LB_ECORRUPT;
            out->id = u;
        } else if (key_is(k, klen, "data")) {
            bit = 32;
            const uint8_t *start = r->p;
            uint8_t b;
            if (out->data != NULL || !rd_peek(r, &b) ||
                !((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf) || !rd_skip(r, 2))
                return LB_ECORRUPT;
            size_t dlen = (size_t)(r->p - start);
            out->data = malloc(dlen);
            if (out->data == NULL)
                return LB_ENOMEM;
            memcpy(out->data, start, dlen);
            out->data_len = dlen;
        } else {
            if (!rd_skip(r, 2))
                return LB_ECORRUPT;
            continue;
        }
        if (rc != 0)
            return rc;
        if (seen & bit)
            return LB_ECORRUPT;
        seen |= bit;
    }
    return seen == 63 ? 0 : LB_ECORRUPT;
}

/* Decodes exactly one envelope from buf. On failure *out is cleared. */
int lb_event_decode(const void *buf, size_t len, struct lb_event *out)
{
    if (out == NULL)
        return LB_EINVAL;
    memset(out, 0, sizeof(*out));
    if (buf == NULL)
        return LB_ECORRUPT;
    struct rd r = {buf, len};
    int rc = event_decode_map(&r, out);
    if (rc == 0 && r.n != 0)
        rc = LB_ECORRUPT;
    if (rc != 0)
        lb_event_clear(out);
    return rc;
}
