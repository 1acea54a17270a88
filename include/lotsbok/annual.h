/* annual.h: the action plan's annual report to kommunstyrelsen
 * (GET /reports/annual, DESIGN.md "The action plan and its annual follow-up").
 *
 * One pass builds the report as a JSON document from the plan (header and
 * actions), the follow-ups, the worker's published indicator snapshots of the
 * plan's years (and of the report year's quarters) and the improvement
 * actions: a chapter per action (status, results, each indicator's value this
 * year beside the earlier years with the target and whether it moved the
 * intended way, collaboration, adjustment needs, the responsible's comment),
 * then the samlad analys per målområde, the business-climate figures, lessons
 * and proposals, and the adjustment needs. CSV and HTML are rendered here
 * from that document, XLSX in core/api/annual_xlsx.c, so the formats cannot
 * disagree.
 *
 * Invariant: no personal data. Follow-ups carry who entered what (updated_by,
 * each value's by) and an action its owner: none of these reaches the
 * document. Texts written by staff (results, comments, improvement titles)
 * are the municipality's own account of its work. */
#ifndef LOTSBOK_ANNUAL_H
#define LOTSBOK_ANNUAL_H

#include <jansson.h>
#include <stddef.h>

#include "lotsbok/enums.h"
#include "lotsbok/records.h"

enum lb_annual_format { LB_ANNUAL_JSON, LB_ANNUAL_CSV, LB_ANNUAL_HTML, LB_ANNUAL_XLSX };

/* "json", "csv", "html", "xlsx" -> format; LB_EINVAL otherwise. */
int lb_annual_format_from_str(const char *s, enum lb_annual_format *out);
/* The Content-Type of a format. */
const char *lb_annual_content_type(enum lb_annual_format f);

struct lb_annual_input {
    int year;                /* the year reported, within the plan's period */
    const json_t *header;    /* the plan's header (plan.h) */
    const json_t *actions;   /* array of action documents, any order */
    const json_t *followups; /* array of follow-up documents, any actions and years */
    const json_t *snapshots; /* object: "2026" or "2026-Q3" -> the published snapshot */
    const json_t *meetings;  /* object: period -> lotsd's meeting figures (may be NULL) */
    const struct lb_improvement *improvements; /* all of them; the report selects the year's */
    size_t nimprovements;
    const struct lb_units *units; /* order and Swedish names of the NKI units */
    lb_time generated_at;
};

/* The report as a JSON document (*out a new reference). Years shown are the
 * plan's from its first to the report year. 0, LB_EINVAL (year outside the
 * plan's period, a missing header or units) or LB_ENOMEM. */
int lb_annual_json(const struct lb_annual_input *in, json_t **out);

/* The document rendered as CSV (UTF-8 with BOM, ';' separated, decimal comma,
 * CRLF) or as one self-contained Swedish HTML page for A4 (table of contents,
 * a page break per målområde, inline SVG charts, no script, nothing loaded):
 * *out malloc'd and NUL-terminated, *len bytes without the NUL. 0, LB_EINVAL
 * (fmt not csv or html) or LB_ENOMEM. */
int lb_annual_render(const json_t *doc, enum lb_annual_format fmt, char **out, size_t *len);

/* The Content-Security-Policy of the HTML report: nothing may load; its one
 * <style> element is allowed by hash. 0 or LB_ETOOBIG when len < 256. */
int lb_annual_html_csp(char *buf, size_t len);

/* How an indicator did in the report year (the document's "assessment"):
 * a milestone met / met late / overdue / pending; a target met or not; without
 * a target, moved the intended way against the year before or not; no value;
 * a figure the plan asks to be reported, not moved. Swedish label for each. */
const char *lb_annual_assessment_label_sv(const char *assessment);

/* Why an item (lb_plan_value) has no value, in Swedish, into buf: "Inga svar" for a
 * suppressed figure on no answers, "För få svar (n = 5)" under the threshold,
 * "Skyddat värde (n = 45)" for one suppressed secondarily ("secondary": true),
 * else the reason's label ("Ej inrapporterat", …). */
void lb_annual_reason_text(char *buf, size_t n, const json_t *item);

#endif
