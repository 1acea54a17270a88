/* annual_xlsx.c: the annual report as an Excel workbook (GET
 * /reports/annual?format=xlsx), written by libxlsxwriter from the report's
 * JSON document (annual.h), so it says what the JSON, CSV and HTML say.
 *
 * Sheets: "Sammanfattning" (one row per action: the standard template's
 * fields) and one per målområde ("Målområde 1", ...: one row per indicator,
 * a column per year of the plan up to the report year, the year's target and
 * the assessment). Numbers are stored as numbers with a number format (a
 * share as a percentage of its 0–1 value, an index with one decimal, a count
 * whole); a value that cannot be had is the reason as text ("För få svar
 * (n = 5)"). Headers are Swedish, the header row is frozen, widths set.
 *
 * It lives in the api room, not in domain, because libxlsxwriter writes its
 * parts and the zip through files: the workbook is written to a private
 * temporary file (mkstemps under $TMPDIR or /tmp), read back and unlinked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "lotsbok/annual.h"
#include "lotsbok/api.h"
#include "lotsbok/error.h"

#define XLSX_MAX (64u << 20) /* a workbook larger than this is a bug */

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

struct formats {
    lxw_format *head, *text, *wrap, *count, *share, *index, *muted, *title;
};

/* One value cell: a number in its unit's format, a text, or why there is none. */
static void value_cell(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *unit,
                       const json_t *item, const struct formats *f)
{
    const json_t *v = json_object_get(item, "value");
    if (json_is_number(v)) {
        lxw_format *fmt = unit && strcmp(unit, "share") == 0   ? f->share
                          : unit && strcmp(unit, "index") == 0 ? f->index
                                                               : f->count;
        worksheet_write_number(ws, r, c, json_number_value(v), fmt);
    } else if (json_is_string(v)) {
        worksheet_write_string(ws, r, c, json_string_value(v), f->text);
    } else {
        char why[64];
        lb_annual_reason_text(why, sizeof why, item);
        worksheet_write_string(ws, r, c, why, f->muted);
    }
}

static const char *unit_sv(const char *unit)
{
    if (!unit)
        return "";
    if (strcmp(unit, "count") == 0)
        return "Antal";
    if (strcmp(unit, "share") == 0)
        return "Andel";
    if (strcmp(unit, "index") == 0)
        return "Index";
    return "Text";
}

static void summary_sheet(lxw_workbook *wb, const json_t *doc, const struct formats *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Sammanfattning");
    static const char *const head[] = {"Åtgärd",    "Målområde",
                                       "Titel",     "Ansvar",
                                       "Status",    "Resultat och måluppfyllelse",
                                       "Samverkan", "Behov av justering",
                                       "Kommentar"};
    static const double width[] = {8, 11, 40, 30, 13, 60, 14, 45, 45};
    for (lxw_col_t c = 0; c < 9; c++) {
        worksheet_write_string(ws, 0, c, head[c], f->head);
        worksheet_set_column(ws, c, c, width[c], c >= 5 ? f->wrap : NULL);
    }
    worksheet_freeze_panes(ws, 1, 1);
    lxw_row_t r = 1;
    size_t i, j, k;
    json_t *area, *a, *x;
    json_array_foreach(json_object_get(doc, "areas"), i, area)
    {
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
            worksheet_write_string(ws, r, 0, str(a, "code"), f->text);
            worksheet_write_number(
                ws, r, 1, (double)json_integer_value(json_object_get(area, "number")), f->count);
            worksheet_write_string(ws, r, 2, str(a, "title"), f->wrap);
            worksheet_write_string(ws, r, 3, str(a, "responsible"), f->wrap);
            worksheet_write_string(ws, r, 4, str(a, "status_label"), f->text);
            const char *texts[] = {str(a, "results"), collab, str(a, "adjustment"),
                                   str(a, "comment")};
            for (lxw_col_t c = 0; c < 4; c++) {
                if (texts[c] && *texts[c])
                    worksheet_write_string(ws, r, 5 + c, texts[c], f->wrap);
            }
            r++;
        }
    }
}

static void area_sheet(lxw_workbook *wb, const json_t *doc, const json_t *area,
                       const struct formats *f)
{
    char name[32];
    snprintf(name, sizeof name, "Målområde %lld",
             (long long)json_integer_value(json_object_get(area, "number")));
    lxw_worksheet *ws = workbook_add_worksheet(wb, name);
    const json_t *years = json_object_get(doc, "years");
    lxw_col_t ny = (lxw_col_t)json_array_size(years);
    static const char *const head[] = {"Åtgärd", "Indikator-id", "Indikator", "Delmått",
                                       "Typ",    "Enhet",        "Riktning"};
    static const double width[] = {8, 11, 55, 13, 10, 8, 14};
    for (lxw_col_t c = 0; c < 7; c++) {
        worksheet_write_string(ws, 0, c, head[c], f->head);
        worksheet_set_column(ws, c, c, width[c], c == 2 ? f->wrap : NULL);
    }
    size_t i, j, m;
    json_t *y, *a, *x, *it;
    json_array_foreach(years, i, y)
        worksheet_write_string(ws, 0, (lxw_col_t)(7 + i), json_string_value(y), f->head);
    char th[32];
    snprintf(th, sizeof th, "Mål %lld",
             (long long)json_integer_value(json_object_get(doc, "year")));
    worksheet_write_string(ws, 0, 7 + ny, th, f->head);
    worksheet_write_string(ws, 0, 8 + ny, "Bedömning", f->head);
    worksheet_set_column(ws, 7, 7 + ny, 14, NULL);
    worksheet_set_column(ws, 8 + ny, 8 + ny, 30, f->wrap);
    worksheet_freeze_panes(ws, 1, 3);
    lxw_row_t r = 1;
    json_array_foreach(json_object_get(area, "actions"), i, a)
    {
        json_array_foreach(json_object_get(a, "indicators"), j, x)
        {
            const char *unit = str(x, "unit");
            worksheet_write_string(ws, r, 0, str(a, "code"), f->text);
            worksheet_write_string(ws, r, 1, str(x, "id"), f->text);
            worksheet_write_string(ws, r, 2, str(x, "name"), f->wrap);
            if (str(x, "aspect"))
                worksheet_write_string(ws, r, 3, str(x, "aspect"), f->text);
            worksheet_write_string(ws, r, 4, str(x, "kind_label"), f->text);
            worksheet_write_string(ws, r, 5, unit_sv(unit), f->text);
            worksheet_write_string(ws, r, 6, str(x, "direction_label"), f->text);
            json_array_foreach(json_object_get(x, "values"), m, it)
                value_cell(ws, r, (lxw_col_t)(7 + m), unit, it, f);
            const json_t *t = json_object_get(x, "target");
            if (json_is_number(t)) {
                json_t *item = json_pack("{s:O}", "value", t);
                value_cell(ws, r, 7 + ny, unit, item, f);
                json_decref(item);
            }
            worksheet_write_string(ws, r, 8 + ny, str(x, "assessment_label"), f->wrap);
            r++;
        }
    }
}

static int read_all(const char *path, char **out, size_t *len)
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

int api_annual_xlsx(const json_t *doc, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char path[512];
    if (snprintf(path, sizeof path, "%s/lotsbok-annual-XXXXXX.xlsx", dir) >= (int)sizeof path)
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
    char title[256];
    snprintf(title, sizeof title, "Årlig uppföljning %lld – %s",
             (long long)json_integer_value(json_object_get(doc, "year")),
             str(json_object_get(doc, "plan"), "title") ? str(json_object_get(doc, "plan"), "title")
                                                        : "handlingsplan");
    lxw_doc_properties props = {.title = title, .company = (char *)"", .author = (char *)"Lotsbok"};
    workbook_set_properties(wb, &props);
    struct formats f = {0};
    f.head = workbook_add_format(wb);
    format_set_bold(f.head);
    format_set_bg_color(f.head, 0xEEF2F6);
    format_set_text_wrap(f.head);
    format_set_align(f.head, LXW_ALIGN_VERTICAL_TOP);
    f.text = workbook_add_format(wb);
    format_set_align(f.text, LXW_ALIGN_VERTICAL_TOP);
    f.wrap = workbook_add_format(wb);
    format_set_text_wrap(f.wrap);
    format_set_align(f.wrap, LXW_ALIGN_VERTICAL_TOP);
    f.count = workbook_add_format(wb);
    format_set_num_format(f.count, "#,##0");
    format_set_align(f.count, LXW_ALIGN_VERTICAL_TOP);
    f.share = workbook_add_format(wb);
    format_set_num_format(f.share, "0%");
    format_set_align(f.share, LXW_ALIGN_VERTICAL_TOP);
    f.index = workbook_add_format(wb);
    format_set_num_format(f.index, "0.0");
    format_set_align(f.index, LXW_ALIGN_VERTICAL_TOP);
    f.muted = workbook_add_format(wb);
    format_set_font_color(f.muted, 0x555555);
    format_set_italic(f.muted);
    format_set_align(f.muted, LXW_ALIGN_VERTICAL_TOP);
    summary_sheet(wb, doc, &f);
    size_t i;
    json_t *area;
    json_array_foreach(json_object_get(doc, "areas"), i, area) area_sheet(wb, doc, area, &f);
    lxw_error err = workbook_close(wb);
    int rc = err == LXW_NO_ERROR ? read_all(path, out, len) : LB_EIO;
    unlink(path);
    return rc;
}
