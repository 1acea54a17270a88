/* report.h: the arbetsgrupp's quarterly review (GET /reports/quarterly).
 *
 * Rendered from indicator snapshots (indicators.h) and improvement actions
 * only. Invariant: the report never receives personal data — no companies,
 * contacts, cases, answers or comments reach it; snapshots are aggregates with
 * small counts already suppressed, and improvement actions are the
 * municipality's own measures (their titles, written by staff, are the one free
 * text, see docs/indicators.md). Formats: JSON (the document the others are
 * rendered from), CSV for a Swedish Excel, and one self-contained Swedish HTML
 * page with inline SVG charts and no script. */
#ifndef LOTSBOK_REPORT_H
#define LOTSBOK_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lotsbok/enums.h"
#include "lotsbok/records.h"

#define LB_REPORT_QUARTERS 8 /* the quarter and the seven before it */

enum lb_report_format { LB_REPORT_JSON, LB_REPORT_CSV, LB_REPORT_HTML };

/* "json", "csv", "html" -> format; LB_EINVAL otherwise. */
int lb_report_format_from_str(const char *s, enum lb_report_format *out);
/* The Content-Type to serve a format with ("text/csv; charset=utf-8", ...). */
const char *lb_report_content_type(enum lb_report_format f);

/* The Swedish label of a survey question key (unit questions when `unit`);
 * the key itself when unknown. For the XLSX workbook (core/api/quarterly_xlsx.c). */
const char *lb_report_question_sv(bool unit, const char *key);

/* The quarter `back` quarters before (year, quarter): (2026, 1, 1) -> 2025 Q4. */
void lb_report_quarter_back(int year, int quarter, int back, int *out_year, int *out_quarter);

struct lb_report_input {
    int year, quarter; /* the quarter reviewed */
    /* snapshots[LB_REPORT_QUARTERS - 1] is the quarter's snapshot, [i] the one
     * LB_REPORT_QUARTERS - 1 - i quarters before; NULL where none was computed. */
    const json_t *snapshots[LB_REPORT_QUARTERS];
    const struct lb_improvement *improvements; /* all of them; the report selects */
    size_t nimprovements;
    const struct lb_units *units; /* order and Swedish display names */
    lb_time generated_at;
};

/* The report as a JSON document (*out a new reference): the quarter's
 * indicators, trends over the eight quarters, improvement actions and what
 * changed. 0, LB_EINVAL (quarter out of range, units NULL) or LB_ENOMEM. */
int lb_report_json(const struct lb_report_input *in, json_t **out);

/* The report in a format: *out is malloc'd (NUL-terminated, *len bytes
 * without the NUL). CSV is UTF-8 with BOM, ';' separated, decimal comma, CRLF.
 * 0, LB_EINVAL or LB_ENOMEM (then *out is NULL). */
int lb_report_render(const struct lb_report_input *in, enum lb_report_format fmt, char **out,
                     size_t *len);

/* The Content-Security-Policy to serve the HTML report with: nothing may load,
 * and the one <style> element is allowed by its SHA-256 hash (no inline script,
 * no style attributes). Written into buf; 0 or LB_ETOOBIG when len < 256. */
int lb_report_html_csp(char *buf, size_t len);

/* s with & < > " ' replaced by entities, as a new malloc'd string (*out), for
 * text and attribute values alike. 0 or LB_ENOMEM; NULL s gives "". */
int lb_report_html_escape(const char *s, char **out);

#endif
