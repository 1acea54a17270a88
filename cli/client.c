/* client.c: how `lots` talks to lotsd and to its user.
 *
 * One lb_http_client per run (created on the first request, so a command that
 * fails its argument check never touches the network), reused for every
 * request of the command (keep-alive). lots_call turns the answer into an exit
 * code: a 2xx answer is parsed with jansson; anything else prints the API's
 * error in Swedish on stderr ("Fel: ... (fält: orgnr)"). With --json the answer's
 * body, error or not, is kept for printing unchanged.
 *
 * Also here: the query-string builder (values escaped with libcurl through
 * lb_http_client_escape), small caches of company names and case numbers for
 * tables, and reading lines and passwords from the terminal (termios, echo off). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "lotsbok/error.h"
#include "lotsbok/orgnr.h"
#include "lotsbok/timeutil.h"
#include "lots.h"

void lots_error(const char *fmt, ...)
{
    va_list ap;
    fputs("Fel: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void lots_client_free(struct lots *l)
{
    lb_http_client_free(l->http);
    l->http = NULL;
    free(l->raw);
    l->raw = NULL;
    free(l->server);
    l->server = NULL;
    if (l->token)
        memset(l->token, 0, strlen(l->token));
    free(l->token);
    l->token = NULL;
}

const char *lots_errno_sv(int e)
{
    switch (e) {
    case ENOENT:
        return "filen eller katalogen finns inte";
    case EACCES:
    case EPERM:
        return "åtkomst nekad";
    case ENOSPC:
        return "disken är full";
    case EROFS:
        return "filsystemet är skrivskyddat";
    case EISDIR:
        return "det är en katalog";
    case ENOTDIR:
        return "en del av sökvägen är inte en katalog";
    case EEXIST:
        return "finns redan";
    default:
        return "systemfel";
    }
}

/* Why a server could not be reached, in Swedish, from libcurl's words (which
 * are English and not shown). */
static const char *unreachable_sv(const char *curl_msg)
{
    if (strstr(curl_msg, "resolve"))
        return "datornamnet hittas inte";
    if (strstr(curl_msg, "timed out") || strstr(curl_msg, "Timeout"))
        return "den svarade inte i tid";
    if (strstr(curl_msg, "connect") || strstr(curl_msg, "refused"))
        return "ingen svarar på adressen; kör lotsd där, och stämmer porten?";
    return "förbindelsen bröts";
}

enum { CALL_LOUD = 1, CALL_AUTH = 2, CALL_AUTH_ONLY = 2 };
static int call(struct lots *l, const char *method, const char *path, json_t *body, json_t **out,
                int flags);

/* What path names, in Swedish: "ärende L2026-0042", "överlämning 12"; "" when
 * it names no single record. kind receives the collection ("handoffs"). */
static void path_subject(const char *path, char *kind, size_t klen, char *buf, size_t len)
{
    static const struct {
        const char *coll, *sv;
    } names[] = {{"cases", "ärende"},
                 {"handoffs", "överlämning"},
                 {"followups", "uppföljning"},
                 {"companies", "företag"},
                 {"improvements", "förbättringsåtgärd"},
                 {"users", "användare"}};
    buf[0] = kind[0] = '\0';
    if (strncmp(path, "/api/v1/", 8) != 0)
        return;
    const char *coll = path + 8, *slash = strchr(coll, '/');
    if (!slash)
        return;
    size_t clen = (size_t)(slash - coll), ilen = strcspn(slash + 1, "/?");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].coll) == clen && strncmp(coll, names[i].coll, clen) == 0) {
            snprintf(kind, klen, "%s", names[i].coll);
            snprintf(buf, len, "%s %.*s", names[i].sv, (int)ilen, slash + 1);
        }
}

/* Prints the API's error object of body in Swedish, saying what was not found
 * and what state a record already is in when an action does not fit it. */
static void print_api_error(struct lots *l, const char *path, long status, const char *body)
{
    json_error_t jerr;
    json_t *doc = body ? json_loads(body, 0, &jerr) : NULL;
    json_t *e = json_object_get(doc, "error");
    const char *code = lots_js(e, "code"), *msg = lots_js(e, "message");
    char line[1024], kind[32], subject[128];
    path_subject(path, kind, sizeof kind, subject, sizeof subject);
    const char *action = strrchr(path, '/');
    if (code && strcmp(code, "not_found") == 0 && subject[0]) {
        snprintf(line, sizeof line, "Fel: %s finns inte", subject);
    } else if (code && strcmp(code, "password_too_short") == 0 && msg && strstr(msg, "at least ")) {
        snprintf(line, sizeof line, "Fel: lösenordet är för kort (minst %d tecken)",
                 atoi(strstr(msg, "at least ") + 9));
    } else if (code && strcmp(code, "invalid_transition") == 0 && subject[0] && action) {
        /* The record's present state, read back, says which "already" it is. */
        char rec[160], *saved = l->raw, sv[64];
        long saved_status = l->status;
        l->raw = NULL;
        snprintf(rec, sizeof rec, "%.*s", (int)(action - path), path);
        json_t *o = NULL;
        const char *st = NULL;
        if (call(l, "GET", rec, NULL, &o, CALL_AUTH_ONLY) == 0)
            st = lots_js(o, "status");
        const char *voc = strcmp(kind, "cases") == 0      ? "case_status"
                          : strcmp(kind, "handoffs") == 0 ? "handoff_status"
                                                          : "followup_status";
        snprintf(sv, sizeof sv, "%s", st ? lb_cli_label(voc, st) : "");
        /* The label's capital in lower case ("Avslutat", "Återtagen"). */
        if (sv[0] >= 'A' && sv[0] <= 'Z')
            sv[0] = (char)(sv[0] - 'A' + 'a');
        else if ((unsigned char)sv[0] == 0xc3 && (unsigned char)sv[1] >= 0x80 &&
                 (unsigned char)sv[1] < 0x9f)
            sv[1] = (char)(sv[1] + 0x20);
        if (st)
            snprintf(line, sizeof line, "Fel: %s är redan %s", subject, sv);
        else
            lb_cli_error_line(status, code, msg, lots_js(e, "field"), line, sizeof line);
        json_decref(o);
        free(l->raw);
        l->raw = saved;
        l->status = saved_status;
    } else {
        lb_cli_error_line(status, code, msg, lots_js(e, "field"), line, sizeof line);
    }
    fprintf(stderr, "%s\n", line);
    json_t *allowed = json_object_get(e, "allowed"), *v;
    size_t i;
    if (json_array_size(allowed) > 0) {
        fputs("Giltiga värden:", stderr);
        json_array_foreach(allowed, i, v)
        {
            fprintf(stderr, "%s %s", i ? "," : "",
                    json_string_value(v) ? json_string_value(v) : "");
        }
        fputc('\n', stderr);
    }
    json_t *existing = json_object_get(e, "existing_id");
    if (json_is_integer(existing))
        fprintf(stderr, "Befintlig post: id %lld\n", (long long)json_integer_value(existing));
    json_decref(doc);
}

/* A file sent as the body instead of JSON (lots_call_upload). */
struct file_body {
    const void *data;
    size_t len;
    const char *ctype;
    void (*progress)(void *arg, size_t sent, size_t total);
    void *arg;
};

static int call_any(struct lots *l, const char *method, const char *path, json_t *body,
                    const struct file_body *fb, json_t **out, int flags, const char *if_match)
{
    if (out)
        *out = NULL;
    free(l->raw);
    l->raw = NULL;
    l->status = 0;
    bool loud = flags & CALL_LOUD;
    if ((flags & CALL_AUTH) && !l->token) {
        if (loud)
            lots_error("inte inloggad (kör lots login)");
        return LB_CLI_EXIT_AUTH;
    }
    if (!l->http) {
        int rc = lb_http_client_new(l->server, (flags & CALL_AUTH) ? l->token : NULL, &l->http);
        if (rc != 0) {
            if (loud)
                lots_error("ogiltig serveradress eller token: %s", l->server);
            return rc == LB_ENOMEM ? LB_CLI_EXIT_SERVER : LB_CLI_EXIT_USAGE;
        }
    }
    char *text = NULL;
    if (body && !(text = json_dumps(body, JSON_COMPACT))) {
        if (loud)
            lots_error("slut på minne");
        return LB_CLI_EXIT_SERVER;
    }
    struct lb_http_response r = {0};
    int rc = fb ? lb_http_client_upload(l->http, method, path, fb->data, fb->len, fb->ctype,
                                        fb->progress, fb->arg, &r)
                : lb_http_client_request(l->http, method, path, text, NULL, if_match, &r);
    free(text);
    if (rc != 0) {
        if (loud) {
            if (rc == LB_EIO)
                lots_error("servern %s kan inte nås: %s", l->server,
                           unreachable_sv(lb_http_client_errmsg(l->http)));
            else
                lots_error("anropet misslyckades: %s", lb_strerror(rc));
        }
        return rc == LB_EIO      ? LB_CLI_EXIT_UNREACHABLE
               : rc == LB_EINVAL ? LB_CLI_EXIT_USAGE
                                 : LB_CLI_EXIT_SERVER;
    }
    l->status = r.status;
    l->raw = r.body;
    l->raw_len = r.body_len;
    r.body = NULL;
    lb_http_response_clear(&r);
    int code = lb_cli_exit_code(l->status);
    if (code != LB_CLI_EXIT_OK) {
        if (loud) {
            print_api_error(l, path, l->status, l->raw);
            if (l->json && l->raw && l->raw[0])
                lots_print_raw(l);
        }
        return code;
    }
    if (out && l->raw && l->raw[0]) {
        json_error_t jerr;
        *out = json_loads(l->raw, 0, &jerr);
        if (!*out) {
            if (loud)
                lots_error("servern svarade med ogiltig JSON: %s", jerr.text);
            return LB_CLI_EXIT_SERVER;
        }
    }
    return 0;
}

static int call(struct lots *l, const char *method, const char *path, json_t *body, json_t **out,
                int flags)
{
    return call_any(l, method, path, body, NULL, out, flags, NULL);
}

int lots_call_upload(struct lots *l, const char *path, const void *data, size_t len,
                     const char *ctype, void (*progress)(void *arg, size_t sent, size_t total),
                     void *arg, json_t **out)
{
    struct file_body fb = {data, len, ctype, progress, arg};
    return call_any(l, "POST", path, NULL, &fb, out, CALL_LOUD | CALL_AUTH, NULL);
}

int lots_call(struct lots *l, const char *method, const char *path, json_t *body, json_t **out)
{
    return call(l, method, path, body, out, CALL_LOUD | CALL_AUTH);
}

int lots_call_match(struct lots *l, const char *method, const char *path, json_t *body,
                    const char *if_match, json_t **out)
{
    return call_any(l, method, path, body, NULL, out, CALL_LOUD | CALL_AUTH, if_match);
}

int lots_call_quiet(struct lots *l, const char *method, const char *path, json_t *body,
                    json_t **out)
{
    return call(l, method, path, body, out, CALL_AUTH);
}

int lots_call_noauth(struct lots *l, const char *method, const char *path, json_t *body,
                     json_t **out)
{
    return call(l, method, path, body, out, CALL_LOUD);
}

int lots_page_args(const struct lots_cmd *cmd, const struct lb_cli_args *a, struct lots_url *u)
{
    const char *limit = lb_cli_get(a, "limit"), *after = lb_cli_get(a, "after");
    if (limit && (!lb_cli_is_id(limit) || strtol(limit, NULL, 10) > 500))
        return lots_usage_error(cmd, "--limit ska vara ett heltal 1–500, inte \"%s\"", limit);
    if (after && !lb_cli_is_id(after))
        return lots_usage_error(cmd, "--after ska vara ett id (ett tal), inte \"%s\"", after);
    lots_url_q(u, "limit", limit);
    lots_url_q(u, "after", after);
    return 0;
}

int lots_set_at(const struct lots_cmd *cmd, const struct lb_cli_args *a, json_t *body,
                const char *key)
{
    const char *at = lb_cli_get(a, "at");
    char rfc[32];
    if (!at)
        return 0;
    if (lb_cli_parse_at(at, lb_time_now(), rfc) != 0)
        return lots_usage_error(cmd,
                                "ogiltig tid för --at: \"%s\" (skriv t.ex. \"2026-12-03 10:00\", "
                                "\"10:00\" för i dag, eller 2026-12-03T10:00:00+01:00)",
                                at);
    json_object_set_new(body, key, json_string(rfc));
    return 0;
}

void lots_print_more(const json_t *list)
{
    json_t *next = json_object_get(list, "next");
    if (json_is_integer(next))
        fprintf(stderr, "Fler finns: lägg till --after %lld\n",
                (long long)json_integer_value(next));
    else if (json_is_string(next))
        fprintf(stderr, "Fler finns: lägg till --after %s\n", json_string_value(next));
}

void lots_print_raw(const struct lots *l)
{
    if (!l->raw)
        return;
    size_t n = strlen(l->raw);
    fwrite(l->raw, 1, n, stdout);
    if (n == 0 || l->raw[n - 1] != '\n')
        fputc('\n', stdout);
}

size_t lots_terminal_width(void)
{
    const char *cols = getenv("COLUMNS");
    if (cols && cols[0]) {
        long v = strtol(cols, NULL, 10);
        if (v >= 20 && v <= 1000)
            return (size_t)v;
    }
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

void lots_print_table(const struct lb_cli_table *t)
{
    char *out;
    if (lb_cli_table_render(t, lots_terminal_width(), &out) != 0) {
        lots_error("slut på minne");
        return;
    }
    fputs(out, stdout);
    free(out);
}

void lots_print_wrapped(size_t indent, const char *text, size_t width)
{
    if (!text || !text[0])
        return;
    size_t avail = width > indent + 20 ? width - indent : 20, col = 0;
    const char *p = text;
    while (*p) {
        if (*p == '\n') {
            if (col)
                putchar('\n');
            col = 0;
            p++;
            continue;
        }
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t n = strcspn(p, " \n");
        char word[1024];
        snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), p);
        size_t w = lb_cli_width(word);
        if (col && col + 1 + w > avail) {
            putchar('\n');
            col = 0;
        }
        if (col == 0)
            printf("%*s", (int)indent, "");
        else
            putchar(' ');
        fwrite(p, 1, n, stdout);
        col += (col ? 1 : 0) + w;
        p += n;
    }
    if (col)
        putchar('\n');
}

int lots_whoami_name(struct lots *l, char *buf, size_t len)
{
    json_t *me;
    int rc = lots_call(l, "GET", "/api/v1/me", NULL, &me);
    if (rc != 0)
        return rc;
    const char *name = lots_js(me, "username");
    snprintf(buf, len, "%s", name ? name : "");
    json_decref(me);
    return name ? 0 : LB_CLI_EXIT_SERVER;
}

/* --- URLs ----------------------------------------------------------------------- */

void lots_url_init(struct lots_url *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(u->buf, sizeof u->buf, fmt, ap);
    va_end(ap);
    u->has_query = strchr(u->buf, '?') != NULL;
    u->overflow = n < 0 || (size_t)n >= sizeof u->buf;
}

void lots_url_q(struct lots_url *u, const char *key, const char *value)
{
    if (!value)
        return;
    char *esc = lb_http_client_escape(value);
    if (!esc) {
        u->overflow = true;
        return;
    }
    size_t len = strlen(u->buf);
    int n =
        snprintf(u->buf + len, sizeof u->buf - len, "%c%s=%s", u->has_query ? '&' : '?', key, esc);
    free(esc);
    if (n < 0 || (size_t)n >= sizeof u->buf - len)
        u->overflow = true;
    u->has_query = true;
}

/* --- JSON --------------------------------------------------------------------------- */

const char *lots_js(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

long long lots_jint(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

const char *lots_jnum(const json_t *o, const char *key, char *buf, size_t len)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%.1f", json_real_value(v));
    else
        snprintf(buf, len, "%s", "");
    return buf;
}

/* --- references --------------------------------------------------------------------- */

int lots_company_id(struct lots *l, const char *arg, long long *id)
{
    char ref[24];
    switch (lb_cli_company_ref(arg, ref)) {
    case LB_CLI_REF_ID:
        *id = strtoll(ref, NULL, 10);
        return 0;
    case LB_CLI_REF_ORGNR: {
        struct lots_url u;
        lots_url_init(&u, "/api/v1/companies");
        lots_url_q(&u, "orgnr", ref);
        json_t *list;
        int rc = lots_call(l, "GET", u.buf, NULL, &list);
        if (rc != 0)
            return rc;
        json_t *first = json_array_get(json_object_get(list, "items"), 0);
        *id = lots_jint(first, "id");
        json_decref(list);
        if (*id <= 0) {
            char f[12];
            lb_orgnr_format(ref, f);
            lots_error("inget företag har organisationsnummer %s", f);
            return LB_CLI_EXIT_REJECTED;
        }
        return 0;
    }
    default:
        lots_error("ogiltigt organisationsnummer eller id: %s", arg);
        return LB_CLI_EXIT_REJECTED;
    }
}

int lots_case_segment(const char *arg, char *seg, size_t len)
{
    char ref[24];
    if (lb_cli_case_ref(arg, ref) == LB_CLI_REF_INVALID) {
        lots_error("ogiltigt ärende: %s (ange ärendenummer som L2026-0042 eller id)",
                   arg ? arg : "");
        return LB_CLI_EXIT_REJECTED;
    }
    snprintf(seg, len, "%s", ref);
    return 0;
}

/* --- name caches ----------------------------------------------------------------- */

static const char *cache_lookup(struct lots *l, struct lots_names *c, long long id, const char *fmt,
                                const char *field)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->id[i] == id)
            return c->name[i];
    if (c->n == sizeof c->id / sizeof c->id[0])
        return "";
    char path[128], fallback[32];
    snprintf(path, sizeof path, fmt, id);
    snprintf(fallback, sizeof fallback, "#%lld", id);
    json_t *o = NULL;
    const char *name = NULL;
    if (id > 0 && lots_call_quiet(l, "GET", path, NULL, &o) == 0)
        name = lots_js(o, field);
    char *copy = strdup(name ? name : fallback);
    json_decref(o);
    if (!copy)
        return "";
    c->id[c->n] = id;
    c->name[c->n] = copy;
    return c->name[c->n++];
}

const char *lots_company_name(struct lots *l, struct lots_names *c, long long id)
{
    return cache_lookup(l, c, id, "/api/v1/companies/%lld", "name");
}

const char *lots_case_number(struct lots *l, struct lots_names *c, long long id)
{
    return cache_lookup(l, c, id, "/api/v1/cases/%lld", "number");
}

void lots_names_free(struct lots_names *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->name[i]);
    c->n = 0;
}

/* --- terminal input --------------------------------------------------------------- */

int lots_read_line(const char *prompt, bool secret, char *buf, size_t len)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    bool restore = false;
    if (tty) {
        /* Echo goes off before the prompt appears, so nothing typed after the
         * prompt is echoed; TCSANOW keeps what was typed ahead. */
        if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            quiet.c_lflag |= ECHONL;
            restore = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
        }
        fputs(prompt, stderr);
        fflush(stderr);
    }
    char *got = fgets(buf, (int)len, stdin);
    if (restore)
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
    if (!got)
        return LB_EIO;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

int lots_read_password_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return LB_EIO;
    char *got = fgets(buf, (int)len, f);
    fclose(f);
    if (!got)
        return LB_EIO;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}
