/* enums.c: the closed vocabularies of DESIGN.md and their wire strings (enums.h).
 *
 * Each enumeration is one table of wire strings indexed by value; a NULL entry
 * is the NONE value of an optional enumeration, which has no string and is
 * never accepted from input. Lookup by string is a linear scan: the tables
 * have at most seven entries, so a hash would cost more than it saves.
 *
 * Units are configuration: a list of {code, Swedish display name}, parsed from
 * "code=Name;code2=Name 2" and defaulting to the seven units of DESIGN.md. */
#include "lotsbok/enums.h"

#include <string.h>

#include "lotsbok/error.h"

static int from_table(const char *const *table, int count, const char *s, int *out)
{
    if (s == NULL)
        return LB_EINVAL;
    for (int i = 0; i < count; i++) {
        if (table[i] != NULL && strcmp(table[i], s) == 0) {
            *out = i;
            return 0;
        }
    }
    return LB_EINVAL;
}

static const char *to_table(const char *const *table, int count, int v)
{
    if (v < 0 || v >= count)
        return NULL;
    return table[v];
}

/* Defines lb_<name>_from_str and lb_<name>_str over the table <name>_strs. */
#define LB_ENUM_DEFINE(name, COUNT)                                                                \
    int lb_##name##_from_str(const char *s, enum lb_##name *out)                                   \
    {                                                                                              \
        int v;                                                                                     \
        int rc = from_table(name##_strs, COUNT, s, &v);                                            \
        if (rc == 0)                                                                               \
            *out = (enum lb_##name)v;                                                              \
        return rc;                                                                                 \
    }                                                                                              \
    const char *lb_##name##_str(enum lb_##name v)                                                  \
    {                                                                                              \
        return to_table(name##_strs, COUNT, (int)v);                                               \
    }

static const char *const category_strs[LB_CATEGORY_COUNT] = {
    [LB_CATEGORY_ESTABLISHMENT] = "establishment",
    [LB_CATEGORY_EXPANSION] = "expansion",
    [LB_CATEGORY_PERMIT] = "permit",
    [LB_CATEGORY_PREMISES_LAND] = "premises_land",
    [LB_CATEGORY_PROCUREMENT] = "procurement",
    [LB_CATEGORY_RECRUITMENT] = "recruitment",
    [LB_CATEGORY_OTHER] = "other",
};
static const char *const channel_strs[LB_CHANNEL_COUNT] = {
    [LB_CHANNEL_PHONE] = "phone",     [LB_CHANNEL_EMAIL] = "email", [LB_CHANNEL_VISIT] = "visit",
    [LB_CHANNEL_MEETING] = "meeting", [LB_CHANNEL_VIDEO] = "video",
};
static const char *const direction_strs[LB_DIRECTION_COUNT] = {
    [LB_DIRECTION_INBOUND] = "inbound",
    [LB_DIRECTION_OUTBOUND] = "outbound",
};
static const char *const case_status_strs[LB_CASE_STATUS_COUNT] = {
    [LB_CASE_OPEN] = "open",
    [LB_CASE_CLOSED] = "closed",
};
static const char *const outcome_strs[LB_OUTCOME_COUNT] = {
    [LB_OUTCOME_NONE] = NULL,
    [LB_OUTCOME_RESOLVED] = "resolved",
    [LB_OUTCOME_REFERRED] = "referred",
    [LB_OUTCOME_WITHDRAWN] = "withdrawn",
    [LB_OUTCOME_NO_ACTION] = "no_action",
};
static const char *const handoff_status_strs[LB_HANDOFF_STATUS_COUNT] = {
    [LB_HANDOFF_SENT] = "sent",
    [LB_HANDOFF_ACKNOWLEDGED] = "acknowledged",
    [LB_HANDOFF_DECIDED] = "decided",
    [LB_HANDOFF_WITHDRAWN] = "withdrawn",
};
static const char *const decision_strs[LB_DECISION_COUNT] = {
    [LB_DECISION_NONE] = NULL,
    [LB_DECISION_GRANTED] = "granted",
    [LB_DECISION_REFUSED] = "refused",
    [LB_DECISION_ADVICE_GIVEN] = "advice_given",
    [LB_DECISION_WITHDRAWN] = "withdrawn",
    [LB_DECISION_OTHER] = "other",
};
static const char *const followup_kind_strs[LB_FOLLOWUP_KIND_COUNT] = {
    [LB_FOLLOWUP_KIND_LOTS] = "lots",
    [LB_FOLLOWUP_KIND_UNIT] = "unit",
};
static const char *const followup_status_strs[LB_FOLLOWUP_STATUS_COUNT] = {
    [LB_FOLLOWUP_SCHEDULED] = "scheduled",     [LB_FOLLOWUP_DONE] = "done",
    [LB_FOLLOWUP_NO_ANSWER] = "no_answer",     [LB_FOLLOWUP_DECLINED] = "declined",
    [LB_FOLLOWUP_UNREACHABLE] = "unreachable", [LB_FOLLOWUP_CANCELLED] = "cancelled",
};
static const char *const improvement_status_strs[LB_IMPROVEMENT_STATUS_COUNT] = {
    [LB_IMPROVEMENT_IDENTIFIED] = "identified",
    [LB_IMPROVEMENT_IMPLEMENTED] = "implemented",
    [LB_IMPROVEMENT_DROPPED] = "dropped",
};
static const char *const role_strs[LB_ROLE_COUNT] = {
    [LB_ROLE_ADMIN] = "admin",   [LB_ROLE_LOTS] = "lots",       [LB_ROLE_HANDLER] = "handler",
    [LB_ROLE_VIEWER] = "viewer", [LB_ROLE_SERVICE] = "service",
};

static const char *const answer_channel_strs[LB_ANSWER_CHANNEL_COUNT] = {
    [LB_ANSWER_CHANNEL_NONE] = NULL,
    [LB_ANSWER_CHANNEL_PHONE] = "phone",
    [LB_ANSWER_CHANNEL_EMAIL] = "email",
    [LB_ANSWER_CHANNEL_PAPER] = "paper",
};
static const char *const survey_status_strs[LB_SURVEY_STATUS_COUNT] = {
    [LB_SURVEY_NONE] = NULL,
    [LB_SURVEY_SENT] = "sent",
    [LB_SURVEY_ANSWERED] = "answered",
    [LB_SURVEY_BOUNCED] = "bounced",
    [LB_SURVEY_OPTED_OUT] = "opted_out",
};
static const char *const survey_kind_strs[LB_SURVEY_KIND_COUNT] = {
    [LB_SURVEY_KIND_NONE] = NULL,
    [LB_SURVEY_KIND_FOLLOWUP] = "followup",
    [LB_SURVEY_KIND_MEETING] = "meeting",
};

static const char *const meeting_kind_strs[LB_MEETING_KIND_COUNT] = {
    [LB_MEETING_BUSINESS] = "business_meeting",
    [LB_MEETING_CLUSTER] = "cluster_meeting",
    [LB_MEETING_INFRASTRUCTURE] = "infrastructure_meeting",
    [LB_MEETING_COMPANY_TRAINING] = "company_training",
    [LB_MEETING_STAFF_TRAINING] = "staff_training",
    [LB_MEETING_THEME_DAY] = "theme_day",
    [LB_MEETING_RECRUITMENT_FAIR] = "recruitment_fair",
    [LB_MEETING_DIALOGUE] = "dialogue",
    [LB_MEETING_OTHER] = "other",
};
static const char *const meeting_item_type_strs[LB_MEETING_ITEM_TYPE_COUNT] = {
    [LB_MEETING_ITEM_NEED] = "need",
    [LB_MEETING_ITEM_PROPOSAL] = "proposal",
    [LB_MEETING_ITEM_INPUT] = "input",
};

LB_ENUM_DEFINE(category, LB_CATEGORY_COUNT)
LB_ENUM_DEFINE(channel, LB_CHANNEL_COUNT)
LB_ENUM_DEFINE(direction, LB_DIRECTION_COUNT)
LB_ENUM_DEFINE(case_status, LB_CASE_STATUS_COUNT)
LB_ENUM_DEFINE(outcome, LB_OUTCOME_COUNT)
LB_ENUM_DEFINE(handoff_status, LB_HANDOFF_STATUS_COUNT)
LB_ENUM_DEFINE(decision, LB_DECISION_COUNT)
LB_ENUM_DEFINE(followup_kind, LB_FOLLOWUP_KIND_COUNT)
LB_ENUM_DEFINE(followup_status, LB_FOLLOWUP_STATUS_COUNT)
LB_ENUM_DEFINE(improvement_status, LB_IMPROVEMENT_STATUS_COUNT)
LB_ENUM_DEFINE(role, LB_ROLE_COUNT)
LB_ENUM_DEFINE(answer_channel, LB_ANSWER_CHANNEL_COUNT)
LB_ENUM_DEFINE(survey_status, LB_SURVEY_STATUS_COUNT)
LB_ENUM_DEFINE(survey_kind, LB_SURVEY_KIND_COUNT)
LB_ENUM_DEFINE(meeting_kind, LB_MEETING_KIND_COUNT)
LB_ENUM_DEFINE(meeting_item_type, LB_MEETING_ITEM_TYPE_COUNT)

/* Swedish display names; NULL for NONE values and out-of-range values. */
static const char *const category_sv[LB_CATEGORY_COUNT] = {
    [LB_CATEGORY_ESTABLISHMENT] = "Etablering",
    [LB_CATEGORY_EXPANSION] = "Expansion",
    [LB_CATEGORY_PERMIT] = "Tillstånd",
    [LB_CATEGORY_PREMISES_LAND] = "Lokaler och mark",
    [LB_CATEGORY_PROCUREMENT] = "Upphandling",
    [LB_CATEGORY_RECRUITMENT] = "Rekrytering",
    [LB_CATEGORY_OTHER] = "Övrigt",
};
static const char *const channel_sv[LB_CHANNEL_COUNT] = {
    [LB_CHANNEL_PHONE] = "Telefon", [LB_CHANNEL_EMAIL] = "E-post",    [LB_CHANNEL_VISIT] = "Besök",
    [LB_CHANNEL_MEETING] = "Möte",  [LB_CHANNEL_VIDEO] = "Videomöte",
};
static const char *const outcome_sv[LB_OUTCOME_COUNT] = {
    [LB_OUTCOME_RESOLVED] = "Löst",
    [LB_OUTCOME_REFERRED] = "Hänvisat",
    [LB_OUTCOME_WITHDRAWN] = "Återtaget",
    [LB_OUTCOME_NO_ACTION] = "Ingen åtgärd",
};
static const char *const decision_sv[LB_DECISION_COUNT] = {
    [LB_DECISION_GRANTED] = "Beviljat",
    [LB_DECISION_REFUSED] = "Avslag",
    [LB_DECISION_ADVICE_GIVEN] = "Råd lämnat",
    [LB_DECISION_WITHDRAWN] = "Återkallat",
    [LB_DECISION_OTHER] = "Annat",
};
static const char *const handoff_status_sv[LB_HANDOFF_STATUS_COUNT] = {
    [LB_HANDOFF_SENT] = "Skickad",
    [LB_HANDOFF_ACKNOWLEDGED] = "Mottagen",
    [LB_HANDOFF_DECIDED] = "Beslutad",
    [LB_HANDOFF_WITHDRAWN] = "Återtagen",
};
static const char *const followup_status_sv[LB_FOLLOWUP_STATUS_COUNT] = {
    [LB_FOLLOWUP_SCHEDULED] = "Planerad",   [LB_FOLLOWUP_DONE] = "Genomförd",
    [LB_FOLLOWUP_NO_ANSWER] = "Inget svar", [LB_FOLLOWUP_DECLINED] = "Avböjd",
    [LB_FOLLOWUP_UNREACHABLE] = "Ej nådd",  [LB_FOLLOWUP_CANCELLED] = "Inställd",
};

static const char *const answer_channel_sv[LB_ANSWER_CHANNEL_COUNT] = {
    [LB_ANSWER_CHANNEL_PHONE] = "Telefon",
    [LB_ANSWER_CHANNEL_EMAIL] = "E-post",
    [LB_ANSWER_CHANNEL_PAPER] = "Papper",
};
static const char *const survey_status_sv[LB_SURVEY_STATUS_COUNT] = {
    [LB_SURVEY_SENT] = "Väntar på e-postsvar",
    [LB_SURVEY_ANSWERED] = "Besvarad per e-post",
    [LB_SURVEY_BOUNCED] = "E-postadressen studsade",
    [LB_SURVEY_OPTED_OUT] = "Avregistrerad från e-postenkäter",
};

const char *lb_answer_channel_label_sv(enum lb_answer_channel v)
{
    return to_table(answer_channel_sv, LB_ANSWER_CHANNEL_COUNT, (int)v);
}

const char *lb_survey_status_label_sv(enum lb_survey_status v)
{
    return to_table(survey_status_sv, LB_SURVEY_STATUS_COUNT, (int)v);
}

const char *lb_category_label_sv(enum lb_category v)
{
    return to_table(category_sv, LB_CATEGORY_COUNT, (int)v);
}

const char *lb_channel_label_sv(enum lb_channel v)
{
    return to_table(channel_sv, LB_CHANNEL_COUNT, (int)v);
}

const char *lb_outcome_label_sv(enum lb_outcome v)
{
    return to_table(outcome_sv, LB_OUTCOME_COUNT, (int)v);
}

const char *lb_decision_label_sv(enum lb_decision v)
{
    return to_table(decision_sv, LB_DECISION_COUNT, (int)v);
}

const char *lb_handoff_status_label_sv(enum lb_handoff_status v)
{
    return to_table(handoff_status_sv, LB_HANDOFF_STATUS_COUNT, (int)v);
}

const char *lb_followup_status_label_sv(enum lb_followup_status v)
{
    return to_table(followup_status_sv, LB_FOLLOWUP_STATUS_COUNT, (int)v);
}

/* ---- units ---- */

static const struct lb_unit default_units[] = {
    {"bygglov", "Bygglov"},
    {"miljo", "Miljö- och hälsoskydd"},
    {"livsmedel", "Livsmedelskontroll"},
    {"serveringstillstand", "Serveringstillstånd"},
    {"raddningstjanst", "Räddningstjänst (brandskydd)"},
    {"gata_park", "Gata och park (markupplåtelse)"},
    {"upphandling", "Upphandling"},
};

void lb_units_default(struct lb_units *u)
{
    size_t n = sizeof default_units / sizeof default_units[0];
    memset(u, 0, sizeof *u);
    memcpy(u->unit, default_units, sizeof default_units);
    u->count = n;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Is [b, e) well-formed UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF)? Display names end up in JSON, which must be UTF-8. */
static int utf8_ok(const unsigned char *b, const unsigned char *e)
{
    while (b < e) {
        unsigned c = *b++;
        int more;
        unsigned min, cp;
        if (c < 0x80)
            continue;
        if ((c & 0xe0) == 0xc0) {
            more = 1, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            more = 2, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            more = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if (e - b < more)
            return 0;
        for (int i = 0; i < more; i++) {
            if ((b[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (b[i] & 0x3f);
        }
        b += more;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    return 1;
}

/* Trims [*b, *e) of surrounding whitespace. */
static void trim(const char **b, const char **e)
{
    while (*b < *e && is_space(**b))
        (*b)++;
    while (*e > *b && is_space((*e)[-1]))
        (*e)--;
}

/* Parses "code=Name;code2=Name 2". Whitespace around codes and names is
 * trimmed and an empty entry (a trailing ";") is skipped. A code is
 * [a-z0-9_]{1,31}; a name is 1-127 bytes of UTF-8 without control
 * characters or ';'. More than LB_UNITS_MAX units, a duplicate code or no
 * unit at all is LB_EINVAL.
 * On failure *u is left unchanged. */
int lb_units_parse(struct lb_units *u, const char *spec)
{
    if (spec == NULL)
        return LB_EINVAL;
    struct lb_units tmp;
    memset(&tmp, 0, sizeof tmp);
    const char *p = spec;
    while (*p != '\0') {
        const char *entry_end = strchr(p, ';');
        if (entry_end == NULL)
            entry_end = p + strlen(p);
        const char *b = p, *e = entry_end;
        p = *entry_end == ';' ? entry_end + 1 : entry_end;
        trim(&b, &e);
        if (b == e)
            continue;
        const char *eq = memchr(b, '=', (size_t)(e - b));
        if (eq == NULL)
            return LB_EINVAL;
        const char *cb = b, *ce = eq, *nb = eq + 1, *ne = e;
        trim(&cb, &ce);
        trim(&nb, &ne);
        size_t clen = (size_t)(ce - cb), nlen = (size_t)(ne - nb);
        if (clen == 0 || clen > LB_UNIT_CODE_MAX || nlen == 0 || nlen >= sizeof tmp.unit[0].name_sv)
            return LB_EINVAL;
        for (const char *c = cb; c < ce; c++) {
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
                return LB_EINVAL;
        }
        for (const char *c = nb; c < ne; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return LB_EINVAL;
        }
        if (!utf8_ok((const unsigned char *)nb, (const unsigned char *)ne))
            return LB_EINVAL;
        if (tmp.count == LB_UNITS_MAX)
            return LB_EINVAL;
        struct lb_unit *unit = &tmp.unit[tmp.count];
        memcpy(unit->code, cb, clen);
        unit->code[clen] = '\0';
        memcpy(unit->name_sv, nb, nlen);
        unit->name_sv[nlen] = '\0';
        if (lb_units_find(&tmp, unit->code) != NULL)
            return LB_EINVAL; /* duplicate */
        tmp.count++;
    }
    if (tmp.count == 0)
        return LB_EINVAL;
    *u = tmp;
    return 0;
}

const struct lb_unit *lb_units_find(const struct lb_units *u, const char *code)
{
    if (u == NULL || code == NULL)
        return NULL;
    for (size_t i = 0; i < u->count && i < LB_UNITS_MAX; i++) {
        if (strcmp(u->unit[i].code, code) == 0)
            return &u->unit[i];
    }
    return NULL;
}

static const char *const meeting_kind_sv[LB_MEETING_KIND_COUNT] = {
    [LB_MEETING_BUSINESS] = "Företagarträff",
    [LB_MEETING_CLUSTER] = "Klusterträff",
    [LB_MEETING_INFRASTRUCTURE] = "Infrastrukturträff",
    [LB_MEETING_COMPANY_TRAINING] = "Utbildning för företag",
    [LB_MEETING_STAFF_TRAINING] = "Utbildning för medarbetare",
    [LB_MEETING_THEME_DAY] = "Temadag",
    [LB_MEETING_RECRUITMENT_FAIR] = "Rekryteringsmässa",
    [LB_MEETING_DIALOGUE] = "Dialogmöte",
    [LB_MEETING_OTHER] = "Annan träff",
};
static const char *const meeting_item_type_sv[LB_MEETING_ITEM_TYPE_COUNT] = {
    [LB_MEETING_ITEM_NEED] = "Uttryckt behov",
    [LB_MEETING_ITEM_PROPOSAL] = "Förslag",
    [LB_MEETING_ITEM_INPUT] = "Synpunkt",
};

const char *lb_meeting_kind_label_sv(enum lb_meeting_kind v)
{
    return to_table(meeting_kind_sv, LB_MEETING_KIND_COUNT, (int)v);
}

const char *lb_meeting_item_type_label_sv(enum lb_meeting_item_type v)
{
    return to_table(meeting_item_type_sv, LB_MEETING_ITEM_TYPE_COUNT, (int)v);
}

bool lb_meeting_kind_training(enum lb_meeting_kind v)
{
    return v == LB_MEETING_COMPANY_TRAINING || v == LB_MEETING_STAFF_TRAINING;
}
