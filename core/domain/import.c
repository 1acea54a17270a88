/* import.c: the CSV reader, the table, the columns and rows of a company
 * import (import.h; the XLSX reader is xlsx_read.c).
 *
 * The CSV reader first settles the encoding: after an optional UTF-8 BOM,
 * a file that is valid UTF-8 is UTF-8, any other is Windows-1252 and is
 * converted to UTF-8 as a whole (Excel's "CSV (semikolonavgränsad)" on a
 * Swedish Windows writes Windows-1252, "CSV UTF-8" writes a BOM). Then one
 * pass of a small state machine splits records and fields (RFC 4180 quoting,
 * with Excel's leniency: text after a closing quote is kept), counting lines
 * so a row's line is the one its record starts on. The delimiter is the one
 * of ';' ',' and tab that the first record uses most (';' on a tie).
 *
 * Headers are matched by their fold (lb_fold_name, then letters and digits
 * only): "E-post", "e-post" and "Epost" are one header. */
#include "lotsbok/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"
#include "lotsbok/error.h"
#include "lotsbok/tokenizer.h"

/* --- the table ------------------------------------------------------------ */

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return LB_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

int lb__table_cell(struct lb_table *t, const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
        s++;
        len--;
    }
    while (len &&
           (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n'))
        len--;
    if (grow((void **)&t->text, &t->tcap, t->tlen + len + 1, 1) ||
        grow((void **)&t->cells, &t->ccap, t->ncells + 1, sizeof *t->cells))
        return LB_ENOMEM;
    t->cells[t->ncells++] = t->tlen;
    if (len)
        memcpy(t->text + t->tlen, s, len);
    t->text[t->tlen + len] = '\0';
    t->tlen += len + 1;
    return 0;
}

int lb__table_row(struct lb_table *t, uint32_t line, size_t first, size_t max_rows)
{
    bool any = false;
    for (size_t i = first; i < t->ncells && !any; i++)
        any = t->text[t->cells[i]] != '\0';
    if (!any) {
        if (first < t->ncells)
            t->tlen = t->cells[first];
        t->ncells = first;
        return 0;
    }
    if (t->nrows >= max_rows + 1)
        return LB_ETOOBIG;
    if (grow((void **)&t->rows, &t->rcap, t->nrows + 1, sizeof *t->rows))
        return LB_ENOMEM;
    t->rows[t->nrows++] = (struct lb_table_row){line, (uint32_t)(t->ncells - first), first};
    return 0;
}

void lb_table_free(struct lb_table *t)
{
    free(t->text);
    free(t->cells);
    free(t->rows);
    t->text = NULL;
    t->cells = NULL;
    t->rows = NULL;
    t->tlen = t->tcap = t->ncells = t->ccap = t->nrows = t->rcap = 0;
}

const char *lb_table_cell(const struct lb_table *t, size_t row, size_t col)
{
    if (row >= t->nrows || col >= t->rows[row].ncells)
        return "";
    return t->text + t->cells[t->rows[row].first + col];
}

bool lb_import_is_zip(const void *buf, size_t len)
{
    return len >= 4 && memcmp(buf, "PK\x03\x04", 4) == 0;
}

/* --- encodings -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid
 * (overlong forms, surrogates and code points over U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t k;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
        k = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return k;
}

static bool valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* Windows-1252's 0x80-0x9f; the five unassigned bytes become U+FFFD. */
static const unsigned short cp1252_high[32] = {
    0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd, 0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178};

/* Converts n bytes of Windows-1252 into a new UTF-8 buffer (*out, *outlen). */
static int cp1252_to_utf8(const char *s, size_t n, char **out, size_t *outlen)
{
    char *b = malloc(n * 3 + 1);
    if (!b)
        return LB_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned cp = c < 0x80 ? c : c < 0xa0 ? cp1252_high[c - 0x80] : c;
        if (cp < 0x80) {
            b[o++] = (char)cp;
        } else if (cp < 0x800) {
            b[o++] = (char)(0xc0 | cp >> 6);
            b[o++] = (char)(0x80 | (cp & 0x3f));
        } else {
            b[o++] = (char)(0xe0 | cp >> 12);
            b[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            b[o++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    b[o] = '\0';
    *out = b;
    *outlen = o;
    return 0;
}

/* --- CSV ---------------------------------------------------------------------- */

static char pick_delimiter(const char *s, size_t n)
{
    size_t semi = 0, comma = 0, tab = 0;
    bool q = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"')
            q = !q;
        else if (!q && (c == '\n' || c == '\r'))
            break;
        else if (!q && c == ';')
            semi++;
        else if (!q && c == ',')
            comma++;
        else if (!q && c == '\t')
            tab++;
    }
    if (comma > semi && comma >= tab)
        return ',';
    if (tab > semi && tab > comma)
        return '\t';
    return ';';
}

static int csv_fail(struct lb_table *t, uint32_t line, const char *msg)
{
    t->error_line = line;
    snprintf(t->error, sizeof t->error, "%s", msg);
    return LB_EINVAL;
}

static int csv_parse(const char *s, size_t n, size_t max_rows, struct lb_table *t)
{
    char d = t->delimiter = pick_delimiter(s, n);
    char *field = malloc(n + 1); /* a field is never longer than the file */
    if (!field)
        return LB_ENOMEM;
    size_t flen = 0, first = t->ncells;
    uint32_t line = 1, start = 1;
    bool quoted = false, in_record = false;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char c = s[i];
        if (c == '\0') {
            rc = csv_fail(t, line, "the file holds NUL bytes: not a CSV text file");
            break;
        }
        if (quoted) {
            if (c == '"') {
                if (i + 1 < n && s[i + 1] == '"') {
                    field[flen++] = '"';
                    i++;
                } else {
                    quoted = false;
                }
            } else if (c == '\r') {
                field[flen++] = '\n';
                line++;
                if (i + 1 < n && s[i + 1] == '\n')
                    i++;
            } else {
                if (c == '\n')
                    line++;
                field[flen++] = c;
            }
            continue;
        }
        if (!in_record) {
            in_record = true;
            start = line;
            first = t->ncells;
        }
        if (c == '"' && flen == 0) {
            quoted = true;
        } else if (c == d) {
            if (t->ncells - first < LB_TABLE_MAX_COLS)
                rc = lb__table_cell(t, field, flen);
            flen = 0;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
                i++;
            if (t->ncells - first < LB_TABLE_MAX_COLS)
                rc = lb__table_cell(t, field, flen);
            if (rc == 0)
                rc = lb__table_row(t, start, first, max_rows);
            flen = 0;
            line++;
            in_record = false;
        } else {
            field[flen++] = c;
        }
    }
    if (rc == 0 && quoted)
        rc = csv_fail(t, start, "a quoted field is not closed before the end of the file");
    if (rc == 0 && in_record) {
        if (t->ncells - first < LB_TABLE_MAX_COLS)
            rc = lb__table_cell(t, field, flen);
        if (rc == 0)
            rc = lb__table_row(t, start, first, max_rows);
    }
    free(field);
    return rc;
}

int lb_csv_read(const char *buf, size_t len, size_t max_rows, struct lb_table *t)
{
    t->error[0] = '\0';
    t->error_line = 0;
    if (len >= 2 && (((unsigned char)buf[0] == 0xff && (unsigned char)buf[1] == 0xfe) ||
                     ((unsigned char)buf[0] == 0xfe && (unsigned char)buf[1] == 0xff)))
        return csv_fail(t, 1, "the file is UTF-16: save it as CSV (UTF-8 or semicolon separated)");
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
        buf += 3;
        len -= 3;
        t->encoding = "utf-8";
    } else {
        t->encoding = valid_utf8(buf, len) ? "utf-8" : "windows-1252";
    }
    if (strcmp(t->encoding, "utf-8") == 0) {
        if (!valid_utf8(buf, len))
            return csv_fail(t, 0, "the file starts with a UTF-8 BOM but is not valid UTF-8");
        return csv_parse(buf, len, max_rows, t);
    }
    char *u = NULL;
    size_t ulen = 0;
    int rc = cp1252_to_utf8(buf, len, &u, &ulen);
    if (rc == 0)
        rc = csv_parse(u, ulen, max_rows, t);
    free(u);
    return rc;
}

/* --- columns -------------------------------------------------------------------- */

static const struct {
    const char *folded; /* letters and digits only */
    enum lb_import_col col;
} headers[] = {
    {"organisationsnummer", LB_IMP_ORGNR},
    {"orgnr", LB_IMP_ORGNR},
    {"organisationsnr", LB_IMP_ORGNR},
    {"peorgnr", LB_IMP_ORGNR},
    {"personorganisationsnummer", LB_IMP_ORGNR},
    {"organisationnumber", LB_IMP_ORGNR},
    {"organizationnumber", LB_IMP_ORGNR},
    {"corporateidentitynumber", LB_IMP_ORGNR},
    {"registrationnumber", LB_IMP_ORGNR},
    {"foretagsnamn", LB_IMP_NAME},
    {"namn", LB_IMP_NAME},
    {"foretag", LB_IMP_NAME},
    {"firma", LB_IMP_NAME},
    {"firmanamn", LB_IMP_NAME},
    {"name", LB_IMP_NAME},
    {"companyname", LB_IMP_NAME},
    {"company", LB_IMP_NAME},
    {"ort", LB_IMP_LOCALITY},
    {"postort", LB_IMP_LOCALITY},
    {"locality", LB_IMP_LOCALITY},
    {"city", LB_IMP_LOCALITY},
    {"town", LB_IMP_LOCALITY},
    {"sni", LB_IMP_SNI},
    {"snikod", LB_IMP_SNI},
    {"sni2007", LB_IMP_SNI},
    {"snicode", LB_IMP_SNI},
    {"kontaktperson", LB_IMP_PERSON},
    {"kontakt", LB_IMP_PERSON},
    {"kontaktnamn", LB_IMP_PERSON},
    {"contact", LB_IMP_PERSON},
    {"contactperson", LB_IMP_PERSON},
    {"contactname", LB_IMP_PERSON},
    {"roll", LB_IMP_ROLE},
    {"befattning", LB_IMP_ROLE},
    {"titel", LB_IMP_ROLE},
    {"role", LB_IMP_ROLE},
    {"title", LB_IMP_ROLE},
    {"telefon", LB_IMP_PHONE},
    {"telefonnummer", LB_IMP_PHONE},
    {"tel", LB_IMP_PHONE},
    {"telnr", LB_IMP_PHONE},
    {"mobil", LB_IMP_PHONE},
    {"phone", LB_IMP_PHONE},
    {"telephone", LB_IMP_PHONE},
    {"epost", LB_IMP_EMAIL},
    {"epostadress", LB_IMP_EMAIL},
    {"mejl", LB_IMP_EMAIL},
    {"email", LB_IMP_EMAIL},
    {"emailaddress", LB_IMP_EMAIL},
};

const char *lb_import_col_field(enum lb_import_col c)
{
    static const char *const names[LB_IMP_NCOLS] = {
        "orgnr",         "name",          "locality",       "sni",
        "contacts.name", "contacts.role", "contacts.phone", "contacts.email"};
    return c < LB_IMP_NCOLS ? names[c] : "";
}

static int header_col(const char *cell)
{
    char f[128], g[128];
    lb_fold_name(cell, f, sizeof f);
    size_t n = 0;
    for (const char *p = f; *p && n + 1 < sizeof g; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
            g[n++] = *p;
    g[n] = '\0';
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
        if (strcmp(g, headers[i].folded) == 0)
            return (int)headers[i].col;
    return -1;
}

int lb_import_header(const struct lb_table *t, struct lb_import_header *h,
                     enum lb_import_col *missing, int *dup_col)
{
    *missing = LB_IMP_ORGNR;
    *dup_col = -1;
    for (size_t r = 0; r < t->nrows && r < 10; r++) {
        memset(h, 0, sizeof *h);
        h->row = r;
        for (int c = 0; c < LB_IMP_NCOLS; c++)
            h->col[c] = -1;
        int dup = -1;
        for (uint32_t c = 0; c < t->rows[r].ncells; c++) {
            const char *cell = lb_table_cell(t, r, c);
            if (!*cell)
                continue;
            int k = header_col(cell);
            if (k < 0)
                h->unknown[h->nunknown++] = (uint16_t)c;
            else if (h->col[k] >= 0 && dup < 0)
                dup = (int)c;
            else if (h->col[k] < 0)
                h->col[k] = (int)c;
        }
        if (h->col[LB_IMP_ORGNR] < 0)
            continue;
        if (dup >= 0) {
            *missing = LB_IMP_NCOLS;
            *dup_col = dup;
            return LB_EINVAL;
        }
        if (h->col[LB_IMP_NAME] < 0) {
            *missing = LB_IMP_NAME;
            return LB_EINVAL;
        }
        return 0;
    }
    return LB_EINVAL;
}

/* --- rows ------------------------------------------------------------------------- */

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static const char *cell_of(const struct lb_table *t, const struct lb_import_header *h, size_t row,
                           enum lb_import_col c)
{
    if (h->col[c] < 0)
        return NULL;
    const char *s = lb_table_cell(t, row, (size_t)h->col[c]);
    return *s ? s : NULL;
}

static void row_fail(struct lb_import_row *out, enum lb_import_col col, const char *code,
                     const char *msg)
{
    out->code = code;
    out->col = col;
    snprintf(out->message, sizeof out->message, "%s", msg);
}

void lb_import_row(const struct lb_table *t, const struct lb_import_header *h, size_t row,
                   struct lb_import_row *out)
{
    memset(out, 0, sizeof *out);
    out->line = row < t->nrows ? t->rows[row].line : 0;
    const char *orgnr = cell_of(t, h, row, LB_IMP_ORGNR);
    out->name = cell_of(t, h, row, LB_IMP_NAME);
    out->locality = cell_of(t, h, row, LB_IMP_LOCALITY);
    out->sni = cell_of(t, h, row, LB_IMP_SNI);
    out->person = cell_of(t, h, row, LB_IMP_PERSON);
    out->role = cell_of(t, h, row, LB_IMP_ROLE);
    out->phone = cell_of(t, h, row, LB_IMP_PHONE);
    out->email = cell_of(t, h, row, LB_IMP_EMAIL);
    if (!orgnr) {
        row_fail(out, LB_IMP_ORGNR, "missing_field", "the row has no organisationsnummer");
        return;
    }
    /* A spreadsheet that took the number for a number dropped its leading
     * zero (a personnummer born in the 2000s): 9 digits get it back. */
    char padded[16];
    size_t ol = strlen(orgnr);
    if (ol == 9 && strspn(orgnr, "0123456789") == 9) {
        padded[0] = '0';
        memcpy(padded + 1, orgnr, 10);
        orgnr = padded;
    }
    int e = lb_orgnr_parse(orgnr, &out->orgnr);
    if (e != LB_ORGNR_OK) {
        row_fail(out, LB_IMP_ORGNR, lb_orgnr_strerror(e),
                 "orgnr is not a valid organisationsnummer or personnummer");
        return;
    }
    if (!out->name) {
        row_fail(out, LB_IMP_NAME, "missing_field", "the row has no company name");
        return;
    }
    static const enum lb_import_col texts[] = {LB_IMP_NAME,   LB_IMP_LOCALITY, LB_IMP_SNI,
                                               LB_IMP_PERSON, LB_IMP_ROLE,     LB_IMP_PHONE,
                                               LB_IMP_EMAIL};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *s = cell_of(t, h, row, texts[i]);
        size_t max =
            texts[i] == LB_IMP_NAME || texts[i] == LB_IMP_PERSON ? LB_LIMIT_NAME : LB_LIMIT_SHORT;
        if (s && utf8_chars(s) > max) {
            char msg[80];
            snprintf(msg, sizeof msg, "%s is over %zu characters", lb_import_col_field(texts[i]),
                     max);
            row_fail(out, texts[i], "too_long", msg);
            return;
        }
    }
    if (!out->person && (out->role || out->phone || out->email))
        row_fail(out, LB_IMP_PERSON, "missing_field",
                 "a contact person's role, phone or e-mail is given without a name");
}

/* --- merging ------------------------------------------------------------------------ */

static int set_str(char **dst, const char *s)
{
    char *c = strdup(s);
    if (!c)
        return LB_ENOMEM;
    free(*dst);
    *dst = c;
    return 0;
}

/* Fills *dst from s when *dst is empty and s is not; bit when it did. */
static int fill(char **dst, const char *s, int bit)
{
    if (!s || (*dst && **dst))
        return 0;
    int rc = set_str(dst, s);
    return rc ? rc : bit;
}

static bool same_person(const char *a, const char *b)
{
    char fa[256], fb[256];
    lb_fold_name(a ? a : "", fa, sizeof fa);
    lb_fold_name(b ? b : "", fb, sizeof fb);
    return strcmp(fa, fb) == 0;
}

int lb_import_apply(struct lb_company *c, const struct lb_import_row *row, uint32_t max_contacts)
{
    int ch = 0, r;
    if (!c->name) {
        memcpy(c->orgnr, row->orgnr.digits, sizeof c->orgnr);
        c->personal_orgnr = row->orgnr.personnummer;
        if ((r = fill(&c->name, row->name, LB_IMP_CH_NAME)) < 0)
            return r;
        ch |= r;
    }
    if ((r = fill(&c->locality, row->locality, LB_IMP_CH_LOCALITY)) < 0)
        return r;
    ch |= r;
    if ((r = fill(&c->sni, row->sni, LB_IMP_CH_SNI)) < 0)
        return r;
    ch |= r;
    if (!row->person)
        return ch;
    for (uint32_t i = 0; i < c->ncontacts; i++) {
        struct lb_person *p = &c->contacts[i];
        if (!same_person(p->name, row->person))
            continue;
        int f = 0;
        if ((r = fill(&p->role, row->role, LB_IMP_CH_CONTACT_FILLED)) < 0)
            return r;
        f |= r;
        if ((r = fill(&p->phone, row->phone, LB_IMP_CH_CONTACT_FILLED)) < 0)
            return r;
        f |= r;
        if ((r = fill(&p->email, row->email, LB_IMP_CH_CONTACT_FILLED)) < 0)
            return r;
        return ch | f;
    }
    if (c->ncontacts >= max_contacts)
        return LB_ETOOBIG;
    struct lb_person *np = realloc(c->contacts, (c->ncontacts + 1) * sizeof *np);
    if (!np)
        return LB_ENOMEM;
    c->contacts = np;
    struct lb_person *p = &np[c->ncontacts];
    memset(p, 0, sizeof *p);
    c->ncontacts++;
    if (set_str(&p->name, row->person) || (row->role && set_str(&p->role, row->role)) ||
        (row->phone && set_str(&p->phone, row->phone)) ||
        (row->email && set_str(&p->email, row->email)))
        return LB_ENOMEM;
    return ch | LB_IMP_CH_CONTACT_ADDED;
}
