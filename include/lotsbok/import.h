/* import.h: reading a register of companies from a spreadsheet (pure, no I/O).
 *
 * Two readers turn a file's bytes into a table of trimmed UTF-8 cells, each
 * row with the line number a user sees in the file:
 *   lb_csv_read    Swedish Excel's CSV: ';' (or ',' or a tab, whichever the
 *                  first line uses most), an optional UTF-8 BOM, UTF-8 or
 *                  Windows-1252 (detected: bytes that are not valid UTF-8
 *                  make the whole file Windows-1252), quoted fields with
 *                  newlines and "" for a quote, CRLF, LF or CR line ends;
 *   lb_xlsx_read   the first worksheet of an XLSX file, read from memory
 *                  with libzip and expat: shared strings, inline strings,
 *                  numbers (5.56036079E9 becomes 5560360793).
 * Then lb_import_header finds the columns by their Swedish or English
 * headers, lb_import_row validates one row into a company and its contact
 * person, and lb_import_apply merges a row into a company record the way an
 * import does: empty fields are filled, nothing is overwritten.
 * docs/import.md describes the whole import. */
#ifndef LOTSBOK_IMPORT_H
#define LOTSBOK_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lotsbok/orgnr.h"
#include "lotsbok/records.h"

#define LB_IMPORT_MAX_BYTES (50u << 20) /* a file over this is refused (413) */
#define LB_IMPORT_MAX_ROWS 1000000u     /* rows besides the header (413 beyond) */
#define LB_TABLE_MAX_COLS 256           /* cells right of this are dropped */
#define LB_XLSX_MAX_XML (512u << 20)    /* uncompressed bytes read from one XLSX part */

struct lb_table_row {
    uint32_t line; /* CSV: the line the record starts on; XLSX: the row number */
    uint32_t ncells;
    size_t first; /* index of its first cell in cells[] */
};

struct lb_table {
    char *text; /* every cell, NUL-terminated */
    size_t tlen, tcap;
    size_t *cells; /* offset in text of each cell */
    size_t ncells, ccap;
    struct lb_table_row *rows;
    size_t nrows, rcap;
    const char *encoding; /* "utf-8", "windows-1252" or "xlsx" */
    char delimiter;       /* CSV only */
    uint32_t error_line;  /* where a read failed, 0 when not tied to a line */
    char error[200];      /* why a read failed, English */
};

/* Read buf (len bytes) into t (zero it first). Rows without a non-empty
 * cell are skipped; cells are trimmed of white space at both ends. Return 0;
 * LB_EINVAL when the file cannot be read as the format (t->error says why,
 * t->error_line where); LB_ETOOBIG over max_rows rows or, for XLSX, over
 * LB_XLSX_MAX_XML uncompressed; LB_ENOMEM. */
int lb_csv_read(const char *buf, size_t len, size_t max_rows, struct lb_table *t);
int lb_xlsx_read(const void *buf, size_t len, size_t max_rows, struct lb_table *t);

/* Whether buf starts like a ZIP archive (an XLSX file). */
bool lb_import_is_zip(const void *buf, size_t len);

void lb_table_free(struct lb_table *t);

/* Cell col of row (a row index, not a line number); "" when the row is shorter. */
const char *lb_table_cell(const struct lb_table *t, size_t row, size_t col);

/* The columns an import knows. */
enum lb_import_col {
    LB_IMP_ORGNR,
    LB_IMP_NAME,
    LB_IMP_LOCALITY,
    LB_IMP_SNI,
    LB_IMP_PERSON,
    LB_IMP_ROLE,
    LB_IMP_PHONE,
    LB_IMP_EMAIL,
    LB_IMP_NCOLS
};

/* The API's field name of a column ("orgnr", "contacts.name", ...). */
const char *lb_import_col_field(enum lb_import_col c);

struct lb_import_header {
    size_t row;            /* index of the header row in the table */
    int col[LB_IMP_NCOLS]; /* table column of each, or -1 */
    uint32_t nunknown;     /* headers that name no known column */
    uint16_t unknown[LB_TABLE_MAX_COLS];
};

/* Finds the header row: the first of the table's first 10 rows with an
 * orgnr column. Returns 0; LB_EINVAL with *missing set to the column not
 * found (orgnr, or name when the orgnr row has no name column) or to
 * LB_IMP_NCOLS when a column is named twice (*dup_col its table column). */
int lb_import_header(const struct lb_table *t, struct lb_import_header *h,
                     enum lb_import_col *missing, int *dup_col);

/* One row, validated. Strings point into the table; NULL when empty. */
struct lb_import_row {
    uint32_t line;
    struct lb_orgnr orgnr;
    const char *name, *locality, *sni;
    const char *person, *role, *phone, *email;
    const char *code;       /* NULL when the row is valid, else the API's error code */
    enum lb_import_col col; /* the column at fault when code is set */
    char message[160];
};

/* Validates row `row` of t: the orgnr (a 9-digit number is one whose leading
 * zero a spreadsheet dropped), a name, the API's length limits, and a
 * contact person's name when any of its fields is given. Always fills out;
 * out->code says whether the row is valid. */
void lb_import_row(const struct lb_table *t, const struct lb_import_header *h, size_t row,
                   struct lb_import_row *out);

/* What lb_import_apply changed (a bit per field). */
enum {
    LB_IMP_CH_NAME = 1,
    LB_IMP_CH_LOCALITY = 2,
    LB_IMP_CH_SNI = 4,
    LB_IMP_CH_CONTACT_ADDED = 8,
    LB_IMP_CH_CONTACT_FILLED = 16,
};

/* Merges a valid row into c: a new company (c->name NULL) takes the row's
 * orgnr and name; an empty locality or sni is filled; the row's contact
 * person is added when no person of the company has the same folded name,
 * else that person's empty role, phone and e-mail are filled. Nothing
 * non-empty is overwritten. Returns the LB_IMP_CH_* bits (0: nothing to
 * do), LB_ETOOBIG when the company already has max_contacts persons, or
 * LB_ENOMEM. */
int lb_import_apply(struct lb_company *c, const struct lb_import_row *row, uint32_t max_contacts);

#endif
