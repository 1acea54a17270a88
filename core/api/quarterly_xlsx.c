/* quarterly_xlsx.c: the arbetsgrupp's quarterly report as an Excel workbook
 * (GET /reports/quarterly?format=xlsx), written by libxlsxwriter from the
 * report's JSON document (report.h, lb_report_json), so it says what the
 * JSON, CSV and HTML say.
 *
 * Sheets: "Företagslotsen" (every figure of the lots function for the quarter,
 * then the municipality's totals and the improvement actions), "Enheter" (one
 * row per unit and indicator) and "Trend" (one row per quarter of the eight:
 * the lots function's and every unit's series). Columns Värde, n and KI 95 %
 * are numbers with a number format (a share or response rate as a percentage
 * of its 0–1 value, an index with one decimal, a count whole); a figure that
 * is suppressed is an empty cell with the reason in "Anmärkning". Headers are
 * Swedish, the header row is frozen, widths set.
 *
 * Like annual_xlsx.c it lives in the api room because libxlsxwriter writes
 * through files: a private temporary file (mkstemps under $TMPDIR or /tmp),
 * read back and unlinked. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "lotsbok/api.h"
#include "lotsbok/enums.h"
#include "lotsbok/error.h"
#include "lotsbok/report.h"

#define XLSX_MAX (64u << 20)

static const char *const NOTE_SUPPRESSED =
    "Redovisas inte: för få svar, eller dold så att en annan dold uppgift inte kan räknas fram";

struct fmts {
    lxw_format *head, *text, *count, *share, *index, *muted;
};

struct sheet {
    lxw_worksheet *ws;
    lxw_row_t r;
    lxw_col_t c0; /* the Indikator column; Värde, n, KI låg, KI hög, Anmärkning follow */
    const struct fmts *f;
};

static void num(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const json_t *v, lxw_format *fmt)
{
    if (json_is_number(v))
        worksheet_write_number(ws, r, c, json_number_value(v), fmt);
}

/* The leading columns of a long-form row (Enhet on the unit sheet), then the label. */
static void label(struct sheet *s, const char *unit, const char *lab)
{
    if (s->c0 > 0)
        worksheet_write_string(s->ws, s->r, 0, unit ? unit : "", s->f->text);
    worksheet_write_string(s->ws, s->r, s->c0, lab ? lab : "", s->f->text);
}

static void row_count(struct sheet *s, const char *unit, const char *lab, const json_t *v)
{
    label(s, unit, lab);
    num(s->ws, s->r, s->c0 + 1, v, s->f->count);
    s->r++;
}

static void row_rate(struct sheet *s, const char *unit, const char *lab, const json_t *v)
{
    label(s, unit, lab);
    num(s->ws, s->r, s->c0 + 1, v, s->f->share);
    s->r++;
}

static void row_index(struct sheet *s, const char *unit, const char *lab, const json_t *ix,
                      bool grade)
{
    label(s, unit, lab);
    const json_t *ci = json_object_get(ix, "ci95");
    num(s->ws, s->r, s->c0 + 1, json_object_get(ix, "index"), s->f->index);
    num(s->ws, s->r, s->c0 + 2, json_object_get(ix, "n"), s->f->count);
    num(s->ws, s->r, s->c0 + 3, json_array_get(ci, 0), s->f->index);
    num(s->ws, s->r, s->c0 + 4, json_array_get(ci, 1), s->f->index);
    if (json_is_true(json_object_get(ix, "suppressed")))
        worksheet_write_string(s->ws, s->r, s->c0 + 5, NOTE_SUPPRESSED, s->f->muted);
    else if (grade && json_is_string(json_object_get(ix, "grade")))
        worksheet_write_string(s->ws, s->r, s->c0 + 5,
                               json_string_value(json_object_get(ix, "grade")), s->f->text);
    s->r++;
}

static void row_share(struct sheet *s, const char *unit, const char *lab, const json_t *sh)
{
    label(s, unit, lab);
    num(s->ws, s->r, s->c0 + 1, json_object_get(sh, "value"), s->f->share);
    num(s->ws, s->r, s->c0 + 2, json_object_get(sh, "n"), s->f->count);
    if (json_is_true(json_object_get(sh, "suppressed")))
        worksheet_write_string(s->ws, s->r, s->c0 + 5, NOTE_SUPPRESSED, s->f->muted);
    s->r++;
}

static void followups(struct sheet *s, const char *unit, const json_t *f)
{
    static const char *const keys[][2] = {{"due", "Uppföljningar planerade"},
                                          {"done", "Uppföljningar genomförda"},
                                          {"no_answer", "Uppföljningar utan svar"},
                                          {"declined", "Uppföljningar avböjda"},
                                          {"unreachable", "Uppföljningar ej nådda"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        row_count(s, unit, keys[i][1], json_object_get(f, keys[i][0]));
    row_rate(s, unit, "Svarsfrekvens", json_object_get(f, "response_rate"));
    row_count(s, unit, "Uppföljningar besvarade per e-post", json_object_get(f, "done_by_email"));
}

static void head_long(struct sheet *s, bool unit_col)
{
    static const char *const head[] = {"Indikator",   "Värde",       "n",
                                       "KI 95 % låg", "KI 95 % hög", "Anmärkning"};
    static const double width[] = {58, 11, 8, 12, 12, 50};
    if (unit_col) {
        worksheet_write_string(s->ws, 0, 0, "Enhet", s->f->head);
        worksheet_set_column(s->ws, 0, 0, 28, NULL);
    }
    for (lxw_col_t c = 0; c < 6; c++) {
        worksheet_write_string(s->ws, 0, s->c0 + c, head[c], s->f->head);
        worksheet_set_column(s->ws, s->c0 + c, s->c0 + c, width[c], NULL);
    }
    worksheet_freeze_panes(s->ws, 1, s->c0 + 1);
    s->r = 1;
}

static void lots_sheet(lxw_workbook *wb, const json_t *snap, const struct fmts *f)
{
    struct sheet s = {.ws = workbook_add_worksheet(wb, "Företagslotsen"), .c0 = 0, .f = f};
    head_long(&s, false);
    const json_t *l = json_object_get(snap, "lots");
    row_count(&s, NULL, "Företag som lotsats", json_object_get(l, "companies_guided"));
    row_count(&s, NULL, "Företag som lotsats hittills i år",
              json_object_get(l, "companies_guided_ytd"));
    row_count(&s, NULL, "Ärenden öppnade", json_object_get(l, "cases_opened"));
    row_count(&s, NULL, "Ärenden avslutade", json_object_get(l, "cases_closed"));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(l, "contacts"), key, v)
    {
        enum lb_channel ch;
        char lab[96];
        snprintf(lab, sizeof lab, "Kontakter, %s",
                 lb_channel_from_str(key, &ch) == 0 ? lb_channel_label_sv(ch) : key);
        row_count(&s, NULL, lab, v);
    }
    followups(&s, NULL, json_object_get(l, "followups"));
    json_object_foreach((json_t *)json_object_get(l, "questions"), key, v)
        row_index(&s, NULL, lb_report_question_sv(false, key), v, false);
    row_share(&s, NULL, "Enkelt att komma i kontakt med rätt person (andel ja)",
              json_object_get(l, "easy_contact"));
    const json_t *t = json_object_get(snap, "total");
    if (t != NULL) {
        row_index(&s, NULL, "NKI totalt, alla enheter", json_object_get(t, "nki"), true);
        row_share(&s, NULL, "Tydlig och rättssäker handläggning, alla enheter (andel ja)",
                  json_object_get(t, "clear_and_lawful"));
    }
    const json_t *im = json_object_get(snap, "improvements");
    row_count(&s, NULL, "Förbättringsåtgärder identifierade i kvartalet",
              json_object_get(im, "identified"));
    row_count(&s, NULL, "Förbättringsåtgärder genomförda i kvartalet",
              json_object_get(im, "implemented"));
    row_count(&s, NULL, "Förbättringsåtgärder identifierade totalt",
              json_object_get(im, "identified_total"));
    row_count(&s, NULL, "Förbättringsåtgärder genomförda totalt",
              json_object_get(im, "implemented_total"));
}

static void units_sheet(lxw_workbook *wb, const json_t *doc, const json_t *snap,
                        const struct fmts *f)
{
    struct sheet s = {.ws = workbook_add_worksheet(wb, "Enheter"), .c0 = 1, .f = f};
    head_long(&s, true);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(doc, "units"), i, u)
    {
        const char *code = json_string_value(json_object_get(u, "code"));
        const char *name = json_string_value(json_object_get(u, "name"));
        const json_t *us = json_object_get(json_object_get(snap, "units"), code);
        if (us == NULL)
            continue;
        const json_t *d = json_object_get(us, "decision_working_days");
        row_count(&s, name, "Överlämningar", json_object_get(us, "handoffs"));
        row_share(&s, name, "Kvitterade inom 2 arbetsdagar (andel)",
                  json_object_get(us, "acknowledged_in_time"));
        row_count(&s, name, "Handläggningstid, median (arbetsdagar)", json_object_get(d, "median"));
        row_count(&s, name, "Handläggningstid, 90:e percentilen (arbetsdagar)",
                  json_object_get(d, "p90"));
        row_count(&s, name, "Beslutade överlämningar", json_object_get(d, "n"));
        row_count(&s, name, "Försenade kvitteringar", json_object_get(us, "overdue"));
        followups(&s, name, json_object_get(us, "followups"));
        row_index(&s, name, json_string_value(json_object_get(u, "label")),
                  json_object_get(us, "nki"), true);
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)json_object_get(us, "questions"), key, v)
            row_index(&s, name, lb_report_question_sv(true, key), v, false);
        row_share(&s, name, "Tydlig och rättssäker handläggning (andel ja)",
                  json_object_get(us, "clear_and_lawful"));
    }
}

/* The value of an index or share object, or a plain number. */
static const json_t *figure(const json_t *v)
{
    if (json_is_object(v))
        return json_object_get(v, json_object_get(v, "index") ? "index" : "value");
    return v;
}

static void trend_sheet(lxw_workbook *wb, const json_t *doc, const struct fmts *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Trend");
    const json_t *tr = json_object_get(doc, "trends");
    const json_t *lots = json_object_get(tr, "lots"), *tot = json_object_get(tr, "total");
    const json_t *units = json_object_get(doc, "units"), *ut = json_object_get(tr, "units");
    struct col {
        const char *key;
        const char *head;
        int kind; /* 0 count, 1 share, 2 index */
    };
    static const struct col lc[] = {
        {"companies_guided", "Företagslotsen: företag som lotsats", 0},
        {"response_rate", "Företagslotsen: svarsfrekvens", 1},
        {"reached_right_person", "Företagslotsen: kom till rätt person (index)", 2},
        {"usefulness", "Företagslotsen: nytta (index)", 2},
        {"easy_contact", "Företagslotsen: enkelt att komma i kontakt (andel ja)", 1}};
    static const struct col tc[] = {
        {"nki", "NKI totalt", 2},
        {"clear_and_lawful", "Tydlig och rättssäker, alla (andel ja)", 1}};
    static const struct col uc[] = {
        {"handoffs", "överlämningar", 0},
        {"nki", "", 2},
        {"response_rate", "svarsfrekvens", 1},
        {"decision_median", "handläggningstid, median (arbetsdagar)", 0},
        {"decision_p90", "handläggningstid, 90:e percentilen", 0}};
    lxw_format *kf[3] = {f->count, f->share, f->index};
    worksheet_write_string(ws, 0, 0, "Kvartal", f->head);
    worksheet_set_column(ws, 0, 0, 10, NULL);
    lxw_col_t c = 1;
    for (size_t k = 0; k < 5; k++)
        worksheet_write_string(ws, 0, c++, lc[k].head, f->head);
    for (size_t k = 0; k < 2; k++)
        worksheet_write_string(ws, 0, c++, tc[k].head, f->head);
    size_t i;
    json_t *u;
    json_array_foreach(units, i, u)
    {
        for (size_t k = 0; k < 5; k++) {
            char h[160];
            snprintf(h, sizeof h, "%s: %s", json_string_value(json_object_get(u, "name")),
                     k == 1 ? json_string_value(json_object_get(u, "label")) : uc[k].head);
            worksheet_write_string(ws, 0, c++, h, f->head);
        }
    }
    worksheet_set_column(ws, 1, c > 1 ? c - 1 : 1, 16, NULL);
    worksheet_set_row(ws, 0, 60, NULL);
    worksheet_freeze_panes(ws, 1, 1);
    const json_t *quarters = json_object_get(doc, "quarters");
    for (size_t q = 0; q < json_array_size(quarters); q++) {
        lxw_row_t r = (lxw_row_t)(q + 1);
        worksheet_write_string(ws, r, 0, json_string_value(json_array_get(quarters, q)), f->text);
        const json_t *lp = json_array_get(lots, q), *tp = json_array_get(tot, q);
        c = 1;
        for (size_t k = 0; k < 5; k++, c++)
            num(ws, r, c, figure(json_object_get(lp, lc[k].key)), kf[lc[k].kind]);
        for (size_t k = 0; k < 2; k++, c++)
            num(ws, r, c, figure(json_object_get(tp, tc[k].key)), kf[tc[k].kind]);
        json_array_foreach(units, i, u)
        {
            const json_t *up = json_array_get(
                json_object_get(ut, json_string_value(json_object_get(u, "code"))), q);
            for (size_t k = 0; k < 5; k++, c++)
                num(ws, r, c, figure(json_object_get(up, uc[k].key)), kf[uc[k].kind]);
        }
    }
}

int api_xlsx_read_back(const char *path, char **out, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return LB_EIO;
    struct stat st;
    int rc =
        fstat(fileno(fp), &st) == 0 && st.st_size > 0 && (size_t)st.st_size < XLSX_MAX ? 0 : LB_EIO;
    char *buf = rc ? NULL : malloc((size_t)st.st_size + 1);
    if (rc == 0 && !buf)
        rc = LB_ENOMEM;
    if (rc == 0 && fread(buf, 1, (size_t)st.st_size, fp) != (size_t)st.st_size)
        rc = LB_EIO;
    fclose(fp);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[st.st_size] = '\0';
    *out = buf;
    *len = (size_t)st.st_size;
    return 0;
}

int api_quarterly_xlsx(const json_t *doc, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char path[512];
    if (snprintf(path, sizeof path, "%s/lotsbok-quarterly-XXXXXX.xlsx", dir) >= (int)sizeof path)
        return LB_EINVAL;
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return LB_EIO;
    close(fd);
    lxw_workbook_options opt = {.constant_memory = LXW_FALSE, .tmpdir = (char *)dir};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb) {
        unlink(path);
        return LB_ENOMEM;
    }
    char title[96];
    snprintf(title, sizeof title, "Kvartalsrapport %s",
             json_string_value(json_object_get(doc, "quarter")));
    lxw_doc_properties props = {.title = title, .company = (char *)"", .author = (char *)"Lotsbok"};
    workbook_set_properties(wb, &props);
    struct fmts f = {0};
    f.head = workbook_add_format(wb);
    format_set_bold(f.head);
    format_set_bg_color(f.head, 0xEEF2F6);
    format_set_text_wrap(f.head);
    format_set_align(f.head, LXW_ALIGN_VERTICAL_TOP);
    f.text = workbook_add_format(wb);
    f.count = workbook_add_format(wb);
    format_set_num_format(f.count, "#,##0");
    f.share = workbook_add_format(wb);
    format_set_num_format(f.share, "0%");
    f.index = workbook_add_format(wb);
    format_set_num_format(f.index, "0.0");
    f.muted = workbook_add_format(wb);
    format_set_font_color(f.muted, 0x555555);
    format_set_italic(f.muted);
    const json_t *snap = json_object_get(doc, "indicators");
    lots_sheet(wb, snap, &f);
    units_sheet(wb, doc, snap, &f);
    trend_sheet(wb, doc, &f);
    lxw_error err = workbook_close(wb);
    int rc = err == LXW_NO_ERROR ? api_xlsx_read_back(path, out, len) : LB_EIO;
    unlink(path);
    return rc;
}
