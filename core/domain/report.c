/* report.c: the arbetsgrupp's quarterly review (report.h).
 *
 * One pass builds the JSON document from the eight snapshots and the
 * improvement actions: the quarter's indicators as computed, trend series per
 * unit and for the lots function, the improvement actions that matter to the
 * window, and the indices that moved by more than their interval. CSV and HTML
 * are then rendered from that document, so the three formats cannot disagree.
 *
 * Everything that is text in the output passes through one escape function
 * per format (csv_field, html_text): unit display names come from
 * configuration and improvement titles from staff, so neither is trusted.
 * The HTML page has no script and its one <style> element is allowed by hash
 * (lb_report_html_csp); charts are inline SVG with presentation attributes,
 * which a CSP does not govern.
 *
 * The snapshots' suppression is kept as it is: a suppressed index or share is
 * shown empty with why — too few answers (n under the snapshot's min_answers)
 * or hidden so that another suppressed figure cannot be worked out (secondary
 * suppression, docs/indicators.md) — and nothing is recomputed from counts. */
#include "lotsbok/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"

/* --- a growing output buffer with a sticky error ------------------------------------- */

struct sbuf {
    char *p;
    size_t len, cap;
    int err;
    int min_answers; /* the snapshots' publishing threshold, for the suppression notes */
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->err)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->err = LB_ENOMEM;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->err = b->err ? b->err : LB_EINTERNAL; /* callers format short, fixed texts only */
        return;
    }
    sb_add(b, tmp, (size_t)n);
}

/* --- vocabulary ------------------------------------------------------------------- */

struct label {
    const char *key, *sv;
};

static const struct label lots_questions[] = {
    {"reached_right_person", "Möjlighet att komma i kontakt med rätt person"},
    {"usefulness", "Upplevd nytta av lotsfunktionen"},
    {"treatment", "Bemötande"},
    {"website_information", "Informationen på webbplatsen"},
};

static const struct label unit_questions[] = {
    {"nki_overall", "Nöjd totalt"},
    {"nki_expectations", "Motsvarade förväntningarna"},
    {"nki_ideal", "Nära en perfekt service"},
    {"information", "Information"},
    {"accessibility", "Tillgänglighet"},
    {"treatment", "Bemötande"},
    {"competence", "Kompetens"},
    {"legal_certainty", "Rättssäkerhet"},
    {"efficiency", "Effektivitet"},
};

#define NLABELS(a) (sizeof(a) / sizeof((a)[0]))

static const char *question_sv(bool unit, const char *key)
{
    const struct label *t = unit ? unit_questions : lots_questions;
    size_t n = unit ? NLABELS(unit_questions) : NLABELS(lots_questions);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].key, key) == 0)
            return t[i].sv;
    }
    return key;
}

const char *lb_report_question_sv(bool unit, const char *key)
{
    return question_sv(unit, key);
}

static const char *improvement_status_sv(const char *s)
{
    if (strcmp(s, "identified") == 0)
        return "identifierad";
    if (strcmp(s, "implemented") == 0)
        return "genomförd";
    if (strcmp(s, "dropped") == 0)
        return "avskriven";
    return s;
}

int lb_report_format_from_str(const char *s, enum lb_report_format *out)
{
    static const char *const names[] = {"json", "csv", "html"};
    for (int i = 0; s != NULL && i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum lb_report_format)i;
            return 0;
        }
    }
    return LB_EINVAL;
}

const char *lb_report_content_type(enum lb_report_format f)
{
    switch (f) {
    case LB_REPORT_CSV:
        return "text/csv; charset=utf-8";
    case LB_REPORT_HTML:
        return "text/html; charset=utf-8";
    default:
        return "application/json";
    }
}

void lb_report_quarter_back(int year, int quarter, int back, int *out_year, int *out_quarter)
{
    int k = year * 4 + (quarter - 1) - back;
    *out_year = k / 4;
    *out_quarter = k % 4 + 1;
}

/* --- the JSON document --------------------------------------------------------------- */

static const char *unit_name(const struct lb_units *units, const char *code)
{
    const struct lb_unit *u = lb_units_find(units, code);
    return u != NULL && u->name_sv[0] != '\0' ? u->name_sv : code;
}

/* Codes to report: the configured units, then any other the quarter's snapshot lists. */
static json_t *unit_list(const struct lb_report_input *in, const json_t *cur)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < in->units->count; i++) {
        const char *code = in->units->unit[i].code;
        if (json_array_append_new(a, json_string(code)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    const char *code;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(cur, "units"), code, v)
    {
        if (a != NULL && lb_units_find(in->units, code) == NULL &&
            json_array_append_new(a, json_string(code)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* v when it is a JSON value, else null (new reference either way). */
static json_t *copy_or_null(const json_t *v)
{
    return v != NULL ? json_deep_copy(v) : json_null();
}

static json_t *lots_trend_point(const char *qs, const json_t *snap)
{
    if (snap == NULL)
        return json_pack("{s:s,s:b}", "quarter", qs, "available", 0);
    const json_t *l = json_object_get(snap, "lots");
    const json_t *qn = json_object_get(l, "questions");
    return json_pack(
        "{s:s,s:b,s:o,s:o,s:o,s:o,s:o}", "quarter", qs, "available", 1, "companies_guided",
        copy_or_null(json_object_get(l, "companies_guided")), "response_rate",
        copy_or_null(json_object_get(json_object_get(l, "followups"), "response_rate")),
        "reached_right_person", copy_or_null(json_object_get(qn, "reached_right_person")),
        "usefulness", copy_or_null(json_object_get(qn, "usefulness")), "easy_contact",
        copy_or_null(json_object_get(l, "easy_contact")));
}

static json_t *unit_trend_point(const char *qs, const json_t *snap, const char *code)
{
    const json_t *u = json_object_get(json_object_get(snap, "units"), code);
    if (u == NULL)
        return json_pack("{s:s,s:b}", "quarter", qs, "available", 0);
    const json_t *d = json_object_get(u, "decision_working_days");
    return json_pack(
        "{s:s,s:b,s:o,s:o,s:o,s:o,s:o}", "quarter", qs, "available", 1, "handoffs",
        copy_or_null(json_object_get(u, "handoffs")), "nki",
        copy_or_null(json_object_get(u, "nki")), "response_rate",
        copy_or_null(json_object_get(json_object_get(u, "followups"), "response_rate")),
        "decision_median", copy_or_null(json_object_get(d, "median")), "decision_p90",
        copy_or_null(json_object_get(d, "p90")));
}

static json_t *total_trend_point(const char *qs, const json_t *snap)
{
    const json_t *t = json_object_get(snap, "total");
    if (t == NULL)
        return json_pack("{s:s,s:b}", "quarter", qs, "available", 0);
    return json_pack("{s:s,s:b,s:o,s:o}", "quarter", qs, "available", 1, "nki",
                     copy_or_null(json_object_get(t, "nki")), "clear_and_lawful",
                     copy_or_null(json_object_get(t, "clear_and_lawful")));
}

/* Adds a change entry when the previous quarter's index lies outside the current
 * quarter's 95 % interval. */
static int maybe_change(json_t *changes, const char *scope, const char *unit, const char *key,
                        const json_t *cur, const json_t *prev)
{
    json_t *ci = json_object_get(cur, "ci95");
    json_t *a = json_object_get(cur, "index"), *b = json_object_get(prev, "index");
    if (!json_is_number(a) || !json_is_number(b) || json_array_size(ci) != 2)
        return 0;
    double now = json_number_value(a), before = json_number_value(b);
    double lo = json_number_value(json_array_get(ci, 0));
    double hi = json_number_value(json_array_get(ci, 1));
    if (before >= lo && before <= hi)
        return 0;
    double delta = round((now - before) * 10) / 10;
    json_t *c = json_pack("{s:s,s:o,s:s,s:f,s:f,s:f,s:O,s:s}", "scope", scope, "unit",
                          unit ? json_string(unit) : json_null(), "indicator", key, "previous",
                          before, "current", now, "change", delta, "ci95", ci, "direction",
                          now > before ? "up" : "down");
    return json_array_append_new(changes, c);
}

static int changes_for(json_t *changes, const char *scope, const char *unit, const json_t *cur,
                       const json_t *prev)
{
    int bad = 0;
    if (unit != NULL)
        bad |= maybe_change(changes, scope, unit, "nki", json_object_get(cur, "nki"),
                            json_object_get(prev, "nki"));
    const char *key;
    json_t *ix;
    json_object_foreach((json_t *)json_object_get(cur, "questions"), key, ix)
    {
        bad |= maybe_change(changes, scope, unit, key, ix,
                            json_object_get(json_object_get(prev, "questions"), key));
    }
    return bad;
}

static void date_of(lb_time t, char *buf)
{
    lb_date_format(lb_stockholm_date(t), buf);
}

/* Improvement actions of the window: still open ones identified by the quarter's
 * end, and those implemented or dropped within the eight quarters. */
static json_t *improvements_json(const struct lb_report_input *in, lb_date first, lb_date last)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < in->nimprovements; i++) {
        const struct lb_improvement *m = &in->improvements[i];
        if (m->identified_at == LB_TIME_NONE || lb_stockholm_date(m->identified_at) > last)
            continue;
        lb_time closed = m->status == LB_IMPROVEMENT_IMPLEMENTED ? m->implemented_at
                         : m->status == LB_IMPROVEMENT_DROPPED   ? m->meta.updated_at
                                                                 : LB_TIME_NONE;
        if (closed != LB_TIME_NONE && lb_stockholm_date(closed) < first)
            continue;
        char idd[11], imd[11];
        date_of(m->identified_at, idd);
        json_t *o =
            json_pack("{s:I,s:o,s:s,s:s,s:s,s:o}", "id", (json_int_t)m->meta.id, "unit",
                      m->unit ? json_string(m->unit) : json_null(), "title",
                      m->title ? m->title : "", "status", lb_improvement_status_str(m->status),
                      "identified_on", idd, "implemented_on", json_null());
        if (o != NULL && m->status == LB_IMPROVEMENT_IMPLEMENTED &&
            m->implemented_at != LB_TIME_NONE) {
            date_of(m->implemented_at, imd);
            json_object_set_new(o, "implemented_on", json_string(imd));
        }
        if (json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int lb_report_json(const struct lb_report_input *in, json_t **out)
{
    *out = NULL;
    if (in->units == NULL || in->quarter < 1 || in->quarter > 4 || in->year < 1901 ||
        in->year > 2199)
        return LB_EINVAL;
    const json_t *cur = in->snapshots[LB_REPORT_QUARTERS - 1];
    const json_t *prev = in->snapshots[LB_REPORT_QUARTERS - 2];
    char qs[LB_REPORT_QUARTERS][8], at[32], self[8];
    int bad = 0;
    json_t *quarters = json_array(), *missing = json_array(), *lots_trend = json_array();
    json_t *total_trend = json_array();
    for (int i = 0; i < LB_REPORT_QUARTERS; i++) {
        int y, q;
        lb_report_quarter_back(in->year, in->quarter, LB_REPORT_QUARTERS - 1 - i, &y, &q);
        lb_quarter_format(y, q, qs[i]);
        bad |= json_array_append_new(quarters, json_string(qs[i]));
        if (in->snapshots[i] == NULL)
            bad |= json_array_append_new(missing, json_string(qs[i]));
        bad |= json_array_append_new(lots_trend, lots_trend_point(qs[i], in->snapshots[i]));
        bad |= json_array_append_new(total_trend, total_trend_point(qs[i], in->snapshots[i]));
    }
    json_t *codes = unit_list(in, cur), *units = json_array(), *unit_trends = json_object();
    json_t *changes = json_array();
    if (prev != NULL && cur != NULL)
        bad |= changes_for(changes, "lots", NULL, json_object_get(cur, "lots"),
                           json_object_get(prev, "lots"));
    size_t i;
    json_t *c;
    json_array_foreach(codes, i, c)
    {
        const char *code = json_string_value(c);
        json_t *series = json_array();
        for (int k = 0; k < LB_REPORT_QUARTERS; k++)
            bad |= json_array_append_new(series, unit_trend_point(qs[k], in->snapshots[k], code));
        bad |= json_object_set_new(unit_trends, code, series);
        /* The label as the snapshot gives it (NUI for the upphandling area). */
        const json_t *lab = json_object_get(
            json_object_get(json_object_get(json_object_get(cur, "units"), code), "nki"), "label");
        bad |= json_array_append_new(units, json_pack("{s:s,s:s,s:s}", "code", code, "name",
                                                      unit_name(in->units, code), "label",
                                                      json_is_string(lab) ? json_string_value(lab)
                                                      : strcmp(code, "upphandling") == 0 ? "NUI"
                                                                                         : "NKI"));
        if (prev != NULL && cur != NULL)
            bad |= changes_for(changes, "unit", code,
                               json_object_get(json_object_get(cur, "units"), code),
                               json_object_get(json_object_get(prev, "units"), code));
    }
    if (prev != NULL && cur != NULL)
        bad |= maybe_change(changes, "total", NULL, "nki_total",
                            json_object_get(json_object_get(cur, "total"), "nki"),
                            json_object_get(json_object_get(prev, "total"), "nki"));
    int fy, fq;
    lb_date first, last, unused;
    lb_report_quarter_back(in->year, in->quarter, LB_REPORT_QUARTERS - 1, &fy, &fq);
    lb_quarter_range(fy, fq, &first, &unused);
    lb_quarter_range(in->year, in->quarter, &unused, &last);
    lb_quarter_format(in->year, in->quarter, self);
    lb_time_format_rfc3339(in->generated_at, at);
    json_t *doc = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:{s:o,s:o,s:o},s:o,s:o}", "quarter", self,
                            "generated_at", at, "quarters", quarters, "missing_quarters", missing,
                            "units", units, "indicators", copy_or_null(cur), "trends", "lots",
                            lots_trend, "units", unit_trends, "total", total_trend, "improvements",
                            improvements_json(in, first, last), "changes", changes);
    json_decref(codes);
    if (doc == NULL || bad) {
        json_decref(doc);
        return LB_ENOMEM;
    }
    *out = doc;
    return 0;
}

/* --- number formatting --------------------------------------------------------------- */

/* x with `dec` decimals and a decimal comma. */
static void fmt_dbl(double x, int dec, char *buf, size_t len)
{
    snprintf(buf, len, "%.*f", dec, x);
    char *dot = strchr(buf, '.');
    if (dot != NULL)
        *dot = ',';
}

/* A JSON number as fmt_dbl writes it (integers as they are); "" for anything else. */
static void fmt_num(const json_t *v, int dec, char *buf, size_t len)
{
    buf[0] = '\0';
    if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        fmt_dbl(json_real_value(v), dec, buf, len);
}

/* --- CSV ---------------------------------------------------------------------------- */

/* One field: quoted when it holds ; " CR or LF (quotes doubled). Text fields that
 * start like a formula (= + - @ tab CR) get a leading apostrophe, so a title
 * cannot become an Excel formula. */
static void csv_field(struct sbuf *b, const char *s, bool text)
{
    if (s == NULL)
        s = "";
    bool quote = strpbrk(s, ";\"\r\n") != NULL;
    bool formula = text && strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
    if (quote)
        sb_puts(b, "\"");
    if (formula)
        sb_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            sb_puts(b, "\"\"");
        else
            sb_add(b, p, 1);
    }
    if (quote)
        sb_puts(b, "\"");
}

/* Kvartal;Avsnitt;Enhet;Indikator;Värde;n;KI 95 % låg;KI 95 % hög;Anmärkning */
static void csv_row(struct sbuf *b, const char *quarter, const char *section, const char *unit,
                    const char *indicator, const char *value, const char *n, const char *lo,
                    const char *hi, const char *note)
{
    csv_field(b, quarter, false);
    sb_puts(b, ";");
    csv_field(b, section, true);
    sb_puts(b, ";");
    csv_field(b, unit, true);
    sb_puts(b, ";");
    csv_field(b, indicator, true);
    sb_puts(b, ";");
    csv_field(b, value, false);
    sb_puts(b, ";");
    csv_field(b, n, false);
    sb_puts(b, ";");
    csv_field(b, lo, false);
    sb_puts(b, ";");
    csv_field(b, hi, false);
    sb_puts(b, ";");
    csv_field(b, note, true);
    sb_puts(b, "\r\n");
}

static const char *const SUPPRESSED_SV = "för få svar för att redovisas";
static const char *const HIDDEN_SV =
    "dold så att en annan dold uppgift inte kan räknas fram (sekundär röjning)";

/* Why a suppressed index or share (ix) is empty: too few answers, or hidden
 * to protect another (its n reaches the threshold). */
static bool hidden_secondarily(const struct sbuf *b, const json_t *ix)
{
    const json_t *n = json_object_get(ix, "n");
    return json_is_integer(n) && json_integer_value(n) >= b->min_answers;
}

static const char *suppressed_note(const struct sbuf *b, const json_t *ix)
{
    return hidden_secondarily(b, ix) ? HIDDEN_SV : SUPPRESSED_SV;
}

static void csv_count(struct sbuf *b, const char *q, const char *sec, const char *unit,
                      const char *label, const json_t *v)
{
    char num[32];
    fmt_num(v, 0, num, sizeof num);
    csv_row(b, q, sec, unit, label, num, "", "", "", "");
}

static void csv_index(struct sbuf *b, const char *q, const char *sec, const char *unit,
                      const char *label, const json_t *ix, bool nki)
{
    char v[32], n[32], lo[32], hi[32];
    const json_t *ci = json_object_get(ix, "ci95");
    fmt_num(json_object_get(ix, "index"), 1, v, sizeof v);
    fmt_num(json_object_get(ix, "n"), 0, n, sizeof n);
    fmt_num(json_array_get(ci, 0), 1, lo, sizeof lo);
    fmt_num(json_array_get(ci, 1), 1, hi, sizeof hi);
    const char *note = "";
    if (json_is_true(json_object_get(ix, "suppressed")))
        note = suppressed_note(b, ix);
    else if (nki && json_is_string(json_object_get(ix, "grade")))
        note = json_string_value(json_object_get(ix, "grade"));
    csv_row(b, q, sec, unit, label, v, n, lo, hi, note);
}

static void csv_share(struct sbuf *b, const char *q, const char *sec, const char *unit,
                      const char *label, const json_t *s)
{
    char v[32], n[32];
    fmt_num(json_object_get(s, "value"), 2, v, sizeof v);
    fmt_num(json_object_get(s, "n"), 0, n, sizeof n);
    csv_row(b, q, sec, unit, label, v, n, "", "",
            json_is_true(json_object_get(s, "suppressed")) ? suppressed_note(b, s) : "");
}

/* done_by_email / done: "0.25" (csv) or "25 % (3 av 12)" (html); "" when
 * nothing was done. (docs/surveys.md) */
static void email_share(const json_t *f, char *out, size_t len, bool html)
{
    json_int_t done = json_integer_value(json_object_get(f, "done"));
    json_int_t mail = json_integer_value(json_object_get(f, "done_by_email"));
    out[0] = '\0';
    if (done <= 0 || mail < 0 || mail > done)
        return;
    if (html)
        snprintf(out, len, "%.0f %% (%lld av %lld)", 100.0 * (double)mail / (double)done,
                 (long long)mail, (long long)done);
    else
        snprintf(out, len, "%.2f", (double)((200 * mail + done) / (2 * done)) / 100.0);
}

static void csv_followups(struct sbuf *b, const char *q, const char *sec, const char *unit,
                          const json_t *f)
{
    static const struct label keys[] = {{"due", "Uppföljningar planerade"},
                                        {"done", "Uppföljningar genomförda"},
                                        {"no_answer", "Uppföljningar utan svar"},
                                        {"declined", "Uppföljningar avböjda"},
                                        {"unreachable", "Uppföljningar ej nådda"}};
    for (size_t i = 0; i < NLABELS(keys); i++)
        csv_count(b, q, sec, unit, keys[i].sv, json_object_get(f, keys[i].key));
    char v[32];
    fmt_num(json_object_get(f, "response_rate"), 2, v, sizeof v);
    csv_row(b, q, sec, unit, "Svarsfrekvens", v, "", "", "", "");
    csv_count(b, q, sec, unit, "Uppföljningar besvarade per e-post",
              json_object_get(f, "done_by_email"));
    email_share(f, v, sizeof v, false);
    csv_row(b, q, sec, unit, "Andel besvarade per e-post", v, "", "", "", "");
}

static void csv_snapshot(struct sbuf *b, const json_t *doc, const json_t *snap, const char *q)
{
    const char *L = "Företagslotsen";
    const json_t *l = json_object_get(snap, "lots");
    csv_count(b, q, L, "", "Företag som lotsats", json_object_get(l, "companies_guided"));
    csv_count(b, q, L, "", "Företag som lotsats hittills i år",
              json_object_get(l, "companies_guided_ytd"));
    csv_count(b, q, L, "", "Ärenden öppnade", json_object_get(l, "cases_opened"));
    csv_count(b, q, L, "", "Ärenden avslutade", json_object_get(l, "cases_closed"));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(l, "contacts"), key, v)
    {
        enum lb_channel ch;
        char label[96];
        snprintf(label, sizeof label, "Kontakter, %s",
                 lb_channel_from_str(key, &ch) == 0 ? lb_channel_label_sv(ch) : key);
        csv_count(b, q, L, "", label, v);
    }
    csv_followups(b, q, L, "", json_object_get(l, "followups"));
    json_object_foreach((json_t *)json_object_get(l, "questions"), key, v)
    {
        csv_index(b, q, L, "", question_sv(false, key), v, false);
    }
    csv_share(b, q, L, "", "Enkelt att komma i kontakt med rätt person (andel ja)",
              json_object_get(l, "easy_contact"));

    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(doc, "units"), i, u)
    {
        const char *code = json_string_value(json_object_get(u, "code"));
        const char *name = json_string_value(json_object_get(u, "name"));
        const json_t *s = json_object_get(json_object_get(snap, "units"), code);
        if (s == NULL)
            continue;
        const char *E = "Enhet";
        const json_t *d = json_object_get(s, "decision_working_days");
        csv_count(b, q, E, name, "Överlämningar", json_object_get(s, "handoffs"));
        csv_share(b, q, E, name, "Kvitterade inom 2 arbetsdagar (andel)",
                  json_object_get(s, "acknowledged_in_time"));
        csv_count(b, q, E, name, "Handläggningstid, median (arbetsdagar)",
                  json_object_get(d, "median"));
        csv_count(b, q, E, name, "Handläggningstid, 90:e percentilen (arbetsdagar)",
                  json_object_get(d, "p90"));
        csv_count(b, q, E, name, "Beslutade överlämningar", json_object_get(d, "n"));
        csv_count(b, q, E, name, "Försenade kvitteringar", json_object_get(s, "overdue"));
        csv_followups(b, q, E, name, json_object_get(s, "followups"));
        csv_index(b, q, E, name, json_string_value(json_object_get(u, "label")),
                  json_object_get(s, "nki"), true);
        json_object_foreach((json_t *)json_object_get(s, "questions"), key, v)
        {
            csv_index(b, q, E, name, question_sv(true, key), v, false);
        }
        csv_share(b, q, E, name, "Tydlig och rättssäker handläggning (andel ja)",
                  json_object_get(s, "clear_and_lawful"));
    }
    const json_t *t = json_object_get(snap, "total");
    if (t != NULL) {
        csv_index(b, q, "Totalt", "", "NKI totalt", json_object_get(t, "nki"), true);
        csv_share(b, q, "Totalt", "", "Tydlig och rättssäker handläggning, alla enheter (andel ja)",
                  json_object_get(t, "clear_and_lawful"));
    }
    const json_t *im = json_object_get(snap, "improvements");
    csv_count(b, q, "Förbättringsåtgärder", "", "Identifierade i kvartalet",
              json_object_get(im, "identified"));
    csv_count(b, q, "Förbättringsåtgärder", "", "Genomförda i kvartalet",
              json_object_get(im, "implemented"));
    csv_count(b, q, "Förbättringsåtgärder", "", "Identifierade totalt",
              json_object_get(im, "identified_total"));
    csv_count(b, q, "Förbättringsåtgärder", "", "Genomförda totalt",
              json_object_get(im, "implemented_total"));
}

/* The display name of a unit code in the report document, "" for NULL/null. */
static const char *doc_unit_name(const json_t *doc, const json_t *code)
{
    if (!json_is_string(code))
        return "";
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(doc, "units"), i, u)
    {
        if (strcmp(json_string_value(json_object_get(u, "code")), json_string_value(code)) == 0)
            return json_string_value(json_object_get(u, "name"));
    }
    return json_string_value(code);
}

static const char *indicator_sv(const json_t *doc, const json_t *change)
{
    const char *key = json_string_value(json_object_get(change, "indicator"));
    if (strcmp(key, "nki_total") == 0)
        return "NKI totalt";
    if (strcmp(key, "nki") == 0) {
        const char *code = json_string_value(json_object_get(change, "unit"));
        return code && strcmp(code, "upphandling") == 0 ? "NUI" : "NKI";
    }
    return question_sv(json_is_string(json_object_get(change, "unit")), key);
}

static void render_csv(struct sbuf *b, const json_t *doc)
{
    sb_puts(b, "\xEF\xBB\xBF");
    csv_row(b, "Kvartal", "Avsnitt", "Enhet", "Indikator", "Värde", "n", "KI 95 % låg",
            "KI 95 % hög", "Anmärkning");
    const json_t *quarters = json_object_get(doc, "quarters");
    const json_t *lots = json_object_get(json_object_get(doc, "trends"), "lots");
    /* Trend figures of the earlier quarters, one row each. */
    const json_t *ut = json_object_get(json_object_get(doc, "trends"), "units");
    for (size_t i = 0; i + 1 < json_array_size(quarters); i++) {
        const char *q = json_string_value(json_array_get(quarters, i));
        const json_t *p = json_array_get(lots, i);
        if (json_is_true(json_object_get(p, "available"))) {
            const char *L = "Företagslotsen";
            csv_count(b, q, L, "", "Företag som lotsats", json_object_get(p, "companies_guided"));
            char v[32];
            fmt_num(json_object_get(p, "response_rate"), 2, v, sizeof v);
            csv_row(b, q, L, "", "Svarsfrekvens", v, "", "", "", "");
            csv_index(b, q, L, "", question_sv(false, "reached_right_person"),
                      json_object_get(p, "reached_right_person"), false);
            csv_index(b, q, L, "", question_sv(false, "usefulness"),
                      json_object_get(p, "usefulness"), false);
            csv_share(b, q, L, "", "Enkelt att komma i kontakt med rätt person (andel ja)",
                      json_object_get(p, "easy_contact"));
        }
        size_t k;
        json_t *u;
        json_array_foreach(json_object_get(doc, "units"), k, u)
        {
            const char *code = json_string_value(json_object_get(u, "code"));
            const char *name = json_string_value(json_object_get(u, "name"));
            const json_t *tp = json_array_get(json_object_get(ut, code), i);
            if (!json_is_true(json_object_get(tp, "available")))
                continue;
            const char *E = "Enhet";
            csv_count(b, q, E, name, "Överlämningar", json_object_get(tp, "handoffs"));
            csv_index(b, q, E, name, json_string_value(json_object_get(u, "label")),
                      json_object_get(tp, "nki"), true);
            char v[32];
            fmt_num(json_object_get(tp, "response_rate"), 2, v, sizeof v);
            csv_row(b, q, E, name, "Svarsfrekvens", v, "", "", "", "");
            csv_count(b, q, E, name, "Handläggningstid, median (arbetsdagar)",
                      json_object_get(tp, "decision_median"));
            csv_count(b, q, E, name, "Handläggningstid, 90:e percentilen (arbetsdagar)",
                      json_object_get(tp, "decision_p90"));
        }
        const json_t *tt =
            json_array_get(json_object_get(json_object_get(doc, "trends"), "total"), i);
        if (json_is_true(json_object_get(tt, "available")))
            csv_index(b, q, "Totalt", "", "NKI totalt", json_object_get(tt, "nki"), true);
    }
    /* Every figure of the quarter reviewed. */
    const json_t *cur = json_object_get(doc, "indicators");
    if (json_is_object(cur))
        csv_snapshot(b, doc, cur, json_string_value(json_object_get(doc, "quarter")));
    const char *self = json_string_value(json_object_get(doc, "quarter"));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "changes"), i, c)
    {
        char d[32], note[128], from[32], to[32];
        fmt_num(json_object_get(c, "change"), 1, d, sizeof d);
        fmt_num(json_object_get(c, "previous"), 1, from, sizeof from);
        fmt_num(json_object_get(c, "current"), 1, to, sizeof to);
        snprintf(note, sizeof note, "från %s till %s, utanför konfidensintervallet", from, to);
        csv_row(b, self, "Förändring", doc_unit_name(doc, json_object_get(c, "unit")),
                indicator_sv(doc, c), d, "", "", "", note);
    }
    json_array_foreach(json_object_get(doc, "improvements"), i, c)
    {
        char note[64];
        const json_t *imp = json_object_get(c, "implemented_on");
        snprintf(note, sizeof note, "identifierad %s%s%s",
                 json_string_value(json_object_get(c, "identified_on")),
                 json_is_string(imp) ? ", genomförd " : "",
                 json_is_string(imp) ? json_string_value(imp) : "");
        lb_date dd;
        int y = 0, q = 0;
        char iq[8] = "";
        if (lb_date_parse(json_string_value(json_object_get(c, "identified_on")), &dd) == 0) {
            lb_date_quarter(dd, &y, &q);
            lb_quarter_format(y, q, iq);
        }
        const json_t *code = json_object_get(c, "unit");
        csv_row(b, iq, "Förbättringsåtgärd",
                json_is_string(code) ? doc_unit_name(doc, code) : "Företagslotsen",
                json_string_value(json_object_get(c, "title")),
                improvement_status_sv(json_string_value(json_object_get(c, "status"))), "", "", "",
                note);
    }
}

/* --- HTML --------------------------------------------------------------------------- */

static void html_text(struct sbuf *b, const char *s)
{
    if (s == NULL)
        return;
    const char *run = s;
    for (const char *p = s; *p; p++) {
        const char *ent = NULL;
        switch (*p) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            continue;
        }
        sb_add(b, run, (size_t)(p - run));
        sb_puts(b, ent);
        run = p + 1;
    }
    sb_puts(b, run);
}

int lb_report_html_escape(const char *s, char **out)
{
    struct sbuf b = {0};
    sb_puts(&b, "");
    html_text(&b, s);
    if (b.err) {
        free(b.p);
        *out = NULL;
        return LB_ENOMEM;
    }
    *out = b.p;
    return 0;
}

/* An RFC 3339 instant as Stockholm's wall clock to the minute, "2026-12-04 15:12",
 * as a reader of the page expects it; the instant itself when it cannot be read. */
static void local_minute(const char *iso, char *out, size_t len)
{
    lb_time t;
    if (iso == NULL || lb_time_parse_rfc3339(iso, &t) != 0) {
        snprintf(out, len, "%s", iso ? iso : "");
        return;
    }
    long long s = (t - (t % 1000 + 1000) % 1000) / 1000 + lb_stockholm_offset(t);
    long long days = (s - ((s % 86400) + 86400) % 86400) / 86400;
    int sec = (int)(s - days * 86400);
    int y, m, d;
    lb_date_to_ymd((lb_date)days, &y, &m, &d);
    snprintf(out, len, "%04d-%02d-%02d %02d:%02d", y, m, d, sec / 3600, sec / 60 % 60);
}

/* The page's only stylesheet. Its SHA-256 is in the CSP (lb_report_html_csp), so
 * changing a byte here changes the header with it. */
static const char STYLE[] =
    "body{font-family:system-ui,sans-serif;color:#1a1a1a;margin:0 auto;max-width:60em;"
    "padding:1em;line-height:1.4}"
    "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #999;margin-top:1.5em}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}"
    "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;vertical-align:top}"
    "td.num{text-align:right}.ci{white-space:nowrap}"
    ".charts{display:flex;flex-wrap:wrap;gap:1em}"
    "figure{margin:.5em 0;break-inside:avoid}figcaption{font-size:.85em}"
    ".note{font-size:.85em;color:#444}"
    "@page{size:A4;margin:15mm}"
    "@media print{body{max-width:none;padding:0;font-size:10pt}"
    "table{font-size:8pt}th,td{padding:.1em .25em}"
    "section,table,figure{break-inside:avoid}h2{break-after:avoid}}";

int lb_report_html_csp(char *buf, size_t len)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    if (len < 256)
        return LB_ETOOBIG;
    crypto_hash_sha256(h, (const unsigned char *)STYLE, sizeof STYLE - 1);
    sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
    snprintf(buf, len,
             "default-src 'none'; style-src 'sha256-%s'; img-src 'none'; base-uri 'none'; "
             "form-action 'none'; frame-ancestors 'none'",
             b64);
    return 0;
}

/* One value of a trend series for a chart. */
struct point {
    bool has, has_ci;
    double v, lo, hi;
};

/* A small chart of eight quarters: points with interval whiskers (index charts)
 * or bars (rates, days). Missing or suppressed quarters show "–". Everything in
 * it is numbers or fixed Swedish text except `title`, which is escaped. */
static void svg_chart(struct sbuf *b, const char *cls, const char *title, const json_t *quarters,
                      const struct point *pt, double ymax, bool bars)
{
    const double W = 300, H = 170, X0 = 34, X1 = 292, Y0 = 14, Y1 = 132;
    double slot = (X1 - X0) / LB_REPORT_QUARTERS;
    sb_printf(b,
              "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
              "width=\"%.0f\" height=\"%.0f\" role=\"img\"><title>",
              cls, W, H, W, H);
    html_text(b, title);
    sb_puts(b, "</title>");
    for (int g = 0; g <= 4; g++) {
        double y = Y1 - (Y1 - Y0) * g / 4.0;
        sb_printf(b,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">%.0f</text>",
                  X0, y, X1, y, X0 - 3, y + 3, ymax * g / 4.0);
    }
    for (int i = 0; i < LB_REPORT_QUARTERS; i++) {
        double cx = X0 + slot * (i + 0.5);
        const char *q = json_string_value(json_array_get(quarters, (size_t)i));
        /* "2026-Q1" -> "26 Q1" */
        sb_printf(
            b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"8\" text-anchor=\"middle\">%.2s %s</text>",
            cx, Y1 + 12, q && strlen(q) == 7 ? q + 2 : "", q && strlen(q) == 7 ? q + 5 : "");
        if (!pt[i].has) {
            sb_printf(b,
                      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" "
                      "fill=\"#777\">–</text>",
                      cx, Y1 - 4);
            continue;
        }
        double v = pt[i].v > ymax ? ymax : pt[i].v < 0 ? 0 : pt[i].v;
        double y = Y1 - (Y1 - Y0) * v / ymax;
        if (bars) {
            sb_printf(b,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                      "fill=\"#4a7ab0\"/>",
                      cx - slot * 0.3, y, slot * 0.6, Y1 - y);
        } else {
            if (pt[i].has_ci) {
                double lo = Y1 - (Y1 - Y0) * fmin(fmax(pt[i].lo, 0), ymax) / ymax;
                double hi = Y1 - (Y1 - Y0) * fmin(fmax(pt[i].hi, 0), ymax) / ymax;
                sb_printf(b,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>"
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>"
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>",
                          cx, lo, cx, hi, cx - 4, lo, cx + 4, lo, cx - 4, hi, cx + 4, hi);
            }
            sb_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#1f4e79\"/>", cx, y);
        }
        char num[32];
        fmt_dbl(pt[i].v, bars ? 0 : 1, num, sizeof num);
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"8\" text-anchor=\"middle\">%s</text>",
                  cx + (bars ? 0 : 9), (bars ? y - 2 : y - 5), num);
    }
    sb_puts(b, "</svg>");
}

static void index_point(const json_t *ix, struct point *p)
{
    const json_t *v = json_object_get(ix, "index"), *ci = json_object_get(ix, "ci95");
    memset(p, 0, sizeof *p);
    if (!json_is_number(v))
        return;
    p->has = true;
    p->v = json_number_value(v);
    if (json_array_size(ci) == 2) {
        p->has_ci = true;
        p->lo = json_number_value(json_array_get(ci, 0));
        p->hi = json_number_value(json_array_get(ci, 1));
    }
}

static void num_point(const json_t *v, double scale, struct point *p)
{
    memset(p, 0, sizeof *p);
    if (json_is_number(v)) {
        p->has = true;
        p->v = json_number_value(v) * scale;
    }
}

static void td_num(struct sbuf *b, const json_t *v, int dec, const char *suffix)
{
    char num[32];
    fmt_num(v, dec, num, sizeof num);
    sb_printf(b, "<td class=\"num\">%s%s</td>", num[0] ? num : "–", num[0] ? suffix : "");
}

/* "67,1 (50,7–83,5)" or "– (för få svar)". */
/* An index cell: "71,2 (64,0–78,4)", the interval free to go to a line of its own
 * so a wide table still fits the page; label ("NKI", "NUI") first when given. */
static void td_index_label(struct sbuf *b, const char *label, const json_t *ix)
{
    char v[32], lo[32], hi[32];
    const json_t *ci = json_object_get(ix, "ci95");
    fmt_num(json_object_get(ix, "index"), 1, v, sizeof v);
    fmt_num(json_array_get(ci, 0), 1, lo, sizeof lo);
    fmt_num(json_array_get(ci, 1), 1, hi, sizeof hi);
    sb_puts(b, "<td class=\"num\">");
    if (label) {
        html_text(b, label);
        sb_puts(b, " ");
    }
    if (v[0] == '\0')
        sb_printf(b, "–%s</td>",
                  !json_is_true(json_object_get(ix, "suppressed")) ? ""
                  : hidden_secondarily(b, ix)                      ? " (dold)"
                                                                   : " (för få svar)");
    else if (lo[0] != '\0')
        sb_printf(b, "%s <span class=\"ci\">(%s–%s)</span></td>", v, lo, hi);
    else
        sb_printf(b, "%s</td>", v);
}

static void td_index(struct sbuf *b, const json_t *ix)
{
    td_index_label(b, NULL, ix);
}

static void td_share(struct sbuf *b, const json_t *s)
{
    const json_t *v = json_object_get(s, "value");
    if (json_is_number(v))
        sb_printf(b, "<td class=\"num\">%.0f %%</td>", json_number_value(v) * 100);
    else
        sb_printf(b, "<td class=\"num\">–%s</td>",
                  !json_is_true(json_object_get(s, "suppressed")) ? ""
                  : hidden_secondarily(b, s)                      ? " (dold)"
                                                                  : " (för få svar)");
}

static void html_lots(struct sbuf *b, const json_t *doc, const json_t *snap)
{
    const json_t *l = json_object_get(snap, "lots");
    const json_t *f = json_object_get(l, "followups");
    sb_puts(b, "<section><h2>Företagslotsen</h2><table><tbody>");
    sb_puts(b, "<tr><th scope=\"row\">Företag som lotsats i kvartalet</th>");
    td_num(b, json_object_get(l, "companies_guided"), 0, "");
    sb_puts(b, "</tr><tr><th scope=\"row\">Företag som lotsats hittills i år</th>");
    td_num(b, json_object_get(l, "companies_guided_ytd"), 0, "");
    sb_puts(b, "</tr><tr><th scope=\"row\">Ärenden öppnade</th>");
    td_num(b, json_object_get(l, "cases_opened"), 0, "");
    sb_puts(b, "</tr><tr><th scope=\"row\">Ärenden avslutade</th>");
    td_num(b, json_object_get(l, "cases_closed"), 0, "");
    sb_puts(b, "</tr>");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(l, "contacts"), key, v)
    {
        enum lb_channel ch;
        sb_puts(b, "<tr><th scope=\"row\">Kontakter, ");
        html_text(b, lb_channel_from_str(key, &ch) == 0 ? lb_channel_label_sv(ch) : key);
        sb_puts(b, "</th>");
        td_num(b, v, 0, "");
        sb_puts(b, "</tr>");
    }
    sb_puts(b, "<tr><th scope=\"row\">Uppföljningar planerade / genomförda / utan svar / "
               "avböjda / ej nådda</th><td class=\"num\">");
    static const char *const fk[] = {"due", "done", "no_answer", "declined", "unreachable"};
    for (int i = 0; i < 5; i++) {
        char num[32];
        fmt_num(json_object_get(f, fk[i]), 0, num, sizeof num);
        sb_printf(b, "%s%s", i ? " / " : "", num[0] ? num : "–");
    }
    sb_puts(b, "</td></tr><tr><th scope=\"row\">Svarsfrekvens</th>");
    json_t *rate = json_object_get(f, "response_rate");
    if (json_is_number(rate))
        sb_printf(b, "<td class=\"num\">%.0f %%</td>", json_number_value(rate) * 100);
    else
        sb_puts(b, "<td class=\"num\">–</td>");
    {
        char share[64];
        email_share(f, share, sizeof share, true);
        sb_puts(b, "</tr><tr><th scope=\"row\">Besvarade per e-post</th><td class=\"num\">");
        html_text(b, share[0] ? share : "–");
        sb_puts(b, "</td>");
    }
    sb_puts(b, "</tr><tr><th scope=\"row\">Enkelt att komma i kontakt med rätt person</th>");
    td_share(b, json_object_get(l, "easy_contact"));
    sb_puts(b, "</tr></tbody></table>");
    sb_puts(b, "<table><thead><tr><th scope=\"col\">Fråga</th><th scope=\"col\">Index (95 % KI)"
               "</th><th scope=\"col\">n</th></tr></thead><tbody>");
    json_object_foreach((json_t *)json_object_get(l, "questions"), key, v)
    {
        sb_puts(b, "<tr><th scope=\"row\">");
        html_text(b, question_sv(false, key));
        sb_puts(b, "</th>");
        td_index(b, v);
        td_num(b, json_object_get(v, "n"), 0, "");
        sb_puts(b, "</tr>");
    }
    sb_puts(b, "</tbody></table>");

    const json_t *quarters = json_object_get(doc, "quarters");
    const json_t *lt = json_object_get(json_object_get(doc, "trends"), "lots");
    struct point rr[LB_REPORT_QUARTERS], reach[LB_REPORT_QUARTERS];
    for (int i = 0; i < LB_REPORT_QUARTERS; i++) {
        const json_t *p = json_array_get(lt, (size_t)i);
        num_point(json_object_get(p, "response_rate"), 100, &rr[i]);
        index_point(json_object_get(p, "reached_right_person"), &reach[i]);
    }
    sb_puts(b, "<div class=\"charts\"><figure>");
    svg_chart(b, "chart-lots-reach", "Möjlighet att komma i kontakt med rätt person, index",
              quarters, reach, 100, false);
    sb_puts(b, "<figcaption>Möjlighet att komma i kontakt med rätt person (index med 95 % KI)"
               "</figcaption></figure><figure>");
    svg_chart(b, "chart-lots-rate", "Svarsfrekvens, procent", quarters, rr, 100, true);
    sb_puts(b, "<figcaption>Svarsfrekvens (%)</figcaption></figure></div></section>");
}

static void html_units(struct sbuf *b, const json_t *doc, const json_t *snap)
{
    sb_puts(b, "<section><h2>Enheterna</h2><table><thead><tr><th scope=\"col\">Enhet</th>"
               "<th scope=\"col\">Överlämningar</th><th scope=\"col\">Kvitterade i tid</th>"
               "<th scope=\"col\">Handläggningstid median / p90 (arbetsdagar)</th>"
               "<th scope=\"col\">Försenade</th><th scope=\"col\">Svarsfrekvens</th>"
               "<th scope=\"col\">NKI/NUI (95 % KI)</th><th scope=\"col\">n</th>"
               "<th scope=\"col\">Betyg</th><th scope=\"col\">Tydlig och rättssäker</th>"
               "</tr></thead><tbody>");
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(doc, "units"), i, u)
    {
        const json_t *s = json_object_get(json_object_get(snap, "units"),
                                          json_string_value(json_object_get(u, "code")));
        const json_t *d = json_object_get(s, "decision_working_days");
        const json_t *k = json_object_get(s, "nki");
        char med[32], p90[32];
        fmt_num(json_object_get(d, "median"), 0, med, sizeof med);
        fmt_num(json_object_get(d, "p90"), 0, p90, sizeof p90);
        sb_puts(b, "<tr><th scope=\"row\">");
        html_text(b, json_string_value(json_object_get(u, "name")));
        sb_puts(b, "</th>");
        td_num(b, json_object_get(s, "handoffs"), 0, "");
        td_share(b, json_object_get(s, "acknowledged_in_time"));
        sb_printf(b, "<td class=\"num\">%s / %s</td>", med[0] ? med : "–", p90[0] ? p90 : "–");
        td_num(b, json_object_get(s, "overdue"), 0, "");
        const json_t *rate = json_object_get(json_object_get(s, "followups"), "response_rate");
        if (json_is_number(rate))
            sb_printf(b, "<td class=\"num\">%.0f %%</td>", json_number_value(rate) * 100);
        else
            sb_puts(b, "<td class=\"num\">–</td>");
        /* The label goes in the index's own cell: a cell of its own made the row one
         * longer than the header, pushing the last column out of the page. */
        td_index_label(b, json_string_value(json_object_get(u, "label")), k);
        td_num(b, json_object_get(k, "n"), 0, "");
        sb_puts(b, "<td>");
        html_text(b, json_is_string(json_object_get(k, "grade"))
                         ? json_string_value(json_object_get(k, "grade"))
                         : "–");
        sb_puts(b, "</td>");
        td_share(b, json_object_get(s, "clear_and_lawful"));
        sb_puts(b, "</tr>");
    }
    /* SKR's total NKI beside the units. */
    const json_t *t = json_object_get(snap, "total");
    if (t != NULL) {
        const json_t *k = json_object_get(t, "nki");
        sb_puts(b, "<tr class=\"total\"><th scope=\"row\">Totalt</th>"
                   "<td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td>"
                   "<td class=\"num\">–</td><td class=\"num\">–</td>");
        td_index_label(b, "NKI totalt", k);
        td_num(b, json_object_get(k, "n"), 0, "");
        sb_puts(b, "<td>");
        html_text(b, json_is_string(json_object_get(k, "grade"))
                         ? json_string_value(json_object_get(k, "grade"))
                         : "–");
        sb_puts(b, "</td>");
        td_share(b, json_object_get(t, "clear_and_lawful"));
        sb_puts(b, "</tr>");
    }
    sb_puts(b, "</tbody></table>");
    if (t != NULL) {
        sb_puts(b, "<p class=\"note\">NKI totalt är SKR:s totala NKI sedan 2024: svaren för ");
        size_t j;
        json_t *code;
        json_array_foreach(json_object_get(t, "units"), j, code)
        {
            if (j)
                sb_puts(b, j + 1 == json_array_size(json_object_get(t, "units")) ? " och " : ", ");
            html_text(b, doc_unit_name(doc, code));
        }
        sb_puts(b, " tillsammans");
        if (json_array_size(json_object_get(t, "beside")) > 0) {
            sb_puts(b, "; ");
            json_array_foreach(json_object_get(t, "beside"), j, code)
            {
                if (j)
                    sb_puts(b, " och ");
                html_text(b, doc_unit_name(doc, code));
            }
            sb_puts(b, " redovisas bredvid");
        }
        sb_puts(b, ". Upphandlingens NUI ingår inte. Tydlig och rättssäker på raden Totalt gäller "
                   "alla enheter.</p>");
    }
    sb_puts(b, "<p class=\"note\">– (för få svar): resultatet bygger på färre svar än "
               "publiceringsgränsen. – (dold): resultatet bygger på tillräckligt många svar men "
               "döljs, eftersom ett dolt resultat annars skulle kunna räknas fram ur de "
               "redovisade.</p></section>");
}

static void html_changes(struct sbuf *b, const json_t *doc)
{
    const json_t *ch = json_object_get(doc, "changes");
    sb_puts(b, "<section><h2>Vad har förändrats sedan förra kvartalet</h2>");
    if (json_array_size(ch) == 0) {
        sb_puts(b, "<p>Inget index har flyttat sig mer än sitt konfidensintervall.</p></section>");
        return;
    }
    sb_puts(b, "<ul>");
    size_t i;
    json_t *c;
    json_array_foreach(ch, i, c)
    {
        char from[32], to[32];
        fmt_num(json_object_get(c, "previous"), 1, from, sizeof from);
        fmt_num(json_object_get(c, "current"), 1, to, sizeof to);
        const json_t *code = json_object_get(c, "unit");
        sb_puts(b, "<li>");
        html_text(b, json_is_string(code) ? doc_unit_name(doc, code) : "Företagslotsen");
        sb_puts(b, ", ");
        html_text(b, indicator_sv(doc, c));
        bool up = strcmp(json_string_value(json_object_get(c, "direction")), "up") == 0;
        sb_printf(b, ": %s från %s till %s</li>", up ? "upp" : "ned", from, to);
    }
    sb_puts(b, "</ul></section>");
}

static void html_trends(struct sbuf *b, const json_t *doc)
{
    const json_t *quarters = json_object_get(doc, "quarters");
    const json_t *ut = json_object_get(json_object_get(doc, "trends"), "units");
    sb_puts(b, "<section><h2>Utveckling per enhet, åtta kvartal</h2>");
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(doc, "units"), i, u)
    {
        const char *code = json_string_value(json_object_get(u, "code"));
        const char *name = json_string_value(json_object_get(u, "name"));
        const char *label = json_string_value(json_object_get(u, "label"));
        const json_t *series = json_object_get(ut, code);
        struct point nki[LB_REPORT_QUARTERS], rate[LB_REPORT_QUARTERS], days[LB_REPORT_QUARTERS];
        double dmax = 10;
        for (int k = 0; k < LB_REPORT_QUARTERS; k++) {
            const json_t *p = json_array_get(series, (size_t)k);
            index_point(json_object_get(p, "nki"), &nki[k]);
            num_point(json_object_get(p, "response_rate"), 100, &rate[k]);
            num_point(json_object_get(p, "decision_median"), 1, &days[k]);
            if (days[k].has && days[k].v > dmax)
                dmax = days[k].v;
        }
        dmax = ceil(dmax / 10) * 10;
        char title[400];
        sb_puts(b, "<section class=\"unit\"><h3>");
        html_text(b, name);
        sb_puts(b, "</h3><div class=\"charts\"><figure>");
        snprintf(title, sizeof title, "%s, %s per kvartal med 95 %% konfidensintervall", name,
                 label);
        svg_chart(b, "chart-nki", title, quarters, nki, 100, false);
        sb_printf(b, "<figcaption>%s (index 0–100, 95 %% KI)</figcaption></figure><figure>", label);
        snprintf(title, sizeof title, "%s, svarsfrekvens per kvartal", name);
        svg_chart(b, "chart-rate", title, quarters, rate, 100, true);
        sb_puts(b, "<figcaption>Svarsfrekvens (%)</figcaption></figure><figure>");
        snprintf(title, sizeof title, "%s, median handläggningstid i arbetsdagar", name);
        svg_chart(b, "chart-days", title, quarters, days, dmax, true);
        sb_puts(b, "<figcaption>Handläggningstid, median (arbetsdagar)</figcaption></figure>"
                   "</div>");
        /* The same figures as a table, for screen readers and for print. */
        sb_printf(b,
                  "<table><thead><tr><th scope=\"col\">Kvartal</th><th scope=\"col\">%s "
                  "(95 %% KI)</th><th scope=\"col\">n</th><th scope=\"col\">Svarsfrekvens</th>"
                  "<th scope=\"col\">Median</th><th scope=\"col\">p90</th></tr></thead><tbody>",
                  label);
        for (int k = 0; k < LB_REPORT_QUARTERS; k++) {
            const json_t *p = json_array_get(series, (size_t)k);
            sb_puts(b, "<tr><th scope=\"row\">");
            html_text(b, json_string_value(json_array_get(quarters, (size_t)k)));
            sb_puts(b, "</th>");
            if (!json_is_true(json_object_get(p, "available"))) {
                sb_puts(b, "<td colspan=\"5\">inga indikatorer beräknade</td></tr>");
                continue;
            }
            td_index(b, json_object_get(p, "nki"));
            td_num(b, json_object_get(json_object_get(p, "nki"), "n"), 0, "");
            const json_t *r = json_object_get(p, "response_rate");
            if (json_is_number(r))
                sb_printf(b, "<td class=\"num\">%.0f %%</td>", json_number_value(r) * 100);
            else
                sb_puts(b, "<td class=\"num\">–</td>");
            td_num(b, json_object_get(p, "decision_median"), 0, "");
            td_num(b, json_object_get(p, "decision_p90"), 0, "");
            sb_puts(b, "</tr>");
        }
        sb_puts(b, "</tbody></table></section>");
    }
    sb_puts(b, "</section>");
}

static void html_improvements(struct sbuf *b, const json_t *doc)
{
    const json_t *im = json_object_get(doc, "improvements");
    const json_t *counts = json_object_get(json_object_get(doc, "indicators"), "improvements");
    sb_puts(b, "<section><h2>Förbättringsåtgärder</h2>");
    if (counts != NULL) {
        char a[32], c[32], d[32], e[32];
        fmt_num(json_object_get(counts, "identified"), 0, a, sizeof a);
        fmt_num(json_object_get(counts, "implemented"), 0, c, sizeof c);
        fmt_num(json_object_get(counts, "identified_total"), 0, d, sizeof d);
        fmt_num(json_object_get(counts, "implemented_total"), 0, e, sizeof e);
        sb_printf(b,
                  "<p>I kvartalet: %s identifierade, %s genomförda. Totalt: %s identifierade, "
                  "%s genomförda.</p>",
                  a, c, d, e);
    }
    if (json_array_size(im) == 0) {
        sb_puts(b, "<p>Inga förbättringsåtgärder under perioden.</p></section>");
        return;
    }
    sb_puts(b, "<table><thead><tr><th scope=\"col\">Åtgärd</th><th scope=\"col\">Enhet</th>"
               "<th scope=\"col\">Status</th><th scope=\"col\">Identifierad</th>"
               "<th scope=\"col\">Genomförd</th></tr></thead><tbody>");
    size_t i;
    json_t *c;
    json_array_foreach(im, i, c)
    {
        const json_t *code = json_object_get(c, "unit");
        const json_t *imp = json_object_get(c, "implemented_on");
        sb_puts(b, "<tr><td>");
        html_text(b, json_string_value(json_object_get(c, "title")));
        sb_puts(b, "</td><td>");
        html_text(b, json_is_string(code) ? doc_unit_name(doc, code) : "Företagslotsen");
        sb_puts(b, "</td><td>");
        html_text(b, improvement_status_sv(json_string_value(json_object_get(c, "status"))));
        sb_puts(b, "</td><td>");
        html_text(b, json_string_value(json_object_get(c, "identified_on")));
        sb_puts(b, "</td><td>");
        html_text(b, json_is_string(imp) ? json_string_value(imp) : "–");
        sb_puts(b, "</td></tr>");
    }
    sb_puts(b, "</tbody></table></section>");
}

static void render_html(struct sbuf *b, const json_t *doc)
{
    const char *q = json_string_value(json_object_get(doc, "quarter"));
    const json_t *snap = json_object_get(doc, "indicators");
    sb_puts(b, "<!DOCTYPE html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<title>Kvartalsrapport företagslots ");
    html_text(b, q);
    sb_puts(b, "</title><style>");
    sb_puts(b, STYLE);
    sb_puts(b, "</style></head><body><main><h1>Företagslotsen – kvartalsrapport ");
    html_text(b, q);
    sb_puts(b, "</h1><p class=\"note\">Underlag för arbetsgruppen för företagslots "
               "(handlingsplanens åtgärder 1.1–1.3). Skapad ");
    char made[32];
    local_minute(json_string_value(json_object_get(doc, "generated_at")), made, sizeof made);
    html_text(b, made);
    sb_puts(b, ". Index 0–100 = (medelvärde − 1) / (skalans högsta värde − 1) × 100 av svaren vid "
               "uppföljningssamtalen, med 95 % konfidensintervall (KI); resultat på för få svar "
               "redovisas inte. Rapporten innehåller inga personuppgifter.</p>");
    const json_t *missing = json_object_get(doc, "missing_quarters");
    if (json_array_size(missing) > 0) {
        sb_puts(b, "<p class=\"note\">Kvartal utan beräknade indikatorer: ");
        size_t i;
        json_t *m;
        json_array_foreach(missing, i, m)
        {
            if (i)
                sb_puts(b, ", ");
            html_text(b, json_string_value(m));
        }
        sb_puts(b, ".</p>");
    }
    if (json_is_object(snap)) {
        html_lots(b, doc, snap);
        html_units(b, doc, snap);
    } else {
        sb_puts(b, "<p>Indikatorerna för kvartalet är inte beräknade ännu.</p>");
    }
    html_changes(b, doc);
    html_trends(b, doc);
    html_improvements(b, doc);
    sb_puts(b, "</main></body></html>\n");
}

int lb_report_render(const struct lb_report_input *in, enum lb_report_format fmt, char **out,
                     size_t *len)
{
    *out = NULL;
    *len = 0;
    json_t *doc;
    int rc = lb_report_json(in, &doc);
    if (rc != 0)
        return rc;
    struct sbuf b = {0};
    const json_t *mn = json_object_get(json_object_get(doc, "indicators"), "min_answers");
    b.min_answers = json_is_integer(mn) ? (int)json_integer_value(mn) : 7;
    if (fmt == LB_REPORT_JSON) {
        char *s = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(12));
        if (s == NULL)
            b.err = LB_ENOMEM;
        else
            sb_puts(&b, s);
        free(s);
    } else if (fmt == LB_REPORT_CSV) {
        render_csv(&b, doc);
    } else if (fmt == LB_REPORT_HTML) {
        render_html(&b, doc);
    } else {
        b.err = LB_EINVAL;
    }
    json_decref(doc);
    if (b.err) {
        free(b.p);
        return b.err;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}
