/* annual_render.c: the annual report's CSV and HTML, rendered from its JSON
 * document (annual.h, lb_annual_json), so every format says the same.
 *
 * Every text passes through one escape function per format (csv_field,
 * html_text): action texts, results and comments are written by staff. CSV
 * fields that would start a spreadsheet formula get a leading apostrophe.
 * The HTML page is for A4 print (kommunstyrelsen's handlingar): a title page,
 * a table of contents, a page break before each målområde and before the
 * samlad analys, a chapter per action, and per numeric indicator a small
 * inline SVG bar chart over the plan's years with its targets. It loads
 * nothing, has no script, and its one <style> element is allowed by hash
 * (lb_annual_html_csp); SVG uses presentation attributes only. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lotsbok/annual.h"
#include "lotsbok/error.h"

/* --- a growing output buffer with a sticky error -------------------------------------- */

struct sbuf {
    char *p;
    size_t len, cap;
    int err;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->err)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
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

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* --- values as Swedish text ---------------------------------------------------------------- */

static const struct {
    const char *key, *sv;
} reasons[] = {
    {"not_computed", "Ej beräknat"},      {"not_in_snapshot", "Saknas i underlaget"},
    {"suppressed", "För få svar"},        {"source_not_available", "Mäts inte ännu"},
    {"not_recorded", "Ej inrapporterat"},
};

static const char *reason_sv(const char *reason)
{
    for (size_t i = 0; reason && i < sizeof reasons / sizeof reasons[0]; i++) {
        if (strcmp(reasons[i].key, reason) == 0)
            return reasons[i].sv;
    }
    return "Saknas";
}

void lb_annual_reason_text(char *buf, size_t n, const json_t *item)
{
    const char *r = str(item, "reason");
    const json_t *cnt = json_object_get(item, "n");
    if (r && strcmp(r, "suppressed") == 0 && json_is_integer(cnt)) {
        long long k = (long long)json_integer_value(cnt);
        if (k == 0)
            snprintf(buf, n, "Inga svar");
        else if (json_is_true(json_object_get(item, "secondary")))
            snprintf(buf, n, "Skyddat värde (n = %lld)", k);
        else
            snprintf(buf, n, "%s (n = %lld)", reason_sv(r), k);
    } else {
        snprintf(buf, n, "%s", reason_sv(r));
    }
}

/* A number with a decimal comma: decimals 0 or 1. */
static void fmt_number(char *buf, size_t n, double v, int decimals)
{
    snprintf(buf, n, "%.*f", decimals, v);
    char *dot = strchr(buf, '.');
    if (dot)
        *dot = ',';
}

/* A value in its unit: a share as a percentage, an index with one decimal, a
 * count whole (one decimal when it is not). Text (a date, a text indicator)
 * as it is. Empty for null. */
static void fmt_value(char *buf, size_t n, const char *unit, const json_t *v)
{
    buf[0] = '\0';
    if (json_is_string(v)) {
        snprintf(buf, n, "%s", json_string_value(v));
        return;
    }
    if (!json_is_number(v))
        return;
    double x = json_number_value(v);
    if (unit && strcmp(unit, "share") == 0) {
        double p = x * 100.0;
        fmt_number(buf, n, p, fabs(p - round(p)) < 0.05 ? 0 : 1);
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, " %%");
    } else if (unit && strcmp(unit, "index") == 0) {
        fmt_number(buf, n, x, 1);
    } else {
        fmt_number(buf, n, x, fabs(x - round(x)) < 1e-9 ? 0 : 1);
    }
}

/* An item's value, or why there is none ("För få svar (n = 5)"). */
static void fmt_item(char *buf, size_t n, const char *unit, const json_t *item)
{
    const json_t *v = json_object_get(item, "value");
    if (!json_is_null(v) && v) {
        fmt_value(buf, n, unit, v);
        return;
    }
    lb_annual_reason_text(buf, n, item);
}

/* --- CSV -------------------------------------------------------------------------------- */

static void csv_field(struct sbuf *b, const char *s)
{
    if (s == NULL)
        s = "";
    bool quote = strpbrk(s, ";\"\r\n") != NULL;
    bool formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
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

static void csv_row(struct sbuf *b, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_puts(b, ";");
        csv_field(b, fields[i]);
    }
    sb_puts(b, "\r\n");
}

/* A number for CSV: raw (a share 0–1), decimal comma, as many decimals as it has. */
static void csv_number(char *buf, size_t n, const json_t *v)
{
    buf[0] = '\0';
    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        double x = json_real_value(v);
        if (fabs(x - round(x)) < 1e-9)
            snprintf(buf, n, "%.0f", x);
        else
            snprintf(buf, n, "%.6g", x);
        char *dot = strchr(buf, '.');
        if (dot)
            *dot = ',';
    } else if (json_is_string(v)) {
        snprintf(buf, n, "%s", json_string_value(v));
    }
}

static const char *unit_sv(const char *unit)
{
    if (!unit)
        return "";
    if (strcmp(unit, "count") == 0)
        return "Antal";
    if (strcmp(unit, "share") == 0)
        return "Andel (0–1)";
    if (strcmp(unit, "index") == 0)
        return "Index";
    return "Text";
}

/* Two tables: the actions (the standard template's fields), then one row per
 * indicator and year with its value, n, target and, in the report year, the
 * assessment. */
static void render_csv(struct sbuf *b, const json_t *doc)
{
    sb_puts(b, "\xEF\xBB\xBF");
    char year[16];
    snprintf(year, sizeof year, "%lld",
             (long long)json_integer_value(json_object_get(doc, "year")));
    const json_t *plan = json_object_get(doc, "plan");
    const char *head[] = {"Årsrapport", year, str(plan, "title"), str(plan, "municipality")};
    csv_row(b, head, 4);
    sb_puts(b, "\r\n");
    static const char *const ah[] = {"Åtgärd",    "Målområde",
                                     "Titel",     "Ansvar",
                                     "Status",    "Resultat och måluppfyllelse",
                                     "Samverkan", "Behov av justering",
                                     "Kommentar"};
    csv_row(b, (const char **)ah, 9);
    size_t i, j, k;
    json_t *area, *a, *x, *it;
    json_array_foreach(json_object_get(doc, "areas"), i, area)
    {
        char num[16];
        snprintf(num, sizeof num, "%lld",
                 (long long)json_integer_value(json_object_get(area, "number")));
        json_array_foreach(json_object_get(area, "actions"), j, a)
        {
            char collab[512] = "";
            size_t cl = 0;
            json_array_foreach(json_object_get(a, "collaboration"), k, x)
            {
                int w = snprintf(collab + cl, sizeof collab - cl, "%s%s", cl ? ", " : "",
                                 str(x, "code") ? str(x, "code") : "");
                if (w > 0 && (size_t)w < sizeof collab - cl)
                    cl += (size_t)w;
            }
            const char *row[] = {str(a, "code"),
                                 num,
                                 str(a, "title"),
                                 str(a, "responsible"),
                                 str(a, "status_label"),
                                 str(a, "results"),
                                 collab,
                                 str(a, "adjustment"),
                                 str(a, "comment")};
            csv_row(b, row, 9);
        }
    }
    sb_puts(b, "\r\n");
    static const char *const ih[] = {"Åtgärd", "Indikator-id", "Indikator", "Delmått", "Typ",
                                     "Enhet",  "Riktning",     "År",        "Värde",   "n",
                                     "Mål",    "Anmärkning",   "Bedömning"};
    csv_row(b, (const char **)ih, 13);
    json_array_foreach(json_object_get(doc, "areas"), i, area)
    {
        json_array_foreach(json_object_get(area, "actions"), j, a)
        {
            json_array_foreach(json_object_get(a, "indicators"), k, x)
            {
                size_t nv = json_array_size(json_object_get(x, "values")), m;
                json_array_foreach(json_object_get(x, "values"), m, it)
                {
                    char v[128], n[32], t[64];
                    csv_number(v, sizeof v, json_object_get(it, "value"));
                    csv_number(n, sizeof n, json_object_get(it, "n"));
                    csv_number(t, sizeof t, json_object_get(it, "target"));
                    char note[64] = "";
                    if (str(it, "reason"))
                        lb_annual_reason_text(note, sizeof note, it);
                    const char *row[] = {str(a, "code"),
                                         str(x, "id"),
                                         str(x, "name"),
                                         str(x, "aspect"),
                                         str(x, "kind_label"),
                                         unit_sv(str(x, "unit")),
                                         str(x, "direction_label"),
                                         str(it, "period"),
                                         v,
                                         n,
                                         t,
                                         note,
                                         m + 1 == nv ? str(x, "assessment_label") : ""};
                    csv_row(b, row, 13);
                }
            }
        }
    }
}

/* --- HTML ----------------------------------------------------------------------------- */

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

/* The page's only stylesheet; its SHA-256 is in the CSP (lb_annual_html_csp). */
static const char STYLE[] =
    "body{font-family:system-ui,sans-serif;color:#1a1a1a;margin:0 auto;max-width:60em;"
    "padding:1em;line-height:1.4}"
    "h1{font-size:1.7em}h2{font-size:1.35em;border-bottom:2px solid #1a4f7a;margin-top:1.5em}"
    "h3{font-size:1.1em;margin-top:1.4em;border-bottom:1px solid #bbb}h4{font-size:1em;"
    "margin:1em 0 .2em}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.9em;width:100%}"
    "th,td{border:1px solid #bbb;padding:.2em .4em;text-align:left;vertical-align:top}"
    "th{background:#eef2f6}td.num{text-align:right;white-space:nowrap}"
    ".text{white-space:pre-line}.muted{color:#555}.badge{font-weight:600}"
    "dl{display:grid;grid-template-columns:9em 1fr;gap:.1em 1em;margin:.5em 0}dt{font-weight:600}"
    "dd{margin:0}.charts{display:flex;flex-wrap:wrap;gap:.8em}"
    "figure{margin:.3em 0;break-inside:avoid}figcaption{font-size:.8em;max-width:19em}"
    "nav ol{padding-left:1.4em}nav a{color:inherit;text-decoration:none}"
    ".cover{min-height:40vh}.area{break-before:page}tr,figure{break-inside:avoid}"
    "h2,h3,h4{break-after:avoid}"
    "@page{size:A4;margin:18mm 15mm}"
    "@media print{body{max-width:none;padding:0;font-size:9.5pt}}";

int lb_annual_html_csp(char *buf, size_t len)
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

/* The anchor of an action: "atg-1-2" for 1.2 (codes are digits and dots). */
static void anchor(char *buf, size_t n, const char *code)
{
    size_t i = 0;
    i += (size_t)snprintf(buf, n, "atg-");
    for (const char *p = code ? code : ""; *p && i + 1 < n; p++)
        buf[i++] = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ? *p : '-';
    buf[i] = '\0';
}

/* A bar chart of an indicator over the plan's years (from..to); bars where a
 * value is known, a dash where not, the year's target as a dark tick. */
static void svg_chart(struct sbuf *b, const json_t *ind, int from, int to)
{
    const char *unit = str(ind, "unit");
    const json_t *values = json_object_get(ind, "values");
    int n = to - from + 1;
    if (n < 1 || n > 30)
        return;
    double v[30], t[30], ymax = 0;
    bool has[30], hast[30];
    for (int i = 0; i < n; i++) {
        const json_t *it = json_array_get(values, (size_t)i);
        const json_t *x = json_object_get(it, "value"), *tg = json_object_get(it, "target");
        has[i] = json_is_number(x);
        hast[i] = json_is_number(tg);
        v[i] = has[i] ? json_number_value(x) : 0;
        t[i] = hast[i] ? json_number_value(tg) : 0;
        if (has[i] && v[i] > ymax)
            ymax = v[i];
        if (hast[i] && t[i] > ymax)
            ymax = t[i];
    }
    if (strcmp(unit, "share") == 0)
        ymax = 1;
    else if (strcmp(unit, "index") == 0)
        ymax = ymax <= 6 ? 6 : 100;
    else
        ymax = ymax < 1 ? 1 : ymax * 1.15;
    const double x0 = 8, w = 284, y0 = 18, h = 82;
    double slot = w / n;
    sb_puts(b, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 300 124\" "
               "width=\"300\" height=\"124\" role=\"img\" aria-label=\"");
    html_text(b, str(ind, "id"));
    sb_puts(b, " per år\"><title>");
    html_text(b, str(ind, "name"));
    sb_puts(b, "</title>");
    sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#777\"/>", x0,
              y0 + h, x0 + w, y0 + h);
    for (int i = 0; i < n; i++) {
        double cx = x0 + slot * i + slot / 2;
        char label[64];
        if (has[i]) {
            double bh = v[i] / ymax * h;
            if (bh > h)
                bh = h;
            if (bh < 0)
                bh = 0;
            sb_printf(b,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                      "fill=\"#1a4f7a\"/>",
                      cx - slot * 0.3, y0 + h - bh, slot * 0.6, bh);
            fmt_value(label, sizeof label, unit,
                      json_object_get(json_array_get(values, (size_t)i), "value"));
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">", cx,
                      y0 + h - bh - 3);
            html_text(b, label);
            sb_puts(b, "</text>");
        } else if (i < (int)json_array_size(values)) {
            sb_printf(b,
                      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\" "
                      "fill=\"#555\">–</text>",
                      cx, y0 + h - 3);
        }
        if (hast[i]) {
            double ty = y0 + h - (t[i] / ymax > 1 ? 1 : t[i] / ymax) * h;
            sb_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b3261e\" "
                      "stroke-width=\"2\" stroke-dasharray=\"4 2\"/>",
                      cx - slot * 0.45, ty, cx + slot * 0.45, ty);
        }
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%d</text>",
                  cx, y0 + h + 12, from + i);
    }
    sb_puts(b, "</svg><figcaption>");
    html_text(b, str(ind, "id"));
    sb_puts(b, " ");
    html_text(b, str(ind, "name"));
    if (str(ind, "aspect")) {
        sb_puts(b, " (");
        html_text(b, str(ind, "aspect"));
        sb_puts(b, ")");
    }
    sb_puts(b, "</figcaption></figure>");
}

static bool numeric_unit(const char *unit)
{
    return unit &&
           (strcmp(unit, "count") == 0 || strcmp(unit, "share") == 0 || strcmp(unit, "index") == 0);
}

static void html_para(struct sbuf *b, const char *heading, const char *text, const char *none)
{
    sb_puts(b, "<h4>");
    html_text(b, heading);
    sb_puts(b, "</h4>");
    if (text && *text) {
        sb_puts(b, "<p class=\"text\">");
        html_text(b, text);
        sb_puts(b, "</p>");
    } else {
        sb_puts(b, "<p class=\"muted\">");
        html_text(b, none);
        sb_puts(b, "</p>");
    }
}

/* The years' header cells: "2025", "2026". */
static void year_headers(struct sbuf *b, const json_t *years)
{
    size_t i;
    json_t *y;
    json_array_foreach(years, i, y)
    {
        sb_puts(b, "<th scope=\"col\">");
        html_text(b, json_string_value(y));
        sb_puts(b, "</th>");
    }
}

static void value_cells(struct sbuf *b, const char *unit, const json_t *values)
{
    size_t i;
    json_t *it;
    json_array_foreach(values, i, it)
    {
        char v[128];
        fmt_item(v, sizeof v, unit, it);
        bool num = json_is_number(json_object_get(it, "value"));
        sb_puts(b, num ? "<td class=\"num\">" : "<td class=\"muted\">");
        html_text(b, v);
        sb_puts(b, "</td>");
    }
}

static void html_action(struct sbuf *b, const json_t *doc, const json_t *a)
{
    char id[64], tv[64];
    int year = (int)json_integer_value(json_object_get(doc, "year"));
    const json_t *period = json_object_get(json_object_get(doc, "plan"), "period");
    int from = (int)json_integer_value(json_object_get(period, "from"));
    int to = (int)json_integer_value(json_object_get(period, "to"));
    anchor(id, sizeof id, str(a, "code"));
    sb_printf(b, "<article class=\"action\" id=\"%s\"><h3>Åtgärd ", id);
    html_text(b, str(a, "code"));
    sb_puts(b, " ");
    html_text(b, str(a, "title"));
    sb_puts(b, "</h3><dl><dt>Status ");
    sb_printf(b, "%d", year);
    sb_puts(b, "</dt><dd><span class=\"badge\">");
    html_text(b, str(a, "status_label"));
    sb_puts(b, "</span></dd><dt>Ansvar</dt><dd>");
    html_text(b, str(a, "responsible"));
    sb_puts(b, "</dd><dt>Tidplan</dt><dd>");
    html_text(b, str(a, "timeline"));
    sb_puts(b, "</dd><dt>Uppföljning</dt><dd>");
    html_text(b, str(a, "followup_label"));
    sb_puts(b, "</dd></dl>");
    html_para(b, "Syfte och mål", str(a, "purpose"), "–");
    html_para(b, "Resultat och måluppfyllelse", str(a, "results"), "Inget rapporterat.");

    const json_t *inds = json_object_get(a, "indicators");
    sb_puts(b, "<h4>Indikatorer</h4>");
    if (json_array_size(inds) == 0) {
        sb_puts(b, "<p class=\"muted\">Inga indikatorer.</p>");
    } else {
        sb_puts(b, "<table><thead><tr><th scope=\"col\">Indikator</th>");
        year_headers(b, json_object_get(doc, "years"));
        sb_printf(b,
                  "<th scope=\"col\">Mål %d</th><th scope=\"col\">Bedömning</th></tr></thead>"
                  "<tbody>",
                  year);
        size_t i;
        json_t *x;
        json_array_foreach(inds, i, x)
        {
            sb_puts(b, "<tr><td>");
            html_text(b, str(x, "name"));
            if (str(x, "aspect")) {
                sb_puts(b, " – ");
                html_text(b, str(x, "aspect"));
            }
            sb_puts(b, " <span class=\"muted\">(");
            html_text(b, str(x, "id"));
            sb_puts(b, ", ");
            html_text(b, str(x, "kind_label"));
            if (str(x, "due")) {
                sb_puts(b, ", senast ");
                html_text(b, str(x, "due"));
            }
            sb_puts(b, ")</span></td>");
            value_cells(b, str(x, "unit"), json_object_get(x, "values"));
            fmt_value(tv, sizeof tv, str(x, "unit"), json_object_get(x, "target"));
            sb_puts(b, "<td class=\"num\">");
            html_text(b, tv[0] ? tv : "–");
            sb_puts(b, "</td><td>");
            html_text(b, str(x, "assessment_label"));
            sb_puts(b, "</td></tr>");
        }
        sb_puts(b, "</tbody></table>");
        /* Quarterly actions: the report year's quarters. */
        bool any_q = false;
        json_array_foreach(inds, i, x) any_q = any_q || json_object_get(x, "quarters");
        if (any_q) {
            sb_printf(b,
                      "<table><caption>Per kvartal %d</caption><thead><tr>"
                      "<th scope=\"col\">Indikator</th>",
                      year);
            for (int q = 1; q <= 4; q++)
                sb_printf(b, "<th scope=\"col\">Kv %d</th>", q);
            sb_puts(b, "</tr></thead><tbody>");
            json_array_foreach(inds, i, x)
            {
                if (!json_object_get(x, "quarters"))
                    continue;
                sb_puts(b, "<tr><td>");
                html_text(b, str(x, "id"));
                sb_puts(b, " ");
                html_text(b, str(x, "name"));
                if (str(x, "aspect")) {
                    sb_puts(b, " – ");
                    html_text(b, str(x, "aspect"));
                }
                sb_puts(b, "</td>");
                value_cells(b, str(x, "unit"), json_object_get(x, "quarters"));
                sb_puts(b, "</tr>");
            }
            sb_puts(b, "</tbody></table>");
        }
        bool charts = false;
        json_array_foreach(inds, i, x)
        {
            if (!numeric_unit(str(x, "unit")))
                continue;
            if (!charts)
                sb_puts(b, "<div class=\"charts\">");
            charts = true;
            svg_chart(b, x, from, to);
        }
        if (charts)
            sb_puts(b, "</div>");
    }

    const json_t *collab = json_object_get(a, "collaboration");
    sb_puts(b, "<h4>Samverkan med andra åtgärder</h4>");
    if (json_array_size(collab) == 0) {
        sb_puts(b, "<p class=\"muted\">Ingen angiven.</p>");
    } else {
        sb_puts(b, "<ul>");
        size_t i;
        json_t *c;
        json_array_foreach(collab, i, c)
        {
            char cid[64];
            anchor(cid, sizeof cid, str(c, "code"));
            sb_printf(b, "<li><a href=\"#%s\">", cid);
            html_text(b, str(c, "code"));
            sb_puts(b, " ");
            html_text(b, str(c, "title"));
            sb_puts(b, "</a></li>");
        }
        sb_puts(b, "</ul>");
    }
    html_para(b, "Behov av justering", str(a, "adjustment"), "Inga behov angivna.");
    html_para(b, "Kommentar från ansvarig", str(a, "comment"), "Ingen kommentar.");
    sb_puts(b, "</article>");
}

static const char *const status_keys[] = {"not_started", "ongoing", "completed", "closed",
                                          "not_followed_up"};
static const char *const status_sv[] = {"Ej påbörjad", "Pågående", "Genomförd", "Avslutad",
                                        "Ej uppföljd"};

static void html_analysis(struct sbuf *b, const json_t *doc)
{
    const json_t *areas = json_object_get(doc, "areas");
    sb_puts(b, "<section class=\"area\" id=\"analys\"><h2>Samlad analys</h2>"
               "<h3 id=\"analys-status\">Åtgärdernas status per målområde</h3><table><thead><tr>"
               "<th scope=\"col\">Målområde</th>");
    for (size_t s = 0; s < 5; s++)
        sb_printf(b, "<th scope=\"col\">%s</th>", status_sv[s]);
    sb_puts(b, "<th scope=\"col\">Indikatorer åt avsett håll</th>"
               "<th scope=\"col\">Åt motsatt håll</th><th scope=\"col\">Värde saknas</th>"
               "</tr></thead><tbody>");
    size_t i, j;
    json_t *area, *x;
    json_array_foreach(areas, i, area)
    {
        const json_t *an = json_object_get(area, "analysis");
        sb_printf(b, "<tr><td>%lld ",
                  (long long)json_integer_value(json_object_get(area, "number")));
        html_text(b, str(area, "title"));
        sb_puts(b, "</td>");
        for (size_t s = 0; s < 5; s++)
            sb_printf(b, "<td class=\"num\">%lld</td>",
                      (long long)json_integer_value(
                          json_object_get(json_object_get(an, "status"), status_keys[s])));
        const json_t *ic = json_object_get(an, "indicators");
        sb_printf(b,
                  "<td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
                  "<td class=\"num\">%lld</td></tr>",
                  (long long)json_integer_value(json_object_get(ic, "intended")),
                  (long long)json_integer_value(json_object_get(ic, "against")),
                  (long long)json_integer_value(json_object_get(ic, "no_data")));
    }
    sb_puts(b, "</tbody></table>");
    json_array_foreach(areas, i, area)
    {
        const json_t *an = json_object_get(area, "analysis");
        sb_printf(b, "<h4>Målområde %lld ",
                  (long long)json_integer_value(json_object_get(area, "number")));
        html_text(b, str(area, "title"));
        sb_puts(b, "</h4>");
        const char *lists[] = {"intended", "against"};
        const char *heads[] = {"Indikatorer som rört sig åt avsett håll",
                               "Indikatorer som rört sig åt motsatt håll"};
        for (int l = 0; l < 2; l++) {
            const json_t *list = json_object_get(an, lists[l]);
            sb_printf(b, "<p>%s: ", heads[l]);
            if (json_array_size(list) == 0)
                sb_puts(b, "inga.");
            json_array_foreach(list, j, x)
            {
                if (j)
                    sb_puts(b, "; ");
                html_text(b, str(x, "id"));
                sb_puts(b, " ");
                html_text(b, str(x, "name"));
                if (str(x, "aspect")) {
                    sb_puts(b, " – ");
                    html_text(b, str(x, "aspect"));
                }
                sb_puts(b, " (");
                html_text(b, str(x, "assessment_label"));
                sb_puts(b, ")");
            }
            sb_puts(b, "</p>");
        }
    }

    const json_t *bc = json_object_get(doc, "business_climate");
    sb_puts(b, "<h3 id=\"analys-klimat\">Näringslivsklimatet</h3><table><thead><tr>"
               "<th scope=\"col\">Mått</th>");
    year_headers(b, json_object_get(doc, "years"));
    sb_puts(b, "</tr></thead><tbody><tr><th scope=\"row\">");
    const json_t *total = json_object_get(bc, "nki_total");
    html_text(b, str(total, "label"));
    sb_puts(b, " (bygglov, miljö- och hälsoskydd, livsmedelskontroll, serveringstillstånd)</th>");
    value_cells(b, "index", json_object_get(total, "values"));
    sb_puts(b, "</tr>");
    json_array_foreach(json_object_get(bc, "units"), i, x)
    {
        sb_puts(b, "<tr><th scope=\"row\">");
        html_text(b, str(x, "label"));
        sb_puts(b, " ");
        html_text(b, str(x, "name"));
        sb_puts(b, "</th>");
        value_cells(b, "index", json_object_get(x, "values"));
        sb_puts(b, "</tr>");
    }
    json_array_foreach(json_object_get(bc, "ranking"), i, x)
    {
        sb_puts(b, "<tr><th scope=\"row\">");
        html_text(b, str(x, "name"));
        sb_puts(b, " (");
        html_text(b, str(x, "id"));
        sb_puts(b, ")</th>");
        value_cells(b, str(x, "unit"), json_object_get(x, "values"));
        sb_puts(b, "</tr>");
    }
    sb_puts(b, "</tbody></table><p class=\"muted\">NKI och NUI redovisas enligt SKR:s "
               "definition; index på färre än sju svar publiceras inte (”För få svar”), och "
               "”Skyddat värde” står där ett index på fler svar hålls tillbaka för att ett "
               "index på färre svar annars skulle kunna räknas fram ur de övriga "
               "(sekundärröjning). Svenskt Näringslivs "
               "betyg (1–6) förs in för hand.</p>");

    const json_t *ls = json_object_get(doc, "lessons");
    sb_puts(b, "<h3 id=\"analys-lardomar\">Lärdomar och förslag</h3>"
               "<h4>Förbättringsåtgärder under året</h4>");
    const json_t *imp = json_object_get(ls, "improvements");
    if (json_array_size(imp) == 0) {
        sb_puts(b, "<p class=\"muted\">Inga förbättringsåtgärder identifierade eller "
                   "genomförda under året.</p>");
    } else {
        sb_puts(b, "<table><thead><tr><th scope=\"col\">Förbättringsåtgärd</th>"
                   "<th scope=\"col\">Enhet</th><th scope=\"col\">Status</th>"
                   "<th scope=\"col\">Identifierad</th><th scope=\"col\">Genomförd</th>"
                   "</tr></thead><tbody>");
        json_array_foreach(imp, i, x)
        {
            sb_puts(b, "<tr><td>");
            html_text(b, str(x, "title"));
            sb_puts(b, "</td><td>");
            html_text(b, str(x, "unit_name"));
            sb_puts(b, "</td><td>");
            html_text(b, str(x, "status_label"));
            sb_puts(b, "</td><td class=\"num\">");
            html_text(b, str(x, "identified"));
            sb_puts(b, "</td><td class=\"num\">");
            html_text(b, str(x, "implemented") ? str(x, "implemented") : "–");
            sb_puts(b, "</td></tr>");
        }
        sb_puts(b, "</tbody></table>");
    }
    sb_puts(b, "<h4>Förslag från träffar</h4><p class=\"muted\">Träffarnas dokumenterade "
               "förslag redovisas under respektive åtgärd (indikatorerna för dokumenterade "
               "förslag och uttryckta behov).</p>");

    sb_puts(b, "<h3 id=\"analys-justering\">Behov av justering</h3>");
    const json_t *adj = json_object_get(doc, "adjustments");
    if (json_array_size(adj) == 0)
        sb_puts(b, "<p class=\"muted\">Inga behov av justering angivna.</p>");
    json_array_foreach(adj, i, x)
    {
        sb_puts(b, "<h4>");
        html_text(b, str(x, "code"));
        sb_puts(b, " ");
        html_text(b, str(x, "title"));
        sb_puts(b, "</h4><p class=\"text\">");
        html_text(b, str(x, "adjustment"));
        sb_puts(b, "</p>");
    }
    sb_puts(b, "</section>");
}

static void render_html(struct sbuf *b, const json_t *doc)
{
    const json_t *plan = json_object_get(doc, "plan");
    long long year = (long long)json_integer_value(json_object_get(doc, "year"));
    sb_puts(b, "<!DOCTYPE html><html lang=\"sv\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    sb_printf(b, "Årlig uppföljning %lld – ", year);
    html_text(b, str(plan, "title"));
    sb_puts(b, "</title><style>");
    sb_puts(b, STYLE);
    sb_puts(b, "</style></head><body><header class=\"cover\">");
    sb_printf(b, "<p>%s</p><h1>", "Rapport till kommunstyrelsen");
    html_text(b, str(plan, "title"));
    sb_printf(b, "</h1><p>Årlig uppföljning %lld av samtliga åtgärder</p><p>", year);
    html_text(b, str(plan, "municipality"));
    sb_puts(b, "</p><p class=\"muted\">Underlag framtaget ");
    char date[11] = "";
    if (str(doc, "generated_at"))
        snprintf(date, sizeof date, "%s", str(doc, "generated_at"));
    html_text(b, date);
    const json_t *sum = json_object_get(doc, "summary");
    sb_printf(b, " ur Lotsbok.</p><p>%lld åtgärder: ",
              (long long)json_integer_value(json_object_get(sum, "actions")));
    for (size_t s = 0; s < 5; s++)
        sb_printf(b, "%s%s %lld", s ? ", " : "", status_sv[s],
                  (long long)json_integer_value(json_object_get(sum, status_keys[s])));
    sb_puts(b, ".</p></header><nav aria-label=\"Innehåll\"><h2>Innehåll</h2><ol>");
    size_t i, j;
    json_t *area, *a;
    json_array_foreach(json_object_get(doc, "areas"), i, area)
    {
        long long num = (long long)json_integer_value(json_object_get(area, "number"));
        sb_printf(b, "<li><a href=\"#omr-%lld\">Målområde %lld ", num, num);
        html_text(b, str(area, "title"));
        sb_puts(b, "</a><ol>");
        json_array_foreach(json_object_get(area, "actions"), j, a)
        {
            char id[64];
            anchor(id, sizeof id, str(a, "code"));
            sb_printf(b, "<li><a href=\"#%s\">", id);
            html_text(b, str(a, "code"));
            sb_puts(b, " ");
            html_text(b, str(a, "title"));
            sb_puts(b, "</a> – ");
            html_text(b, str(a, "status_label"));
            sb_puts(b, "</li>");
        }
        sb_puts(b, "</ol></li>");
    }
    sb_puts(b, "<li><a href=\"#analys\">Samlad analys</a><ol>"
               "<li><a href=\"#analys-status\">Åtgärdernas status per målområde</a></li>"
               "<li><a href=\"#analys-klimat\">Näringslivsklimatet</a></li>"
               "<li><a href=\"#analys-lardomar\">Lärdomar och förslag</a></li>"
               "<li><a href=\"#analys-justering\">Behov av justering</a></li></ol></li>"
               "</ol></nav><main>");
    json_array_foreach(json_object_get(doc, "areas"), i, area)
    {
        long long num = (long long)json_integer_value(json_object_get(area, "number"));
        sb_printf(b, "<section class=\"area\" id=\"omr-%lld\"><h2>Målområde %lld ", num, num);
        html_text(b, str(area, "title"));
        sb_puts(b, "</h2>");
        if (str(area, "goal")) {
            sb_puts(b, "<p class=\"text\">");
            html_text(b, str(area, "goal"));
            sb_puts(b, "</p>");
        }
        json_array_foreach(json_object_get(area, "actions"), j, a) html_action(b, doc, a);
        sb_puts(b, "</section>");
    }
    html_analysis(b, doc);
    sb_puts(b, "</main></body></html>\n");
}

int lb_annual_render(const json_t *doc, enum lb_annual_format fmt, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!json_is_object(doc) || (fmt != LB_ANNUAL_CSV && fmt != LB_ANNUAL_HTML))
        return LB_EINVAL;
    struct sbuf b = {0};
    if (fmt == LB_ANNUAL_CSV)
        render_csv(&b, doc);
    else
        render_html(&b, doc);
    if (b.err || !b.p) {
        free(b.p);
        return b.err ? b.err : LB_ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}
