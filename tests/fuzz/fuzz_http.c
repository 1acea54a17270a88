/* fuzz_http.c: libFuzzer target for lotsd's whole request path: the HTTP
 * server (core/net/http_server.c, http_parser), the router and authentication
 * (core/api/api.c, core/api/auth.c), JSON validation and every handler, down to a
 * real LMDB environment (core/store*.c).
 *
 * The seam is the one lotsd itself uses: the server listens on 127.0.0.1
 * port 0 with the API as its handler, and each input is written by a plain
 * client socket in this process, which then shuts down its side and reads
 * until the server closes. The loop runs in between (uv_run NOWAIT, with
 * poll on the loop's backend fd and the client), so nothing is simulated:
 * parsing, pipelining, the group commit and the answers are the production
 * code's. A request that never gets an answer shows as a libFuzzer timeout.
 *
 * The store is created once per process in a temporary directory (no sync,
 * removed at exit), with one session for each role. In the input, "$A",
 * "$L", "$H", "$V" and "$S" are replaced with the admin's, a lots', a
 * bygglov handler's, a viewer's and the worker's token, so that the fuzzer
 * reaches the authenticated routes; setup requests create a company, a case
 * with a hand-off and a contact, so ids 1 exist.
 *
 * Checked besides "no crash, no leak, no undefined behaviour": every answer
 * starts with "HTTP/1.1 ", and none is a 500 (an unmapped error is a bug). */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "lotsbok/api.h"
#include "lotsbok/auth.h"
#include "lotsbok/error.h"
#include "lotsbok/http_server.h"
#include "lotsbok/store.h"
#include "lotsbok/timeutil.h"

#define FUZZ_MAX_INPUT (256 * 1024)

static uv_loop_t *loop;
static lb_store *store;
static lb_api *api;
static lb_http_server *server;
static int port;
static char tmpdir[64];

/* role letter -> token text */
static const char roles[] = "ALHVST";
/* The five roles' sessions, and "$T": the public survey token of the
 * follow-up the setup mails (issued through the worker's route). */
static char tokens[6][LB_TOKEN_LEN + 1];

static void die(const char *what, int rc)
{
    fprintf(stderr, "fuzz_http: %s (%d)\n", what, rc);
    abort();
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    if (tmpdir[0])
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct setup_arg {
    char hash[256];
    uint8_t token_hash[5][32];
};

/* Users and sessions of every role, in one transaction. */
static int op_setup(lb_txn *t, void *p)
{
    struct setup_arg *a = p;
    static const char *const names[] = {"fuzzadmin", "lotsa", "handb", "viewv", "worker"};
    static const enum lb_role role_of[] = {LB_ROLE_ADMIN, LB_ROLE_LOTS, LB_ROLE_HANDLER,
                                           LB_ROLE_VIEWER, LB_ROLE_SERVICE};
    char *units[] = {"bygglov"};
    lb_time now = lb_time_now();
    struct lb_ctx ctx = {.actor = "fuzzadmin", .now = now};
    for (int i = 0; i < 5; i++) {
        struct lb_user u = {.username = (char *)names[i],
                            .password_hash = a->hash,
                            .role = role_of[i],
                            .password_changed_at = now};
        if (role_of[i] == LB_ROLE_HANDLER) {
            u.units = units;
            u.nunits = 1;
        }
        int rc = lb_user_create(t, &ctx, &u);
        if (rc != 0)
            return rc;
        struct lb_session s = {.username = (char *)names[i],
                               .created_at = now,
                               .expires_at = now + LB_SERVICE_SESSION_MS};
        memcpy(s.token_hash, a->token_hash[i], 32);
        if ((rc = lb_session_put(t, &s)) != 0)
            return rc;
    }
    return 0;
}

/* Replaces "$A" etc. with the tokens; returns a malloc'd buffer. */
static char *expand(const uint8_t *data, size_t size, size_t *outlen)
{
    size_t cap = size + 1, n = 0;
    for (size_t i = 0; i + 1 < size; i++)
        if (data[i] == '$' && strchr(roles, data[i + 1]) && data[i + 1])
            cap += LB_TOKEN_LEN;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (size_t i = 0; i < size; i++) {
        const char *r =
            i + 1 < size && data[i] == '$' && data[i + 1] ? strchr(roles, data[i + 1]) : NULL;
        if (r) {
            memcpy(out + n, tokens[r - roles], LB_TOKEN_LEN);
            n += LB_TOKEN_LEN;
            i++;
        } else {
            out[n++] = (char)data[i];
        }
    }
    *outlen = n;
    return out;
}

/* Checks the answers, walked by Content-Length (so bodies are skipped):
 * each begins with a status line and none is a 500. */
static void check_answers(const char *buf, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        const char *a = buf + pos;
        size_t left = len - pos;
        if (left < 12 || memcmp(a, "HTTP/1.1 ", 9) != 0) {
            fprintf(stderr, "fuzz_http: an answer without a status line: %.*s\n",
                    (int)(left < 200 ? left : 200), a);
            abort();
        }
        if (memcmp(a + 9, "500", 3) == 0) {
            fprintf(stderr, "fuzz_http: a 500 answer: %.*s\n", (int)(left < 600 ? left : 600), a);
            abort();
        }
        const char *end = memmem(a, left, "\r\n\r\n", 4);
        if (!end)
            return; /* cut short by a reset: nothing more to check */
        size_t body = 0;
        for (const char *p = a; p < end; p++)
            if ((p == a || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0)
                body = strtoul(p + 15, NULL, 10);
        pos = (size_t)(end - buf) + 4 + body;
    }
}

/* Sends data on a fresh connection, half-closes, and runs the loop until the
 * server has closed the connection. Returns the answers (malloc'd). */
static char *exchange(const char *data, size_t len, size_t *outlen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket", errno);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS)
        die("connect", errno);
    size_t sent = 0, got = 0, cap = 4096;
    bool shut = false, closed = false;
    char *resp = malloc(cap);
    if (!resp)
        die("out of memory", 0);
    while (!closed || lb_http_server_connections(server) > 0) {
        struct pollfd pf[2] = {{.fd = uv_backend_fd(loop), .events = POLLIN},
                               {.fd = fd, .events = POLLIN | (shut ? 0 : POLLOUT)}};
        int timeout = uv_backend_timeout(loop);
        if (timeout < 0 || timeout > 10)
            timeout = 10;
        (void)poll(pf, closed ? 1 : 2, timeout);
        uv_run(loop, UV_RUN_NOWAIT);
        if (!shut) {
            ssize_t n = send(fd, data + sent, len - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != ENOTCONN)
                sent = len; /* the server has gone away: stop sending */
            if (sent == len) {
                (void)shutdown(fd, SHUT_WR);
                shut = true;
            }
        }
        while (!closed) {
            if (cap - got < 4096) {
                cap *= 2;
                char *p = realloc(resp, cap);
                if (!p)
                    die("out of memory", 0);
                resp = p;
            }
            ssize_t n = recv(fd, resp + got, cap - got, 0);
            if (n > 0)
                got += (size_t)n;
            else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                closed = true;
            else
                break;
        }
    }
    /* The connection's close callbacks. */
    uv_run(loop, UV_RUN_NOWAIT);
    close(fd);
    *outlen = got;
    return resp;
}

static void request(const char *text)
{
    size_t len;
    char *in = expand((const uint8_t *)text, strlen(text), &len);
    if (!in)
        die("out of memory", 0);
    size_t got;
    char *out = exchange(in, len, &got);
    check_answers(out, got);
    if (got < 12 || (out[9] != '2')) {
        fprintf(stderr, "fuzz_http: setup request failed: %s\n%.*s\n", text, (int)got, out);
        abort();
    }
    free(in);
    free(out);
}

static void post(const char *path, const char *tok, const char *body)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $%s\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             path, tok, strlen(body), body);
    request(buf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    signal(SIGPIPE, SIG_IGN);
    setenv("LOTSBOK_PWHASH_FAST", "1", 1);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lb-fuzz-http-XXXXXX");
    if (!mkdtemp(tmpdir))
        die("mkdtemp", errno);
    atexit(cleanup);
    char data[128];
    snprintf(data, sizeof data, "%s/data", tmpdir);
    int rc;
    if ((rc = lb_auth_init()) != 0)
        die("lb_auth_init", rc);
    struct lb_store_config scfg = {.no_sync = true};
    if ((rc = lb_store_create(data, &scfg, &store)) != 0)
        die("lb_store_create", rc);
    struct setup_arg a;
    if ((rc = lb_password_hash("fuzz-password-1", a.hash, sizeof a.hash)) != 0)
        die("lb_password_hash", rc);
    for (int i = 0; i < 5; i++)
        if ((rc = lb_token_new(tokens[i], a.token_hash[i])) != 0)
            die("lb_token_new", rc);
    if ((rc = lb_store_run(store, op_setup, &a)) != 0)
        die("setup", rc);

    loop = uv_default_loop();
    struct lb_api_config acfg = {.store = store};
    lb_units_default(&acfg.units);
    if ((rc = lb_api_new(loop, &acfg, &api)) != 0)
        die("lb_api_new", rc);
    struct lb_http_config hcfg;
    lb_http_config_default(&hcfg);
    hcfg.request_timeout_ms = 2000;
    if ((rc = lb_http_server_start(loop, "127.0.0.1:0", &hcfg, lb_api_handle, api, &server)) != 0)
        die("lb_http_server_start", rc);
    lb_api_set_server(api, server);
    port = lb_http_server_port(server);

    post("/api/v1/companies", "L", "{\"orgnr\":\"5560360793\",\"name\":\"Fuzzbolaget AB\"}");
    post("/api/v1/cases", "L", "{\"company_id\":1,\"subject\":\"Lager\",\"category\":\"permit\"}");
    post("/api/v1/cases/1/handoffs", "L", "{\"unit\":\"bygglov\",\"note\":\"Bygglov\"}");
    post("/api/v1/cases/1/contacts", "L",
         "{\"channel\":\"phone\",\"direction\":\"inbound\",\"summary\":\"Ringde\"}");
    post("/api/v1/improvements", "A", "{\"title\":\"Snabbare svar\",\"status\":\"identified\"}");
    /* A surveyed follow-up (company 2, case 2) whose token is "$T". */
    uint8_t th[32];
    char hex[65], body[512];
    if ((rc = lb_token_new(tokens[5], th)) != 0)
        die("lb_token_new", rc);
    sodium_bin2hex(hex, sizeof hex, th, sizeof th);
    post("/api/v1/companies", "L",
         "{\"orgnr\":\"5565750196\",\"name\":\"Enkätbolaget AB\",\"contacts\":[{\"name\":\"Eva\","
         "\"email\":\"eva@example.se\"}]}");
    post("/api/v1/cases", "L", "{\"company_id\":2,\"subject\":\"Kiosk\",\"category\":\"permit\"}");
    post("/api/v1/cases/2/close", "L", "{\"outcome\":\"resolved\"}");
    post("/api/v1/followups", "S",
         "{\"company_id\":2,\"due\":\"2026-04-15\",\"assignee\":\"lotsa\",\"items\":[{\"kind\":"
         "\"lots\",\"case_id\":2}]}");
    snprintf(body, sizeof body,
             "{\"items\":[{\"followup_id\":1,\"reminder\":0,\"token_hash\":\"%s\","
             "\"call_from\":\"2099-01-01\"}]}",
             hex);
    post("/api/v1/surveys/issue", "S", body);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    size_t len;
    char *in = expand(data, size, &len);
    if (!in)
        return 0;
    size_t got;
    char *out = exchange(in, len, &got);
    check_answers(out, got);
    free(out);
    free(in);
    return 0;
}
