/* api_import.c: POST /imports/companies, a register of companies and their
 * contact persons from a CSV or XLSX file (docs/import.md).
 *
 * The body is the file (lotsd's HTTP server lets this one path send
 * LB_IMPORT_MAX_BYTES). The handler, on the loop thread with the request's
 * read transaction, does everything but the writes: reads the table
 * (lb_csv_read or lb_xlsx_read, by the ZIP magic), finds the columns, and
 * folds each row into its company in file order: a company the register
 * has is loaded once (by orgnr), a new one is started, and lb_import_apply
 * fills its empty fields and adds the row's contact person. So each row's
 * result (created, updated, unchanged, failed) is known before anything is
 * written, and a dry run answers it at once. A real run that changes
 * something queues one operation: every changed company is written with
 * lb_company_create or lb_company_update (If-Match: the version read), and
 * import.completed is appended, in one transaction of a group commit, so the
 * file is imported whole or not at all; a company registered or changed by
 * someone else in between makes the import fail with 409 and change
 * nothing. A file that changes nothing writes nothing. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/error.h"
#include "lotsbok/import.h"
#include "lotsbok/jsonw.h"

#define MAX_CONTACTS 100 /* as POST /companies */

enum { ST_CREATED, ST_UPDATED, ST_UNCHANGED, ST_FAILED };
static const char *const status_name[] = {"created", "updated", "unchanged", "failed"};

struct imp_company {
    struct lb_company c;
    uint64_t version; /* 0 for a new company */
    bool changed;
};

struct imp_row {
    uint32_t line;
    uint8_t status;
    uint8_t col;     /* enum lb_import_col of a failure */
    uint8_t changed; /* LB_IMP_CH_* */
    int32_t company; /* index in cos, -1 when none */
    const char *code;
    char *message; /* a failure's, owned */
};

struct imp {
    struct lb_table table;
    struct lb_import_header h;
    struct imp_company *cos;
    size_t ncos, cap;
    uint64_t *slots; /* open addressing: orgnr as a number + 1 -> index + 1 in the low bits */
    uint32_t *slot_ix;
    size_t nslots;
    struct imp_row *rows;
    size_t nrows;
    uint32_t count[4];
    bool dry_run;
    const char *format;
};

static void imp_free(void *p)
{
    struct imp *m = p;
    if (!m)
        return;
    for (size_t i = 0; i < m->ncos; i++)
        lb_company_clear(&m->cos[i].c);
    for (size_t i = 0; i < m->nrows; i++)
        free(m->rows[i].message);
    free(m->cos);
    free(m->slots);
    free(m->slot_ix);
    free(m->rows);
    lb_table_free(&m->table);
    free(m);
}

/* The slot of orgnr (10 digits) in the map: its company index, or -1 with
 * *slot where to put it. */
static long find_company(struct imp *m, const char *orgnr, size_t *slot)
{
    uint64_t key = strtoull(orgnr, NULL, 10) + 1;
    size_t mask = m->nslots - 1, i = (size_t)(key * 0x9e3779b97f4a7c15ull >> 20) & mask;
    while (m->slots[i]) {
        if (m->slots[i] == key)
            return (long)m->slot_ix[i];
        i = (i + 1) & mask;
    }
    m->slots[i] = key; /* reserved: the caller fills slot_ix */
    *slot = i;
    return -1;
}

/* Index of the company a valid row belongs to, loading it from the register
 * or starting a new one; -1 with *err set when that fails. */
static long company_for(lb_txn *t, struct imp *m, const struct lb_import_row *row, int *err)
{
    size_t slot = 0;
    long ix = find_company(m, row->orgnr.digits, &slot);
    *err = 0;
    if (ix >= 0)
        return ix;
    if (m->ncos == m->cap) {
        size_t c = m->cap ? m->cap * 2 : 256;
        struct imp_company *n = realloc(m->cos, c * sizeof *n);
        if (!n) {
            *err = LB_ENOMEM;
            return -1;
        }
        m->cos = n;
        m->cap = c;
    }
    struct imp_company *co = &m->cos[m->ncos];
    memset(co, 0, sizeof *co);
    co->c.anonymized_at = LB_TIME_NONE;
    lb_id id = 0;
    int rc = lb_company_by_orgnr(t, row->orgnr.digits, &id);
    if (rc == 0) {
        if ((rc = lb_company_get(t, id, &co->c)) != 0) {
            *err = rc;
            return -1;
        }
        co->version = co->c.meta.version;
    } else if (rc != LB_ENOTFOUND) {
        *err = rc;
        return -1;
    }
    m->slot_ix[slot] = (uint32_t)m->ncos;
    return (long)m->ncos++;
}

static void row_failed(struct imp_row *res, enum lb_import_col col, const char *code,
                       const char *msg)
{
    res->status = ST_FAILED;
    res->col = (uint8_t)col;
    res->code = code;
    res->message = strdup(msg);
}

/* Folds every data row into its company (see the file's comment). */
static int plan(lb_txn *t, struct imp *m)
{
    size_t first = m->h.row + 1, n = m->table.nrows > first ? m->table.nrows - first : 0;
    m->nslots = 64;
    while (m->nslots < n * 2)
        m->nslots *= 2;
    m->slots = calloc(m->nslots, sizeof *m->slots);
    m->slot_ix = calloc(m->nslots, sizeof *m->slot_ix);
    m->rows = calloc(n ? n : 1, sizeof *m->rows);
    if (!m->slots || !m->slot_ix || !m->rows)
        return LB_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct lb_import_row row;
        struct imp_row *res = &m->rows[m->nrows++];
        lb_import_row(&m->table, &m->h, first + i, &row);
        res->line = row.line;
        res->company = -1;
        if (row.code) {
            row_failed(res, row.col, row.code, row.message);
            continue;
        }
        int err;
        long ix = company_for(t, m, &row, &err);
        if (err)
            return err;
        struct imp_company *co = &m->cos[ix];
        res->company = (int32_t)ix;
        if (co->c.anonymized_at != LB_TIME_NONE) {
            row_failed(res, LB_IMP_ORGNR, "company_anonymized",
                       "the company is anonymised: an import does not bring its data back");
            continue;
        }
        bool is_new = co->c.name == NULL;
        int ch = lb_import_apply(&co->c, &row, MAX_CONTACTS);
        if (ch == LB_ETOOBIG) {
            row_failed(res, LB_IMP_PERSON, "too_many_contacts",
                       "the company already has 100 contact persons");
            continue;
        }
        if (ch < 0)
            return ch;
        res->changed = (uint8_t)ch;
        res->status = is_new ? ST_CREATED : ch ? ST_UPDATED : ST_UNCHANGED;
        if (ch)
            co->changed = true;
    }
    for (size_t i = 0; i < m->nrows; i++)
        m->count[m->rows[i].status]++;
    return 0;
}

static void put_changed(struct lb_jw *w, unsigned ch)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{LB_IMP_CH_NAME, "name"},
                 {LB_IMP_CH_LOCALITY, "locality"},
                 {LB_IMP_CH_SNI, "sni"},
                 {LB_IMP_CH_CONTACT_ADDED, "contacts"},
                 {LB_IMP_CH_CONTACT_FILLED, "contacts"}};
    lb_jw_arr_begin(w);
    bool contacts = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(ch & names[i].bit))
            continue;
        if (names[i].name[0] == 'c') {
            if (contacts)
                continue;
            contacts = true;
        }
        lb_jw_str(w, names[i].name);
    }
    lb_jw_arr_end(w);
}

static int answer(struct lb_api_req *r, struct imp *m)
{
    struct lb_jw w;
    lb_jw_init(&w);
    lb_jw_obj_begin(&w);
    LB_JW_KEY(&w, "dry_run");
    lb_jw_bool(&w, m->dry_run);
    lb_jw_kstr(&w, "format", m->format);
    lb_jw_kstr(&w, "encoding", m->table.encoding);
    lb_jw_kint(&w, "header_line", m->table.rows[m->h.row].line);
    lb_jw_kint(&w, "rows", (int64_t)m->nrows);
    for (int s = 0; s < 4; s++)
        lb_jw_kint(&w, status_name[s], m->count[s]);
    LB_JW_KEY(&w, "columns");
    lb_jw_obj_begin(&w);
    for (int c = 0; c < LB_IMP_NCOLS; c++)
        if (m->h.col[c] >= 0)
            lb_jw_kstr(&w, lb_import_col_field((enum lb_import_col)c),
                       lb_table_cell(&m->table, m->h.row, (size_t)m->h.col[c]));
    lb_jw_obj_end(&w);
    LB_JW_KEY(&w, "unknown_columns");
    lb_jw_arr_begin(&w);
    for (uint32_t i = 0; i < m->h.nunknown; i++)
        lb_jw_str(&w, lb_table_cell(&m->table, m->h.row, m->h.unknown[i]));
    lb_jw_arr_end(&w);
    LB_JW_KEY(&w, "items");
    lb_jw_arr_begin(&w);
    for (size_t i = 0; i < m->nrows; i++) {
        const struct imp_row *x = &m->rows[i];
        lb_jw_obj_begin(&w);
        lb_jw_kint(&w, "line", x->line);
        lb_jw_kstr(&w, "status", status_name[x->status]);
        if (x->company >= 0) {
            const struct imp_company *co = &m->cos[x->company];
            lb_jw_kstr(&w, "orgnr", co->c.orgnr);
            LB_JW_KEY(&w, "company_id");
            if (co->c.meta.id)
                lb_jw_int(&w, (int64_t)co->c.meta.id);
            else
                lb_jw_null(&w);
        }
        if (x->status == ST_UPDATED) {
            LB_JW_KEY(&w, "fields");
            put_changed(&w, x->changed);
        }
        if (x->status == ST_FAILED) {
            int col = m->h.col[x->col];
            lb_jw_kstr(&w, "column",
                       col >= 0 ? lb_table_cell(&m->table, m->h.row, (size_t)col)
                                : lb_import_col_field((enum lb_import_col)x->col));
            lb_jw_kstr(&w, "field", lb_import_col_field((enum lb_import_col)x->col));
            lb_jw_kstr(&w, "code", x->code);
            lb_jw_kstr(&w, "message", x->message ? x->message : "");
        }
        lb_jw_obj_end(&w);
    }
    lb_jw_arr_end(&w);
    lb_jw_obj_end(&w);
    return api_answer_jw(r, 200, &w, NULL);
}

static int op_import(lb_txn *t, struct lb_api_req *r)
{
    struct imp *m = r->arg;
    for (size_t i = 0; i < m->ncos; i++) {
        struct imp_company *co = &m->cos[i];
        if (!co->changed)
            continue;
        int rc;
        if (co->version == 0) {
            lb_id existing = 0;
            rc = lb_company_create(t, &r->ctx, &co->c, &existing);
        } else {
            rc = lb_company_update(t, &r->ctx, &co->c, co->version);
        }
        if (rc == LB_EEXIST || rc == LB_ESTALE)
            return api_fail(r, 409, "concurrent_change", "orgnr",
                            "company %s was registered or changed while the file was read: "
                            "nothing was imported; import the file again",
                            co->c.orgnr);
        if (rc != 0)
            return rc;
    }
    int rc = lb_import_completed(t, &r->ctx, m->format, m->count[ST_CREATED], m->count[ST_UPDATED],
                                 m->count[ST_UNCHANGED], m->count[ST_FAILED]);
    /* The answer lists every row's orgnr (a personnummer for an enskild firma). */
    for (size_t i = 0; rc == 0 && i < m->ncos; i++)
        rc = api_idem_company(r, m->cos[i].c.meta.id);
    return rc ? rc : answer(r, m);
}

int api_import_companies(struct lb_api_req *r, lb_txn *t)
{
    char dry[16];
    int has = api_query(r, "dry_run", dry, sizeof dry);
    if (has < 0)
        return has;
    if (has == 1 && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0)
        return api_fail(r, 400, "bad_query", "dry_run", "dry_run must be true or false");
    const char *body = r->http->body;
    size_t len = r->http->body_len;
    if (len == 0)
        return api_fail(r, 400, "empty_file", NULL,
                        "the body is empty: send the CSV or XLSX file as the body");
    if (len > LB_IMPORT_MAX_BYTES)
        return api_fail(r, 413, "payload_too_large", NULL, "the file is over %u MiB",
                        LB_IMPORT_MAX_BYTES >> 20);
    struct imp *m = calloc(1, sizeof *m);
    if (!m)
        return LB_ENOMEM;
    m->dry_run = has == 1 && strcmp(dry, "true") == 0;
    bool xlsx = lb_import_is_zip(body, len);
    m->format = xlsx ? "xlsx" : "csv";
    int rc = xlsx ? lb_xlsx_read(body, len, LB_IMPORT_MAX_ROWS, &m->table)
                  : lb_csv_read(body, len, LB_IMPORT_MAX_ROWS, &m->table);
    if (rc == LB_ETOOBIG) {
        rc = api_fail(r, 413, "too_many_rows", NULL,
                      "the file has more than %u rows (or a sheet over %u MiB unpacked): split it",
                      LB_IMPORT_MAX_ROWS, LB_XLSX_MAX_XML >> 20);
    } else if (rc == LB_EINVAL) {
        if (m->table.error_line)
            rc = api_fail(r, 400, "unreadable_file", NULL, "line %u: %s", m->table.error_line,
                          m->table.error);
        else
            rc = api_fail(r, 400, "unreadable_file", NULL, "%s", m->table.error);
    }
    if (rc == 0) {
        enum lb_import_col missing;
        int dup;
        if (lb_import_header(&m->table, &m->h, &missing, &dup) != 0) {
            if (missing == LB_IMP_NCOLS)
                rc = api_fail(r, 422, "duplicate_column", NULL,
                              "the column \"%s\" is named twice in the header",
                              lb_table_cell(&m->table, m->h.row, (size_t)dup));
            else if (missing == LB_IMP_ORGNR)
                rc = api_fail(r, 422, "missing_column", "orgnr",
                              "no header row with an Organisationsnummer (Orgnr, PeOrgNr) column "
                              "in the first 10 rows");
            else
                rc = api_fail(r, 422, "missing_column", "name",
                              "the header has no Företagsnamn (Namn) column");
        }
    }
    if (rc == 0)
        rc = plan(t, m);
    if (rc == 0 && (m->dry_run || (m->count[ST_CREATED] == 0 && m->count[ST_UPDATED] == 0)))
        rc = answer(r, m);
    else if (rc == 0)
        return api_queue(r, op_import, m, imp_free);
    imp_free(m);
    return rc;
}
