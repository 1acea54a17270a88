/* cli_format.c: the pure parts of the `lots` command-line client.
 *
 * Width: UTF-8 is decoded code point by code point and each gets a terminal
 * width from a small table (combining marks 0, East Asian wide 2, else 1); this
 * does not depend on the process's locale, so tables line up the same in a
 * test as in a Swedish terminal.
 *
 * Tables are rendered in two passes: the natural width of every column, then
 * columns are narrowed one column at a time (the widest shrinkable first) until
 * the line fits; every cell is then fitted with lb_cli_fit, so a shortened name
 * ends with "…".
 *
 * The option parser is deliberately small (no getopt: it is not re-entrant and
 * its messages are English): long options with a value or not, one-letter
 * aliases, repeated options kept in order. */
#include "lotsbok/cli_format.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/enums.h"
#include "lotsbok/error.h"
#include "lotsbok/orgnr.h"
#include "lotsbok/timeutil.h"

/* --- exit codes ----------------------------------------------------------------- */

int lb_cli_exit_code(long status)
{
    if (status >= 200 && status < 300)
        return LB_CLI_EXIT_OK;
    if (status == 401 || status == 403)
        return LB_CLI_EXIT_AUTH;
    if (status >= 400 && status < 500)
        return LB_CLI_EXIT_REJECTED;
    return LB_CLI_EXIT_SERVER;
}

/* --- UTF-8 width ---------------------------------------------------------------- */

/* Decodes one code point at s (not at the terminating NUL). Returns the bytes
 * used (1 for an invalid byte, with *cp = 0xFFFD). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return n;
}

static int cp_width(uint32_t cp)
{
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
        (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
        (cp >= 0xFE20 && cp <= 0xFE2F) || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF || cp == 0x00AD)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
        (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

size_t lb_cli_width(const char *s)
{
    size_t w = 0;
    if (!s)
        return 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        p += utf8_decode(p, &cp);
        w += (size_t)cp_width(cp);
    }
    return w;
}

/* Appends n bytes of s to the growing buffer *b (length *len, capacity *cap). */
static int buf_put(char **b, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = (*cap ? *cap * 2 : 256);
        while (ncap < *len + n + 1)
            ncap *= 2;
        char *nb = realloc(*b, ncap);
        if (!nb)
            return -1;
        *b = nb;
        *cap = ncap;
    }
    memcpy(*b + *len, s, n);
    *len += n;
    (*b)[*len] = '\0';
    return 0;
}

/* Display width of the n bytes at s. */
static size_t width_n(const char *s, size_t n)
{
    size_t w = 0, i = 0;
    while (i < n && s[i]) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)s + i, &cp);
        if (i + k > n)
            break;
        w += (size_t)cp_width(cp);
        i += k;
    }
    return w;
}

char *lb_cli_wrap(const char *text, size_t width, size_t hang)
{
    char *b = NULL;
    size_t len = 0, cap = 0;
    if (!text)
        text = "";
    if (buf_put(&b, &len, &cap, "", 0) != 0)
        return NULL;
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        size_t lead = 0;
        while (lead < n && line[lead] == ' ')
            lead++;
        size_t indent = 0; /* 0 on the first piece of a line, lead + hang after */
        const char *p = line, *stop = line + n;
        int err = 0;
        for (;;) {
            /* The longest run of whole words from p that fits width - indent. */
            size_t avail = width > indent ? width - indent : 1;
            const char *cut = NULL, *q = p;
            while (q < stop) {
                const char *sp = memchr(q, ' ', (size_t)(stop - q));
                const char *wend = sp ? sp : stop;
                if (width_n(p, (size_t)(wend - p)) > avail && cut)
                    break;
                cut = wend;
                if (!sp || width_n(p, (size_t)(wend - p)) > avail)
                    break;
                q = sp + 1;
            }
            if (!cut)
                cut = stop;
            for (size_t i = 0; i < indent && !err; i++)
                err = buf_put(&b, &len, &cap, " ", 1);
            size_t piece = (size_t)(cut - p);
            while (piece > 0 && p[piece - 1] == ' ')
                piece--;
            if (!err)
                err = buf_put(&b, &len, &cap, p, piece);
            p = cut;
            while (p < stop && *p == ' ')
                p++;
            if (err || p >= stop)
                break;
            err = buf_put(&b, &len, &cap, "\n", 1);
            indent = lead + hang;
        }
        if (!err && end)
            err = buf_put(&b, &len, &cap, "\n", 1);
        if (err) {
            free(b);
            return NULL;
        }
        if (!end)
            break;
        line = end + 1;
    }
    return b;
}

char *lb_cli_fit(const char *s, size_t width)
{
    if (!s)
        s = "";
    size_t len = strlen(s);
    char *clean = malloc(len + 1);
    if (!clean)
        return NULL;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = (unsigned char)s[i];
        clean[i] = (i < len && (c < 0x20 || c == 0x7F)) ? ' ' : (char)c;
    }
    if (lb_cli_width(clean) <= width)
        return clean;
    /* Cut: keep characters while they and the ellipsis fit. */
    const unsigned char *p = (const unsigned char *)clean;
    size_t w = 0, keep = 0;
    while (p[keep]) {
        uint32_t cp;
        size_t n = utf8_decode(p + keep, &cp);
        size_t cw = (size_t)cp_width(cp);
        if (width == 0 || w + cw > width - 1)
            break;
        w += cw;
        keep += n;
    }
    if (width == 0) {
        clean[0] = '\0';
        return clean;
    }
    /* Drop trailing blanks before the ellipsis: "Mälar …" reads worse than "Mälar…". */
    while (keep > 0 && clean[keep - 1] == ' ')
        keep--;
    char *out = malloc(keep + 4);
    if (!out) {
        free(clean);
        return NULL;
    }
    memcpy(out, clean, keep);
    memcpy(out + keep, "\xE2\x80\xA6", 4); /* "…" and NUL */
    free(clean);
    return out;
}

/* --- a growable string -------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_spaces(struct sbuf *b, size_t n)
{
    while (n-- > 0)
        sb_put(b, " ", 1);
}

/* --- tables ------------------------------------------------------------------- */

int lb_cli_table_init(struct lb_cli_table *t, size_t ncols, const char *const *headers,
                      unsigned shrinkable)
{
    memset(t, 0, sizeof *t);
    if (ncols == 0 || ncols > LB_CLI_TABLE_MAX_COLS || !headers)
        return LB_EINVAL;
    t->ncols = ncols;
    for (size_t c = 0; c < ncols; c++) {
        t->header[c] = strdup(headers[c] ? headers[c] : "");
        t->shrink[c] = (shrinkable >> c) & 1u;
        if (!t->header[c]) {
            lb_cli_table_free(t);
            return LB_ENOMEM;
        }
    }
    return 0;
}

int lb_cli_table_add(struct lb_cli_table *t, const char *const *row)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **cells = realloc(t->cells, cap * t->ncols * sizeof *cells);
        if (!cells)
            return LB_ENOMEM;
        t->cells = cells;
        t->cap = cap;
    }
    char **dst = t->cells + t->nrows * t->ncols;
    for (size_t c = 0; c < t->ncols; c++) {
        dst[c] = strdup(row[c] ? row[c] : "");
        if (!dst[c]) {
            for (size_t k = 0; k < c; k++)
                free(dst[k]);
            return LB_ENOMEM;
        }
    }
    t->nrows++;
    return 0;
}

void lb_cli_table_free(struct lb_cli_table *t)
{
    for (size_t c = 0; c < t->ncols; c++)
        free(t->header[c]);
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

/* One line of cells fitted to widths w. */
static void render_line(struct sbuf *b, size_t ncols, char *const *cells, const size_t *w)
{
    size_t start = b->len;
    for (size_t c = 0; c < ncols; c++) {
        char *f = lb_cli_fit(cells[c], w[c]);
        if (!f) {
            b->oom = true;
            return;
        }
        sb_str(b, f);
        if (c + 1 < ncols)
            sb_spaces(b, w[c] - lb_cli_width(f) + 2);
        free(f);
    }
    while (!b->oom && b->len > start && b->p[b->len - 1] == ' ')
        b->p[--b->len] = '\0';
    sb_put(b, "\n", 1);
}

int lb_cli_table_render(const struct lb_cli_table *t, size_t width, char **out)
{
    size_t w[LB_CLI_TABLE_MAX_COLS];
    size_t total = 2 * (t->ncols - 1);
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = lb_cli_width(t->header[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t cw = lb_cli_width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
        total += w[c];
    }
    while (total > width) {
        size_t best = t->ncols;
        for (int pass = 0; pass < 2 && best == t->ncols; pass++) {
            size_t floor = pass == 0 ? LB_CLI_TABLE_MIN_SHRINK : 4;
            for (size_t c = 0; c < t->ncols; c++) {
                if ((pass == 0 && !t->shrink[c]) || w[c] <= floor)
                    continue;
                if (best == t->ncols || w[c] > w[best])
                    best = c;
            }
        }
        if (best == t->ncols)
            break; /* nothing left to take from: the line stays too wide */
        w[best]--;
        total--;
    }
    struct sbuf b = {0};
    render_line(&b, t->ncols, t->header, w);
    for (size_t c = 0; c < t->ncols; c++) {
        for (size_t k = 0; k < w[c]; k++)
            sb_str(&b, "\xE2\x94\x80"); /* "─" */
        if (c + 1 < t->ncols)
            sb_str(&b, "  ");
    }
    sb_put(&b, "\n", 1);
    for (size_t r = 0; r < t->nrows; r++)
        render_line(&b, t->ncols, t->cells + r * t->ncols, w);
    if (b.oom || !b.p) {
        free(b.p);
        *out = NULL;
        return LB_ENOMEM;
    }
    *out = b.p;
    return 0;
}

/* --- options ------------------------------------------------------------------ */

static const struct lb_cli_optspec global_opts[] = {
    {"json", 0, LB_CLI_OPT_FLAG},
    {"server", 0, LB_CLI_OPT_VALUE},
    {"help", 'h', LB_CLI_OPT_FLAG},
};

static const struct lb_cli_optspec *find_opt(const struct lb_cli_optspec *spec, size_t nspec,
                                             const char *name, size_t name_len, char short_name)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct lb_cli_optspec *s = pass == 0 ? spec : global_opts;
        size_t n = pass == 0 ? nspec : sizeof global_opts / sizeof global_opts[0];
        for (size_t i = 0; s && i < n; i++) {
            if (short_name
                    ? s[i].short_name == short_name
                    : strlen(s[i].name) == name_len && strncmp(s[i].name, name, name_len) == 0)
                return &s[i];
        }
    }
    return NULL;
}

static int add_kv(struct lb_cli_args *a, const char *name, const char *value)
{
    if (a->nkv == LB_CLI_MAX_KV) {
        snprintf(a->error, sizeof a->error, "för många flaggor");
        return LB_EINVAL;
    }
    a->kv[a->nkv].name = name;
    a->kv[a->nkv].value = value;
    a->nkv++;
    return 0;
}

int lb_cli_parse(int argc, char **argv, const struct lb_cli_optspec *spec, size_t nspec,
                 struct lb_cli_args *a)
{
    memset(a, 0, sizeof *a);
    bool options = true;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (options && strcmp(arg, "--") == 0) {
            options = false;
            continue;
        }
        const struct lb_cli_optspec *o = NULL;
        const char *value = NULL;
        if (options && arg[0] == '-' && arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            o = find_opt(spec, nspec, name, nlen, 0);
            if (!o) {
                snprintf(a->error, sizeof a->error, "okänd flagga: --%.*s", (int)nlen, name);
                return LB_EINVAL;
            }
            if (eq && o->kind == LB_CLI_OPT_FLAG) {
                snprintf(a->error, sizeof a->error, "--%s tar inget värde", o->name);
                return LB_EINVAL;
            }
            value = eq ? eq + 1 : NULL;
        } else if (options && arg[0] == '-' && arg[1] != '\0' && arg[2] == '\0' &&
                   !isdigit((unsigned char)arg[1])) {
            o = find_opt(spec, nspec, NULL, 0, arg[1]);
            if (!o) {
                snprintf(a->error, sizeof a->error, "okänd flagga: %s", arg);
                return LB_EINVAL;
            }
        } else {
            if (a->npos == LB_CLI_MAX_POS) {
                snprintf(a->error, sizeof a->error, "för många argument");
                return LB_EINVAL;
            }
            a->pos[a->npos++] = arg;
            continue;
        }
        if (o->kind == LB_CLI_OPT_VALUE && !value) {
            if (i + 1 >= argc) {
                snprintf(a->error, sizeof a->error, "--%s kräver ett värde", o->name);
                return LB_EINVAL;
            }
            value = argv[++i];
        }
        if (add_kv(a, o->name, o->kind == LB_CLI_OPT_FLAG ? "" : value) != 0)
            return LB_EINVAL;
    }
    return 0;
}

const char *lb_cli_get(const struct lb_cli_args *a, const char *name)
{
    for (size_t i = a->nkv; i-- > 0;)
        if (strcmp(a->kv[i].name, name) == 0)
            return a->kv[i].value;
    return NULL;
}

const char *lb_cli_get_nth(const struct lb_cli_args *a, const char *name, size_t n)
{
    for (size_t i = 0; i < a->nkv; i++)
        if (strcmp(a->kv[i].name, name) == 0 && n-- == 0)
            return a->kv[i].value;
    return NULL;
}

bool lb_cli_has(const struct lb_cli_args *a, const char *name)
{
    return lb_cli_get(a, name) != NULL;
}

/* --- references --------------------------------------------------------------- */

bool lb_cli_is_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 18 || s[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

enum lb_cli_ref lb_cli_company_ref(const char *s, char *out)
{
    out[0] = '\0';
    if (!s)
        return LB_CLI_REF_INVALID;
    /* Short digit strings are ids; anything of an orgnr's length or shape is an
     * orgnr, so a mistyped orgnr is reported as such and not looked up as an id. */
    if (lb_cli_is_id(s) && strlen(s) < 10) {
        snprintf(out, 24, "%s", s);
        return LB_CLI_REF_ID;
    }
    struct lb_orgnr o;
    if (lb_orgnr_parse(s, &o) == LB_ORGNR_OK) {
        snprintf(out, 24, "%s", o.digits);
        return LB_CLI_REF_ORGNR;
    }
    return LB_CLI_REF_INVALID;
}

enum lb_cli_ref lb_cli_case_ref(const char *s, char *out)
{
    out[0] = '\0';
    if (!s)
        return LB_CLI_REF_INVALID;
    if (lb_cli_is_id(s)) {
        snprintf(out, 24, "%s", s);
        return LB_CLI_REF_ID;
    }
    if ((s[0] != 'L' && s[0] != 'l') || strlen(s) < 7 || strlen(s) > 16)
        return LB_CLI_REF_INVALID;
    for (int i = 1; i <= 4; i++)
        if (!isdigit((unsigned char)s[i]))
            return LB_CLI_REF_INVALID;
    if (s[5] != '-')
        return LB_CLI_REF_INVALID;
    const char *serial = s + 6;
    size_t n = strlen(serial);
    if (n == 0 || n > 9)
        return LB_CLI_REF_INVALID;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)serial[i]))
            return LB_CLI_REF_INVALID;
        v = v * 10 + (unsigned)(serial[i] - '0');
    }
    if (v == 0)
        return LB_CLI_REF_INVALID;
    snprintf(out, 24, "L%.4s-%04u", s + 1, v % 1000000000u);
    return LB_CLI_REF_NUMBER;
}

/* --- the survey ----------------------------------------------------------------- */

static const struct lb_cli_question lots_questions[] = {
    {"reached_right_person", "Hur nöjd är du med möjligheten att komma i kontakt med rätt person?",
     LB_CLI_Q_SCALE},
    {"usefulness", "Hur nöjd är du med den nytta du haft av företagslotsen?", LB_CLI_Q_SCALE},
    {"easy_contact", "Var det enkelt att komma i kontakt med rätt person?", LB_CLI_Q_YESNO},
    {"treatment", "Hur nöjd är du med bemötandet?", LB_CLI_Q_SCALE},
    {"website_information", "Hur nöjd är du med informationen på kommunens webbplats?",
     LB_CLI_Q_SCALE},
};

static const struct lb_cli_question unit_questions[] = {
    {"nki_overall", "Hur nöjd är du totalt sett med kommunens service i ditt ärende?",
     LB_CLI_Q_SCALE},
    {"nki_expectations", "Hur väl motsvarade servicen dina förväntningar?", LB_CLI_Q_SCALE},
    {"nki_ideal", "Hur nära en perfekt service kom den service du fick?", LB_CLI_Q_SCALE},
    {"information", "Hur nöjd är du med informationen?", LB_CLI_Q_SCALE},
    {"accessibility", "Hur nöjd är du med tillgängligheten?", LB_CLI_Q_SCALE},
    {"treatment", "Hur nöjd är du med bemötandet?", LB_CLI_Q_SCALE},
    {"competence", "Hur nöjd är du med handläggarnas kompetens?", LB_CLI_Q_SCALE},
    {"legal_certainty", "Hur nöjd är du med rättssäkerheten i handläggningen?", LB_CLI_Q_SCALE},
    {"efficiency", "Hur nöjd är du med effektiviteten i handläggningen?", LB_CLI_Q_SCALE},
    {"clear_and_lawful", "Var handläggningen tydlig och rättssäker?", LB_CLI_Q_YESNO},
};

const struct lb_cli_question *lb_cli_questions(bool unit, size_t *n)
{
    if (unit) {
        *n = sizeof unit_questions / sizeof unit_questions[0];
        return unit_questions;
    }
    *n = sizeof lots_questions / sizeof lots_questions[0];
    return lots_questions;
}

const struct lb_cli_question *lb_cli_question_find(bool unit, const char *key)
{
    size_t n;
    const struct lb_cli_question *q = lb_cli_questions(unit, &n);
    for (size_t i = 0; key && i < n; i++)
        if (strcmp(q[i].key, key) == 0)
            return &q[i];
    return NULL;
}

/* s without surrounding blanks, lower-cased ASCII, into buf; false when too long. */
static bool normalise(const char *s, char *buf, size_t len)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n >= len)
        return false;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)s[i]);
    buf[n] = '\0';
    return true;
}

int lb_cli_answer_value(enum lb_cli_qtype type, const char *s, json_t **out)
{
    char v[16];
    *out = NULL;
    if (!s || !normalise(s, v, sizeof v) || v[0] == '\0')
        return LB_EINVAL;
    if (strcmp(v, "vet ej") == 0 || strcmp(v, "vet_ej") == 0 || strcmp(v, "vetej") == 0 ||
        strcmp(v, "-") == 0 || strcmp(v, "null") == 0) {
        *out = json_null();
        return 0;
    }
    if (type == LB_CLI_Q_SCALE) {
        if (strlen(v) == 1 && v[0] >= '1' && v[0] <= '0' + LB_CLI_SCALE_TOP) {
            *out = json_integer(v[0] - '0');
            return *out ? 0 : LB_ENOMEM;
        }
        return LB_EINVAL;
    }
    if (strcmp(v, "ja") == 0 || strcmp(v, "j") == 0 || strcmp(v, "yes") == 0 ||
        strcmp(v, "true") == 0) {
        *out = json_true();
        return 0;
    }
    if (strcmp(v, "nej") == 0 || strcmp(v, "n") == 0 || strcmp(v, "no") == 0 ||
        strcmp(v, "false") == 0) {
        *out = json_false();
        return 0;
    }
    return LB_EINVAL;
}

int lb_cli_answers_add(json_t *answers, const char *spec, char *err, size_t err_len)
{
    const char *dot = spec ? strchr(spec, '.') : NULL;
    const char *eq = dot ? strchr(dot, '=') : NULL;
    char item[LB_UNIT_CODE_MAX + 1], key[64];
    size_t ilen = dot ? (size_t)(dot - spec) : 0, klen = eq ? (size_t)(eq - dot - 1) : 0;
    if (!eq || ilen == 0 || ilen >= sizeof item || klen == 0 || klen >= sizeof key) {
        snprintf(err, err_len, "--answer: väntade DEL.FRÅGA=SVAR, t.ex. lots.usefulness=5, fick %s",
                 spec ? spec : "");
        return LB_EINVAL;
    }
    memcpy(item, spec, ilen);
    item[ilen] = '\0';
    memcpy(key, dot + 1, klen);
    key[klen] = '\0';
    for (size_t i = 0; i < ilen; i++) {
        if (!islower((unsigned char)item[i]) && !isdigit((unsigned char)item[i]) &&
            item[i] != '_') {
            snprintf(err, err_len, "--answer: okänd del: %s (lots eller en enhetskod)", item);
            return LB_EINVAL;
        }
    }
    bool unit = strcmp(item, "lots") != 0;
    const struct lb_cli_question *q = lb_cli_question_find(unit, key);
    if (!q) {
        snprintf(err, err_len, "--answer: okänd fråga: %s.%s", item, key);
        return LB_EINVAL;
    }
    json_t *v;
    int rc = lb_cli_answer_value(q->type, eq + 1, &v);
    if (rc == LB_ENOMEM)
        return rc;
    if (rc != 0) {
        snprintf(err, err_len, "--answer: ogiltigt svar på %s.%s: %s (%s eller vet_ej)", item, key,
                 eq + 1, q->type == LB_CLI_Q_SCALE ? "1–6" : "ja/nej");
        return LB_EINVAL;
    }
    json_t *per = json_object_get(answers, item);
    if (!per) {
        per = json_object();
        if (!per || json_object_set_new(answers, item, per) != 0) {
            json_decref(v);
            return LB_ENOMEM;
        }
    }
    return json_object_set_new(per, key, v) == 0 ? 0 : LB_ENOMEM;
}

/* --- Swedish texts --------------------------------------------------------------- */

static const struct {
    const char *code, *sv;
} error_texts[] = {
    {"invalid_orgnr", "ogiltigt organisationsnummer"},
    {"invalid_orgnr_empty", "organisationsnummer saknas"},
    {"invalid_orgnr_format", "ogiltigt organisationsnummer"},
    {"invalid_orgnr_checksum", "ogiltigt organisationsnummer, fel kontrollsiffra"},
    {"invalid_orgnr_prefix", "ogiltigt organisationsnummer, fel sekelsiffror"},
    {"invalid_orgnr_middle_digits", "ogiltigt organisationsnummer, fel tredje och fjärde siffra"},
    {"invalid_orgnr_date", "ogiltigt personnummer, datumet finns inte"},
    {"invalid_orgnr_group", "ogiltigt organisationsnummer, okänd bolagsform"},
    {"duplicate_orgnr", "organisationsnumret är redan registrerat"},
    {"duplicate_username", "användarnamnet är upptaget"},
    {"duplicate_item", "samtalet omfattar redan detta"},
    {"invalid_credentials", "fel användarnamn eller lösenord"},
    {"too_many_attempts", "för många misslyckade inloggningar, försök igen om en stund"},
    {"unauthorized", "inte inloggad eller sessionen har gått ut (kör lots login)"},
    {"forbidden", "din roll eller enhet får inte göra detta"},
    {"plan_not_loaded", "ingen handlingsplan är inläst (lotsd plan load)"},
    {"year_outside_plan", "året ligger utanför handlingsplanens period"},
    {"auto_indicator", "indikatorn hämtas automatiskt ur Lotsbok och tar inget inrapporterat värde"},
    {"recorded_elsewhere", "värdet förs in på den indikator som raden upprepar"},
    {"unknown_indicator", "okänd indikator för åtgärden"},
    {"unknown_action", "okänd åtgärd"},
    {"unknown_field", "okänt fält"},
    {"not_found", "hittades inte"},
    {"not_computed", "indikatorerna för kvartalet är inte beräknade ännu"},
    {"method_not_allowed", "servern stöder inte detta anrop"},
    {"invalid_transition", "ärendets eller överlämningens status tillåter inte detta"},
    {"invalid_json", "ogiltig JSON i anropet"},
    {"bad_query", "ogiltig parameter"},
    {"bad_header", "ogiltigt huvud i anropet"},
    {"unsupported_media_type", "servern tar bara emot JSON"},
    {"missing_field", "obligatoriskt fält saknas"},
    {"invalid_type", "fel typ av värde"},
    {"invalid_value", "ogiltigt värde"},
    {"invalid_enum", "okänt värde"},
    {"invalid_date", "ogiltigt datum (ÅÅÅÅ-MM-DD)"},
    {"invalid_time", "ogiltig tidpunkt (RFC 3339, t.ex. 2026-03-14T09:30:00+01:00)"},
    {"out_of_range", "värdet är utanför tillåtet intervall"},
    {"too_long", "texten är för lång"},
    {"unreadable_file", "filen kan inte läsas som CSV eller XLSX"},
    {"empty_file", "filen är tom"},
    {"missing_column", "filen saknar en kolumn som behövs"},
    {"duplicate_column", "en kolumn finns två gånger i rubrikraden"},
    {"too_many_rows", "filen har fler än 1 000 000 rader; dela upp den"},
    {"payload_too_large", "filen är för stor (högst 50 MiB)"},
    {"concurrent_change",
     "ett företag ändrades av någon annan under importen; inget sparades, importera igen"},
    {"company_anonymized", "företaget är anonymiserat och importeras inte"},
    {"too_many_contacts", "företaget har redan 100 kontaktpersoner"},
    {"unknown_unit", "okänd enhet"},
    {"unknown_company", "företaget finns inte"},
    {"unknown_handoff", "överlämningen finns inte"},
    {"unknown_followup", "uppföljningen finns inte"},
    {"unknown_item", "samtalet omfattar inte denna del"},
    {"unknown_question", "okänd fråga"},
    {"password_too_short", "lösenordet är för kort"},
    {"password_weak",
     "lösenordet är för lätt att gissa; välj ett längre, gärna en fras av flera ord"},
    {"invalid_username", "ogiltigt användarnamn"},
    {"idempotency_key_reused", "idempotensnyckeln användes redan för ett annat anrop"},
    {"stale", "posten har ändrats av någon annan, hämta den igen"},
    {"correction_closed", "svaren kan bara rättas samma dag som samtalet registrerades"},
    {"company_answer", "företaget svarade själv i e-postenkäten; de svaren kan inte rättas"},
    {"too_many_corrections", "samtalet har rättats för många gånger"},
    {"legal_hold", "ärendet omfattas av bevarandeplikt"},
};

static const char *status_text(long status)
{
    switch (status) {
    case 400:
        return "felaktigt anrop";
    case 401:
        return "inte inloggad (kör lots login)";
    case 403:
        return "inte tillåtet för din roll";
    case 404:
        return "hittades inte";
    case 405:
        return "servern stöder inte detta anrop";
    case 409:
        return "konflikt med nuvarande status";
    case 412:
        return "posten har ändrats av någon annan";
    case 413:
        return "anropet är för stort";
    case 422:
        return "ogiltiga uppgifter";
    case 429:
        return "för många försök, vänta en stund";
    case 503:
        return "servern är överbelastad, försök igen";
    case 507:
        return "serverns lagring är full";
    default:
        return status >= 500 ? "internt fel på servern" : "anropet avvisades";
    }
}

void lb_cli_error_line(long status, const char *code, const char *message, const char *field,
                       char *buf, size_t len)
{
    const char *text = NULL;
    for (size_t i = 0; code && i < sizeof error_texts / sizeof error_texts[0]; i++)
        if (strcmp(error_texts[i].code, code) == 0)
            text = error_texts[i].sv;
    if (!text && message && message[0])
        text = message;
    if (!text)
        text = status_text(status);
    if (field && field[0])
        snprintf(buf, len, "Fel: %s (fält: %s)", text, field);
    else
        snprintf(buf, len, "Fel: %s", text);
}

const char *lb_cli_label(const char *voc, const char *v)
{
    if (!v)
        return "";
    if (!voc)
        return v;
    const char *l = NULL;
    if (strcmp(voc, "category") == 0) {
        enum lb_category e;
        l = lb_category_from_str(v, &e) == 0 ? lb_category_label_sv(e) : NULL;
    } else if (strcmp(voc, "channel") == 0) {
        enum lb_channel e;
        l = lb_channel_from_str(v, &e) == 0 ? lb_channel_label_sv(e) : NULL;
    } else if (strcmp(voc, "outcome") == 0) {
        enum lb_outcome e;
        l = lb_outcome_from_str(v, &e) == 0 ? lb_outcome_label_sv(e) : NULL;
    } else if (strcmp(voc, "decision") == 0) {
        enum lb_decision e;
        l = lb_decision_from_str(v, &e) == 0 ? lb_decision_label_sv(e) : NULL;
    } else if (strcmp(voc, "handoff_status") == 0) {
        enum lb_handoff_status e;
        l = lb_handoff_status_from_str(v, &e) == 0 ? lb_handoff_status_label_sv(e) : NULL;
    } else if (strcmp(voc, "followup_status") == 0) {
        enum lb_followup_status e;
        l = lb_followup_status_from_str(v, &e) == 0 ? lb_followup_status_label_sv(e) : NULL;
    } else if (strcmp(voc, "direction") == 0) {
        l = strcmp(v, "inbound") == 0 ? "In" : strcmp(v, "outbound") == 0 ? "Ut" : NULL;
    } else if (strcmp(voc, "case_status") == 0) {
        l = strcmp(v, "open") == 0 ? "Öppet" : strcmp(v, "closed") == 0 ? "Avslutat" : NULL;
    } else if (strcmp(voc, "improvement_status") == 0) {
        l = strcmp(v, "identified") == 0    ? "Identifierad"
            : strcmp(v, "implemented") == 0 ? "Genomförd"
            : strcmp(v, "dropped") == 0     ? "Avförd"
                                            : NULL;
    } else if (strcmp(voc, "role") == 0) {
        l = strcmp(v, "admin") == 0     ? "administratör"
            : strcmp(v, "lots") == 0    ? "lots"
            : strcmp(v, "handler") == 0 ? "handläggare"
            : strcmp(v, "viewer") == 0  ? "arbetsgrupp (läsare)"
            : strcmp(v, "service") == 0 ? "tjänst"
                                        : NULL;
    } else if (strcmp(voc, "unit") == 0) {
        static struct lb_units units;
        static bool loaded;
        if (!loaded) {
            lb_units_default(&units);
            loaded = true;
        }
        const struct lb_unit *u = lb_units_find(&units, v);
        l = u ? u->name_sv : NULL;
    }
    return l ? l : v;
}

void lb_cli_local_time(const char *s, char *buf, size_t len)
{
    lb_time t;
    if (!s) {
        snprintf(buf, len, "%s", "");
        return;
    }
    if (lb_time_parse_rfc3339(s, &t) != 0) {
        snprintf(buf, len, "%s", s);
        return;
    }
    long long secs = (long long)(t / 1000) + lb_stockholm_offset(t);
    if (t < 0 && t % 1000 != 0)
        secs--;
    long long days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    /* Civil date from days since the epoch (Howard Hinnant's algorithm). */
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    long long m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(buf, len, "%04lld-%02lld-%02lld %02lld:%02lld", y, m, d, rem / 3600,
             (rem % 3600) / 60);
}

int lb_cli_parse_at(const char *s, int64_t now, char *out)
{
    lb_time t;
    if (!s)
        return LB_EINVAL;
    if (lb_time_parse_rfc3339(s, &t) == 0) {
        snprintf(out, 32, "%s", s);
        return 0;
    }
    char date[11], clock[40], local[64];
    int h, m, sec = 0, n = 0;
    if (strlen(s) >= 16 && (s[10] == ' ' || s[10] == 'T')) {
        snprintf(date, sizeof date, "%.10s", s);
        s += 11;
    } else {
        lb_date_format(lb_stockholm_date(now), date);
    }
    lb_date d;
    if (lb_date_parse(date, &d) != 0)
        return LB_EINVAL;
    if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || n != 5)
        return LB_EINVAL;
    if (s[5] == ':') {
        int k = 0;
        if (sscanf(s + 6, "%2d%n", &sec, &k) != 1 || k != 2 || s[8] != '\0')
            return LB_EINVAL;
    } else if (s[5] != '\0') {
        return LB_EINVAL;
    }
    if (h > 23 || m > 59 || sec > 59 || h < 0 || m < 0 || sec < 0)
        return LB_EINVAL;
    snprintf(clock, sizeof clock, "%02d:%02d:%02d", h, m, sec);
    /* Winter time first; an instant in summer time is written again with +02:00. */
    snprintf(local, sizeof local, "%sT%s+01:00", date, clock);
    if (lb_time_parse_rfc3339(local, &t) != 0)
        return LB_EINVAL;
    if (lb_stockholm_offset(t) == 7200)
        snprintf(local, sizeof local, "%sT%s+02:00", date, clock);
    memcpy(out, local, strlen(local) + 1); /* 25 bytes: date, T, clock, offset */
    return 0;
}
