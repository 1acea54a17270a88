/* import_internal.h: the table builders import.c and xlsx_read.c share. */
#ifndef LOTSBOK_IMPORT_INTERNAL_H
#define LOTSBOK_IMPORT_INTERNAL_H

#include "lotsbok/import.h"

/* Appends a cell of len bytes, trimmed of white space at both ends. */
int lb__table_cell(struct lb_table *t, const char *s, size_t len);

/* Ends the row whose cells start at cell index first: kept when a cell is
 * not empty, else its cells are dropped. LB_ETOOBIG past max_rows (+1 for
 * the header). */
int lb__table_row(struct lb_table *t, uint32_t line, size_t first, size_t max_rows);

/* The XLSX reader after the zip: shared strings and a sheet given as XML
 * (for the fuzz target; lb_xlsx_read reads both from the file). */
int lb__xlsx_parse_parts(const char *sst, size_t sst_len, const char *sheet, size_t sheet_len,
                         size_t max_rows, struct lb_table *t);

#endif
