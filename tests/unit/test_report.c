/* test_report.c: the quarterly review in its three formats.
 *
 * The snapshots are made by the real accumulator (indicators.c) from fed
 * events, for 2024-Q3 .. 2026-Q2 with two quarters missing. Unit display names
 * and improvement titles are hostile (markup, quotes, semicolons, newlines, a
 * formula); the CSV is parsed back with a small RFC 4180 parser (';', BOM,
 * CRLF) and the HTML is checked for balanced tags with a small checker. The
 * report's input is snapshots and improvements only — no record that can hold
 * personal data can be passed to it, which is the invariant the API relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/indicators.h"
#include "lotsbok/report.h"
#include "lotsbok/timeutil.h"

static const char *const HOSTILE = "<img src=x onerror=alert(1)>";
static const char *const QUOTED = "Miljö \"och\" hälsa; \r\nrad två";
static const char *const AMP = "Upphandling & 'inköp'";
static const char *const TITLE = "=HYPERLINK(\"http://x\");<b>'fet'</b>\nny rad";

struct fixture {
    struct lb_units units;
    json_t *snaps[LB_REPORT_QUARTERS];
    struct lb_improvement imp[4];
    struct lb_report_input in;
};

static lb_time T(const char *s)
{
    lb_time t = 0;
    if (lb_time_parse_rfc3339(s, &t) != 0)
        fail_msg("test instant %s does not parse", s);
    return t;
}

/* n respondents answering nki_overall = v, clear_and_lawful yes, in the unit. */
static void feed(struct lb_ind *acc, lb_date d, const char *unit, int n, int v)
{
    for (int i = 0; i < n; i++) {
        struct lb_ind_answers a = {{(uint8_t)v}, 1};
        assert_int_equal(lb_ind_followup_result(acc, d, unit, LB_FOLLOWUP_DONE, &a), 0);
    }
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    lb_units_default(&f->units);
    snprintf(f->units.unit[0].name_sv, sizeof f->units.unit[0].name_sv, "%s", HOSTILE);
    snprintf(f->units.unit[1].name_sv, sizeof f->units.unit[1].name_sv, "%s", QUOTED);
    snprintf(f->units.unit[6].name_sv, sizeof f->units.unit[6].name_sv, "%s", AMP);
    assert_string_equal(f->units.unit[0].code, "bygglov");
    assert_string_equal(f->units.unit[1].code, "miljo");
    assert_string_equal(f->units.unit[6].code, "upphandling");

    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    cfg.units = f->units;
    struct lb_ind *acc = NULL;
    assert_int_equal(lb_ind_new(&cfg, &acc), 0);
    /* Every quarter 2024-Q3 .. 2026-Q2: miljö 7 answers of 5 (80.0, interval [80, 80]);
     * bygglov 7 answers of 3 (40.0) until 2026-Q1, then in 2026-Q2 four 6s and three 5s:
     * 4 x 100 + 3 x 80 = 640 / 7 = 91.4, s = 10.69, 1.96 s / sqrt 7 = 7.92 -> [83.5, 99.3],
     * which 40.0 lies outside: a change "up". Bygglov hand-offs decided after 4 days. */
    for (int k = 0; k < LB_REPORT_QUARTERS; k++) {
        int y, q;
        lb_date first, last;
        lb_report_quarter_back(2026, 2, LB_REPORT_QUARTERS - 1 - k, &y, &q);
        lb_quarter_range(y, q, &first, &last);
        lb_date mid = first + 40;
        feed(acc, mid, "miljo", 7, 5);
        if (k < LB_REPORT_QUARTERS - 1) {
            feed(acc, mid, "bygglov", 7, 3);
        } else {
            feed(acc, mid, "bygglov", 4, 6);
            feed(acc, mid, "bygglov", 3, 5);
        }
        assert_int_equal(lb_ind_handoff_sent(acc, mid, "bygglov"), 0);
        assert_int_equal(lb_ind_handoff_decided(acc, mid, lb_add_working_days(mid, 4), "bygglov"),
                         0);
        assert_int_equal(lb_ind_case_opened(acc, mid, (lb_id)(k + 1)), 0);
        /* 2024-Q4 and 2025-Q3 have no snapshot (the worker was not yet running). */
        if (k == 1 || k == 4)
            continue;
        assert_int_equal(lb_ind_snapshot_json(acc, y, q, LB_IND_LIVE, (uint64_t)k,
                                              T("2026-07-01T02:00:00Z"), &f->snaps[k]),
                         0);
    }
    lb_ind_free(acc);

    /* Improvements: [0] open, hostile title, for bygglov; [1] implemented in the window;
     * [2] implemented in 2023, long before the window: left out; [3] identified after the
     * quarter: left out. */
    struct lb_improvement *m = f->imp;
    m[0] = (struct lb_improvement){.meta = {.id = 1},
                                   .unit = "bygglov",
                                   .title = (char *)TITLE,
                                   .status = LB_IMPROVEMENT_IDENTIFIED,
                                   .identified_at = T("2026-04-10T08:00:00Z"),
                                   .implemented_at = LB_TIME_NONE};
    m[1] = (struct lb_improvement){.meta = {.id = 2},
                                   .title = "Ny checklista för lotsen",
                                   .status = LB_IMPROVEMENT_IMPLEMENTED,
                                   .identified_at = T("2025-02-03T08:00:00Z"),
                                   .implemented_at = T("2025-05-30T22:30:00Z")};
    m[2] = (struct lb_improvement){.meta = {.id = 3},
                                   .title = "Gammal åtgärd",
                                   .status = LB_IMPROVEMENT_IMPLEMENTED,
                                   .identified_at = T("2023-01-03T08:00:00Z"),
                                   .implemented_at = T("2023-03-01T08:00:00Z")};
    m[3] = (struct lb_improvement){.meta = {.id = 4},
                                   .title = "Framtida åtgärd",
                                   .status = LB_IMPROVEMENT_IDENTIFIED,
                                   .identified_at = T("2026-07-02T08:00:00Z"),
                                   .implemented_at = LB_TIME_NONE};
    f->in.year = 2026;
    f->in.quarter = 2;
    for (int k = 0; k < LB_REPORT_QUARTERS; k++)
        f->in.snapshots[k] = f->snaps[k];
    f->in.improvements = f->imp;
    f->in.nimprovements = 4;
    f->in.units = &f->units;
    f->in.generated_at = T("2026-07-01T06:00:00Z");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    for (int k = 0; k < LB_REPORT_QUARTERS; k++)
        json_decref(f->snaps[k]);
    free(f);
    return 0;
}

static void test_json_trends_changes_improvements(void **state)
{
    struct fixture *f = *state;
    json_t *doc = NULL;
    assert_int_equal(lb_report_json(&f->in, &doc), 0);
    assert_string_equal(json_string_value(json_object_get(doc, "quarter")), "2026-Q2");
    json_t *qs = json_object_get(doc, "quarters");
    assert_int_equal(json_array_size(qs), 8);
    assert_string_equal(json_string_value(json_array_get(qs, 0)), "2024-Q3");
    assert_string_equal(json_string_value(json_array_get(qs, 7)), "2026-Q2");
    json_t *missing = json_object_get(doc, "missing_quarters");
    assert_int_equal(json_array_size(missing), 2);
    assert_string_equal(json_string_value(json_array_get(missing, 0)), "2024-Q4");
    assert_string_equal(json_string_value(json_array_get(missing, 1)), "2025-Q3");

    json_t *by =
        json_object_get(json_object_get(json_object_get(doc, "trends"), "units"), "bygglov");
    assert_int_equal(json_array_size(by), 8);
    assert_true(json_is_false(json_object_get(json_array_get(by, 1), "available")));
    json_t *p0 = json_array_get(by, 0), *p7 = json_array_get(by, 7);
    assert_true(json_is_true(json_object_get(p0, "available")));
    assert_true(json_number_value(json_object_get(json_object_get(p0, "nki"), "index")) == 40.0);
    assert_true(json_number_value(json_object_get(json_object_get(p7, "nki"), "index")) == 91.4);
    assert_int_equal(json_integer_value(json_object_get(p7, "decision_median")), 4);
    assert_true(json_is_array(json_object_get(json_object_get(p7, "nki"), "ci95")));

    /* One change: bygglov's NKI and its nki_overall (the same answers); miljö is steady;
     * and so SKR's total NKI (bygglov and miljö together: 2026-Q1 (7 x 40 + 7 x 80) / 14 =
     * 60.0, 2026-Q2 (640 + 560) / 14 = 85.7). */
    json_t *ch = json_object_get(doc, "changes");
    assert_int_equal(json_array_size(ch), 3);
    json_t *c0 = json_array_get(ch, 0);
    assert_string_equal(json_string_value(json_object_get(c0, "unit")), "bygglov");
    assert_string_equal(json_string_value(json_object_get(c0, "indicator")), "nki");
    assert_string_equal(json_string_value(json_object_get(c0, "direction")), "up");
    assert_true(json_number_value(json_object_get(c0, "change")) == 51.4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ch, 1), "indicator")),
                        "nki_overall");
    json_t *c2 = json_array_get(ch, 2);
    assert_string_equal(json_string_value(json_object_get(c2, "scope")), "total");
    assert_string_equal(json_string_value(json_object_get(c2, "indicator")), "nki_total");
    assert_true(json_number_value(json_object_get(c2, "previous")) == 60.0);
    assert_true(json_number_value(json_object_get(c2, "current")) == 85.7);
    json_t *tt = json_object_get(json_object_get(doc, "trends"), "total");
    assert_int_equal(json_array_size(tt), 8);
    assert_true(json_number_value(json_object_get(json_object_get(json_array_get(tt, 7), "nki"),
                                                  "index")) == 85.7);

    /* Improvements: the open one and the one implemented in the window, in order. */
    json_t *im = json_object_get(doc, "improvements");
    assert_int_equal(json_array_size(im), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(im, 0), "title")), TITLE);
    /* Implemented 2025-05-30T22:30Z is 31 May in Stockholm. */
    assert_string_equal(json_string_value(json_object_get(json_array_get(im, 1), "implemented_on")),
                        "2025-05-31");

    /* Units in configured order with display names and the NUI label. */
    json_t *units = json_object_get(doc, "units");
    assert_int_equal(json_array_size(units), 7);
    assert_string_equal(json_string_value(json_object_get(json_array_get(units, 0), "name")),
                        HOSTILE);
    assert_string_equal(json_string_value(json_object_get(json_array_get(units, 6), "label")),
                        "NUI");
    assert_non_null(json_object_get(json_object_get(doc, "indicators"), "units"));
    json_decref(doc);
}

/* --- a small CSV reader: ';', "quoted ""fields""", CRLF records ------------------------ */

#define MAX_ROWS 4096
#define MAX_FIELDS 16

struct csv {
    int nrows;
    int nfields[MAX_ROWS];
    char *field[MAX_ROWS][MAX_FIELDS];
};

/* Parses s; fails the test on a bare LF/CR outside quotes or a stray quote. */
static void csv_parse(const char *s, size_t len, struct csv *c)
{
    memset(c, 0, sizeof *c);
    const char *p = s, *end = s + len;
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    while (p < end) {
        assert_true(c->nrows < MAX_ROWS);
        int r = c->nrows++;
        for (;;) {
            size_t n = 0;
            if (*p == '"') {
                p++;
                for (;;) {
                    assert_true(p < end);
                    if (*p == '"' && p + 1 < end && p[1] == '"') {
                        buf[n++] = '"';
                        p += 2;
                    } else if (*p == '"') {
                        p++;
                        break;
                    } else {
                        buf[n++] = *p++;
                    }
                }
            } else {
                while (p < end && *p != ';' && *p != '\r' && *p != '\n') {
                    assert_true(*p != '"');
                    buf[n++] = *p++;
                }
            }
            buf[n] = '\0';
            assert_true(c->nfields[r] < MAX_FIELDS);
            c->field[r][c->nfields[r]++] = strdup(buf);
            if (p < end && *p == ';') {
                p++;
                continue;
            }
            assert_true(p + 1 < end + 1 && p[0] == '\r' && p[1] == '\n');
            p += 2;
            break;
        }
    }
    free(buf);
}

static void csv_free(struct csv *c)
{
    for (int r = 0; r < c->nrows; r++) {
        for (int i = 0; i < c->nfields[r]; i++)
            free(c->field[r][i]);
    }
}

/* The first row whose fields 2 (unit) and 3 (indicator) match, -1 when none;
 * quarter NULL matches any. */
static int csv_find(const struct csv *c, const char *quarter, const char *unit, const char *ind)
{
    for (int r = 1; r < c->nrows; r++) {
        if ((quarter == NULL || strcmp(c->field[r][0], quarter) == 0) &&
            strcmp(c->field[r][2], unit) == 0 && strcmp(c->field[r][3], ind) == 0)
            return r;
    }
    return -1;
}

static void test_csv_parses_back(void **state)
{
    struct fixture *f = *state;
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(lb_report_render(&f->in, LB_REPORT_CSV, &out, &len), 0);
    assert_true(len > 3 && memcmp(out, "\xEF\xBB\xBF", 3) == 0);
    struct csv *c = malloc(sizeof *c);
    assert_non_null(c);
    csv_parse(out + 3, len - 3, c);
    assert_true(c->nrows > 100);
    for (int r = 0; r < c->nrows; r++)
        assert_int_equal(c->nfields[r], 9);
    assert_string_equal(c->field[0][0], "Kvartal");
    assert_string_equal(c->field[0][4], "Värde");
    assert_string_equal(c->field[0][8], "Anmärkning");

    /* Hostile names come back exactly, as one field each. */
    int r = csv_find(c, "2026-Q2", HOSTILE, "NKI");
    assert_true(r > 0);
    assert_string_equal(c->field[r][4], "91,4"); /* decimal comma */
    assert_string_equal(c->field[r][5], "7");
    assert_string_equal(c->field[r][6], "83,5");
    assert_string_equal(c->field[r][7], "99,3");
    assert_string_equal(c->field[r][8], "mycket högt");
    r = csv_find(c, "2026-Q2", QUOTED, "NKI");
    assert_true(r > 0);
    assert_string_equal(c->field[r][4], "80,0");
    assert_true(csv_find(c, "2026-Q2", AMP, "NUI") > 0);
    /* Earlier quarters' trend rows; none for a missing quarter. */
    r = csv_find(c, "2024-Q3", HOSTILE, "NKI");
    assert_true(r > 0);
    assert_string_equal(c->field[r][4], "40,0");
    assert_true(csv_find(c, "2024-Q4", HOSTILE, "NKI") < 0);
    r = csv_find(c, "2026-Q2", HOSTILE, "Handläggningstid, median (arbetsdagar)");
    assert_true(r > 0);
    assert_string_equal(c->field[r][4], "4");
    /* A suppressed index: empty value, its n, the note. */
    r = csv_find(c, "2026-Q2", HOSTILE, "Kompetens");
    assert_true(r > 0);
    assert_string_equal(c->field[r][4], "");
    assert_string_equal(c->field[r][5], "0");
    assert_string_equal(c->field[r][8], "för få svar för att redovisas");
    /* The improvement title: one field, newline kept, formula disarmed by an apostrophe. */
    char want[256];
    snprintf(want, sizeof want, "'%s", TITLE);
    r = csv_find(c, "2026-Q2", HOSTILE, want);
    assert_true(r > 0);
    assert_string_equal(c->field[r][1], "Förbättringsåtgärd");
    assert_string_equal(c->field[r][4], "identifierad");
    assert_true(csv_find(c, NULL, "Företagslotsen", "Gammal åtgärd") < 0);
    /* The change row. */
    r = csv_find(c, "2026-Q2", HOSTILE, "NKI");
    int rc2 = -1;
    for (int i = 1; i < c->nrows; i++) {
        if (strcmp(c->field[i][1], "Förändring") == 0 && strcmp(c->field[i][3], "NKI") == 0)
            rc2 = i;
    }
    assert_true(rc2 > 0);
    assert_string_equal(c->field[rc2][4], "51,4");
    csv_free(c);
    free(c);
    free(out);
}

/* --- a small HTML checker: balanced tags, quoted attributes ---------------------------- */

static int is_void(const char *name, size_t n)
{
    static const char *const v[] = {"meta", "br", "img", "input", "link", "hr", "col", NULL};
    for (int i = 0; v[i]; i++) {
        if (strlen(v[i]) == n && strncmp(v[i], name, n) == 0)
            return 1;
    }
    return 0;
}

/* Fails unless every start tag has its end tag in order; returns the number of tags. */
static int html_check(const char *s)
{
    char stack[256][32];
    int depth = 0, tags = 0;
    const char *p = s;
    while ((p = strchr(p, '<')) != NULL) {
        if (strncmp(p, "<!DOCTYPE", 9) == 0) {
            p = strchr(p, '>');
            assert_non_null(p);
            continue;
        }
        const char *q = p + 1;
        int closing = *q == '/';
        if (closing)
            q++;
        const char *name = q;
        while ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-')
            q++;
        size_t n = (size_t)(q - name);
        if (n == 0 || n >= 32)
            fail_msg("malformed tag at: %.40s", p);
        char quote = 0; /* find the tag's end outside quoted attribute values */
        for (; *q && (quote || *q != '>'); q++) {
            if (quote && *q == quote)
                quote = 0;
            else if (!quote && (*q == '"' || *q == '\''))
                quote = *q;
            else if (!quote && *q == '<')
                fail_msg("'<' inside a tag at: %.40s", p);
        }
        assert_true(*q == '>');
        int self_closing = q[-1] == '/';
        tags++;
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != n ||
                strncmp(stack[depth - 1], name, n) != 0)
                fail_msg("unbalanced </%.*s> (open: %s)", (int)n, name,
                         depth ? stack[depth - 1] : "none");
            depth--;
        } else if (!self_closing && !is_void(name, n)) {
            assert_true(depth < 256);
            memcpy(stack[depth], name, n);
            stack[depth++][n] = '\0';
        }
        p = q + 1;
    }
    if (depth != 0)
        fail_msg("unclosed <%s>", stack[depth - 1]);
    return tags;
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_html_well_formed_escaped_charts(void **state)
{
    struct fixture *f = *state;
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(lb_report_render(&f->in, LB_REPORT_HTML, &out, &len), 0);
    assert_int_equal(strlen(out), len);
    assert_true(html_check(out) > 200);
    assert_non_null(strstr(out, "<html lang=\"sv\">"));
    assert_null(strstr(out, "<script"));
    assert_null(strstr(out, "style=\""));
    assert_null(strstr(out, "<img"));
    assert_null(strstr(out, "<b>"));
    assert_non_null(strstr(out, "&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(out, "Milj\xc3\xb6 &quot;och&quot; h\xc3\xa4lsa;"));
    assert_non_null(strstr(out, "Upphandling &amp; &#39;ink\xc3\xb6p&#39;"));
    assert_non_null(strstr(out, "&lt;b&gt;&#39;fet&#39;&lt;/b&gt;"));
    /* One NKI chart per unit (7), each with its rate and handling-time charts. */
    assert_int_equal(count(out, "<svg class=\"chart-nki\""), 7);
    assert_int_equal(count(out, "<svg class=\"chart-rate\""), 7);
    assert_int_equal(count(out, "<svg class=\"chart-days\""), 7);
    assert_non_null(strstr(out, "NUI"));
    assert_non_null(strstr(out, "@page{size:A4"));
    /* Made at 2026-07-01T06:00:00Z: shown as Stockholm's clock (CEST), not as the instant. */
    assert_non_null(strstr(out, "Skapad 2026-07-01 08:00."));
    assert_null(strstr(out, "Skapad 2026-07-01T"));
    /* The units table: every row has as many cells as the header has columns. */
    const char *ut = strstr(out, "<h2>Enheterna</h2>");
    assert_non_null(ut);
    const char *ue = strstr(ut, "</table>");
    const char *body = strstr(ut, "<tbody>");
    assert_true(body && ue && body < ue);
    int cols = 0;
    for (const char *p = ut; (p = strstr(p, "<th scope=\"col\">")) && p < body; p++)
        cols++;
    for (const char *row = strstr(body, "<tr>"); row && row < ue; row = strstr(row + 1, "<tr>")) {
        const char *end = strstr(row, "</tr>");
        int cells = 0;
        for (const char *p = row; (p = strstr(p, "<t")) && p < end; p++)
            cells += p[2] == 'd' || p[2] == 'h';
        assert_int_equal(cells, cols);
    }

    /* The CSP allows exactly this page's stylesheet, by hash. */
    const char *a = strstr(out, "<style>"), *b = strstr(out, "</style>");
    assert_non_null(a);
    assert_non_null(b);
    a += strlen("<style>");
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)a, (unsigned long long)(b - a));
    char b64[64], want[96], csp[512];
    sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
    snprintf(want, sizeof want, "style-src 'sha256-%s'", b64);
    assert_int_equal(lb_report_html_csp(csp, sizeof csp), 0);
    assert_non_null(strstr(csp, want));
    assert_non_null(strstr(csp, "default-src 'none'"));
    assert_null(strstr(csp, "unsafe"));
    assert_int_equal(lb_report_html_csp(csp, 10), LB_ETOOBIG);
    free(out);
}

static void test_html_without_current_snapshot(void **state)
{
    struct fixture *f = *state;
    struct lb_report_input in = f->in;
    in.snapshots[LB_REPORT_QUARTERS - 1] = NULL;
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(lb_report_render(&in, LB_REPORT_HTML, &out, &len), 0);
    html_check(out);
    assert_non_null(strstr(out, "inte beräknade ännu"));
    free(out);
    assert_int_equal(lb_report_render(&in, LB_REPORT_CSV, &out, &len), 0);
    free(out);
    assert_int_equal(lb_report_render(&in, LB_REPORT_JSON, &out, &len), 0);
    json_t *doc = json_loads(out, 0, NULL);
    assert_non_null(doc);
    assert_true(json_is_null(json_object_get(doc, "indicators")));
    assert_int_equal(json_array_size(json_object_get(doc, "changes")), 0);
    json_decref(doc);
    free(out);
    in.quarter = 5;
    assert_int_equal(lb_report_render(&in, LB_REPORT_HTML, &out, &len), LB_EINVAL);
    assert_null(out);
}

static void test_escape(void **state)
{
    (void)state;
    char *s = NULL;
    assert_int_equal(lb_report_html_escape("<img src=x onerror=alert(1)>", &s), 0);
    assert_string_equal(s, "&lt;img src=x onerror=alert(1)&gt;");
    free(s);
    assert_int_equal(lb_report_html_escape("a&b \"c\" 'd' ;\r\n", &s), 0);
    assert_string_equal(s, "a&amp;b &quot;c&quot; &#39;d&#39; ;\r\n");
    free(s);
    assert_int_equal(lb_report_html_escape("&amp;", &s), 0);
    assert_string_equal(s, "&amp;amp;");
    free(s);
    assert_int_equal(lb_report_html_escape("", &s), 0);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(lb_report_html_escape(NULL, &s), 0);
    assert_string_equal(s, "");
    free(s);
}

static void test_formats_and_quarters(void **state)
{
    (void)state;
    enum lb_report_format fmt;
    assert_int_equal(lb_report_format_from_str("csv", &fmt), 0);
    assert_int_equal(fmt, LB_REPORT_CSV);
    assert_int_equal(lb_report_format_from_str("html", &fmt), 0);
    assert_int_equal(fmt, LB_REPORT_HTML);
    assert_int_equal(lb_report_format_from_str("pdf", &fmt), LB_EINVAL);
    assert_int_equal(lb_report_format_from_str(NULL, &fmt), LB_EINVAL);
    assert_string_equal(lb_report_content_type(LB_REPORT_CSV), "text/csv; charset=utf-8");
    int y, q;
    lb_report_quarter_back(2026, 1, 1, &y, &q);
    assert_int_equal(y, 2025);
    assert_int_equal(q, 4);
    lb_report_quarter_back(2026, 2, 7, &y, &q);
    assert_int_equal(y, 2024);
    assert_int_equal(q, 3);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_trends_changes_improvements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_parses_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_well_formed_escaped_charts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_without_current_snapshot, setup, teardown),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_formats_and_quarters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
