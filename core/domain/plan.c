/* plan.c: the action plan's vocabularies, document validation and indicator
 * values (plan.h).
 *
 * Validation walks a jansson document once, field by field, refusing the first
 * fault with a path ("indicators[2].target.2026") and normalising as it goes,
 * so what is stored always has every field, in one shape. Text limits are
 * DESIGN.md's: titles 200 characters, indicator names and activities 2,000,
 * other texts 10,000 (counted in code points; jansson has already refused
 * invalid UTF-8).
 *
 * Values: the snapshot path of each auto source is one table (sources[]);
 * docs/indicators.md lists the same table from the worker's side. A path
 * names an object member per dot; the figure there is a number (a count) or
 * an object with "index" or "value" (an index or a share, with "n",
 * "suppressed" and, for an index, "ci95"). */
#include "lotsbok/plan.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"

#define TITLE_MAX LB_LIMIT_NAME
#define LINE_MAX_CHARS LB_LIMIT_SUMMARY
#define TEXT_MAX_CHARS LB_LIMIT_TEXT
#define VALUE_ABS_MAX 1e12

/* --- vocabularies ---------------------------------------------------------- */

static const char *const status_strs[LB_PLAN_STATUS_COUNT] = {"not_started", "ongoing", "completed",
                                                              "closed"};
static const char *const status_sv[LB_PLAN_STATUS_COUNT] = {"Ej påbörjad", "Pågående", "Genomförd",
                                                            "Avslutad"};

int lb_plan_status_from_str(const char *s, enum lb_plan_status *out)
{
    for (int i = 0; s && i < LB_PLAN_STATUS_COUNT; i++) {
        if (strcmp(s, status_strs[i]) == 0) {
            *out = (enum lb_plan_status)i;
            return 0;
        }
    }
    return LB_EINVAL;
}

const char *lb_plan_status_str(enum lb_plan_status v)
{
    return (unsigned)v < LB_PLAN_STATUS_COUNT ? status_strs[v] : NULL;
}

const char *lb_plan_status_label_sv(enum lb_plan_status v)
{
    return (unsigned)v < LB_PLAN_STATUS_COUNT ? status_sv[v] : NULL;
}

struct word {
    const char *word, *sv;
};

static const struct word kinds[] = {
    {"auto", "Automatisk"}, {"manual", "Manuell"}, {"milestone", "Delmål med datum"}, {NULL, NULL}};
static const struct word units_of_measure[] = {
    {"count", "Antal"}, {"share", "Andel"}, {"index", "Index"}, {"text", "Text"}, {NULL, NULL}};
static const struct word directions[] = {{"increase", "Ska öka"},
                                         {"decrease", "Ska minska"},
                                         {"at_least", "Minst målvärdet"},
                                         {"none", "Ingen riktning"},
                                         {NULL, NULL}};
static const struct word frequencies[] = {{"quarterly", "Kvartalsvis"},
                                          {"annual", "Årligen"},
                                          {"per_activity", "Efter varje aktivitet"},
                                          {NULL, NULL}};

static const char *word_sv(const struct word *w, const char *s)
{
    for (; s && w->word; w++)
        if (strcmp(w->word, s) == 0)
            return w->sv;
    return NULL;
}

const char *lb_plan_direction_label_sv(const char *direction)
{
    return word_sv(directions, direction);
}

const char *lb_plan_frequency_label_sv(const char *frequency)
{
    return word_sv(frequencies, frequency);
}

const char *lb_plan_kind_label_sv(const char *kind)
{
    return word_sv(kinds, kind);
}

/* --- auto sources ---------------------------------------------------------- */

/* source -> path in the worker's snapshot (quarter or year: the same shape). */
static const struct {
    const char *source, *path;
} sources[] = {
    {"companies_guided", "lots.companies_guided"},
    {"followups_done", "lots.calls.done"},
    {"easy_contact_share", "lots.easy_contact"},
    {"usefulness_index", "lots.questions.usefulness"},
    {"reached_right_person_index", "lots.questions.reached_right_person"},
    {"treatment_index", "lots.questions.treatment"},
    {"website_information_index", "lots.questions.website_information"},
    {"nki_total", "total.nki"},
    {"clear_and_lawful_share", "total.clear_and_lawful"},
    {"improvements_identified", "improvements.identified"},
    {"improvements_implemented", "improvements.implemented"},
};

/* Meeting sources "<name>:<kind>": figures lotsd computes from its meeting
 * records (docs/meetings.md), read at "meetings.<kind>.<name>". */
static const char *const meeting_sources[] = {"meetings",
                                              "meeting_participants",
                                              "meeting_companies",
                                              "meeting_relevant_share",
                                              "meeting_knowledge_share",
                                              "needs_expressed",
                                              "proposals_documented"};
static const char *const meeting_kinds[] = {
    "business_meeting", "cluster_meeting", "infrastructure_meeting",
    "company_training", "staff_training",  "theme_day",
    "recruitment_fair", "dialogue",        "other"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool unit_key_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > LB_UNIT_CODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static bool meeting_source(const char *source)
{
    const char *colon = strchr(source, ':');
    if (!colon)
        return false;
    size_t n = (size_t)(colon - source);
    bool name = false, kind = false;
    for (size_t i = 0; i < N(meeting_sources); i++)
        name |= strlen(meeting_sources[i]) == n && strncmp(meeting_sources[i], source, n) == 0;
    for (size_t i = 0; i < N(meeting_kinds); i++)
        kind |= strcmp(meeting_kinds[i], colon + 1) == 0;
    return name && kind;
}

bool lb_plan_source_known(const char *source)
{
    if (!source)
        return false;
    for (size_t i = 0; i < N(sources); i++)
        if (strcmp(sources[i].source, source) == 0)
            return true;
    if (strncmp(source, "nki:", 4) == 0)
        return unit_key_ok(source + 4);
    return meeting_source(source);
}

int lb_plan_source_path(const char *source, char *buf, size_t len)
{
    if (!lb_plan_source_known(source))
        return LB_EINVAL;
    for (size_t i = 0; i < N(sources); i++) {
        if (strcmp(sources[i].source, source) == 0) {
            int n = snprintf(buf, len, "%s", sources[i].path);
            return n < 0 || (size_t)n >= len ? LB_ETOOBIG : 0;
        }
    }
    if (strncmp(source, "nki:", 4) == 0) {
        int n = snprintf(buf, len, "units.%s.nki", source + 4);
        return n < 0 || (size_t)n >= len ? LB_ETOOBIG : 0;
    }
    /* A meeting source "<name>:<kind>": lotsd's figures from its meeting
     * records at "meetings.<kind>.<name>" (api_meeting_figures.c). */
    const char *colon = strchr(source, ':');
    int n = snprintf(buf, len, "meetings.%s.%.*s", colon + 1, (int)(colon - source), source);
    return n < 0 || (size_t)n >= len ? LB_ETOOBIG : 0;
}

/* --- validation helpers ----------------------------------------------------- */

static int fail(struct lb_plan_err *err, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct lb_plan_err *err, const char *code, const char *field, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        snprintf(err->field, sizeof err->field, "%s", field ? field : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return LB_EINVAL;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* path "prefix.key" or "key" into buf. */
static const char *path(char *buf, size_t len, const char *prefix, const char *key)
{
    if (prefix && *prefix)
        snprintf(buf, len, "%s.%s", prefix, key);
    else
        snprintf(buf, len, "%s", key);
    return buf;
}

/* A text member: absent or null becomes null unless required; a string of at
 * most max characters (and, when required, not blank). */
static int check_text(json_t *o, const char *key, bool required, size_t max, const char *prefix,
                      struct lb_plan_err *err)
{
    char p[160];
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (required)
            return fail(err, "missing_field", path(p, sizeof p, prefix, key), "%s is required",
                        key);
        return json_object_set_new(o, key, json_null()) ? LB_ENOMEM : 0;
    }
    if (!json_is_string(v))
        return fail(err, "invalid_field", path(p, sizeof p, prefix, key), "%s must be a string",
                    key);
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return fail(err, "invalid_field", path(p, sizeof p, prefix, key), "%s must not contain NUL",
                    key);
    if (utf8_chars(s) > max)
        return fail(err, "too_long", path(p, sizeof p, prefix, key),
                    "%s is longer than %zu characters", key, max);
    if (required && strspn(s, " \t\r\n") == strlen(s))
        return fail(err, "missing_field", path(p, sizeof p, prefix, key), "%s must not be blank",
                    key);
    return 0;
}

/* A date member "YYYY-MM-DD" or null. */
static int check_date(json_t *o, const char *key, bool required, const char *prefix, lb_date *out,
                      struct lb_plan_err *err)
{
    char p[160];
    json_t *v = json_object_get(o, key);
    *out = LB_DATE_NONE;
    if (!v || json_is_null(v)) {
        if (required)
            return fail(err, "missing_field", path(p, sizeof p, prefix, key), "%s is required",
                        key);
        return json_object_set_new(o, key, json_null()) ? LB_ENOMEM : 0;
    }
    if (!json_is_string(v) || lb_date_parse(json_string_value(v), out) != 0)
        return fail(err, "invalid_field", path(p, sizeof p, prefix, key),
                    "%s must be a date YYYY-MM-DD", key);
    return 0;
}

/* An enum member among words; absent takes def (NULL: required). */
static int check_word(json_t *o, const char *key, const struct word *w, const char *def,
                      const char *prefix, struct lb_plan_err *err)
{
    char p[160];
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (!def)
            return fail(err, "missing_field", path(p, sizeof p, prefix, key), "%s is required",
                        key);
        return json_object_set_new(o, key, json_string(def)) ? LB_ENOMEM : 0;
    }
    if (!json_is_string(v) || !word_sv(w, json_string_value(v)))
        return fail(err, "invalid_enum", path(p, sizeof p, prefix, key), "%s: unknown value", key);
    return 0;
}

/* Refuses members outside allowed; drops the read-only ones. */
static int check_keys(json_t *o, const char *const *allowed, const char *const *readonly,
                      const char *prefix, struct lb_plan_err *err)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(o, tmp, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (ok)
            continue;
        for (const char *const *r = readonly; r && *r && !ok; r++)
            ok = strcmp(*r, key) == 0;
        if (!ok) {
            char p[160];
            return fail(err, "unknown_field", path(p, sizeof p, prefix, key),
                        "%s is not a field here", key);
        }
        json_object_del(o, key);
    }
    return 0;
}

static bool code_ok(const char *s)
{
    /* 1-2 digits, '.', 1-2 digits, an optional lower-case letter. */
    size_t i = 0, d = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    if (i < 1 || i > 2 || s[i] != '.' || s[0] == '0')
        return false;
    i++;
    while (s[i + d] >= '0' && s[i + d] <= '9')
        d++;
    if (d < 1 || d > 2)
        return false;
    i += d;
    if (s[i] >= 'a' && s[i] <= 'z')
        i++;
    return s[i] == '\0';
}

static bool username_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

/* The number n of an indicator id "<code>-<n>" of this action; 0 when the id
 * is not of that form. */
static long indicator_number(const char *id, const char *code)
{
    size_t cl = strlen(code);
    if (strncmp(id, code, cl) != 0 || id[cl] != '-' || id[cl + 1] < '1' || id[cl + 1] > '9')
        return 0;
    char *end;
    long n = strtol(id + cl + 1, &end, 10);
    return *end == '\0' && n > 0 && n < 100000 ? n : 0;
}

/* A value's allowed range by its unit of measure. */
static bool value_in_range(const char *unit, double v)
{
    if (!isfinite(v) || fabs(v) > VALUE_ABS_MAX)
        return false;
    if (strcmp(unit, "count") == 0)
        return v >= 0;
    if (strcmp(unit, "share") == 0)
        return v >= 0 && v <= 1;
    return true;
}

/* --- the header ------------------------------------------------------------ */

int lb_plan_check_header(json_t *h, struct lb_plan_err *err)
{
    static const char *const allowed[] = {"schema",  "municipality", "title",
                                          "source",  "period",       "followup_from",
                                          "summary", "areas",        NULL};
    if (!json_is_object(h))
        return fail(err, "invalid_field", "", "the plan must be a JSON object");
    int rc = check_keys(h, allowed, NULL, "", err);
    if (rc == 0)
        rc = check_text(h, "title", true, TITLE_MAX, "", err);
    if (rc == 0)
        rc = check_text(h, "municipality", true, TITLE_MAX, "", err);
    if (rc == 0)
        rc = check_text(h, "source", false, TITLE_MAX, "", err);
    if (rc == 0)
        rc = check_text(h, "summary", false, TEXT_MAX_CHARS, "", err);
    if (rc)
        return rc;
    json_t *schema = json_object_get(h, "schema");
    if (schema && !(json_is_integer(schema) && json_integer_value(schema) == 1))
        return fail(err, "invalid_field", "schema", "schema must be 1");
    json_object_del(h, "schema");
    json_t *period = json_object_get(h, "period");
    json_t *from = json_object_get(period, "from"), *to = json_object_get(period, "to");
    if (!json_is_object(period) || json_object_size(period) != 2 || !json_is_integer(from) ||
        !json_is_integer(to) || json_integer_value(from) < LB_PLAN_YEAR_MIN ||
        json_integer_value(to) > LB_PLAN_YEAR_MAX ||
        json_integer_value(from) > json_integer_value(to))
        return fail(err, "invalid_field", "period",
                    "period must be {\"from\": YEAR, \"to\": YEAR} with from <= to");
    json_t *ff = json_object_get(h, "followup_from");
    if (!ff || json_is_null(ff)) {
        if (json_object_set_new(h, "followup_from", json_integer(json_integer_value(from))))
            return LB_ENOMEM;
    } else if (!json_is_integer(ff) || json_integer_value(ff) < json_integer_value(from) ||
               json_integer_value(ff) > json_integer_value(to)) {
        return fail(err, "invalid_field", "followup_from",
                    "followup_from must be a year of the period");
    }
    json_t *areas = json_object_get(h, "areas");
    if (!json_is_array(areas) || json_array_size(areas) == 0 || json_array_size(areas) > 99)
        return fail(err, "invalid_field", "areas", "areas must be an array of 1 to 99 areas");
    size_t i;
    json_t *a;
    json_array_foreach(areas, i, a)
    {
        static const char *const area_keys[] = {"number",      "title",   "goal",
                                                "description", "actions", NULL};
        char pre[32];
        snprintf(pre, sizeof pre, "areas[%zu]", i);
        if (!json_is_object(a))
            return fail(err, "invalid_field", pre, "an area must be an object");
        if ((rc = check_keys(a, area_keys, NULL, pre, err)))
            return rc;
        json_t *num = json_object_get(a, "number");
        char p[160];
        if (!json_is_integer(num) || json_integer_value(num) < 1 || json_integer_value(num) > 99)
            return fail(err, "invalid_field", path(p, sizeof p, pre, "number"),
                        "number must be 1..99");
        for (size_t j = 0; j < i; j++)
            if (json_integer_value(json_object_get(json_array_get(areas, j), "number")) ==
                json_integer_value(num))
                return fail(err, "duplicate", path(p, sizeof p, pre, "number"), "area %lld twice",
                            (long long)json_integer_value(num));
        if ((rc = check_text(a, "title", true, TITLE_MAX, pre, err)) ||
            (rc = check_text(a, "goal", false, TEXT_MAX_CHARS, pre, err)) ||
            (rc = check_text(a, "description", false, TEXT_MAX_CHARS, pre, err)))
            return rc;
    }
    return 0;
}

static const json_t *header_area(const json_t *header, json_int_t number)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(header, "areas"), i, a)
    {
        if (json_integer_value(json_object_get(a, "number")) == number)
            return a;
    }
    return NULL;
}

/* --- an action --------------------------------------------------------------- */

static int check_target(json_t *ind, const char *unit, const char *pre, struct lb_plan_err *err)
{
    char p[160];
    json_t *t = json_object_get(ind, "target");
    if (!t || json_is_null(t))
        return json_object_set_new(ind, "target", json_null()) ? LB_ENOMEM : 0;
    path(p, sizeof p, pre, "target");
    if (!json_is_object(t))
        return fail(err, "invalid_field", p, "target must be an object {\"YYYY\": number}");
    const char *year;
    json_t *v;
    json_object_foreach(t, year, v)
    {
        char yp[192];
        snprintf(yp, sizeof yp, "%s.%s", p, year);
        char *end;
        long y = strtol(year, &end, 10);
        if (strlen(year) != 4 || *end || y < LB_PLAN_YEAR_MIN || y > LB_PLAN_YEAR_MAX)
            return fail(err, "invalid_field", yp, "target years are YYYY");
        if (!json_is_number(v) || !value_in_range(unit, json_number_value(v)))
            return fail(err, "invalid_field", yp, "a target must be a number in the unit's range");
    }
    return 0;
}

static int check_indicator(json_t *ind, size_t i, const char *code, struct lb_plan_err *err)
{
    static const char *const keys[] = {"id",   "name",      "aspect", "note", "kind",    "source",
                                       "unit", "direction", "target", "due",  "same_as", NULL};
    char pre[48], p[160];
    snprintf(pre, sizeof pre, "indicators[%zu]", i);
    if (!json_is_object(ind))
        return fail(err, "invalid_field", pre, "an indicator must be an object");
    int rc = check_keys(ind, keys, NULL, pre, err);
    if (rc == 0)
        rc = check_text(ind, "name", true, LINE_MAX_CHARS, pre, err);
    if (rc == 0)
        rc = check_text(ind, "aspect", false, TITLE_MAX, pre, err);
    if (rc == 0)
        rc = check_text(ind, "note", false, TEXT_MAX_CHARS, pre, err);
    if (rc == 0)
        rc = check_word(ind, "kind", kinds, NULL, pre, err);
    if (rc)
        return rc;
    const char *kind = json_string_value(json_object_get(ind, "kind"));
    bool milestone = strcmp(kind, "milestone") == 0;
    if ((rc = check_word(ind, "unit", units_of_measure, milestone ? "text" : NULL, pre, err)) ||
        (rc = check_word(ind, "direction", directions, "none", pre, err)))
        return rc;
    const char *unit = json_string_value(json_object_get(ind, "unit"));
    const char *direction = json_string_value(json_object_get(ind, "direction"));
    json_t *id = json_object_get(ind, "id");
    if (id && !json_is_null(id) &&
        (!json_is_string(id) || indicator_number(json_string_value(id), code) == 0))
        return fail(err, "invalid_field", path(p, sizeof p, pre, "id"),
                    "an indicator id is \"%s-<n>\"", code);
    json_t *src = json_object_get(ind, "source");
    if (strcmp(kind, "auto") == 0) {
        if (!json_is_string(src) || !lb_plan_source_known(json_string_value(src)))
            return fail(err, "invalid_enum", path(p, sizeof p, pre, "source"),
                        "an auto indicator needs a known source");
        if (strcmp(unit, "text") == 0)
            return fail(err, "invalid_field", path(p, sizeof p, pre, "unit"),
                        "an auto indicator is a number");
    } else if (src && !json_is_null(src)) {
        return fail(err, "invalid_field", path(p, sizeof p, pre, "source"),
                    "only an auto indicator has a source");
    } else if (json_object_set_new(ind, "source", json_null())) {
        return LB_ENOMEM;
    }
    lb_date due;
    if ((rc = check_date(ind, "due", milestone, pre, &due, err)))
        return rc;
    if (!milestone && due != LB_DATE_NONE)
        return fail(err, "invalid_field", path(p, sizeof p, pre, "due"),
                    "only a milestone has a due date");
    if (milestone && strcmp(unit, "text") != 0)
        return fail(err, "invalid_field", path(p, sizeof p, pre, "unit"),
                    "a milestone's unit is text");
    if ((rc = check_target(ind, unit, pre, err)))
        return rc;
    if (strcmp(direction, "at_least") == 0 && json_object_size(json_object_get(ind, "target")) == 0)
        return fail(err, "missing_field", path(p, sizeof p, pre, "target"),
                    "direction at_least needs a target");
    if (strcmp(unit, "text") == 0 && !milestone && strcmp(direction, "none") != 0)
        return fail(err, "invalid_field", path(p, sizeof p, pre, "direction"),
                    "a text indicator has no direction");
    json_t *same = json_object_get(ind, "same_as");
    if (!same || json_is_null(same))
        return json_object_set_new(ind, "same_as", json_null()) ? LB_ENOMEM : 0;
    if (!json_is_string(same) || strcmp(kind, "manual") != 0)
        return fail(err, "invalid_field", path(p, sizeof p, pre, "same_as"),
                    "same_as names a manual indicator of the action");
    return 0;
}

/* Cross-indicator rules after each is checked: unique ids, new ids, same_as. */
static int check_indicator_ids(json_t *inds, const char *code, struct lb_plan_err *err)
{
    long max = 0;
    size_t i, j;
    json_t *ind, *other;
    json_array_foreach(inds, i, ind)
    {
        json_t *id = json_object_get(ind, "id");
        if (!json_is_string(id))
            continue;
        long n = indicator_number(json_string_value(id), code);
        max = n > max ? n : max;
        for (j = 0; j < i; j++) {
            json_t *oid = json_object_get(json_array_get(inds, j), "id");
            if (json_is_string(oid) && json_equal(oid, id)) {
                char p[48];
                snprintf(p, sizeof p, "indicators[%zu].id", i);
                return fail(err, "duplicate", p, "indicator id %s twice", json_string_value(id));
            }
        }
    }
    json_array_foreach(inds, i, ind)
    {
        if (json_is_string(json_object_get(ind, "id")))
            continue;
        char id[LB_PLAN_ID_MAX + 8];
        snprintf(id, sizeof id, "%s-%ld", code, ++max);
        if (json_object_set_new(ind, "id", json_string(id)))
            return LB_ENOMEM;
    }
    json_array_foreach(inds, i, ind)
    {
        json_t *same = json_object_get(ind, "same_as");
        if (!json_is_string(same))
            continue;
        bool found = false;
        json_array_foreach(inds, j, other)
        {
            if (j == i || !json_equal(json_object_get(other, "id"), same))
                continue;
            found = strcmp(json_string_value(json_object_get(other, "kind")), "manual") == 0 &&
                    json_is_null(json_object_get(other, "same_as")) &&
                    json_equal(json_object_get(other, "unit"), json_object_get(ind, "unit"));
        }
        if (!found) {
            char p[48];
            snprintf(p, sizeof p, "indicators[%zu].same_as", i);
            return fail(err, "invalid_field", p,
                        "same_as must name another manual indicator of the action with the same "
                        "unit, itself recorded directly");
        }
    }
    return 0;
}

static int check_activities(json_t *action, struct lb_plan_err *err)
{
    json_t *acts = json_object_get(action, "activities");
    if (!acts || json_is_null(acts))
        return json_object_set_new(action, "activities", json_array()) ? LB_ENOMEM : 0;
    if (!json_is_array(acts) || json_array_size(acts) > LB_PLAN_ACTIVITIES_MAX)
        return fail(err, "invalid_field", "activities", "activities must be an array of at most %d",
                    LB_PLAN_ACTIVITIES_MAX);
    size_t i;
    json_t *a;
    json_array_foreach(acts, i, a)
    {
        static const char *const keys[] = {"text", "done", "group", NULL};
        char pre[40], p[160];
        snprintf(pre, sizeof pre, "activities[%zu]", i);
        if (!json_is_object(a))
            return fail(err, "invalid_field", pre, "an activity must be an object");
        int rc = check_keys(a, keys, NULL, pre, err);
        if (rc == 0)
            rc = check_text(a, "text", true, LINE_MAX_CHARS, pre, err);
        if (rc == 0)
            rc = check_text(a, "group", false, TITLE_MAX, pre, err);
        if (rc)
            return rc;
        json_t *done = json_object_get(a, "done");
        if (!done || json_is_null(done)) {
            if (json_object_set_new(a, "done", json_false()))
                return LB_ENOMEM;
        } else if (!json_is_boolean(done)) {
            return fail(err, "invalid_field", path(p, sizeof p, pre, "done"),
                        "done must be true or false");
        }
    }
    return 0;
}

static int check_units(json_t *action, const struct lb_units *units, struct lb_plan_err *err)
{
    json_t *us = json_object_get(action, "units");
    if (!us || json_is_null(us))
        return json_object_set_new(action, "units", json_array()) ? LB_ENOMEM : 0;
    if (!json_is_array(us) || json_array_size(us) > LB_UNITS_MAX)
        return fail(err, "invalid_field", "units", "units must be an array of unit keys");
    size_t i, j;
    json_t *u;
    json_array_foreach(us, i, u)
    {
        char p[40];
        snprintf(p, sizeof p, "units[%zu]", i);
        if (!json_is_string(u) || !unit_key_ok(json_string_value(u)))
            return fail(err, "invalid_field", p, "a unit is a configured unit's key");
        if (units && !lb_units_find(units, json_string_value(u)))
            return fail(err, "unknown_unit", p, "%s is not a configured unit",
                        json_string_value(u));
        for (j = 0; j < i; j++)
            if (json_equal(json_array_get(us, j), u))
                return fail(err, "duplicate", p, "unit %s twice", json_string_value(u));
    }
    return 0;
}

int lb_plan_check_action(json_t *action, const json_t *header, const struct lb_units *units,
                         struct lb_plan_err *err)
{
    static const char *const allowed[] = {"code",
                                          "area",
                                          "title",
                                          "purpose",
                                          "timeline",
                                          "start",
                                          "end",
                                          "responsible",
                                          "units",
                                          "owner",
                                          "resources",
                                          "activities",
                                          "followup_frequency",
                                          "followup_text",
                                          "comment",
                                          "indicators",
                                          NULL};
    static const char *const readonly[] = {"id",         "version",    "created_at",
                                           "updated_at", "area_title", NULL};
    if (!json_is_object(action))
        return fail(err, "invalid_field", "", "an action must be a JSON object");
    int rc = check_keys(action, allowed, readonly, "", err);
    if (rc)
        return rc;
    json_t *code = json_object_get(action, "code");
    if (!json_is_string(code) || strlen(json_string_value(code)) > LB_PLAN_CODE_MAX ||
        !code_ok(json_string_value(code)))
        return fail(err, "invalid_field", "code", "code must be like \"1.2\"");
    const char *c = json_string_value(code);
    json_t *area = json_object_get(action, "area");
    if (!json_is_integer(area) || json_integer_value(area) < 1 || json_integer_value(area) > 99)
        return fail(err, "invalid_field", "area", "area must be the number of a målområde");
    if (atoi(c) != json_integer_value(area))
        return fail(err, "invalid_field", "code", "an action's code starts with its area's number");
    if (header && !header_area(header, json_integer_value(area)))
        return fail(err, "unknown_area", "area", "the plan has no area %lld",
                    (long long)json_integer_value(area));
    static const struct {
        const char *key;
        bool required;
        size_t max;
    } texts[] = {{"title", true, TITLE_MAX},           {"purpose", false, TEXT_MAX_CHARS},
                 {"timeline", false, TEXT_MAX_CHARS},  {"responsible", false, TEXT_MAX_CHARS},
                 {"resources", false, TEXT_MAX_CHARS}, {"followup_text", false, TEXT_MAX_CHARS},
                 {"comment", false, TEXT_MAX_CHARS}};
    for (size_t i = 0; i < N(texts) && rc == 0; i++)
        rc = check_text(action, texts[i].key, texts[i].required, texts[i].max, "", err);
    lb_date start, end;
    if (rc == 0)
        rc = check_date(action, "start", false, "", &start, err);
    if (rc == 0)
        rc = check_date(action, "end", false, "", &end, err);
    if (rc)
        return rc;
    if (start != LB_DATE_NONE && end != LB_DATE_NONE && end < start)
        return fail(err, "invalid_field", "end", "end is before start");
    json_t *owner = json_object_get(action, "owner");
    if (!owner || json_is_null(owner)) {
        if (json_object_set_new(action, "owner", json_null()))
            return LB_ENOMEM;
    } else if (!json_is_string(owner) || !username_ok(json_string_value(owner))) {
        return fail(err, "invalid_field", "owner", "owner must be a username");
    }
    if ((rc = check_units(action, units, err)) || (rc = check_activities(action, err)) ||
        (rc = check_word(action, "followup_frequency", frequencies, "annual", "", err)))
        return rc;
    json_t *inds = json_object_get(action, "indicators");
    if (!inds || json_is_null(inds)) {
        inds = json_array();
        if (!inds || json_object_set_new(action, "indicators", inds))
            return LB_ENOMEM;
    }
    if (!json_is_array(inds) || json_array_size(inds) > LB_PLAN_INDICATORS_MAX)
        return fail(err, "invalid_field", "indicators", "indicators must be an array of at most %d",
                    LB_PLAN_INDICATORS_MAX);
    size_t i;
    json_t *ind;
    json_array_foreach(inds, i, ind)
    {
        if ((rc = check_indicator(ind, i, c, err)))
            return rc;
    }
    return check_indicator_ids(inds, c, err);
}

/* --- the file ------------------------------------------------------------- */

int lb_plan_check_file(json_t *file, const struct lb_units *units, json_t **actions,
                       struct lb_plan_err *err)
{
    *actions = NULL;
    json_t *out = json_array();
    if (!out)
        return LB_ENOMEM;
    /* The actions come out of their areas first, so the header checks alone. */
    json_t *areas = json_object_get(file, "areas");
    size_t i, j;
    json_t *area, *a;
    int rc = 0;
    json_array_foreach(areas, i, area)
    {
        json_t *acts = json_object_get(area, "actions");
        if (!acts)
            continue;
        char p[48];
        snprintf(p, sizeof p, "areas[%zu].actions", i);
        if (!json_is_array(acts)) {
            rc = fail(err, "invalid_field", p, "actions must be an array");
            goto out;
        }
        json_array_foreach(acts, j, a)
        {
            if (json_is_object(a) && !json_object_get(a, "area") &&
                json_object_set(a, "area", json_object_get(area, "number"))) {
                rc = LB_ENOMEM;
                goto out;
            }
            if (json_array_append(out, a)) {
                rc = LB_ENOMEM;
                goto out;
            }
        }
        json_object_del(area, "actions");
    }
    if ((rc = lb_plan_check_header(file, err)))
        goto out;
    json_array_foreach(out, i, a)
    {
        if ((rc = lb_plan_check_action(a, file, units, err))) {
            char field[sizeof err->field + 32];
            snprintf(field, sizeof field, "actions[%zu]%s%s", i, err->field[0] ? "." : "",
                     err->field);
            snprintf(err->field, sizeof err->field, "%.*s", (int)sizeof err->field - 1, field);
            goto out;
        }
        for (j = 0; j < i; j++) {
            if (json_equal(json_object_get(json_array_get(out, j), "code"),
                           json_object_get(a, "code"))) {
                char p[48];
                snprintf(p, sizeof p, "actions[%zu].code", i);
                rc = fail(err, "duplicate", p, "action %s twice",
                          json_string_value(json_object_get(a, "code")));
                goto out;
            }
        }
    }
    *actions = out;
    return 0;
out:
    json_decref(out);
    return rc;
}

int lb_plan_merge_reload(json_t *file_action, const json_t *stored)
{
    json_t *owner = json_object_get(stored, "owner");
    if (json_is_null(json_object_get(file_action, "owner")) && json_is_string(owner) &&
        json_object_set(file_action, "owner", owner))
        return LB_ENOMEM;
    size_t i, j;
    json_t *a, *b;
    json_array_foreach(json_object_get(file_action, "activities"), i, a)
    {
        json_array_foreach(json_object_get(stored, "activities"), j, b)
        {
            if (json_equal(json_object_get(a, "text"), json_object_get(b, "text")) &&
                json_is_true(json_object_get(b, "done")) &&
                json_object_set_new(a, "done", json_true()))
                return LB_ENOMEM;
        }
    }
    return 0;
}

char *lb_plan_dump(const json_t *doc)
{
    return json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
}

/* --- a follow-up ---------------------------------------------------------- */

int lb_plan_period_parse(const char *s, int *year, int *quarter)
{
    if (!s)
        return LB_EINVAL;
    size_t n = strlen(s);
    if (n != 4 && n != 7)
        return LB_EINVAL;
    for (int i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9')
            return LB_EINVAL;
    int y = atoi(s);
    if (y < LB_PLAN_YEAR_MIN || y > LB_PLAN_YEAR_MAX)
        return LB_EINVAL;
    int q = 0;
    if (n == 7) {
        if (s[4] != '-' || s[5] != 'Q' || s[6] < '1' || s[6] > '4')
            return LB_EINVAL;
        q = s[6] - '0';
    }
    *year = y;
    *quarter = q;
    return 0;
}

const json_t *lb_plan_indicator(const json_t *action, const char *id)
{
    size_t i;
    json_t *ind;
    json_array_foreach(json_object_get(action, "indicators"), i, ind)
    {
        const char *s = json_string_value(json_object_get(ind, "id"));
        if (s && id && strcmp(s, id) == 0)
            return ind;
    }
    return NULL;
}

static int check_value(json_t *v, size_t i, const json_t *action, int year, struct lb_plan_err *err)
{
    static const char *const keys[] = {"indicator", "period", "value", "text", "done", NULL};
    static const char *const readonly[] = {"by", "at", "origin", NULL};
    char pre[40], p[160];
    snprintf(pre, sizeof pre, "values[%zu]", i);
    if (!json_is_object(v))
        return fail(err, "invalid_field", pre, "a value must be an object");
    int rc = check_keys(v, keys, readonly, pre, err);
    if (rc)
        return rc;
    const char *id = json_string_value(json_object_get(v, "indicator"));
    const json_t *ind = lb_plan_indicator(action, id);
    if (!ind)
        return fail(err, "unknown_indicator", path(p, sizeof p, pre, "indicator"),
                    "the action has no indicator %s", id ? id : "(none)");
    const char *kind = json_string_value(json_object_get(ind, "kind"));
    const char *unit = json_string_value(json_object_get(ind, "unit"));
    if (strcmp(kind, "auto") == 0)
        return fail(err, "auto_indicator", path(p, sizeof p, pre, "indicator"),
                    "%s is computed from Lotsbok's records, not recorded", id);
    json_t *same = json_object_get(ind, "same_as");
    if (json_is_string(same))
        return fail(err, "recorded_elsewhere", path(p, sizeof p, pre, "indicator"),
                    "%s is recorded under %s", id, json_string_value(same));
    int y, q;
    const char *period = json_string_value(json_object_get(v, "period"));
    if (lb_plan_period_parse(period, &y, &q) != 0 || y != year)
        return fail(err, "invalid_field", path(p, sizeof p, pre, "period"),
                    "period must be %d or a quarter of it (%d-Q1..%d-Q4)", year, year, year);
    bool milestone = strcmp(kind, "milestone") == 0;
    if (q && (milestone || strcmp(json_string_value(json_object_get(action, "followup_frequency")),
                                  "quarterly") != 0))
        return fail(err, "invalid_field", path(p, sizeof p, pre, "period"),
                    "quarterly values only for an action followed up quarterly");
    json_t *value = json_object_get(v, "value"), *text = json_object_get(v, "text"),
           *done = json_object_get(v, "done");
    const char *want = milestone ? "done" : strcmp(unit, "text") == 0 ? "text" : "value";
    if ((value && strcmp(want, "value")) || (text && strcmp(want, "text")) ||
        (done && strcmp(want, "done")))
        return fail(err, "invalid_field", pre, "a value of %s is given as \"%s\"", id, want);
    if (milestone) {
        lb_date d;
        if ((rc = check_date(v, "done", true, pre, &d, err)))
            return rc;
        int dy, dm, dd;
        lb_date_to_ymd(d, &dy, &dm, &dd);
        if (dy > year)
            return fail(err, "invalid_field", path(p, sizeof p, pre, "done"),
                        "done must not be after %d", year);
        return 0;
    }
    if (strcmp(want, "text") == 0)
        return check_text(v, "text", true, LINE_MAX_CHARS, pre, err);
    if (!json_is_number(value) || !value_in_range(unit, json_number_value(value)))
        return fail(err, "invalid_field", path(p, sizeof p, pre, "value"),
                    "value must be a number%s",
                    strcmp(unit, "share") == 0   ? " from 0 to 1"
                    : strcmp(unit, "count") == 0 ? " of at least 0"
                                                 : "");
    return 0;
}

int lb_plan_check_followup(json_t *body, const json_t *action, int year, const json_t *codes,
                           struct lb_plan_err *err)
{
    static const char *const allowed[] = {"status",     "results", "values", "collaboration",
                                          "adjustment", "comment", NULL};
    static const char *const readonly[] = {"code",       "year",         "id",
                                           "version",    "created_at",   "updated_at",
                                           "updated_by", "status_label", NULL};
    if (!json_is_object(body))
        return fail(err, "invalid_field", "", "a follow-up must be a JSON object");
    int rc = check_keys(body, allowed, readonly, "", err);
    if (rc)
        return rc;
    enum lb_plan_status st;
    json_t *status = json_object_get(body, "status");
    if (!status || json_is_null(status))
        return fail(err, "missing_field", "status", "status is required");
    if (!json_is_string(status) || lb_plan_status_from_str(json_string_value(status), &st) != 0)
        return fail(err, "invalid_enum", "status",
                    "status must be not_started, ongoing, completed or closed");
    if ((rc = check_text(body, "results", false, TEXT_MAX_CHARS, "", err)) ||
        (rc = check_text(body, "adjustment", false, TEXT_MAX_CHARS, "", err)) ||
        (rc = check_text(body, "comment", false, TEXT_MAX_CHARS, "", err)))
        return rc;
    const char *own = json_string_value(json_object_get(action, "code"));
    json_t *col = json_object_get(body, "collaboration");
    if (!col || json_is_null(col)) {
        if (json_object_set_new(body, "collaboration", json_array()))
            return LB_ENOMEM;
    } else if (!json_is_array(col) || json_array_size(col) > 200) {
        return fail(err, "invalid_field", "collaboration",
                    "collaboration must be an array of action codes");
    }
    col = json_object_get(body, "collaboration");
    size_t i, j;
    json_t *c, *k;
    json_array_foreach(col, i, c)
    {
        char p[48];
        snprintf(p, sizeof p, "collaboration[%zu]", i);
        bool known = codes == NULL;
        json_array_foreach(codes, j, k) known |= json_equal(k, c);
        if (!json_is_string(c) || !known)
            return fail(err, "unknown_action", p, "collaboration names the plan's action codes");
        if (strcmp(json_string_value(c), own) == 0)
            return fail(err, "invalid_field", p, "an action does not collaborate with itself");
        for (j = 0; j < i; j++)
            if (json_equal(json_array_get(col, j), c))
                return fail(err, "duplicate", p, "%s twice", json_string_value(c));
    }
    json_t *values = json_object_get(body, "values");
    if (!values || json_is_null(values)) {
        if (json_object_set_new(body, "values", json_array()))
            return LB_ENOMEM;
        values = json_object_get(body, "values");
    }
    if (!json_is_array(values) || json_array_size(values) > LB_PLAN_VALUES_MAX)
        return fail(err, "invalid_field", "values", "values must be an array of at most %d",
                    LB_PLAN_VALUES_MAX);
    json_t *v;
    json_array_foreach(values, i, v)
    {
        if ((rc = check_value(v, i, action, year, err)))
            return rc;
        for (j = 0; j < i; j++) {
            json_t *o = json_array_get(values, j);
            if (json_equal(json_object_get(o, "indicator"), json_object_get(v, "indicator")) &&
                json_equal(json_object_get(o, "period"), json_object_get(v, "period"))) {
                char p[48];
                snprintf(p, sizeof p, "values[%zu]", i);
                return fail(err, "duplicate", p, "%s has two values for %s",
                            json_string_value(json_object_get(v, "indicator")),
                            json_string_value(json_object_get(v, "period")));
            }
        }
    }
    if (json_object_set(body, "code", json_object_get(action, "code")) ||
        json_object_set_new(body, "year", json_integer(year)))
        return LB_ENOMEM;
    return 0;
}

static const json_t *find_value(const json_t *fu, const json_t *indicator, const json_t *period)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(fu, "values"), i, v)
    {
        if (json_equal(json_object_get(v, "indicator"), indicator) &&
            json_equal(json_object_get(v, "period"), period))
            return v;
    }
    return NULL;
}

int lb_plan_followup_stamp(json_t *fu, const json_t *old, const char *user, lb_time now)
{
    char at[32];
    lb_time_format_rfc3339(now, at);
    if (json_object_set_new(fu, "updated_by", json_string(user)))
        return LB_ENOMEM;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(fu, "values"), i, v)
    {
        const json_t *o =
            find_value(old, json_object_get(v, "indicator"), json_object_get(v, "period"));
        bool same = o != NULL;
        static const char *const content[] = {"value", "text", "done"};
        for (size_t k = 0; same && k < N(content); k++) {
            json_t *a = json_object_get(v, content[k]), *b = json_object_get(o, content[k]);
            same = (!a && !b) || (a && b && json_equal(a, b));
        }
        json_t *by = same ? json_object_get(o, "by") : NULL;
        json_t *when = same ? json_object_get(o, "at") : NULL;
        if (json_object_set_new(v, "by", json_is_string(by) ? json_copy(by) : json_string(user)) ||
            json_object_set_new(v, "at", json_is_string(when) ? json_copy(when) : json_string(at)))
            return LB_ENOMEM;
    }
    return 0;
}

/* --- values ------------------------------------------------------------------ */

/* The member at a dotted path, or NULL. */
static const json_t *at_path(const json_t *doc, const char *p)
{
    char part[64];
    while (doc && *p) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof part)
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        doc = json_object_get(doc, part);
        p += n + (p[n] == '.');
    }
    return doc;
}

static json_t *new_item(const char *period, const char *origin)
{
    json_t *o = json_object();
    if (o && (json_object_set_new(o, "period", json_string(period)) ||
              json_object_set_new(o, "value", json_null()) ||
              json_object_set_new(o, "origin", json_string(origin)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int set_reason(json_t *item, const char *reason)
{
    return json_object_set_new(item, "reason", json_string(reason)) ? LB_ENOMEM : 0;
}

/* Copies the figure at the source's path of the snapshot into item. */
static int auto_value(const json_t *indicator, const json_t *snapshot, json_t *item)
{
    char p[160];
    int rc =
        lb_plan_source_path(json_string_value(json_object_get(indicator, "source")), p, sizeof p);
    if (rc == LB_ENOTFOUND)
        return set_reason(item, "source_not_available");
    if (rc)
        return set_reason(item, "not_in_snapshot");
    if (!snapshot)
        return set_reason(item, "not_computed");
    const json_t *fig = at_path(snapshot, p);
    if (json_is_number(fig))
        return json_object_set_new(item, "value", json_real(json_number_value(fig))) ? LB_ENOMEM
                                                                                     : 0;
    if (!json_is_object(fig))
        return set_reason(item, "not_in_snapshot");
    const json_t *v = json_object_get(fig, "index");
    if (!v)
        v = json_object_get(fig, "value");
    const json_t *n = json_object_get(fig, "n"), *sup = json_object_get(fig, "suppressed"),
                 *ci = json_object_get(fig, "ci95");
    if (json_is_integer(n) && json_object_set(item, "n", (json_t *)n))
        return LB_ENOMEM;
    if (json_is_boolean(sup) && json_object_set(item, "suppressed", (json_t *)sup))
        return LB_ENOMEM;
    if (json_is_array(ci) && json_object_set(item, "ci95", (json_t *)ci))
        return LB_ENOMEM;
    if (json_is_true(sup)) {
        /* Suppressed on enough answers: hidden so that another figure on fewer
         * cannot be worked out (secondary suppression, docs/indicators.md). */
        const json_t *min = json_object_get(snapshot, "min_answers");
        if (json_is_integer(n) && json_is_integer(min) &&
            json_integer_value(n) >= json_integer_value(min) &&
            json_object_set_new(item, "secondary", json_true()))
            return LB_ENOMEM;
        return set_reason(item, "suppressed");
    }
    if (!json_is_number(v))
        return set_reason(item, "not_in_snapshot");
    return json_object_set_new(item, "value", json_real(json_number_value(v))) ? LB_ENOMEM : 0;
}

int lb_plan_value(const json_t *action, const json_t *indicator, const char *period,
                  const json_t *snapshot, const json_t *followup, json_t **item)
{
    int year, quarter;
    *item = NULL;
    if (lb_plan_period_parse(period, &year, &quarter) != 0)
        return LB_EINVAL;
    const char *kind = json_string_value(json_object_get(indicator, "kind"));
    bool is_auto = kind && strcmp(kind, "auto") == 0;
    json_t *o = new_item(period, is_auto ? "auto" : "manual");
    if (!o)
        return LB_ENOMEM;
    int rc;
    if (is_auto) {
        rc = auto_value(indicator, snapshot, o);
    } else {
        /* A restated line (same_as) reads the values of the line it restates. */
        json_t *same = json_object_get(indicator, "same_as");
        const json_t *src =
            json_is_string(same) ? lb_plan_indicator(action, json_string_value(same)) : indicator;
        json_t *pv = json_string(period);
        const json_t *v = src && pv ? find_value(followup, json_object_get(src, "id"), pv) : NULL;
        json_decref(pv);
        const char *field = strcmp(kind, "milestone") == 0 ? "done"
                            : strcmp(json_string_value(json_object_get(src, "unit")), "text") == 0
                                ? "text"
                                : "value";
        json_t *x = json_object_get(v, field);
        if (!pv)
            rc = LB_ENOMEM;
        else if (x && !json_is_null(x))
            rc = json_object_set(o, "value", x) ? LB_ENOMEM : 0;
        else
            rc = set_reason(o, "not_recorded");
    }
    if (rc) {
        json_decref(o);
        return rc;
    }
    *item = o;
    return 0;
}

const json_t *lb_plan_target(const json_t *indicator, int year)
{
    char y[8];
    snprintf(y, sizeof y, "%d", year);
    const json_t *t = json_object_get(json_object_get(indicator, "target"), y);
    return json_is_number(t) ? t : NULL;
}
