/* fuzz_csv.c: libFuzzer target for the CSV reader and the import's columns
 * and rows (core/domain/import.c). Any bytes are accepted: the reader
 * returns 0, LB_EINVAL or LB_ETOOBIG; every cell is valid UTF-8 (whatever
 * the input's encoding) and no row has more than LB_TABLE_MAX_COLS cells; a
 * row's line never goes back; the header and every row validate without a
 * crash, and a row found valid has a 10-digit orgnr and a name. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lotsbok/error.h"
#include "lotsbok/import.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void check_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t k = *p < 0x80             ? 1
                   : (*p & 0xE0) == 0xC0 ? 2
                   : (*p & 0xF0) == 0xE0 ? 3
                   : (*p & 0xF8) == 0xF0 ? 4
                                         : 0;
        CHECK(k != 0);
        for (size_t j = 1; j < k; j++)
            CHECK((p[j] & 0xC0) == 0x80);
        p += k;
    }
}

static void check_table(const struct lb_table *t)
{
    uint32_t last = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        CHECK(t->rows[r].ncells <= LB_TABLE_MAX_COLS);
        CHECK(t->rows[r].line >= last);
        last = t->rows[r].line;
        for (uint32_t c = 0; c < t->rows[r].ncells; c++)
            check_utf8(lb_table_cell(t, r, c));
    }
    struct lb_import_header h;
    enum lb_import_col missing;
    int dup;
    if (lb_import_header(t, &h, &missing, &dup) != 0)
        return;
    for (size_t r = h.row + 1; r < t->nrows; r++) {
        struct lb_import_row row;
        lb_import_row(t, &h, r, &row);
        if (!row.code) {
            CHECK(strlen(row.orgnr.digits) == 10 && row.name && *row.name);
            struct lb_company c = {0};
            int ch = lb_import_apply(&c, &row, 100);
            CHECK(ch > 0 && c.name && c.ncontacts <= 1);
            CHECK(lb_import_apply(&c, &row, 100) == 0); /* the same row again changes nothing */
            lb_company_clear(&c);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lb_table t = {0};
    int rc = lb_csv_read((const char *)data, size, 1000, &t);
    CHECK(rc == 0 || rc == LB_EINVAL || rc == LB_ETOOBIG);
    if (rc == 0)
        check_table(&t);
    lb_table_free(&t);
    return 0;
}
