/* test_http_client.c: the libcurl client against a tiny real HTTP server.
 *
 * The server is a thread with a blocking loopback socket: it accepts connections,
 * reads whole requests (headers, then Content-Length bytes of body), records method,
 * target, headers and body, and answers each with the next canned response. It serves
 * a fixed number of requests and counts the connections it accepted, so keep-alive is
 * observable. A "silent" server reads the request and never answers (timeouts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lotsbok/error.h"
#include "lotsbok/http_client.h"

#define MAX_REQ 4
#define HEAD_MAX 16384

struct recorded {
    char method[16];
    char target[2048];
    char head[HEAD_MAX]; /* the header lines, "\r\n"-separated, after the request line */
    char *body;
    size_t body_len;
};

struct server {
    int fd;
    int port;
    int nreq;                       /* requests to serve before the thread ends */
    const char *responses[MAX_REQ]; /* whole HTTP responses, one per request */
    int silent;                     /* read requests but never answer */
    pthread_t thread;
    /* recorded by the thread; read after pthread_join */
    int accepts;
    int served;
    struct recorded req[MAX_REQ];
};

/* Reads one request from fd into r; 1 when one was read, 0 on EOF or error. buf (HEAD_MAX
 * bytes) holds *have bytes already read, which may include the start of the next request;
 * those are kept for the next call. */
static int read_request(int fd, struct recorded *r, char *buf, size_t *have)
{
    char *end;
    for (;;) {
        buf[*have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end != NULL)
            break;
        if (*have >= HEAD_MAX - 1)
            return 0;
        ssize_t n = recv(fd, buf + *have, HEAD_MAX - 1 - *have, 0);
        if (n <= 0)
            return 0;
        *have += (size_t)n;
    }
    size_t head_len = (size_t)(end - buf) + 4;
    char *line_end = strstr(buf, "\r\n");
    if (sscanf(buf, "%15s %2047s", r->method, r->target) != 2)
        return 0;
    size_t hl = (size_t)(end - (line_end + 2));
    memcpy(r->head, line_end + 2, hl);
    r->head[hl] = '\0';

    size_t clen = 0;
    for (char *p = r->head; p != NULL && *p != '\0';) {
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            clen = strtoul(p + 15, NULL, 10);
        p = strstr(p, "\r\n");
        if (p != NULL)
            p += 2;
    }
    r->body = calloc(1, clen + 1);
    if (r->body == NULL)
        return 0;
    size_t got = *have - head_len < clen ? *have - head_len : clen;
    memcpy(r->body, buf + head_len, got);
    while (got < clen) {
        ssize_t n = recv(fd, r->body + got, clen - got, 0);
        if (n <= 0)
            return 0;
        got += (size_t)n;
    }
    r->body_len = clen;
    size_t used = head_len + (*have - head_len < clen ? *have - head_len : clen);
    memmove(buf, buf + used, *have - used);
    *have -= used;
    return 1;
}

static int send_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *server_main(void *arg)
{
    struct server *s = arg;
    char *buf = malloc(HEAD_MAX);
    if (buf == NULL)
        return NULL;
    while (s->served < s->nreq) {
        int cfd = accept(s->fd, NULL, NULL);
        if (cfd < 0)
            break;
        s->accepts++;
        struct timeval tv = {.tv_sec = 5};
        setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        size_t have = 0;
        while (s->served < s->nreq && read_request(cfd, &s->req[s->served], buf, &have)) {
            int i = s->served++;
            if (s->silent) {
                /* Wait for the client to give up and close. */
                char c;
                while (recv(cfd, &c, 1, 0) > 0) {
                }
                break;
            }
            if (send_all(cfd, s->responses[i], strlen(s->responses[i])) != 0)
                break;
        }
        close(cfd);
    }
    free(buf);
    return NULL;
}

/* A loopback socket bound to an ephemeral port; listening unless `listen_too` is 0 (a
 * bound socket that does not listen refuses connections, and holds the port). */
static int loopback_socket(int listen_too, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    if (listen_too)
        assert_int_equal(listen(fd, 8), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void server_start(struct server *s)
{
    s->fd = loopback_socket(1, &s->port);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
    /* Unblocks accept() when the client made fewer requests than expected. */
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->fd);
}

/* Frees the recorded bodies, once the test has looked at them. */
static void server_forget(struct server *s)
{
    for (int i = 0; i < MAX_REQ; i++)
        free(s->req[i].body);
}

/* The value of header `name` in a recorded request, or NULL; in a static buffer. */
static const char *req_header(const struct recorded *r, const char *name)
{
    static char value[1024];
    size_t n = strlen(name);
    for (const char *p = r->head; p != NULL && *p != '\0';) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
        if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            size_t vl = len - (size_t)(v - p);
            if (vl >= sizeof value)
                vl = sizeof value - 1;
            memcpy(value, v, vl);
            value[vl] = '\0';
            return value;
        }
        p = eol != NULL ? eol + 2 : NULL;
    }
    return NULL;
}

static char *base_url(int port, const char *prefix)
{
    static char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, prefix);
    return url;
}

static void test_post_sends_headers_and_body(void **state)
{
    (void)state;
    struct server s = {.nreq = 1};
    s.responses[0] = "HTTP/1.1 201 Created\r\n"
                     "Location: /api/v1/cases/7\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: 24\r\n"
                     "\r\n"
                     "{\"id\":7,\"number\":\"L1\"}\n\n";
    server_start(&s);

    lb_http_client *c;
    assert_int_equal(lb_http_client_new(base_url(s.port, ""), "tok-123_ABC", &c), 0);
    const char *body = "{\"subject\":\"Bygglov för Mälarbageriet\",\"category\":\"permit\"}";
    struct lb_http_response res;
    int rc =
        lb_http_client_request(c, "POST", "/api/v1/cases?x=1&y=a%20b", body, "idem-42", "3", &res);
    lb_http_client_free(c);
    server_stop(&s);

    assert_int_equal(rc, 0);
    assert_int_equal(res.status, 201);
    assert_int_equal(res.body_len, 24);
    assert_string_equal(res.body, "{\"id\":7,\"number\":\"L1\"}\n\n");
    assert_non_null(res.location);
    assert_string_equal(res.location, "/api/v1/cases/7");
    assert_int_equal(res.retry_after, -1);
    lb_http_response_clear(&res);
    assert_null(res.body);
    lb_http_response_clear(&res); /* twice is harmless */

    assert_int_equal(s.accepts, 1);
    const struct recorded *r = &s.req[0];
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->target, "/api/v1/cases?x=1&y=a%20b");
    assert_string_equal(req_header(r, "Authorization"), "Bearer tok-123_ABC");
    assert_string_equal(req_header(r, "Idempotency-Key"), "idem-42");
    assert_string_equal(req_header(r, "If-Match"), "3");
    assert_string_equal(req_header(r, "Content-Type"), "application/json");
    assert_string_equal(req_header(r, "Accept"), "application/json");
    assert_null(req_header(r, "Expect"));
    assert_int_equal(r->body_len, strlen(body));
    assert_memory_equal(r->body, body, strlen(body));
    server_forget(&s);
}

static void test_keepalive_methods_and_status(void **state)
{
    (void)state;
    /* A 200 KiB body exercises the buffer growth. */
    enum { BIG = 200 * 1024 };
    char *big = malloc(BIG + 200);
    assert_non_null(big);
    int hl = snprintf(big, 200, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG);
    memset(big + hl, 'x', BIG);
    big[hl + BIG] = '\0';

    struct server s = {.nreq = 4};
    s.responses[0] = big;
    s.responses[1] = "HTTP/1.1 409 Conflict\r\nContent-Length: 34\r\n\r\n"
                     "{\"error\":{\"code\":\"invalid_state\"}}";
    s.responses[2] = "HTTP/1.1 204 No Content\r\n\r\n";
    s.responses[3] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\n"
                     "Content-Length: 0\r\n\r\n";
    server_start(&s);

    lb_http_client *c;
    struct lb_http_response res[4];
    int rc[4];
    assert_int_equal(lb_http_client_new(base_url(s.port, ""), NULL, &c), 0);
    rc[0] = lb_http_client_request(c, "GET", "/api/v1/cases", NULL, NULL, NULL, &res[0]);
    rc[1] = lb_http_client_request(c, "POST", "/api/v1/cases/1/reopen", NULL, NULL, NULL, &res[1]);
    rc[2] =
        lb_http_client_request(c, "DELETE", "/api/v1/sessions/current", NULL, NULL, NULL, &res[2]);
    rc[3] = lb_http_client_request(c, "PATCH", "/api/v1/cases/1", "{}", NULL, "\"2\"", &res[3]);
    lb_http_client_free(c);
    server_stop(&s);
    free(big);

    for (int i = 0; i < 4; i++)
        assert_int_equal(rc[i], 0);
    /* One connection for all four requests: the handle was reused. */
    assert_int_equal(s.accepts, 1);

    assert_int_equal(res[0].status, 200);
    assert_int_equal(res[0].body_len, BIG);
    assert_int_equal(strlen(res[0].body), BIG);
    assert_int_equal(res[0].body[BIG - 1], 'x');
    assert_string_equal(s.req[0].method, "GET");
    assert_null(req_header(&s.req[0], "Authorization")); /* no token, no header */
    assert_null(req_header(&s.req[0], "Content-Type"));
    assert_null(req_header(&s.req[0], "Idempotency-Key"));
    assert_null(req_header(&s.req[0], "If-Match"));
    assert_int_equal(s.req[0].body_len, 0);

    /* An error status is an answer, not a failure. */
    assert_int_equal(res[1].status, 409);
    assert_non_null(strstr(res[1].body, "invalid_state"));
    assert_null(res[1].location);
    assert_string_equal(s.req[1].method, "POST");
    assert_string_equal(req_header(&s.req[1], "Content-Length"), "0");
    assert_null(req_header(&s.req[1], "Content-Type"));

    assert_int_equal(res[2].status, 204);
    assert_non_null(res[2].body);
    assert_int_equal(res[2].body_len, 0);
    assert_string_equal(res[2].body, "");
    assert_string_equal(s.req[2].method, "DELETE");
    assert_string_equal(s.req[2].target, "/api/v1/sessions/current");

    assert_int_equal(res[3].status, 503);
    assert_int_equal(res[3].retry_after, 7);
    assert_string_equal(s.req[3].method, "PATCH");
    assert_string_equal(req_header(&s.req[3], "If-Match"), "\"2\"");
    assert_string_equal(s.req[3].body, "{}");
    /* The previous request's If-Match did not stick to the handle, nor this one's body
     * to the request before it. */
    assert_null(req_header(&s.req[2], "If-Match"));

    for (int i = 0; i < 4; i++)
        lb_http_response_clear(&res[i]);
    server_forget(&s);
}

static void test_base_prefix_and_escape(void **state)
{
    (void)state;
    char *q = lb_http_client_escape("Mälar & Co/AB?=#");
    assert_non_null(q);
    assert_string_equal(q, "M%C3%A4lar%20%26%20Co%2FAB%3F%3D%23");
    char *plain = lb_http_client_escape("5560360793");
    assert_string_equal(plain, "5560360793");
    free(plain);
    assert_null(lb_http_client_escape(NULL));

    struct server s = {.nreq = 1};
    s.responses[0] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    server_start(&s);
    char path[256];
    snprintf(path, sizeof path, "/api/v1/companies?q=%s&limit=5", q);
    free(q);
    lb_http_client *c;
    struct lb_http_response res;
    /* A base with a path prefix, a trailing slash and a query of its own (dropped). */
    assert_int_equal(lb_http_client_new(base_url(s.port, "/lotsbok/?junk=1"), "t", &c), 0);
    int rc = lb_http_client_request(c, "GET", path, NULL, NULL, NULL, &res);
    lb_http_client_free(c);
    server_stop(&s);
    assert_int_equal(rc, 0);
    assert_int_equal(res.status, 200);
    /* libcurl's URL API may lower-case the hex digits of escapes; both cases are the same
     * octets (RFC 3986, 2.1). */
    assert_int_equal(strcasecmp(s.req[0].target, "/lotsbok/api/v1/companies?"
                                                 "q=M%C3%A4lar%20%26%20Co%2FAB%3F%3D%23&limit=5"),
                     0);
    assert_int_equal(strncmp(s.req[0].target, "/lotsbok/api/v1/companies?q=M%", 30), 0);
    lb_http_response_clear(&res);
    server_forget(&s);
}

static void test_refused_is_eio(void **state)
{
    (void)state;
    int port;
    int fd = loopback_socket(0, &port); /* bound, not listening: connections are refused */
    lb_http_client *c;
    struct lb_http_response res;
    assert_int_equal(lb_http_client_new(base_url(port, ""), "t", &c), 0);
    assert_string_equal(lb_http_client_errmsg(c), "");
    int rc = lb_http_client_request(c, "GET", "/healthz", NULL, NULL, NULL, &res);
    assert_int_equal(rc, LB_EIO);
    assert_null(res.body);
    assert_int_equal(res.status, 0);
    assert_true(strlen(lb_http_client_errmsg(c)) > 0);
    lb_http_response_clear(&res);
    lb_http_client_free(c);
    close(fd);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_timeout_is_eio(void **state)
{
    (void)state;
    struct server s = {.nreq = 1, .silent = 1};
    server_start(&s);
    lb_http_client *c;
    struct lb_http_response res;
    assert_int_equal(lb_http_client_new(base_url(s.port, ""), "t", &c), 0);
    assert_int_equal(lb_http_client_set_timeouts(c, 1000, 300), 0);
    double t0 = seconds_now();
    int rc = lb_http_client_request(c, "POST", "/api/v1/followups", "{}", "k", NULL, &res);
    double dt = seconds_now() - t0;
    lb_http_client_free(c); /* closes the connection: the silent server's recv ends */
    server_stop(&s);
    assert_int_equal(rc, LB_EIO);
    assert_true(dt >= 0.25 && dt < 3.0);
    assert_int_equal(s.served, 1); /* the request did arrive; only the answer never came */
    assert_string_equal(s.req[0].body, "{}");
    server_forget(&s);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    lb_http_client *c = NULL;
    assert_int_equal(lb_http_client_new("ftp://127.0.0.1/", NULL, &c), LB_EINVAL);
    assert_int_equal(lb_http_client_new("not a url", NULL, &c), LB_EINVAL);
    assert_int_equal(lb_http_client_new("http://127.0.0.1:1", "a\r\nX-Evil: 1", &c), LB_EINVAL);
    assert_int_equal(lb_http_client_new("http://127.0.0.1:1", "a b", &c), LB_EINVAL);
    assert_int_equal(lb_http_client_new("http://127.0.0.1:1", "", &c), LB_EINVAL);
    assert_int_equal(lb_http_client_new(NULL, NULL, &c), LB_EINVAL);
    assert_null(c);

    assert_int_equal(lb_http_client_new("http://127.0.0.1:1", "t", &c), 0);
    assert_int_equal(lb_http_client_set_timeouts(c, 0, 100), LB_EINVAL);
    assert_int_equal(lb_http_client_set_timeouts(c, 100, -1), LB_EINVAL);
    struct lb_http_response res;
    /* All rejected before anything is sent (port 1 would refuse: LB_EIO, not LB_EINVAL). */
    assert_int_equal(lb_http_client_request(c, "TRACE", "/x", NULL, NULL, NULL, &res), LB_EINVAL);
    assert_int_equal(lb_http_client_request(c, "get", "/x", NULL, NULL, NULL, &res), LB_EINVAL);
    assert_int_equal(lb_http_client_request(c, "GET", "x", NULL, NULL, NULL, &res), LB_EINVAL);
    assert_int_equal(lb_http_client_request(c, "GET", "/a b", NULL, NULL, NULL, &res), LB_EINVAL);
    assert_int_equal(lb_http_client_request(c, "GET", "/a#b", NULL, NULL, NULL, &res), LB_EINVAL);
    assert_int_equal(lb_http_client_request(c, "POST", "/x", "{}", "k\r\nX-Evil: 1", NULL, &res),
                     LB_EINVAL);
    assert_int_equal(lb_http_client_request(c, "PATCH", "/x", "{}", NULL, "1\n", &res), LB_EINVAL);
    assert_null(res.body);
    lb_http_client_free(c);
    lb_http_client_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_sends_headers_and_body),
        cmocka_unit_test(test_keepalive_methods_and_status),
        cmocka_unit_test(test_base_prefix_and_escape),
        cmocka_unit_test(test_refused_is_eio),
        cmocka_unit_test(test_timeout_is_eio),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
