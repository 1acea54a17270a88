/* http_server.h: the HTTP/1.1 server of lotsd, on one libuv loop.
 *
 * Requests are parsed with Node's http_parser (keep-alive, pipelining,
 * chunked bodies). The server owns connections and limits; what a request
 * means is the handler's. A connection has at most one request at the
 * handler at a time: pipelined requests wait, parsed or not, until the
 * previous one was answered, so answers go out in order and a read that
 * follows a write on the same connection sees it.
 *
 * The handler is called once per complete request and must call
 * lb_http_respond() exactly once, at once or later from the same loop (the
 * API answers writes only after the group commit). The request stays valid
 * until then, even when the peer has gone away (the answer is then dropped).
 *
 * The server answers by itself, in the error shape of DESIGN.md, for: a
 * malformed request (400), a body over the limit (413, from Content-Length
 * before reading, counted for chunked bodies), headers over the limit (431),
 * too many connections, in all or from one peer (503, then close, without
 * stalling others; refusals logged, at most a line per 10 s). It closes a
 * connection that sends no byte within first_byte_timeout_ms of being
 * accepted, one whose request has not fully arrived within
 * request_timeout_ms of its first byte, and an idle keep-alive connection
 * after idle_timeout_ms.
 * It stops reading from a client whose unsent answers exceed
 * max_pending_write bytes, and resumes when they drain. */
#ifndef LOTSBOK_HTTP_SERVER_H
#define LOTSBOK_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

typedef struct lb_http_server lb_http_server;

struct lb_http_header {
    const char *name; /* as received; compare case-insensitively */
    const char *value;
};

typedef struct lb_http_req {
    int method;              /* enum http_method of http_parser.h (HTTP_GET, ...) */
    const char *method_name; /* "GET" */
    const char *path;        /* the URL path, not decoded, without the query */
    const char *query;       /* the raw query string without '?', or NULL */
    const char *body;        /* NUL-terminated for convenience; may hold NULs */
    size_t body_len;
    const struct lb_http_header *headers;
    size_t nheaders;
    const char *peer;  /* the client's address, "127.0.0.1" (behind a trusted
                          proxy: from X-Forwarded-For, see trusted below) */
    uint64_t start_ns; /* uv_hrtime() when the first byte arrived */
    void *user;        /* free for the handler */
} lb_http_req;

typedef void (*lb_http_handler)(lb_http_req *req, void *arg);

struct lb_http_config {
    size_t max_body;             /* default 1 MiB */
    const char *upload_path;     /* a path whose requests may send upload_max_body (NULL: none) */
    size_t upload_max_body;      /* e.g. 50 MiB for the imports */
    size_t max_header;           /* all request headers, default 80 KiB */
    uint64_t request_timeout_ms; /* default 10 s */
    uint64_t idle_timeout_ms;    /* default 60 s */
    uint64_t first_byte_timeout_ms; /* a new connection's first byte; default 10 s */
    unsigned max_connections;       /* default 10,000 */
    unsigned max_per_peer;    /* per IPv4 address or IPv6 /64; default 256; UINT_MAX: no limit */
    size_t max_pending_write; /* default 1 MiB */
    /* Trusted reverse proxies (lotsd serve --trust-proxy): whole addresses,
     * IPv4 as ::ffff:a.b.c.d (lb_http_parse_addr). From such a peer the
     * client is the right-most X-Forwarded-For address that is not itself
     * trusted: req->peer names it, and the per-peer connection limit counts
     * the connection against it while it carries that client's request (the
     * proxy's own connections are not counted per peer). From any other peer
     * X-Forwarded-For is ignored. The array must outlive the server. */
    const uint8_t (*trusted)[16];
    size_t ntrusted;
};

/* Parses an IPv4 or IPv6 address ("192.0.2.1", "2001:db8::1") into out
 * (IPv4 as ::ffff:a.b.c.d). Returns 0 or LB_EINVAL. */
int lb_http_parse_addr(const char *text, uint8_t out[16]);

/* Defaults of the comment above. */
void lb_http_config_default(struct lb_http_config *cfg);

/* Binds to "HOST:PORT" (IPv4 or "[v6]:port"; port 0 picks one) and starts
 * accepting on loop. Returns 0 or a negative error (the bind failed, ...). */
int lb_http_server_start(uv_loop_t *loop, const char *listen, const struct lb_http_config *cfg,
                         lb_http_handler handler, void *arg, lb_http_server **out);

/* The port actually bound (useful with port 0). */
int lb_http_server_port(const lb_http_server *s);

/* Current counts, for /metrics. */
unsigned lb_http_server_connections(const lb_http_server *s);

/* Bytes of answers queued with libuv but not yet written to any socket (the
 * sum that max_pending_write bounds per connection); for /metrics and tests. */
size_t lb_http_server_pending_write(const lb_http_server *s);

/* Graceful stop: stop accepting, close idle connections, let requests at the
 * handler finish and their answers be written, then close everything and
 * call done(arg). After done the server is freed. */
void lb_http_server_stop(lb_http_server *s, void (*done)(void *arg), void *arg);

/* A header's value (case-insensitive name), or NULL. */
const char *lb_http_req_header(const lb_http_req *req, const char *name);

/* Answers req. extra_headers is NULL or complete lines each ending "\r\n"
 * ("Location: /api/v1/cases/7\r\n"). The server adds Content-Length,
 * Connection and Date. The body is copied. req, and every string it points
 * to (peer, method_name, path, headers), is invalid once this returns: the
 * connection may have been freed (its client went away meanwhile) or be
 * parsing its next request. Take what is needed afterwards before calling. */
void lb_http_respond(lb_http_req *req, int status, const char *content_type,
                     const char *extra_headers, const char *body, size_t len);

/* The reason phrase of a status ("Not Found"). */
const char *lb_http_status_text(int status);

#endif
