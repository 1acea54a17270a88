/* xlsx_read.c: the first worksheet of an XLSX file as a table (import.h).
 *
 * The file is opened from memory with libzip (zip_source_buffer: no file is
 * written or read). The first <sheet> of xl/workbook.xml names its part
 * through xl/_rels/workbook.xml.rels (xl/worksheets/sheet1.xml when either
 * is missing). xl/sharedStrings.xml, when present, is read first into an
 * array of strings (a rich-text <si> is the concatenation of its runs' <t>;
 * phonetic <rPh> runs are left out). The sheet is then streamed through
 * expat 64 KiB at a time, so only the cells are kept in memory: a <c>'s
 * column comes from its r="B7" (or follows the previous cell), its value
 * from <v> (t="s": a shared string's index; t="str", "b", "e": the text;
 * a number: integral values written without exponent or fraction, so
 * 5.560360793E9 reads 5560360793) or <is><t> (t="inlineStr"). Every part is
 * read at most LB_XLSX_MAX_XML bytes uncompressed (a ZIP bomb stops there)
 * and a DOCTYPE stops the parse (no entity expansion at all). */
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "import_internal.h"
#include "lotsbok/error.h"

struct sbuf {
    char *p;
    size_t n, cap;
};

static int sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + n + 1)
            c *= 2;
        char *q = realloc(b->p, c);
        if (!q)
            return LB_ENOMEM;
        b->p = q;
        b->cap = c;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

/* The state of one part's parse. */
struct xp {
    XML_Parser p;
    int rc; /* first error */
    struct lb_table *t;
    size_t max_rows;
    /* shared strings */
    struct sbuf sst; /* every string, NUL-terminated */
    size_t *sst_off;
    size_t nsst, sst_cap;
    int in_si, in_rph;
    /* the sheet */
    int in_row, in_c, in_v, in_is, in_t;
    uint32_t row_line, next_row;
    size_t row_first;
    uint32_t col, next_col;
    char ctype[16];
    struct sbuf val;
    /* workbook and rels */
    char first_rid[128];
    char target[256];
    const char *want_rid;
};

static const char *local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

static const char *attr(const char **a, const char *name)
{
    for (; a && a[0]; a += 2)
        if (strcmp(local(a[0]), name) == 0)
            return a[1];
    return NULL;
}

static void xp_fail(struct xp *x, int rc, const char *msg)
{
    if (x->rc == 0) {
        x->rc = rc;
        if (msg)
            snprintf(x->t->error, sizeof x->t->error, "%s", msg);
    }
    XML_StopParser(x->p, XML_FALSE);
}

/* "BC12" -> column 54 (0-based); UINT32_MAX when it has no letters. */
static uint32_t ref_col(const char *r)
{
    uint32_t c = 0;
    size_t n = 0;
    for (; *r >= 'A' && *r <= 'Z' && n < 4; r++, n++)
        c = c * 26 + (uint32_t)(*r - 'A' + 1);
    return n ? c - 1 : UINT32_MAX;
}

/* The number s the way a user typed it: an integral value written with an
 * exponent or ".0" is rewritten into out without them; anything else is s. */
static const char *number_text(const char *s, char *out, size_t len)
{
    char *end;
    double d = strtod(s, &end);
    if (end != s && *end == '\0' && (strchr(s, 'E') || strchr(s, 'e') || strchr(s, '.')) &&
        d > -1e15 && d < 1e15 && d == (double)(long long)d) {
        snprintf(out, len, "%lld", (long long)d);
        return out;
    }
    return s;
}

static int add_cell_at(struct xp *x, uint32_t col, const char *s, size_t n)
{
    struct lb_table *t = x->t;
    if (col >= LB_TABLE_MAX_COLS)
        return 0;
    while (t->ncells - x->row_first < col) {
        int rc = lb__table_cell(t, "", 0);
        if (rc)
            return rc;
    }
    if (t->ncells - x->row_first > col)
        return 0; /* a second cell of one column: the first stands */
    return lb__table_cell(t, s, n);
}

static void end_cell(struct xp *x)
{
    const char *v = x->val.p ? x->val.p : "";
    char num[64];
    if (strcmp(x->ctype, "s") == 0) {
        char *end;
        unsigned long i = strtoul(v, &end, 10);
        if (end == v || *end || i >= x->nsst) {
            char msg[120];
            snprintf(msg, sizeof msg,
                     "row %u: a cell names shared string \"%.20s\", which the file does not have",
                     x->row_line, v);
            xp_fail(x, LB_EINVAL, msg);
            return;
        }
        v = x->sst.p + x->sst_off[i];
    } else if (!x->ctype[0] || strcmp(x->ctype, "n") == 0) {
        v = number_text(v, num, sizeof num);
    }
    int rc = add_cell_at(x, x->col, v, strlen(v));
    if (rc)
        xp_fail(x, rc, NULL);
    x->next_col = x->col + 1;
}

static void XMLCALL sheet_start(void *ud, const char *name, const char **a)
{
    struct xp *x = ud;
    const char *n = local(name);
    if (strcmp(n, "row") == 0) {
        const char *r = attr(a, "r");
        unsigned long line = r ? strtoul(r, NULL, 10) : 0;
        x->row_line = line > 0 && line <= 1048576 ? (uint32_t)line : x->next_row;
        x->next_row = x->row_line + 1;
        x->in_row = 1;
        x->row_first = x->t->ncells;
        x->next_col = 0;
    } else if (strcmp(n, "c") == 0 && x->in_row) {
        const char *r = attr(a, "r"), *ty = attr(a, "t");
        uint32_t c = r ? ref_col(r) : UINT32_MAX;
        x->col = c != UINT32_MAX ? c : x->next_col;
        snprintf(x->ctype, sizeof x->ctype, "%s", ty ? ty : "");
        x->in_c = 1;
        x->val.n = 0;
        if (x->val.p)
            x->val.p[0] = '\0';
    } else if (x->in_c && strcmp(n, "v") == 0) {
        x->in_v = 1;
    } else if (x->in_c && strcmp(n, "is") == 0) {
        x->in_is = 1;
    } else if (x->in_is && strcmp(n, "rPh") == 0) {
        x->in_rph = 1;
    } else if (x->in_is && !x->in_rph && strcmp(n, "t") == 0) {
        x->in_t = 1;
    }
}

static void XMLCALL sheet_end(void *ud, const char *name)
{
    struct xp *x = ud;
    const char *n = local(name);
    if (strcmp(n, "row") == 0 && x->in_row) {
        x->in_row = 0;
        int rc = lb__table_row(x->t, x->row_line, x->row_first, x->max_rows);
        if (rc == LB_ETOOBIG)
            xp_fail(x, rc, "the sheet has more rows than an import takes");
        else if (rc)
            xp_fail(x, rc, NULL);
    } else if (strcmp(n, "c") == 0 && x->in_c) {
        x->in_c = 0;
        end_cell(x);
    } else if (strcmp(n, "v") == 0) {
        x->in_v = 0;
    } else if (strcmp(n, "is") == 0) {
        x->in_is = 0;
    } else if (strcmp(n, "rPh") == 0) {
        x->in_rph = 0;
    } else if (strcmp(n, "t") == 0) {
        x->in_t = 0;
    }
}

static void XMLCALL sheet_text(void *ud, const char *s, int len)
{
    struct xp *x = ud;
    if ((x->in_v || x->in_t) && x->val.n + (size_t)len < (1u << 20) &&
        sbuf_add(&x->val, s, (size_t)len))
        xp_fail(x, LB_ENOMEM, NULL);
}

static void XMLCALL sst_start(void *ud, const char *name, const char **a)
{
    struct xp *x = ud;
    (void)a;
    const char *n = local(name);
    if (strcmp(n, "si") == 0) {
        if (x->nsst == x->sst_cap) {
            size_t c = x->sst_cap ? x->sst_cap * 2 : 256;
            size_t *o = realloc(x->sst_off, c * sizeof *o);
            if (!o) {
                xp_fail(x, LB_ENOMEM, NULL);
                return;
            }
            x->sst_off = o;
            x->sst_cap = c;
        }
        x->sst_off[x->nsst++] = x->sst.n;
        x->in_si = 1;
    } else if (x->in_si && strcmp(n, "rPh") == 0) {
        x->in_rph = 1;
    } else if (x->in_si && !x->in_rph && strcmp(n, "t") == 0) {
        x->in_t = 1;
    }
}

static void XMLCALL sst_end(void *ud, const char *name)
{
    struct xp *x = ud;
    const char *n = local(name);
    if (strcmp(n, "si") == 0 && x->in_si) {
        x->in_si = 0;
        if (sbuf_add(&x->sst, "", 1)) /* the NUL between strings */
            xp_fail(x, LB_ENOMEM, NULL);
    } else if (strcmp(n, "rPh") == 0) {
        x->in_rph = 0;
    } else if (strcmp(n, "t") == 0) {
        x->in_t = 0;
    }
}

static void XMLCALL sst_text(void *ud, const char *s, int len)
{
    struct xp *x = ud;
    if (x->in_si && x->in_t && sbuf_add(&x->sst, s, (size_t)len))
        xp_fail(x, LB_ENOMEM, NULL);
}

static void XMLCALL wb_start(void *ud, const char *name, const char **a)
{
    struct xp *x = ud;
    const char *n = local(name);
    if (strcmp(n, "sheet") == 0 && !x->first_rid[0]) {
        const char *id = attr(a, "id");
        if (id)
            snprintf(x->first_rid, sizeof x->first_rid, "%s", id);
    } else if (strcmp(n, "Relationship") == 0 && x->want_rid && !x->target[0]) {
        const char *id = attr(a, "Id"), *tg = attr(a, "Target");
        if (id && tg && strcmp(id, x->want_rid) == 0)
            snprintf(x->target, sizeof x->target, "%s", tg);
    }
}

static void XMLCALL no_doctype(void *ud, const char *name, const char *sys, const char *pub,
                               int internal)
{
    (void)name, (void)sys, (void)pub, (void)internal;
    xp_fail(ud, LB_EINVAL, "the file's XML declares a DOCTYPE, which an XLSX part never does");
}

/* Where a part's bytes come from: a zip entry, or memory (the fuzz target). */
struct src {
    zip_t *z;
    zip_file_t *f;
    const char *mem;
    size_t len, off;
};

static zip_int64_t src_read(struct src *s, char *buf, size_t n)
{
    if (s->f)
        return zip_fread(s->f, buf, n);
    size_t k = s->len - s->off < n ? s->len - s->off : n;
    memcpy(buf, s->mem + s->off, k);
    s->off += k;
    return (zip_int64_t)k;
}

/* Streams the part `name` through a new expat parser with the given
 * handlers. */
static int parse_src(struct src *f, const char *name, struct xp *x, XML_StartElementHandler st,
                     XML_EndElementHandler en, XML_CharacterDataHandler tx)
{
    XML_Parser p = XML_ParserCreate("UTF-8");
    if (!p)
        return LB_ENOMEM;
    x->p = p;
    x->rc = 0;
    XML_SetUserData(p, x);
    XML_SetElementHandler(p, st, en);
    XML_SetCharacterDataHandler(p, tx);
    XML_SetStartDoctypeDeclHandler(p, no_doctype);
    char buf[65536];
    size_t total = 0;
    int rc = 0;
    for (;;) {
        zip_int64_t n = src_read(f, buf, sizeof buf);
        if (n < 0) {
            rc = LB_EINVAL;
            snprintf(x->t->error, sizeof x->t->error, "%s cannot be read: %s", name,
                     zip_file_strerror(f->f));
            break;
        }
        total += (size_t)n;
        if (total > LB_XLSX_MAX_XML) {
            rc = LB_ETOOBIG;
            snprintf(x->t->error, sizeof x->t->error, "%s is over %u MiB uncompressed", name,
                     LB_XLSX_MAX_XML >> 20);
            break;
        }
        if (XML_Parse(p, buf, (int)n, n == 0) == XML_STATUS_ERROR) {
            rc = x->rc;
            if (!rc) {
                rc = LB_EINVAL;
                snprintf(x->t->error, sizeof x->t->error, "%s, line %lu: %s", name,
                         (unsigned long)XML_GetCurrentLineNumber(p),
                         XML_ErrorString(XML_GetErrorCode(p)));
            }
            break;
        }
        if (x->rc) {
            rc = x->rc;
            break;
        }
        if (n == 0)
            break;
    }
    XML_ParserFree(p);
    x->p = NULL;
    return rc;
}

/* parse_src on the zip entry `name`; LB_ENOTFOUND when it does not exist. */
static int parse_part(zip_t *z, const char *name, struct xp *x, XML_StartElementHandler st,
                      XML_EndElementHandler en, XML_CharacterDataHandler tx)
{
    struct src s = {.z = z, .f = zip_fopen(z, name, 0)};
    if (!s.f)
        return LB_ENOTFOUND;
    int rc = parse_src(&s, name, x, st, en, tx);
    zip_fclose(s.f);
    return rc;
}

int lb__xlsx_parse_parts(const char *sst, size_t sst_len, const char *sheet, size_t sheet_len,
                         size_t max_rows, struct lb_table *t)
{
    t->error[0] = '\0';
    t->error_line = 0;
    t->encoding = "xlsx";
    struct xp x = {.t = t, .max_rows = max_rows, .next_row = 1};
    struct src a = {.mem = sst, .len = sst_len}, b = {.mem = sheet, .len = sheet_len};
    int rc = parse_src(&a, "xl/sharedStrings.xml", &x, sst_start, sst_end, sst_text);
    x.in_t = x.in_rph = 0;
    if (rc == 0)
        rc = parse_src(&b, "xl/worksheets/sheet1.xml", &x, sheet_start, sheet_end, sheet_text);
    free(x.sst.p);
    free(x.sst_off);
    free(x.val.p);
    return rc;
}

int lb_xlsx_read(const void *buf, size_t len, size_t max_rows, struct lb_table *t)
{
    t->error[0] = '\0';
    t->error_line = 0;
    t->encoding = "xlsx";
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(buf, len, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    if (!z) {
        snprintf(t->error, sizeof t->error, "not an XLSX file: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        if (src)
            zip_source_free(src);
        return LB_EINVAL;
    }
    zip_error_fini(&ze);
    struct xp x = {.t = t, .max_rows = max_rows, .next_row = 1};
    char sheet[300] = "xl/worksheets/sheet1.xml";
    int rc = parse_part(z, "xl/workbook.xml", &x, wb_start, NULL, NULL);
    if (rc == 0 && x.first_rid[0]) {
        x.want_rid = x.first_rid;
        rc = parse_part(z, "xl/_rels/workbook.xml.rels", &x, wb_start, NULL, NULL);
        if (rc == 0 && x.target[0] && !strstr(x.target, "..")) {
            if (x.target[0] == '/')
                snprintf(sheet, sizeof sheet, "%s", x.target + 1);
            else
                snprintf(sheet, sizeof sheet, "xl/%s", x.target);
        }
    }
    if (rc == LB_ENOTFOUND) /* a minimal file: the default sheet */
        rc = 0;
    if (rc == 0) {
        rc = parse_part(z, "xl/sharedStrings.xml", &x, sst_start, sst_end, sst_text);
        if (rc == LB_ENOTFOUND)
            rc = 0;
    }
    x.in_t = x.in_rph = 0;
    if (rc == 0) {
        rc = parse_part(z, sheet, &x, sheet_start, sheet_end, sheet_text);
        if (rc == LB_ENOTFOUND) {
            snprintf(t->error, sizeof t->error, "not an XLSX file: it has no worksheet (%.120s)",
                     sheet);
            rc = LB_EINVAL;
        }
    }
    if (rc == LB_ETOOBIG && !t->error[0])
        snprintf(t->error, sizeof t->error, "the sheet has more rows than an import takes");
    zip_discard(z);
    free(x.sst.p);
    free(x.sst_off);
    free(x.val.p);
    return rc;
}
