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

/* Prints the API's error object of body in Swedish. */
static void print_api_error(long status, const char *body)
{
    json_error_t jerr;
    json_t *doc = body ? json_loads(body, 0, &jerr) : NULL;
    json_t *e = json_object_get(doc, "error");
    char line[1024];
    lb_cli_error_line(status, lots_js(e, "code"), lots_js(e, "message"), lots_js(e, "field"), line,
                      sizeof line);
    fprintf(stderr, "%s\n", line);
    json_t *existing = json_object_get(e, "existing_id");
    if (json_is_integer(existing))
        fprintf(stderr, "Befintlig post: id %lld\n", (long long)json_integer_value(existing));
    json_decref(doc);
}

enum { CALL_LOUD = 1, CALL_AUTH = 2 };

/* A file sent as the body instead of JSON (lots_call_upload). */
struct file_body {
    const void *data;
    size_t len;
    const char *ctype;
    void (*progress)(void *arg, size_t sent, size_t total);
    void *arg;
};

static int call_any(struct lots *l, const char *method, const char *path, json_t *body,
                    const struct file_body *fb, json_t **out, int flags)
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
                : lb_http_client_request(l->http, method, path, text, NULL, NULL, &r);
    free(text);
    if (rc != 0) {
        if (loud) {
            if (rc == LB_EIO)
                lots_error("servern %s kan inte nås: %s", l->server,
                           lb_http_client_errmsg(l->http));
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
            print_api_error(l->status, l->raw);
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
    return call_any(l, method, path, body, NULL, out, flags);
}

int lots_call_upload(struct lots *l, const char *path, const void *data, size_t len,
                     const char *ctype, void (*progress)(void *arg, size_t sent, size_t total),
                     void *arg, json_t **out)
{
    struct file_body fb = {data, len, ctype, progress, arg};
    return call_any(l, "POST", path, NULL, &fb, out, CALL_LOUD | CALL_AUTH);
}

int lots_call(struct lots *l, const char *method, const char *path, json_t *body, json_t **out)
{
    return call(l, method, path, body, out, CALL_LOUD | CALL_AUTH);
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

void lots_print_raw(const struct lots *l)
{
    if (!l->raw)
        return;
    size_t n = strlen(l->raw);
    fwrite(l->raw, 1, n, stdout);
    if (n == 0 || l->raw[n - 1] != '\n')
        fputc('\n', stdout);
}

static size_t terminal_width(void)
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
    if (lb_cli_table_render(t, terminal_width(), &out) != 0) {
        lots_error("slut på minne");
        return;
    }
    fputs(out, stdout);
    free(out);
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
