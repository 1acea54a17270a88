/* cases_xlsx.c: GET /cases?…&format=xlsx, a lots's case list as an Excel
 * workbook (libxlsxwriter, constant-memory mode: rows are written as the
 * list is walked). The same route, roles and filters as the JSON list
 * (status, owner, company_id, opened_from, opened_to, order, after); limit
 * does not apply: the workbook holds every case the filters select, up to
 * LB_CASES_XLSX_MAX rows. A list longer than that is refused whole with 413
 * too_many_rows (never silently cut); narrow the filters (docs/api.md).
 *
 * One sheet "Ärenden": Ärendenummer, Öppnat, Status, Ansvarig, Företag,
 * Företags-id, Rubrik, Kategori, Utfall, Avslutat. Dates are Excel dates
 * (Stockholm's calendar day, format yyyy-mm-dd), the company id a number,
 * codes as their Swedish labels; the header row frozen, widths set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "lotsbok/api.h"
#include "lotsbok/enums.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"

#define EXCEL_EPOCH 25569 /* 1970-01-01 as an Excel serial date */

static void date_cell(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, lb_time t, lxw_format *f)
{
    if (t != LB_TIME_NONE)
        worksheet_write_number(ws, r, c, (double)lb_stockholm_date(t) + EXCEL_EPOCH, f);
}

static void text_cell(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s)
{
    if (s && *s)
        worksheet_write_string(ws, r, c, s, NULL);
}

int api_case_list_xlsx(struct lb_api_req *r, lb_txn *t, const struct lb_case_filter *f,
                       struct lb_page *p)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char path[512];
    if (snprintf(path, sizeof path, "%s/lotsbok-cases-XXXXXX.xlsx", dir) >= (int)sizeof path)
        return LB_EINVAL;
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return LB_EIO;
    close(fd);
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = (char *)dir};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb) {
        unlink(path);
        return LB_ENOMEM;
    }
    lxw_doc_properties props = {.title = (char *)"Ärenden", .author = (char *)"Lotsbok"};
    workbook_set_properties(wb, &props);
    lxw_format *head = workbook_add_format(wb);
    format_set_bold(head);
    format_set_bg_color(head, 0xEEF2F6);
    lxw_format *date = workbook_add_format(wb);
    format_set_num_format(date, "yyyy-mm-dd");
    lxw_format *id = workbook_add_format(wb);
    format_set_num_format(id, "0");
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Ärenden");
    static const char *const hd[] = {"Ärendenummer", "Öppnat", "Status",   "Ansvarig", "Företag",
                                     "Företags-id",  "Rubrik", "Kategori", "Utfall",   "Avslutat"};
    static const double width[] = {13, 11, 10, 18, 34, 11, 45, 22, 18, 11};
    for (lxw_col_t c = 0; c < 10; c++) {
        worksheet_set_column(ws, c, c, width[c], NULL);
        worksheet_write_string(ws, 0, c, hd[c], head);
    }
    worksheet_freeze_panes(ws, 1, 1);
    lxw_row_t row = 1;
    int rc = 0;
    bool too_many = false;
    struct lb_company co = {0};
    p->limit = 500;
    for (;;) {
        p->count = 0;
        p->next = 0;
        if ((rc = lb_case_list(t, f, p)) != 0)
            break;
        for (size_t i = 0; rc == 0 && i < p->count; i++) {
            struct lb_case c = {0};
            rc = lb_case_get(t, p->ids[i], &c);
            if (rc == LB_ENOTFOUND) {
                rc = 0;
                continue;
            }
            if (rc != 0)
                break;
            if (row > LB_CASES_XLSX_MAX) {
                too_many = true;
                lb_case_clear(&c);
                break;
            }
            char number[16];
            lb_case_number(&c, number, sizeof number);
            if (co.meta.id != c.company_id || !co.name) {
                lb_company_clear(&co);
                rc = lb_company_get(t, c.company_id, &co);
                if (rc == LB_ENOTFOUND)
                    rc = 0;
            }
            worksheet_write_string(ws, row, 0, number, NULL);
            date_cell(ws, row, 1, c.opened_at, date);
            text_cell(ws, row, 2, c.status == LB_CASE_OPEN ? "Öppet" : "Avslutat");
            text_cell(ws, row, 3, c.owner);
            text_cell(ws, row, 4, co.meta.id == c.company_id ? co.name : NULL);
            worksheet_write_number(ws, row, 5, (double)c.company_id, id);
            text_cell(ws, row, 6, c.subject);
            text_cell(ws, row, 7, lb_category_label_sv(c.category));
            if (c.outcome != LB_OUTCOME_NONE)
                text_cell(ws, row, 8, lb_outcome_label_sv(c.outcome));
            date_cell(ws, row, 9, c.closed_at, date);
            lb_case_clear(&c);
            row++;
        }
        if (rc != 0 || too_many || p->next == 0)
            break;
        p->after = p->next;
    }
    lb_company_clear(&co);
    lxw_error err = workbook_close(wb);
    char *out = NULL;
    size_t len = 0;
    if (rc == 0 && !too_many)
        rc = err == LXW_NO_ERROR ? api_xlsx_read_back(path, &out, &len) : LB_EIO;
    unlink(path);
    if (rc != 0)
        return rc;
    if (too_many)
        return api_fail(r, 413, "too_many_rows", NULL,
                        "the list has more than %d cases; narrow it with status, owner, "
                        "company_id or opened_from/opened_to",
                        LB_CASES_XLSX_MAX);
    free(r->resp_body);
    r->resp_body = out;
    r->resp_len = len;
    r->content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    r->status = 200;
    snprintf(r->extra_headers, sizeof r->extra_headers,
             "Content-Disposition: attachment; filename=\"arenden.xlsx\"; "
             "filename*=UTF-8''%%C3%%A4renden.xlsx\r\n");
    return 0;
}
