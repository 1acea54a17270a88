/* cli_format.h: the pure parts of the `lots` command-line client.
 *
 * Everything here is free of I/O and of the network so it can be unit-tested:
 * display width of UTF-8 text and shortening with "…", aligned tables that fit
 * a terminal width, the command-line option parser, the follow-up survey's
 * questions and the parsing of answers, Swedish texts for the API's error codes
 * and enum values, the exit-code table, and the classification of the human
 * forms of references (case number L2026-0042, organisationsnummer, id). */
#ifndef LOTSBOK_CLI_FORMAT_H
#define LOTSBOK_CLI_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- exit codes (documented in `lots --help` and lots(1)) ------------------- */

enum lb_cli_exit {
    LB_CLI_EXIT_OK = 0,
    LB_CLI_EXIT_USAGE = 1,       /* bad command line */
    LB_CLI_EXIT_REJECTED = 2,    /* 400, 404, 409, 412, 413, 415, 422, 431: not found or rejected */
    LB_CLI_EXIT_AUTH = 3,        /* 401, 403, or no token saved: not logged in or not allowed */
    LB_CLI_EXIT_UNREACHABLE = 4, /* the server could not be reached (LB_EIO from the client) */
    LB_CLI_EXIT_SERVER = 5,      /* 5xx or an answer the client cannot read */
};

/* The exit code for an HTTP status (2xx gives LB_CLI_EXIT_OK). */
int lb_cli_exit_code(long status);

/* --- text width ---------------------------------------------------------------- */

/* Terminal columns taken by UTF-8 text s: combining marks and zero-width
 * characters count 0, East Asian wide characters 2, everything else 1 (a byte
 * that is not valid UTF-8 counts 1). */
size_t lb_cli_width(const char *s);

/* s made to fit width columns: control characters (newlines, tabs) become spaces
 * and, when it is wider, it is cut at a character boundary and ends with "…".
 * Returns a malloc'd string, or NULL when memory is short. */
char *lb_cli_fit(const char *s, size_t width);

/* text with every line wider than width columns broken at spaces into whole
 * words (never cut): a line's continuation lines are indented by the line's own
 * leading spaces plus hang. A single word wider than the line stays whole on a
 * line of its own. Newlines in text are kept. Returns a malloc'd string, or
 * NULL when memory is short. */
char *lb_cli_wrap(const char *text, size_t width, size_t hang);

/* --- tables ------------------------------------------------------------------------ */

#define LB_CLI_TABLE_MAX_COLS 12
#define LB_CLI_TABLE_MIN_SHRINK 6 /* a shrinkable column keeps at least this many columns */

struct lb_cli_table {
    size_t ncols;
    char *header[LB_CLI_TABLE_MAX_COLS];
    bool shrink[LB_CLI_TABLE_MAX_COLS]; /* may be shortened with "…" to fit */
    char **cells;                       /* nrows * ncols, row-major, malloc'd copies */
    size_t nrows, cap;
};

/* A table with ncols columns (1..LB_CLI_TABLE_MAX_COLS) and their headers. Columns
 * named in shrinkable (a bit per column, bit 0 the first) are the ones shortened
 * first when the table is too wide. LB_EINVAL, LB_ENOMEM; on failure nothing to free. */
int lb_cli_table_init(struct lb_cli_table *t, size_t ncols, const char *const *headers,
                      unsigned shrinkable);
/* Appends a row of ncols cells (NULL cells print as empty). Copies the strings. */
int lb_cli_table_add(struct lb_cli_table *t, const char *const *row);
/* Renders the table into a malloc'd string *out: a header line, a rule of "─", the
 * rows; columns separated by two spaces, no trailing blanks, every line at most
 * width columns wide when that is possible (shrinkable columns are shortened
 * first, then the widest others). LB_ENOMEM. */
int lb_cli_table_render(const struct lb_cli_table *t, size_t width, char **out);
void lb_cli_table_free(struct lb_cli_table *t);

/* --- command-line options -------------------------------------------------------- */

enum { LB_CLI_OPT_FLAG = 0, LB_CLI_OPT_VALUE = 1 };

struct lb_cli_optspec {
    const char *name; /* long name without "--" */
    char short_name;  /* 0 when none */
    int kind;         /* LB_CLI_OPT_FLAG or LB_CLI_OPT_VALUE */
};

#define LB_CLI_MAX_POS 8
#define LB_CLI_MAX_KV 64

struct lb_cli_args {
    const char *pos[LB_CLI_MAX_POS]; /* positional arguments, in order */
    size_t npos;
    struct {
        const char *name;  /* points into the spec */
        const char *value; /* "" for a flag */
    } kv[LB_CLI_MAX_KV];
    size_t nkv;
    char error[160]; /* Swedish, set when parsing fails */
};

/* Parses argv[0..argc) against spec (nspec entries) plus the options every command
 * takes: --json, --server URL, --help/-h. Forms: --name VALUE, --name=VALUE, -x VALUE,
 * "--" ends options. A repeated option keeps every value (lb_cli_get_nth).
 * Returns 0, or LB_EINVAL with a Swedish message in a->error (unknown option,
 * missing value, a value given to a flag, too many arguments). */
int lb_cli_parse(int argc, char **argv, const struct lb_cli_optspec *spec, size_t nspec,
                 struct lb_cli_args *a);
/* The last value of option name, or NULL when it was not given. */
const char *lb_cli_get(const struct lb_cli_args *a, const char *name);
/* The i-th value (0-based) of a repeated option, or NULL. */
const char *lb_cli_get_nth(const struct lb_cli_args *a, const char *name, size_t i);
bool lb_cli_has(const struct lb_cli_args *a, const char *name);

/* --- references -------------------------------------------------------------------- */

enum lb_cli_ref { LB_CLI_REF_INVALID, LB_CLI_REF_ID, LB_CLI_REF_ORGNR, LB_CLI_REF_NUMBER };

/* A company given as an organisationsnummer in any accepted form (-> ORGNR, the 10
 * digits in out) or as a record id (-> ID, the digits in out). out >= 24 bytes. */
enum lb_cli_ref lb_cli_company_ref(const char *s, char *out);
/* A case given as a number "L2026-0042" (any case of L; -> NUMBER, upper-cased in
 * out) or as a record id (-> ID). out >= 24 bytes. */
enum lb_cli_ref lb_cli_case_ref(const char *s, char *out);
/* A plain record id (hand-offs, follow-ups, improvements): 1..2^63-1 in digits. */
bool lb_cli_is_id(const char *s);

/* --- the follow-up survey ---------------------------------------------------------- */

#define LB_CLI_SCALE_TOP 6

enum lb_cli_qtype { LB_CLI_Q_SCALE, LB_CLI_Q_YESNO };

struct lb_cli_question {
    const char *key;     /* API question key, "nki_overall" */
    const char *text_sv; /* the question as the lots reads it out */
    enum lb_cli_qtype type;
};

/* The questions of a `lots` item (unit == false) or of a unit item, in the order
 * they are asked; *n receives the count. */
const struct lb_cli_question *lb_cli_questions(bool unit, size_t *n);
const struct lb_cli_question *lb_cli_question_find(bool unit, const char *key);

/* Parses one answer as typed: a scale value "1".."6"; "ja"/"nej" (also j, n, yes,
 * no, true, false) for yes/no questions; "vet ej", "vet_ej", "vetej", "-" for "vet ej"
 * (JSON null). Case-insensitive, surrounding blanks ignored. Returns 0 with a new
 * JSON value in *out, or LB_EINVAL for anything else. */
int lb_cli_answer_value(enum lb_cli_qtype type, const char *s, json_t **out);

/* Adds "--answer ITEM.QUESTION=VALUE" (ITEM is "lots" or a unit code) to answers
 * ({"lots": {"usefulness": 5}, "bygglov": {...}}). 0, LB_EINVAL with a Swedish
 * message in err (err_len bytes), or LB_ENOMEM. */
int lb_cli_answers_add(json_t *answers, const char *spec, char *err, size_t err_len);

/* --- Swedish texts ------------------------------------------------------------------ */

/* "Fel: ogiltigt organisationsnummer (fält: orgnr)": the Swedish text for the
 * API's error code when known, else the server's message, else the status's
 * text; the field when one is given. Written into buf (len bytes, truncated). */
void lb_cli_error_line(long status, const char *code, const char *message, const char *field,
                       char *buf, size_t len);

/* Swedish label of an API enum value of the given vocabulary ("category",
 * "channel", "direction", "case_status", "outcome", "handoff_status", "decision",
 * "followup_status", "improvement_status", "role", "unit"). Unknown vocabularies or
 * values give the value itself; NULL gives "". */
const char *lb_cli_label(const char *vocabulary, const char *value);

/* A time as people type it, for --at, into RFC 3339 for the API (out >= 32
 * bytes): RFC 3339 itself is passed on; "2026-12-03 10:00", "2026-12-03T10:00"
 * (seconds optional) and "10:00" (today, by now's Stockholm date) are Stockholm
 * local time and get their offset (+01:00 or +02:00). 0 or LB_EINVAL. */
int lb_cli_parse_at(const char *s, int64_t now, char *out);

/* An RFC 3339 instant of the API as Stockholm local time "2026-03-14 10:30" into buf
 * (>= 20 bytes); a value that does not parse is copied as it is; NULL gives "". */
void lb_cli_local_time(const char *rfc3339, char *buf, size_t len);

#endif
