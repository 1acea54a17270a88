/* test_http_server.c: the HTTP server against real sockets.
 *
 * Each test starts a server on 127.0.0.1 port 0 with its own loop, run in a
 * second thread; the test talks to it with plain blocking sockets. Requests
 * to the loop thread (stop, read a counter) go through a uv_async. The test
 * handler answers by path:
 *   /echo    "METHOD PATH QUERY BODYLEN:BODY"
 *   /defer   the same as /echo, but after ms= milliseconds, from a uv_timer
 *   /big     65,536 bytes starting with "i=N;" (N from the query)
 *   /        {"status":"ok"} */
#define _GNU_SOURCE /* strcasestr */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>

#include "lotsbok/http_server.h"

#define BIG_BODY 65536

enum { CMD_NONE, CMD_PROBE, CMD_STOP };

struct fixture {
    uv_loop_t loop;
    uv_async_t async;
    lb_http_server *srv;
    pthread_t thread;
    int port;
    atomic_int cmd;
    sem_t probed;
    atomic_size_t probe_pending;
    atomic_uint probe_conns;
    atomic_int handled; /* requests that reached the handler */
    atomic_int stopped; /* done callback ran */
    char *big;          /* the /big body, written in the loop thread */
};

struct deferred {
    uv_timer_t timer;
    lb_http_req *req;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void echo(lb_http_req *req)
{
    char head[512];
    int n = snprintf(head, sizeof(head), "%s %s %s %zu:", req->method_name, req->path,
                     req->query ? req->query : "-", req->body_len);
    size_t total = (size_t)n + req->body_len;
    char *out = malloc(total);
    assert_non_null(out);
    memcpy(out, head, (size_t)n);
    memcpy(out + n, req->body, req->body_len);
    lb_http_respond(req, 200, "text/plain", "X-Extra: 1\r\n", out, total);
    free(out);
}

static void deferred_close_cb(uv_handle_t *h)
{
    free(h->data);
}

static void deferred_cb(uv_timer_t *t)
{
    struct deferred *d = t->data;
    echo(d->req);
    uv_close((uv_handle_t *)t, deferred_close_cb);
}

static void handler(lb_http_req *req, void *arg)
{
    struct fixture *f = arg;
    atomic_fetch_add(&f->handled, 1);
    if (strcmp(req->path, "/echo") == 0) {
        echo(req);
    } else if (strcmp(req->path, "/defer") == 0) {
        struct deferred *d = calloc(1, sizeof(*d));
        assert_non_null(d);
        d->req = req;
        unsigned ms = 100;
        const char *q = req->query ? strstr(req->query, "ms=") : NULL;
        if (q)
            ms = (unsigned)atoi(q + 3);
        assert_int_equal(uv_timer_init(&f->loop, &d->timer), 0);
        d->timer.data = d;
        assert_int_equal(uv_timer_start(&d->timer, deferred_cb, ms, 0), 0);
    } else if (strcmp(req->path, "/big") == 0) {
        int i = req->query && strncmp(req->query, "i=", 2) == 0 ? atoi(req->query + 2) : -1;
        int n = snprintf(f->big, 32, "i=%d;", i);
        f->big[n] = 'x';
        lb_http_respond(req, 200, "text/plain", NULL, f->big, BIG_BODY);
    } else {
        static const char ok[] = "{\"status\":\"ok\"}";
        lb_http_respond(req, 200, "application/json", NULL, ok, sizeof(ok) - 1);
    }
}

static void done_cb(void *arg)
{
    struct fixture *f = arg;
    atomic_store(&f->stopped, 1);
    uv_close((uv_handle_t *)&f->async, NULL);
}

static void async_cb(uv_async_t *a)
{
    struct fixture *f = a->data;
    int cmd = atomic_exchange(&f->cmd, CMD_NONE);
    if (cmd == CMD_PROBE) {
        atomic_store(&f->probe_pending, lb_http_server_pending_write(f->srv));
        atomic_store(&f->probe_conns, lb_http_server_connections(f->srv));
        sem_post(&f->probed);
    } else if (cmd == CMD_STOP) {
        lb_http_server_stop(f->srv, done_cb, f);
    }
}

static void *loop_thread(void *arg)
{
    struct fixture *f = arg;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    return NULL;
}

static struct fixture *fixture_start(const struct lb_http_config *cfg)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->big = malloc(BIG_BODY);
    assert_non_null(f->big);
    memset(f->big, 'x', BIG_BODY);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(uv_async_init(&f->loop, &f->async, async_cb), 0);
    f->async.data = f;
    assert_int_equal(sem_init(&f->probed, 0, 0), 0);
    assert_int_equal(lb_http_server_start(&f->loop, "127.0.0.1:0", cfg, handler, f, &f->srv), 0);
    f->port = lb_http_server_port(f->srv);
    assert_true(f->port > 0);
    assert_int_equal(pthread_create(&f->thread, NULL, loop_thread, f), 0);
    return f;
}

/* Reads the server's pending write bytes and connection count in its thread. */
static void fixture_probe(struct fixture *f, size_t *pending, unsigned *conns)
{
    atomic_store(&f->cmd, CMD_PROBE);
    assert_int_equal(uv_async_send(&f->async), 0);
    assert_int_equal(sem_wait(&f->probed), 0);
    *pending = atomic_load(&f->probe_pending);
    *conns = atomic_load(&f->probe_conns);
}

/* Stops the server gracefully and checks that every handle got closed. */
static void fixture_stop(struct fixture *f)
{
    atomic_store(&f->cmd, CMD_STOP);
    assert_int_equal(uv_async_send(&f->async), 0);
    assert_int_equal(pthread_join(f->thread, NULL), 0);
    assert_int_equal(atomic_load(&f->stopped), 1);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    sem_destroy(&f->probed);
    free(f->big);
    free(f);
}

/* ---- a blocking client ---- */

struct client {
    int fd;
    char *buf;
    size_t len, cap;
};

struct resp {
    int status;
    char head[4096];
    char *body;
    size_t body_len;
};

static void client_open_buf(struct client *c, int port, int rcvbuf)
{
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    struct timeval tv = {.tv_sec = 3};
    assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    if (rcvbuf > 0)
        assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    c->len = 0;
    c->cap = 1 << 16;
    c->buf = malloc(c->cap);
    assert_non_null(c->buf);
}

static void client_open(struct client *c, int port)
{
    client_open_buf(c, port, 0);
}

static void client_close(struct client *c)
{
    close(c->fd);
    free(c->buf);
}

static void client_send(struct client *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        data += n;
        len -= (size_t)n;
    }
}

static void client_sends(struct client *c, const char *s)
{
    client_send(c, s, strlen(s));
}

/* Reads more bytes into the buffer; returns what recv returned. */
static ssize_t client_fill(struct client *c)
{
    if (c->cap - c->len < 4096) {
        c->cap *= 2;
        c->buf = realloc(c->buf, c->cap);
        assert_non_null(c->buf);
    }
    return recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
}

/* Reads one response (Content-Length framed). Returns 0, or -1 when the
 * connection ended or timed out first. r->body is malloc'd. */
static int client_read(struct client *c, struct resp *r)
{
    char *end;
    for (;;) {
        c->buf[c->len] = '\0';
        end = c->len ? strstr(c->buf, "\r\n\r\n") : NULL;
        if (end)
            break;
        ssize_t n = client_fill(c);
        if (n <= 0)
            return -1;
        c->len += (size_t)n;
    }
    size_t hlen = (size_t)(end - c->buf) + 4;
    assert_true(hlen < sizeof(r->head));
    memcpy(r->head, c->buf, hlen);
    r->head[hlen] = '\0';
    assert_int_equal(sscanf(r->head, "HTTP/1.1 %d", &r->status), 1);
    size_t cl = 0;
    const char *p = strcasestr(r->head, "\r\ncontent-length:");
    if (p)
        cl = strtoul(p + 17, NULL, 10);
    while (c->len < hlen + cl) {
        ssize_t n = client_fill(c);
        if (n <= 0)
            return -1;
        c->len += (size_t)n;
    }
    r->body = malloc(cl + 1);
    assert_non_null(r->body);
    memcpy(r->body, c->buf + hlen, cl);
    r->body[cl] = '\0';
    r->body_len = cl;
    memmove(c->buf, c->buf + hlen + cl, c->len - hlen - cl);
    c->len -= hlen + cl;
    return 0;
}

static bool resp_has(const struct resp *r, const char *header_line)
{
    return strcasestr(r->head, header_line) != NULL;
}

/* Milliseconds until the server closes the connection (recv 0 or reset), or
 * -1 if it is still open after max_ms. Bytes received meanwhile are dropped. */
static int64_t client_wait_closed(struct client *c, int max_ms)
{
    uint64_t t0 = now_ms();
    for (;;) {
        int64_t left = (int64_t)max_ms - (int64_t)(now_ms() - t0);
        if (left <= 0)
            return -1;
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, (int)left);
        if (pr <= 0)
            continue;
        char tmp[4096];
        ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);
        if (n <= 0)
            return (int64_t)(now_ms() - t0);
    }
}

static void expect_error(struct client *c, int status, const char *code)
{
    struct resp r;
    assert_int_equal(client_read(c, &r), 0);
    assert_int_equal(r.status, status);
    assert_true(resp_has(&r, "\r\nContent-Type: application/json\r\n"));
    assert_true(resp_has(&r, "\r\nConnection: close\r\n"));
    char want[128];
    snprintf(want, sizeof(want), "{\"error\":{\"code\":\"%s\",\"message\":\"", code);
    assert_non_null(strstr(r.body, want));
    free(r.body);
    assert_true(client_wait_closed(c, 3000) >= 0);
}

/* ---- tests ---- */

static void test_get_post_keepalive(void **state)
{
    struct fixture *f = fixture_start(NULL);
    struct client c;
    client_open(&c, f->port);
    struct resp r;

    client_sends(&c, "GET /echo?a=1&b=%20 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(client_read(&c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "GET /echo a=1&b=%20 0:");
    assert_true(resp_has(&r, "\r\nContent-Type: text/plain\r\n"));
    assert_true(resp_has(&r, "\r\nConnection: keep-alive\r\n"));
    assert_true(resp_has(&r, "\r\nX-Content-Type-Options: nosniff\r\n"));
    assert_true(resp_has(&r, "\r\nX-Extra: 1\r\n"));
    assert_true(resp_has(&r, " GMT\r\n"));
    assert_true(resp_has(&r, "\r\nDate: "));
    free(r.body);

    /* The same connection: keep-alive. The body holds a NUL. */
    static const char post[] = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nhel\0lo";
    client_send(&c, post, sizeof(post) - 1);
    assert_int_equal(client_read(&c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 21);
    assert_memory_equal(r.body, "POST /echo - 6:hel\0lo", 21);
    free(r.body);

    /* Connection: close is honoured. */
    client_sends(&c, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_int_equal(client_read(&c, &r), 0);
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    assert_true(resp_has(&r, "\r\nConnection: close\r\n"));
    free(r.body);
    assert_true(client_wait_closed(&c, 3000) >= 0);
    client_close(&c);

    /* HTTP/1.0 closes unless it asks for keep-alive. */
    client_open(&c, f->port);
    client_sends(&c, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_int_equal(client_read(&c, &r), 0);
    assert_true(resp_has(&r, "\r\nConnection: keep-alive\r\n"));
    free(r.body);
    client_sends(&c, "GET / HTTP/1.0\r\n\r\n");
    assert_int_equal(client_read(&c, &r), 0);
    assert_true(resp_has(&r, "\r\nConnection: close\r\n"));
    free(r.body);
    assert_true(client_wait_closed(&c, 3000) >= 0);
    client_close(&c);

    assert_int_equal(atomic_load(&f->handled), 5);
    fixture_stop(f);
}

static void test_pipelined_in_order(void **state)
{
    struct fixture *f = fixture_start(NULL);
    struct client c;
    client_open(&c, f->port);
    /* The first answer is deferred by 150 ms; the other two are immediate but
     * must still come after it. */
    client_sends(&c, "GET /defer?ms=150 HTTP/1.1\r\n\r\n"
                     "GET /echo?id=2 HTTP/1.1\r\n\r\n"
                     "POST /echo?id=3 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
    struct resp r;
    assert_int_equal(client_read(&c, &r), 0);
    assert_string_equal(r.body, "GET /defer ms=150 0:");
    free(r.body);
    assert_int_equal(client_read(&c, &r), 0);
    assert_string_equal(r.body, "GET /echo id=2 0:");
    free(r.body);
    assert_int_equal(client_read(&c, &r), 0);
    assert_string_equal(r.body, "POST /echo id=3 3:abc");
    free(r.body);
    client_close(&c);
    fixture_stop(f);
}

static void test_chunked_body(void **state)
{
    struct fixture *f = fixture_start(NULL);
    struct client c;
    client_open(&c, f->port);
    client_sends(&c, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n");
    usleep(20000);
    client_sends(&c, "6\r\nlo wor\r\n");
    usleep(20000);
    client_sends(&c, "2\r\nld\r\n0\r\n\r\n");
    struct resp r;
    assert_int_equal(client_read(&c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "POST /echo - 11:hello world");
    free(r.body);
    client_close(&c);
    fixture_stop(f);
}

static void test_body_too_large(void **state)
{
    struct fixture *f = fixture_start(NULL);
    struct client c;
    client_open(&c, f->port);
    /* Only the head is sent: the answer must come without the body. */
    client_sends(&c, "POST /echo HTTP/1.1\r\nContent-Length: 2097152\r\n\r\n");
    expect_error(&c, 413, "payload_too_large");
    client_close(&c);

    /* A chunked body is counted as it arrives. */
    client_open(&c, f->port);
    client_sends(&c, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    char *chunk = malloc(65536 + 16);
    assert_non_null(chunk);
    int hl = snprintf(chunk, 16, "10000\r\n");
    memset(chunk + hl, 'a', 65536);
    memcpy(chunk + hl + 65536, "\r\n", 2);
    for (int i = 0; i < 17; i++)
        client_send(&c, chunk, (size_t)hl + 65536 + 2);
    free(chunk);
    expect_error(&c, 413, "payload_too_large");
    client_close(&c);
    assert_int_equal(atomic_load(&f->handled), 0);
    fixture_stop(f);
}

/* One path may take a larger body (the imports): there, and only there. */
static void test_upload_path(void **state)
{
    struct lb_http_config cfg;
    lb_http_config_default(&cfg);
    cfg.max_body = 1000;
    cfg.upload_path = "/echo";
    cfg.upload_max_body = 3000;
    struct fixture *f = fixture_start(&cfg);
    char *req = malloc(4096);
    assert_non_null(req);
    struct client c;
    struct resp r;
    int n = snprintf(req, 4096, "POST /echo HTTP/1.1\r\nContent-Length: 2000\r\n\r\n");
    memset(req + n, 'a', 2000);
    client_open(&c, f->port);
    client_send(&c, req, (size_t)n + 2000);
    assert_int_equal(client_read(&c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(strstr(r.body, "2000:aaa") != NULL);
    free(r.body);
    client_close(&c);
    client_open(&c, f->port); /* another path: the usual limit */
    client_sends(&c, "POST /other HTTP/1.1\r\nContent-Length: 2000\r\n\r\n");
    expect_error(&c, 413, "payload_too_large");
    client_close(&c);
    client_open(&c, f->port); /* the upload path's own limit */
    client_sends(&c, "POST /echo HTTP/1.1\r\nContent-Length: 3001\r\n\r\n");
    expect_error(&c, 413, "payload_too_large");
    client_close(&c);
    free(req);
    (void)state;
    fixture_stop(f);
}

static void test_headers_too_large(void **state)
{
    struct fixture *f = fixture_start(NULL);
    struct client c;
    client_open(&c, f->port);
    client_sends(&c, "GET / HTTP/1.1\r\n");
    char line[1100];
    memset(line, 'v', sizeof(line));
    for (int i = 0; i < 90; i++) {
        int n = snprintf(line, 16, "X-H%02d: ", i);
        line[n] = 'v';
        memcpy(line + 1022, "\r\n", 2);
        client_send(&c, line, 1024);
    }
    client_sends(&c, "\r\n");
    expect_error(&c, 431, "headers_too_large");
    client_close(&c);
    assert_int_equal(atomic_load(&f->handled), 0);
    fixture_stop(f);
}

static void test_malformed(void **state)
{
    struct fixture *f = fixture_start(NULL);
    struct client c;
    client_open(&c, f->port);
    client_sends(&c, "GET / HTTP/1.1\r\n\r\nG@T /x HTTP/1.1\r\n\r\n");
    /* The good request before the bad one is still answered. */
    struct resp r;
    assert_int_equal(client_read(&c, &r), 0);
    assert_int_equal(r.status, 200);
    free(r.body);
    expect_error(&c, 400, "bad_request");
    client_close(&c);
    fixture_stop(f);
}

static void test_request_timeout(void **state)
{
    struct lb_http_config cfg;
    lb_http_config_default(&cfg);
    cfg.request_timeout_ms = 300;
    struct fixture *f = fixture_start(&cfg);
    struct client c;
    client_open(&c, f->port);
    uint64_t t0 = now_ms();
    client_sends(&c, "GET / HTTP/1.1\r\n");
    bool answered = false;
    /* Trickle one header every 50 ms for up to 2 s. */
    while (now_ms() - t0 < 2000) {
        struct pollfd pfd = {.fd = c.fd, .events = POLLIN};
        if (poll(&pfd, 1, 50) > 0) {
            answered = true;
            break;
        }
        if (send(c.fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) < 0)
            break;
    }
    assert_true(answered);
    uint64_t elapsed = now_ms() - t0;
    assert_true(elapsed >= 250);
    assert_true(elapsed < 1500);
    expect_error(&c, 408, "request_timeout");
    client_close(&c);
    assert_int_equal(atomic_load(&f->handled), 0);
    fixture_stop(f);
}

static void test_idle_timeout(void **state)
{
    struct lb_http_config cfg;
    lb_http_config_default(&cfg);
    cfg.idle_timeout_ms = 300;
    struct fixture *f = fixture_start(&cfg);
    struct client c;
    client_open(&c, f->port);
    client_sends(&c, "GET / HTTP/1.1\r\n\r\n");
    struct resp r;
    assert_int_equal(client_read(&c, &r), 0);
    free(r.body);
    int64_t ms = client_wait_closed(&c, 3000);
    assert_true(ms >= 200);
    assert_true(ms < 1500);
    client_close(&c);
    fixture_stop(f);
}

static void test_max_connections(void **state)
{
    struct lb_http_config cfg;
    lb_http_config_default(&cfg);
    cfg.max_connections = 2;
    struct fixture *f = fixture_start(&cfg);
    struct client c1, c2, c3;
    struct resp r;
    client_open(&c1, f->port);
    client_open(&c2, f->port);
    /* Make sure both are accepted before the third connects. */
    client_sends(&c1, "GET / HTTP/1.1\r\n\r\n");
    assert_int_equal(client_read(&c1, &r), 0);
    free(r.body);
    client_sends(&c2, "GET / HTTP/1.1\r\n\r\n");
    assert_int_equal(client_read(&c2, &r), 0);
    free(r.body);

    client_open(&c3, f->port);
    client_sends(&c3, "GET / HTTP/1.1\r\n\r\n");
    expect_error(&c3, 503, "overloaded");
    client_close(&c3);

    size_t pending;
    unsigned conns;
    fixture_probe(f, &pending, &conns);
    assert_int_equal(conns, 2);

    /* The first two still work. */
    client_sends(&c1, "GET /echo HTTP/1.1\r\n\r\n");
    assert_int_equal(client_read(&c1, &r), 0);
    assert_int_equal(r.status, 200);
    free(r.body);
    client_sends(&c2, "GET /echo HTTP/1.1\r\n\r\n");
    assert_int_equal(client_read(&c2, &r), 0);
    assert_int_equal(r.status, 200);
    free(r.body);

    /* A closed connection frees its place. */
    client_close(&c1);
    for (int i = 0; i < 100; i++) {
        fixture_probe(f, &pending, &conns);
        if (conns < 2)
            break;
        usleep(10000);
    }
    assert_int_equal(conns, 1);
    client_open(&c3, f->port);
    client_sends(&c3, "GET / HTTP/1.1\r\n\r\n");
    assert_int_equal(client_read(&c3, &r), 0);
    assert_int_equal(r.status, 200);
    free(r.body);
    client_close(&c3);
    client_close(&c2);
    assert_int_equal(atomic_load(&f->handled), 5);
    fixture_stop(f);
}

static void test_backpressure(void **state)
{
    enum { N = 300 };
    struct lb_http_config cfg;
    lb_http_config_default(&cfg);
    cfg.max_pending_write = 256 * 1024;
    struct fixture *f = fixture_start(&cfg);
    struct client c;
    client_open_buf(&c, f->port, 16384);
    /* N pipelined requests whose answers (N x 64 KiB = 19 MiB) are far more
     * than the socket buffers hold; the client does not read yet. */
    char *reqs = malloc(N * 40);
    assert_non_null(reqs);
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(reqs + len, "GET /big?i=%d HTTP/1.1\r\n\r\n", i);
    client_send(&c, reqs, len);
    free(reqs);
    usleep(400000);

    size_t pending;
    unsigned conns;
    fixture_probe(f, &pending, &conns);
    int handled = atomic_load(&f->handled);
    assert_true(handled < N);
    assert_true(pending > 0);
    /* One answer may go over the limit, not more. */
    assert_true(pending <= cfg.max_pending_write + BIG_BODY + 1024);

    struct resp r;
    for (int i = 0; i < N; i++) {
        assert_int_equal(client_read(&c, &r), 0);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, BIG_BODY);
        char want[32];
        int n = snprintf(want, sizeof(want), "i=%d;", i);
        assert_memory_equal(r.body, want, (size_t)n);
        free(r.body);
    }
    assert_int_equal(atomic_load(&f->handled), N);
    client_close(&c);
    fixture_stop(f);
}

static void test_continue_and_head(void **state)
{
    struct fixture *f = fixture_start(NULL);
    struct client c;
    struct resp r;
    client_open(&c, f->port);
    /* A client that waits for "100 Continue" (libcurl does for bigger bodies)
     * gets it before it sends the body. */
    client_sends(&c, "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    assert_int_equal(client_read(&c, &r), 0);
    assert_int_equal(r.status, 100);
    free(r.body);
    client_sends(&c, "hi");
    assert_int_equal(client_read(&c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "POST /echo - 2:hi");
    free(r.body);
    /* HEAD: the length of the body, not the body; the next answer follows. */
    client_sends(&c, "HEAD / HTTP/1.1\r\n\r\nGET /echo HTTP/1.1\r\n\r\n");
    char buf[1024] = "";
    size_t got = 0;
    while (!strstr(buf, "GET /echo - 0:")) {
        ssize_t n = recv(c.fd, buf + got, sizeof(buf) - 1 - got, 0);
        assert_true(n > 0);
        got += (size_t)n;
        buf[got] = '\0';
    }
    assert_non_null(strstr(buf, "Content-Length: 15\r\n"));
    assert_null(strstr(buf, "status"));
    client_close(&c);
    fixture_stop(f);
}

static void test_peer_gone_before_answer(void **state)
{
    struct fixture *f = fixture_start(NULL);
    struct client c;
    client_open(&c, f->port);
    client_sends(&c, "GET /defer?ms=100 HTTP/1.1\r\n\r\n");
    while (atomic_load(&f->handled) < 1)
        usleep(1000);
    client_close(&c);
    usleep(200000); /* the deferred answer is dropped, the request stayed valid */
    client_open(&c, f->port);
    client_sends(&c, "GET / HTTP/1.1\r\n\r\n");
    struct resp r;
    assert_int_equal(client_read(&c, &r), 0);
    assert_int_equal(r.status, 200);
    free(r.body);
    client_close(&c);
    fixture_stop(f);
}

static void test_graceful_stop(void **state)
{
    struct fixture *f = fixture_start(NULL);
    int port = f->port;
    struct client busy, idle;
    struct resp r;
    client_open(&idle, port);
    client_sends(&idle, "GET / HTTP/1.1\r\n\r\n");
    assert_int_equal(client_read(&idle, &r), 0);
    free(r.body);
    client_open(&busy, port);
    client_sends(&busy, "GET /defer?ms=300 HTTP/1.1\r\n\r\n");
    while (atomic_load(&f->handled) < 2)
        usleep(1000);

    uint64_t t0 = now_ms();
    fixture_stop(f); /* returns once everything is closed */
    assert_true(now_ms() - t0 >= 200);

    /* The idle connection was closed; the in-flight answer was delivered. */
    assert_true(client_wait_closed(&idle, 1000) >= 0);
    assert_int_equal(client_read(&busy, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "GET /defer ms=300 0:");
    assert_true(resp_has(&r, "\r\nConnection: close\r\n"));
    free(r.body);
    assert_true(client_wait_closed(&busy, 1000) >= 0);
    client_close(&busy);
    client_close(&idle);

    /* Nothing listens any more. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_not_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
}

static void test_bad_listen_address(void **state)
{
    uv_loop_t loop;
    lb_http_server *s = NULL;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_true(lb_http_server_start(&loop, "nonsense", NULL, handler, NULL, &s) < 0);
    assert_true(lb_http_server_start(&loop, "127.0.0.1:99999", NULL, handler, NULL, &s) < 0);
    assert_null(s);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_post_keepalive),
        cmocka_unit_test(test_pipelined_in_order),
        cmocka_unit_test(test_chunked_body),
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_headers_too_large),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_upload_path),
        cmocka_unit_test(test_request_timeout),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_continue_and_head),
        cmocka_unit_test(test_peer_gone_before_answer),
        cmocka_unit_test(test_graceful_stop),
        cmocka_unit_test(test_bad_listen_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
