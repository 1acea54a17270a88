/* fuzz_xlsx_sheet.c: libFuzzer target for the XLSX reader's XML part
 * (core/domain/xlsx_read.c): the input up to its first NUL byte is
 * xl/sharedStrings.xml, the rest the worksheet, both fed to expat as
 * lb_xlsx_read feeds them from the zip. Any bytes are accepted: 0, LB_EINVAL
 * or LB_ETOOBIG, and a table whose cells are valid UTF-8 (checked by
 * the same rule as fuzz_csv.c). Whole
 * files (the zip layer, libzip's) are seeded from tests/data/import. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../core/domain/import_internal.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nul = memchr(s, 0, size);
    size_t a = nul ? (size_t)(nul - s) : 0;
    const char *sheet = nul ? nul + 1 : s;
    size_t b = nul ? size - a - 1 : size;
    struct lb_table t = {0};
    int rc = lb__xlsx_parse_parts(s, a, sheet, b, 1000, &t);
    CHECK(rc == 0 || rc == LB_EINVAL || rc == LB_ETOOBIG);
    for (size_t r = 0; rc == 0 && r < t.nrows; r++) {
        CHECK(t.rows[r].ncells <= LB_TABLE_MAX_COLS);
        for (uint32_t c = 0; c < t.rows[r].ncells; c++)
            check_utf8(lb_table_cell(&t, r, c));
    }
    lb_table_free(&t);
    /* The same bytes as a whole file: the zip layer refuses them or reads them. */
    memset(&t, 0, sizeof t);
    rc = lb_xlsx_read(data, size, 1000, &t);
    CHECK(rc == 0 || rc == LB_EINVAL || rc == LB_ETOOBIG);
    lb_table_free(&t);
    return 0;
}
