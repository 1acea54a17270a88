/* lots.h: what the files of the `lots` command-line client share.
 *
 * A command is a function taking the arguments after its command words; it
 * parses them with lb_cli_parse (cli_format.h), talks to lotsd through
 * lots_call, prints Swedish text (or the API's JSON unchanged with --json) and
 * returns the process's exit code (enum lb_cli_exit). */
#ifndef LOTS_CLI_LOTS_H
#define LOTS_CLI_LOTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lotsbok/cli_format.h"
#include "lotsbok/http_client.h"

#define LOTS_DEFAULT_SERVER "http://127.0.0.1:8080"

/* The client's state for one run. */
struct lots {
    char *server;           /* resolved base URL (malloc'd) */
    char *token;            /* bearer token or NULL (malloc'd) */
    bool token_saved;       /* the token is the one saved in the file for this server */
    bool json;              /* --json: print the API's JSON unchanged */
    const char *server_opt; /* --server given before the command */
    lb_http_client *http;
    char *raw;      /* body of the last answer, for --json */
    size_t raw_len; /* its length (a binary answer: XLSX) */
    long status;    /* status of the last answer */
};

struct lots_cmd {
    const char *name, *sub; /* "case", "open"; sub NULL for one-word commands */
    int (*fn)(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv);
    const char *usage; /* "lots case open --company ID|ORGNR --subject TEXT --category KAT" */
    const char *help;  /* Swedish explanation, may span lines */
    const char *brief; /* the line of `lots --help` when help's first sentence is
                          longer than one line there; NULL: that sentence */
};

/* --- lots_main.c ------------------------------------------------------------- */

/* Parses argv for cmd against spec; prints help (exit 0 via *done) or a usage error.
 * Returns LB_CLI_EXIT_OK to continue, else the exit code to return (with *done set
 * to whether the command should stop; help also stops with 0). Applies --json and
 * --server to l. */
int lots_args(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv,
              const struct lb_cli_optspec *spec, size_t nspec, struct lb_cli_args *a, bool *done);
/* Prints "Fel: msg" and the command's usage on stderr; returns LB_CLI_EXIT_USAGE. */
int lots_usage_error(const struct lots_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --- config.c ------------------------------------------------------------------ */

/* The path of the token file: $XDG_CONFIG_HOME/lotsbok/token, or
 * ~/.config/lotsbok/token. 0 or LB_EINVAL when neither variable is set. */
int lots_config_path(char *buf, size_t len);
/* Reads the saved server and token (either may come back NULL). 0 also when there
 * is no file; LB_EIO when it cannot be read, LB_ENOMEM. */
int lots_config_load(char **server, char **token);
/* Saves server, token and the session's expiry (RFC 3339, may be NULL):
 * directory 0700, file 0600, replaced atomically. */
int lots_config_save(const char *server, const char *token, const char *expires);
/* A saved value ("expires") as a malloc'd string, or NULL. */
char *lots_config_value(const char *key);
/* Removes the token file; 0 also when there is none. */
int lots_config_remove(void);
/* Resolves l->server and l->token from --server, LOTS_SERVER, LOTS_TOKEN and the
 * file. The saved token is used only for the server it was saved for. A server
 * given without a scheme ("127.0.0.1:38080") means http://. */
int lots_config_resolve(struct lots *l);

/* --- client.c ------------------------------------------------------------------ */

/* Sends a request (body may be NULL; it is not consumed). On a 2xx answer returns 0
 * and *out (when out is not NULL) receives the parsed JSON (NULL for an empty body).
 * Otherwise prints the error in Swedish on stderr (and the API's error JSON on stdout
 * with --json) and returns the exit code. need_auth: fail with exit 3 before sending
 * when no token is known. */
int lots_call(struct lots *l, const char *method, const char *path, json_t *body, json_t **out);
/* The same without printing anything on failure (for optional extra details). */
/* lots_call with If-Match: if_match (a version) when not NULL. */
int lots_call_match(struct lots *l, const char *method, const char *path, json_t *body,
                    const char *if_match, json_t **out);
int lots_call_quiet(struct lots *l, const char *method, const char *path, json_t *body,
                    json_t **out);
/* Sends without requiring a token (login). */
int lots_call_noauth(struct lots *l, const char *method, const char *path, json_t *body,
                     json_t **out);
/* POSTs the file data (len bytes of type ctype) as the body, calling progress as it
 * goes out (NULL: none); otherwise as lots_call. */
int lots_call_upload(struct lots *l, const char *path, const void *data, size_t len,
                     const char *ctype, void (*progress)(void *arg, size_t sent, size_t total),
                     void *arg, json_t **out);
struct lots_url;
/* Adds --limit and --after (from a) to u after checking them: --limit a whole
 * number 1..500, --after an id. Returns 0 or the usage error's exit code. */
int lots_page_args(const struct lots_cmd *cmd, const struct lb_cli_args *a, struct lots_url *u);
/* Sets body's key to --at as RFC 3339 (lb_cli_parse_at: "2026-12-03 10:00" is
 * Stockholm time). Returns 0 (also without --at) or the usage error's exit code. */
int lots_set_at(const struct lots_cmd *cmd, const struct lb_cli_args *a, json_t *body,
                const char *key);
/* When the list has a next page, says so on stderr ("Fler finns: lägg till
 * --after N"), so stdout holds only the rows (`| wc -l`). */
void lots_print_more(const json_t *list);
/* Prints the last answer's body unchanged (for --json), with a final newline. */
void lots_print_raw(const struct lots *l);
/* Prints a rendered table on stdout, fitted to the terminal (80 columns when
 * stdout is not a terminal, or COLUMNS). Frees nothing. */
void lots_print_table(const struct lb_cli_table *t);
/* errno's meaning in Swedish ("filen eller katalogen finns inte"). */
const char *lots_errno_sv(int e);
/* The terminal's width: COLUMNS, the terminal's, or 80 when stdout is not one. */
size_t lots_terminal_width(void);
/* Prints text word-wrapped to width, each line indented; nothing for NULL or "". */
void lots_print_wrapped(size_t indent, const char *text, size_t width);
/* Prints "Fel: ..." on stderr. */
void lots_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lots_client_free(struct lots *l);

/* The caller's username (GET /me), copied into buf. Returns 0 or an exit code. */
int lots_whoami_name(struct lots *l, char *buf, size_t len);

/* A URL path with an escaped query being built. */
struct lots_url {
    char buf[2048];
    bool has_query, overflow;
};
void lots_url_init(struct lots_url *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends "?key=value" or "&key=value" with value escaped; NULL values are skipped. */
void lots_url_q(struct lots_url *u, const char *key, const char *value);

/* JSON field access: a string or NULL; an integer as text into buf ("" if absent). */
const char *lots_js(const json_t *o, const char *key);
const char *lots_jnum(const json_t *o, const char *key, char *buf, size_t len);
long long lots_jint(const json_t *o, const char *key);

/* Resolves a company argument (id or orgnr) to its id; prints errors. Returns 0 or an
 * exit code. */
int lots_company_id(struct lots *l, const char *arg, long long *id);
/* Checks a case argument and writes the path segment for it (id or "L2026-0042"). */
int lots_case_segment(const char *arg, char *seg, size_t len);

/* A small id -> name cache for tables (company names, case numbers). */
struct lots_names {
    long long id[64];
    char *name[64];
    size_t n;
};
/* The company's name (GET /companies/{id}), or "#id" when it cannot be read. */
const char *lots_company_name(struct lots *l, struct lots_names *c, long long id);
/* The case's number (GET /cases/{id}), or "#id". */
const char *lots_case_number(struct lots *l, struct lots_names *c, long long id);
void lots_names_free(struct lots_names *c);

/* Reads one line from the terminal (without echo when secret) after printing
 * prompt on stderr; from stdin without a prompt when it is not a terminal. The
 * newline is removed. 0, LB_EIO at end of input. */
int lots_read_line(const char *prompt, bool secret, char *buf, size_t len);
/* Reads a password from a file (the first line). */
int lots_read_password_file(const char *path, char *buf, size_t len);

/* --- commands ------------------------------------------------------------------ */

#define LOTS_CMD(f) int f(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
LOTS_CMD(lots_cmd_login);
LOTS_CMD(lots_cmd_meeting_add);
LOTS_CMD(lots_cmd_meeting_list);
LOTS_CMD(lots_cmd_meeting_show);
LOTS_CMD(lots_cmd_meeting_attend);
LOTS_CMD(lots_cmd_meeting_evaluate);
/* A table of meetings (the list, a company's history: cmd_meeting.c). */
void lots_print_meetings(json_t *items);
LOTS_CMD(lots_cmd_logout);
LOTS_CMD(lots_cmd_whoami);
LOTS_CMD(lots_cmd_auth_status);
LOTS_CMD(lots_cmd_handoff_withdraw);
LOTS_CMD(lots_cmd_company_add);
LOTS_CMD(lots_cmd_company_show);
LOTS_CMD(lots_cmd_company_find);
LOTS_CMD(lots_cmd_search);
LOTS_CMD(lots_cmd_import);
LOTS_CMD(lots_cmd_case_open);
LOTS_CMD(lots_cmd_case_show);
LOTS_CMD(lots_cmd_case_list);
LOTS_CMD(lots_cmd_case_close);
LOTS_CMD(lots_cmd_case_reopen);
LOTS_CMD(lots_cmd_contact_log);
LOTS_CMD(lots_cmd_handoff);
LOTS_CMD(lots_cmd_inbox);
LOTS_CMD(lots_cmd_ack);
LOTS_CMD(lots_cmd_decide);
LOTS_CMD(lots_cmd_followups);
LOTS_CMD(lots_cmd_followup_record);
LOTS_CMD(lots_cmd_followup_show);
LOTS_CMD(lots_cmd_followup_correct);
LOTS_CMD(lots_cmd_indicators);
LOTS_CMD(lots_cmd_report);
LOTS_CMD(lots_cmd_report_annual);
LOTS_CMD(lots_cmd_plan);
LOTS_CMD(lots_cmd_plan_show);
LOTS_CMD(lots_cmd_plan_followup);
LOTS_CMD(lots_cmd_plan_value);
LOTS_CMD(lots_cmd_improvement_add);
LOTS_CMD(lots_cmd_improvement_list);
LOTS_CMD(lots_cmd_improvement_done);
LOTS_CMD(lots_cmd_user_add);
LOTS_CMD(lots_cmd_user_list);
LOTS_CMD(lots_cmd_user_disable);
LOTS_CMD(lots_cmd_backup);

#endif
