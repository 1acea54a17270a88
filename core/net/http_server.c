/* http_server.c: lotsd's HTTP/1.1 server on one libuv loop.
 *
 * Each accepted TCP connection is a struct lb_http_conn with one uv_tcp_t,
 * one uv_timer_t and one http_parser. Bytes are read into one buffer shared
 * by the whole server (the loop is single-threaded and every read is consumed
 * before the next) and fed straight to the parser. The parser's callbacks copy
 * the URL, the headers and the body into a per-connection arena that is
 * reused from request to request, so a keep-alive connection allocates
 * nothing per request once warm.
 *
 * When a request is complete, on_message_complete pauses the parser and the
 * request goes to the handler. Until the handler answers, nothing more is
 * parsed on that connection: bytes of pipelined requests that arrive
 * meanwhile are kept unparsed in the connection's input buffer (reading stops
 * when that holds LB_HTTP_INBUF_MAX bytes), and parsing resumes from there
 * when the answer has been queued. So at most one request per connection is
 * at the handler, answers go out in order, and the arena holding the request
 * stays untouched until lb_http_respond().
 *
 * Answers are written with uv_try_write when nothing is queued (the common
 * case, no copy and no allocation) and otherwise copied into a write block
 * (small ones come from a free list) and queued with uv_write. A connection
 * whose queued, unwritten bytes exceed max_pending_write stops reading and
 * stops parsing until they drain below half of it.
 *
 * Connections are counted per peer (an IPv4 address, or an IPv6 /64, which
 * one client usually holds whole) in an open-addressing table keyed by
 * SipHash with a random key; beyond max_per_peer a new connection is
 * answered 503 and closed like one beyond max_connections, so one client
 * cannot take every slot. Refusals are logged at most once per
 * LB_HTTP_REFUSAL_LOG_MS, with the count since the last line.
 *
 * A connection from a trusted proxy (cfg.trusted) is not counted per peer
 * when accepted. Each of its requests names its client in X-Forwarded-For
 * (the right-most address that is not itself trusted); when the headers are
 * complete the connection is counted against that client instead (503 and
 * close beyond max_per_peer), and req.peer names the client. From other
 * peers the header is ignored.
 *
 * The one timer per connection means, by state: first_byte_timeout_ms from
 * accepting until the first byte (then close: a connection that sends
 * nothing holds a slot for no longer), idle_timeout_ms while idle
 * between requests (then close), request_timeout_ms from a request's first
 * byte (then 408 and close), nothing while the request is at the handler, and
 * a short linger after the server's own "close" answer, during which the
 * client's remaining input is read and dropped so that closing does not reset
 * the connection before the client has read the answer.
 *
 * A connection is freed when both its handles are closed and no request of it
 * is at the handler; the handler's request therefore stays valid even after
 * the peer is gone, and its answer is dropped. */
#include "lotsbok/http_server.h"
#include "lotsbok/error.h"
#include "lotsbok/logfmt.h"

#include <arpa/inet.h>
#include <http_parser.h>
#include <sodium.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LB_HTTP_READ_BUF (64 * 1024)   /* the shared read buffer */
#define LB_HTTP_INBUF_MAX (64 * 1024)  /* unparsed input kept per connection */
#define LB_HTTP_LINGER_MS 2000         /* how long to drain a client after "close" */
#define LB_HTTP_WBLOCK_SMALL 16384     /* size of the pooled write blocks */
#define LB_HTTP_WBLOCK_POOL 256        /* pooled write blocks kept at most */
#define LB_HTTP_ARENA_KEEP (64 * 1024) /* arena kept between requests at most */
#define LB_HTTP_REFUSAL_LOG_MS 10000   /* at most one "refused" log line per this */

enum lb_http_piece { PIECE_NONE, PIECE_URL, PIECE_FIELD, PIECE_VALUE };

/* Where one header's name and value lie in the arena (offsets, since the
 * arena may move while it grows). */
struct lb_http_span {
    size_t noff, nlen, voff, vlen;
};

/* One queued write: the uv request and the bytes it writes. */
struct lb_http_wblock {
    uv_write_t req;
    struct lb_http_conn *conn;
    struct lb_http_wblock *next; /* in the server's free list */
    size_t len;                  /* bytes in data */
    size_t cap;                  /* capacity of data */
    char data[];
};

struct lb_http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown;
    lb_http_server *srv;
    struct lb_http_conn *prev, *next; /* the server's list of live connections */
    http_parser parser;
    lb_http_req req;
    char peer[64];
    uint8_t peer_key[16];  /* IPv4 as ::ffff:a.b.c.d, IPv6 as its /64 */
    bool peer_counted;     /* counts in the server's peer table */
    uint8_t peer_addr[16]; /* the TCP peer's whole address (IPv4 mapped) */
    bool via_proxy;        /* the TCP peer is a trusted proxy (cfg.trusted) */
    char client[64];       /* via_proxy: the current request's client */

    /* The request being parsed: URL, header names and values, path, query
     * and body, each NUL-terminated, one after another. */
    char *arena;
    size_t alen, acap;
    struct lb_http_span *spans;
    size_t nspans, spans_cap;
    struct lb_http_header *hdrs;
    size_t hdrs_cap;
    enum lb_http_piece last;
    size_t url_off, url_len;
    size_t path_off, query_off;
    bool has_query;
    size_t body_off, body_len;
    size_t body_limit; /* cfg.max_body, or cfg.upload_max_body on cfg.upload_path */
    size_t header_bytes;
    int err_status; /* set by a parser callback that rejects the request */
    const char *err_code;
    const char *err_msg;

    char *in; /* input not yet parsed */
    size_t inlen, incap;
    size_t pending_write; /* bytes queued with uv_write, not yet written */
    unsigned closes_pending;

    bool counted;    /* counts against max_connections */
    bool rejected;   /* over max_connections: answered 503, then closed */
    bool reading;    /* uv_read_start is in effect */
    bool in_msg;     /* a request has begun and is not complete */
    bool at_handler; /* req is at the handler */
    bool keepalive;  /* of the request at the handler */
    bool head;       /* the request at the handler is a HEAD */
    bool bp;         /* backpressure: too many unwritten bytes */
    bool finishing;  /* no more requests: flush, then close */
    bool lingering;  /* our side shut down, draining the client */
    bool closing;    /* uv_close called */
    bool eof;        /* the client has shut down its side */
    bool in_parse;   /* conn_parse is on the stack */
};

struct lb_http_peer {
    uint8_t key[16];
    uint32_t count; /* 0: the slot is free */
};

struct lb_http_server {
    uv_loop_t *loop;
    uv_tcp_t listen;
    struct lb_http_config cfg;
    lb_http_handler handler;
    void *arg;
    http_parser_settings settings;
    struct lb_http_conn *conns; /* every live connection, accepted or rejected */
    unsigned nconns;            /* connections counted against max_connections */
    unsigned nlive;             /* connection structs not yet freed */
    size_t pending_write;
    int port;
    bool stopping;
    bool start_failed;
    void (*done)(void *arg);
    void *done_arg;
    struct lb_http_wblock *pool;
    unsigned npool;
    char *scratch; /* response heads are formatted here */
    size_t scratch_cap;
    /* Counted connections per peer: open addressing, linear probing,
     * backward-shift deletion; peers_cap a power of two, at least twice
     * max_connections, so the table is never more than half full. */
    struct lb_http_peer *peers;
    size_t peers_cap;
    uint8_t peer_hash_key[crypto_shorthash_KEYBYTES];
    uint64_t refused;           /* connections refused since the last log line */
    uint64_t refusal_logged_ms; /* uv_now of that line; 0: none yet */
    time_t date_sec;
    char date[40];
    char rbuf[LB_HTTP_READ_BUF];
};

#define CONN_OF_REQ(r) ((struct lb_http_conn *)((char *)(r)-offsetof(struct lb_http_conn, req)))

static void conn_close(struct lb_http_conn *c);
static void conn_pump(struct lb_http_conn *c);
static void conn_error(struct lb_http_conn *c, int status, const char *code, const char *msg);
static int proxy_client(struct lb_http_conn *c);

void lb_http_config_default(struct lb_http_config *cfg)
{
    cfg->max_body = 1024 * 1024;
    cfg->upload_path = NULL;
    cfg->upload_max_body = 0;
    cfg->max_header = 80 * 1024;
    cfg->request_timeout_ms = 10000;
    cfg->idle_timeout_ms = 60000;
    cfg->first_byte_timeout_ms = 10000;
    cfg->max_connections = 10000;
    cfg->max_per_peer = 256;
    cfg->max_pending_write = 1024 * 1024;
    cfg->trusted = NULL;
    cfg->ntrusted = 0;
}

const char *lb_http_status_text(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 422:
        return "Unprocessable Entity";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 507:
        return "Insufficient Storage";
    default:
        return "Unknown";
    }
}

/* ---- small buffers ---- */

/* Makes room for need more bytes in *buf (length len, capacity *cap),
 * doubling. Returns 0 or LB_ENOMEM with *buf unchanged. */
static int buf_reserve(char **buf, size_t *cap, size_t len, size_t need)
{
    if (len + need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 1024;
    while (ncap < len + need) {
        if (ncap > SIZE_MAX / 2)
            return LB_ENOMEM;
        ncap *= 2;
    }
    char *n = realloc(*buf, ncap);
    if (!n)
        return LB_ENOMEM;
    *buf = n;
    *cap = ncap;
    return 0;
}

static int arena_append(struct lb_http_conn *c, const char *data, size_t len)
{
    if (buf_reserve(&c->arena, &c->acap, c->alen, len) < 0)
        return LB_ENOMEM;
    if (len)
        memcpy(c->arena + c->alen, data, len);
    c->alen += len;
    return 0;
}

static int arena_nul(struct lb_http_conn *c)
{
    return arena_append(c, "", 1);
}

/* A write block with room for len bytes: pooled when small. NULL when out
 * of memory. */
static struct lb_http_wblock *wblock_get(lb_http_server *s, size_t len)
{
    struct lb_http_wblock *wb;
    if (len <= LB_HTTP_WBLOCK_SMALL && s->pool) {
        wb = s->pool;
        s->pool = wb->next;
        s->npool--;
    } else {
        size_t cap = len <= LB_HTTP_WBLOCK_SMALL ? LB_HTTP_WBLOCK_SMALL : len;
        wb = malloc(sizeof(*wb) + cap);
        if (!wb)
            return NULL;
        wb->cap = cap;
    }
    wb->len = len;
    wb->next = NULL;
    return wb;
}

static void wblock_put(lb_http_server *s, struct lb_http_wblock *wb)
{
    if (wb->cap == LB_HTTP_WBLOCK_SMALL && s->npool < LB_HTTP_WBLOCK_POOL) {
        wb->next = s->pool;
        s->pool = wb;
        s->npool++;
    } else {
        free(wb);
    }
}

/* ---- the server's life ---- */

static void server_free(lb_http_server *s)
{
    while (s->pool) {
        struct lb_http_wblock *wb = s->pool;
        s->pool = wb->next;
        free(wb);
    }
    free(s->scratch);
    free(s->peers);
    free(s);
}

/* Calls done and frees the server once a stop has closed everything. */
static void server_maybe_done(lb_http_server *s)
{
    /* The listen handle's close callback clears its data when it has run. */
    if (!s->stopping || s->listen.data != NULL || s->nlive > 0)
        return;
    void (*done)(void *) = s->done;
    void *arg = s->done_arg;
    server_free(s);
    if (done)
        done(arg);
}

static void listen_close_cb(uv_handle_t *h)
{
    lb_http_server *s = h->data;
    h->data = NULL;
    if (s->start_failed) {
        server_free(s);
        return;
    }
    server_maybe_done(s);
}

/* ---- connections per peer ---- */

static size_t peer_home(const lb_http_server *s, const uint8_t key[16])
{
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, key, 16, s->peer_hash_key);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return (size_t)v & (s->peers_cap - 1);
}

/* The slot holding key, or the free slot where it would go. */
static struct lb_http_peer *peer_slot(lb_http_server *s, const uint8_t key[16])
{
    size_t i = peer_home(s, key);
    while (s->peers[i].count && memcmp(s->peers[i].key, key, 16) != 0)
        i = (i + 1) & (s->peers_cap - 1);
    return &s->peers[i];
}

/* Counts c against its peer; false (nothing counted) when the peer is at
 * max_per_peer already. */
static bool peer_take(lb_http_server *s, struct lb_http_conn *c)
{
    struct lb_http_peer *p = peer_slot(s, c->peer_key);
    if (p->count >= s->cfg.max_per_peer)
        return false;
    if (p->count == 0)
        memcpy(p->key, c->peer_key, 16);
    p->count++;
    c->peer_counted = true;
    return true;
}

static void peer_release(lb_http_server *s, struct lb_http_conn *c)
{
    if (!c->peer_counted)
        return;
    c->peer_counted = false;
    struct lb_http_peer *p = peer_slot(s, c->peer_key);
    if (p->count == 0 || --p->count > 0)
        return;
    /* Backward-shift deletion: move later entries of the run into the hole
     * when their home does not lie cyclically in (hole, their slot]. */
    size_t mask = s->peers_cap - 1, hole = (size_t)(p - s->peers), i = hole;
    for (;;) {
        i = (i + 1) & mask;
        if (!s->peers[i].count)
            break;
        size_t home = peer_home(s, s->peers[i].key);
        bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (stays)
            continue;
        s->peers[hole] = s->peers[i];
        s->peers[i].count = 0;
        hole = i;
    }
}

/* One log line of the server (logfmt, values escaped). */
static void srv_log(const char *level, const char *msg, const struct lb_logfmt *f)
{
    char ts[32], line[LB_LOGFMT_MAX + 640];
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(ts, sizeof ts, "%lld", (long long)t);
    fwrite(line, 1, lb_logfmt_line(line, sizeof line, ts, level, msg, f), stderr);
}

/* Logs a refused connection, at most once per LB_HTTP_REFUSAL_LOG_MS with
 * the number refused since the last line. */
static void log_refusal(lb_http_server *s, const char *peer, const char *reason)
{
    s->refused++;
    uint64_t now = uv_now(s->loop);
    if (s->refusal_logged_ms && now - s->refusal_logged_ms < LB_HTTP_REFUSAL_LOG_MS)
        return;
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    lb_logfmt_str(&f, "peer", peer);
    lb_logfmt_str(&f, "reason", reason);
    lb_logfmt_int(&f, "refused", (long long)s->refused);
    srv_log("warn", "connection refused", &f);
    s->refused = 0;
    s->refusal_logged_ms = now ? now : 1;
}

static void conn_free(struct lb_http_conn *c)
{
    lb_http_server *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->arena);
    free(c->spans);
    free(c->hdrs);
    free(c->in);
    free(c);
    s->nlive--;
    server_maybe_done(s);
}

static void conn_close_cb(uv_handle_t *h)
{
    struct lb_http_conn *c = h->data;
    if (--c->closes_pending == 0 && !c->at_handler)
        conn_free(c);
}

/* Closes both handles; the struct is freed by the last close callback (or by
 * lb_http_respond when a request is still at the handler then). */
static void conn_close(struct lb_http_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    c->reading = false;
    if (c->counted) {
        c->srv->nconns--;
        c->counted = false;
    }
    peer_release(c->srv, c);
    c->closes_pending = 2;
    uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
    uv_close((uv_handle_t *)&c->timer, conn_close_cb);
}

static void conn_timer_start(struct lb_http_conn *c, uint64_t ms);

/* ---- writing ---- */

static void write_cb(uv_write_t *req, int status)
{
    struct lb_http_wblock *wb = (struct lb_http_wblock *)req;
    struct lb_http_conn *c = wb->conn;
    lb_http_server *s = c->srv;
    c->pending_write -= wb->len;
    s->pending_write -= wb->len;
    wblock_put(s, wb);
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->bp && c->pending_write <= s->cfg.max_pending_write / 2)
        c->bp = false;
    conn_pump(c);
}

/* Writes the bytes of bufs in order after everything queued before: at once
 * when nothing is queued and the socket takes them, the rest copied and
 * queued. A failed write closes the connection. */
static void conn_write(struct lb_http_conn *c, uv_buf_t *bufs, unsigned nbufs)
{
    lb_http_server *s = c->srv;
    size_t total = 0, off = 0;
    for (unsigned i = 0; i < nbufs; i++)
        total += bufs[i].len;
    if (c->closing || total == 0)
        return;
    if (c->pending_write == 0) {
        int r = uv_try_write((uv_stream_t *)&c->tcp, bufs, nbufs);
        if (r >= 0) {
            off = (size_t)r;
        } else if (r != UV_EAGAIN) {
            conn_close(c);
            return;
        }
    }
    if (off == total)
        return;
    struct lb_http_wblock *wb = wblock_get(s, total - off);
    if (!wb) {
        conn_close(c);
        return;
    }
    wb->conn = c;
    size_t pos = 0, skip = off;
    for (unsigned i = 0; i < nbufs; i++) {
        size_t l = bufs[i].len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        memcpy(wb->data + pos, bufs[i].base + skip, l - skip);
        pos += l - skip;
        skip = 0;
    }
    uv_buf_t b = uv_buf_init(wb->data, (unsigned)wb->len);
    if (uv_write(&wb->req, (uv_stream_t *)&c->tcp, &b, 1, write_cb) < 0) {
        wblock_put(s, wb);
        conn_close(c);
        return;
    }
    c->pending_write += wb->len;
    s->pending_write += wb->len;
    if (c->pending_write > s->cfg.max_pending_write)
        c->bp = true;
}

/* Refreshes the cached Date header value (RFC 7231 IMF-fixdate) once a second;
 * formatted by hand so that the locale cannot change it. */
static const char *server_date(lb_http_server *s)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    if (now != s->date_sec || s->date[0] == '\0') {
        struct tm tm;
        if (!gmtime_r(&now, &tm))
            return s->date;
        snprintf(s->date, sizeof(s->date), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        s->date_sec = now;
    }
    return s->date;
}

/* Formats and writes one answer. close says whether the connection ends
 * after it (Connection: close). head leaves the body out (HEAD). */
/* Decimal text of v into out (no NUL); returns its length (at most 20). */
static size_t u64_text(uint64_t v, char out[24])
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static void conn_send(struct lb_http_conn *c, int status, const char *content_type,
                      const char *extra, const char *body, size_t len, bool close, bool head)
{
    lb_http_server *s = c->srv;
    bool bodyless = status < 200 || status == 204 || status == 304;
    size_t ctlen = content_type ? strlen(content_type) : 0;
    size_t exlen = extra ? strlen(extra) : 0;
    size_t need = 512 + ctlen + exlen;
    if (buf_reserve(&s->scratch, &s->scratch_cap, 0, need) < 0) {
        conn_close(c);
        return;
    }
    /* Built with memcpy: snprintf's format interpretation was a few per cent
     * of a small answer's instructions. need covers every fixed part. */
    char *p = s->scratch;
    size_t used = 0;
#define PUT(str, n)                                                                                \
    do {                                                                                           \
        memcpy(p + used, (str), (n));                                                              \
        used += (n);                                                                               \
    } while (0)
#define PUTS(lit) PUT(lit, sizeof(lit) - 1)
    char num[24];
    size_t nl = u64_text((uint64_t)(status >= 0 && status <= 999 ? status : 500), num);
    const char *reason = lb_http_status_text(status);
    size_t rl = strlen(reason);
    if (rl > 100)
        rl = 100;
    PUTS("HTTP/1.1 ");
    PUT(num, nl);
    PUTS(" ");
    PUT(reason, rl);
    PUTS("\r\n");
    if (content_type && !bodyless) {
        PUTS("Content-Type: ");
        PUT(content_type, ctlen);
        PUTS("\r\n");
    }
    if (!bodyless) {
        nl = u64_text((uint64_t)len, num);
        PUTS("Content-Length: ");
        PUT(num, nl);
        PUTS("\r\n");
    }
    const char *date = server_date(s);
    size_t dl = strlen(date);
    if (dl > 64)
        dl = 64;
    PUTS("Date: ");
    PUT(date, dl);
    if (close)
        PUTS("\r\nConnection: close\r\n");
    else
        PUTS("\r\nConnection: keep-alive\r\n");
    PUTS("X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n");
#undef PUTS
#undef PUT
    if (exlen) {
        memcpy(p + used, extra, exlen);
        used += exlen;
    }
    memcpy(p + used, "\r\n", 2);
    used += 2;
    uv_buf_t bufs[2] = {uv_buf_init(p, (unsigned)used), uv_buf_init((char *)body, 0)};
    unsigned nbufs = 1;
    if (!bodyless && !head && len > 0 && body) {
        bufs[1] = uv_buf_init((char *)body, (unsigned)len);
        nbufs = 2;
    }
    conn_write(c, bufs, nbufs);
}

/* Answers with the error shape of DESIGN.md and ends the connection: nothing
 * more is parsed, and it closes once the answer is written. */
static void conn_error(struct lb_http_conn *c, int status, const char *code, const char *msg)
{
    char body[256];
    int n =
        snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg);
    if (n < 0 || (size_t)n >= sizeof(body))
        n = 0;
    c->in_msg = false;
    c->finishing = true;
    c->inlen = 0;
    conn_send(c, status, "application/json", "Cache-Control: no-store\r\n", body, (size_t)n, true,
              false);
    if (!c->closing)
        conn_timer_start(c, c->srv->cfg.idle_timeout_ms);
}

/* ---- the connection's state machine ---- */

static void timer_cb(uv_timer_t *t)
{
    struct lb_http_conn *c = t->data;
    if (c->in_msg && !c->finishing && !c->at_handler) {
        conn_error(c, 408, "request_timeout", "the request did not arrive in time");
        conn_pump(c);
        return;
    }
    conn_close(c);
}

static void conn_timer_start(struct lb_http_conn *c, uint64_t ms)
{
    if (uv_timer_start(&c->timer, timer_cb, ms, 0) < 0)
        conn_close(c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct lb_http_conn *c = h->data;
    buf->base = c->srv->rbuf;
    buf->len = sizeof(c->srv->rbuf);
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

/* Starts or stops reading as the state asks: not while backpressured, not
 * with a full input buffer, not after the client's EOF, and after a final
 * answer only once lingering. */
static void conn_update_reading(struct lb_http_conn *c)
{
    if (c->closing)
        return;
    bool want = !c->eof && !c->bp && c->inlen < LB_HTTP_INBUF_MAX &&
                (!c->finishing || c->lingering || c->rejected);
    if (want == c->reading)
        return;
    if (want) {
        if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) < 0) {
            conn_close(c);
            return;
        }
    } else {
        uv_read_stop((uv_stream_t *)&c->tcp);
    }
    c->reading = want;
}

static bool conn_can_parse(const struct lb_http_conn *c)
{
    return !c->closing && !c->finishing && !c->at_handler && !c->bp && !c->rejected;
}

/* Hands the complete request to the handler. */
static void conn_dispatch(struct lb_http_conn *c)
{
    c->at_handler = true;
    uv_timer_stop(&c->timer);
    c->req.user = NULL;
    c->srv->handler(&c->req, c->srv->arg);
}

/* Maps a parser error to the server's answer. */
static void conn_parse_error(struct lb_http_conn *c, enum http_errno e)
{
    if (c->err_status)
        conn_error(c, c->err_status, c->err_code, c->err_msg);
    else if (e == HPE_HEADER_OVERFLOW)
        conn_error(c, 431, "headers_too_large", "request headers are too large");
    else if (e == HPE_CB_message_begin || e == HPE_CB_url || e == HPE_CB_header_field ||
             e == HPE_CB_header_value || e == HPE_CB_headers_complete || e == HPE_CB_body ||
             e == HPE_CB_message_complete)
        conn_error(c, 500, "internal", "out of memory");
    else
        conn_error(c, 400, "bad_request", http_errno_description(e));
}

/* Feeds data to the parser while the connection may take another request,
 * dispatching each complete one. Returns how many bytes were consumed; the
 * rest is for later (all of them count as consumed once the connection is
 * finishing, since nothing more will be parsed). */
static size_t conn_parse(struct lb_http_conn *c, const char *data, size_t len)
{
    size_t done = 0;
    c->in_parse = true;
    while (done < len && conn_can_parse(c)) {
        size_t n = http_parser_execute(&c->parser, &c->srv->settings, data + done, len - done);
        done += n;
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (e == HPE_PAUSED) {
            http_parser_pause(&c->parser, 0);
            conn_dispatch(c);
        } else if (e != HPE_OK) {
            conn_parse_error(c, e);
        } else if (n == 0) {
            conn_error(c, 400, "bad_request", "unexpected data");
        }
    }
    c->in_parse = false;
    if (c->finishing || c->closing)
        return len;
    return done;
}

/* Moves the connection on after anything changed: parses buffered input if
 * it may, adjusts reading, and begins closing when it is done. */
static void conn_pump(struct lb_http_conn *c)
{
    if (c->closing || c->in_parse)
        return;
    if (c->inlen > 0 && conn_can_parse(c)) {
        size_t n = conn_parse(c, c->in, c->inlen);
        if (c->closing)
            return;
        if (n >= c->inlen) {
            c->inlen = 0;
        } else {
            memmove(c->in, c->in + n, c->inlen - n);
            c->inlen -= n;
        }
    }
    if (c->inlen == 0 && c->in && c->incap > LB_HTTP_INBUF_MAX) {
        free(c->in);
        c->in = NULL;
        c->incap = 0;
    }
    conn_update_reading(c);
    if (c->closing || c->at_handler || c->lingering || c->pending_write > 0)
        return;
    bool done = c->finishing || (c->eof && c->inlen == 0 && !c->in_msg);
    if (!done)
        return;
    if (c->eof || c->srv->stopping) {
        conn_close(c);
        return;
    }
    /* Lingering close: send FIN, then read and drop what the client still
     * sends until it closes or the linger time is up, so that our close does
     * not reset the connection under an answer it has not read yet. */
    c->lingering = true;
    c->shutdown.data = c;
    if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, NULL) < 0) {
        conn_close(c);
        return;
    }
    conn_timer_start(c, LB_HTTP_LINGER_MS);
    conn_update_reading(c);
}

/* Keeps len bytes of input for later parsing. */
static int conn_keep_input(struct lb_http_conn *c, const char *data, size_t len)
{
    if (buf_reserve(&c->in, &c->incap, c->inlen, len) < 0)
        return LB_ENOMEM;
    memcpy(c->in + c->inlen, data, len);
    c->inlen += len;
    return 0;
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct lb_http_conn *c = stream->data;
    if (nread == 0 || c->closing)
        return;
    if (nread < 0) {
        if (nread != UV_EOF || c->lingering || c->rejected || c->in_msg) {
            conn_close(c);
            return;
        }
        /* The client has finished sending; what it sent is still answered. */
        c->eof = true;
        conn_update_reading(c);
        conn_pump(c);
        return;
    }
    if (c->lingering || c->rejected || c->finishing)
        return; /* dropped */
    size_t len = (size_t)nread;
    if (c->inlen > 0 || !conn_can_parse(c)) {
        if (conn_keep_input(c, buf->base, len) < 0) {
            conn_close(c);
            return;
        }
    } else {
        size_t n = conn_parse(c, buf->base, len);
        if (n < len && !c->closing && conn_keep_input(c, buf->base + n, len - n) < 0) {
            conn_close(c);
            return;
        }
    }
    conn_pump(c);
}

/* ---- parser callbacks ---- */

/* Records why a callback rejects the request; the parser then stops with an
 * HPE_CB_* error and conn_parse_error answers with this. */
static int reject(struct lb_http_conn *c, int status, const char *code, const char *msg)
{
    c->err_status = status;
    c->err_code = code;
    c->err_msg = msg;
    return -1;
}

static int count_header_bytes(struct lb_http_conn *c, size_t len)
{
    c->header_bytes += len;
    if (c->header_bytes > c->srv->cfg.max_header)
        return reject(c, 431, "headers_too_large", "request headers are too large");
    return 0;
}

static int on_message_begin(http_parser *p)
{
    struct lb_http_conn *c = p->data;
    if (c->acap > LB_HTTP_ARENA_KEEP) {
        free(c->arena);
        c->arena = NULL;
        c->acap = 0;
    }
    c->alen = 0;
    c->nspans = 0;
    c->last = PIECE_NONE;
    c->url_off = c->url_len = 0;
    c->body_off = c->body_len = 0;
    c->header_bytes = 0;
    c->has_query = false;
    c->err_status = 0;
    c->in_msg = true;
    c->req.start_ns = uv_hrtime();
    conn_timer_start(c, c->srv->cfg.request_timeout_ms);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct lb_http_conn *c = p->data;
    if (count_header_bytes(c, len) < 0)
        return -1;
    if (c->last != PIECE_URL) {
        c->url_off = c->alen;
        c->last = PIECE_URL;
    }
    c->url_len += len;
    return arena_append(c, at, len);
}

/* Ends the piece being accumulated (URL, name or value) with a NUL. */
static int end_piece(struct lb_http_conn *c)
{
    if (c->last == PIECE_NONE)
        return 0;
    return arena_nul(c);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct lb_http_conn *c = p->data;
    if (count_header_bytes(c, len) < 0)
        return -1;
    if (c->last != PIECE_FIELD) {
        if (end_piece(c) < 0)
            return -1;
        if (c->nspans == c->spans_cap) {
            size_t ncap = c->spans_cap ? c->spans_cap * 2 : 16;
            struct lb_http_span *n = realloc(c->spans, ncap * sizeof(*n));
            if (!n)
                return -1;
            c->spans = n;
            c->spans_cap = ncap;
        }
        struct lb_http_span *sp = &c->spans[c->nspans++];
        sp->noff = c->alen;
        sp->nlen = 0;
        sp->voff = 0;
        sp->vlen = 0;
        c->last = PIECE_FIELD;
    }
    c->spans[c->nspans - 1].nlen += len;
    return arena_append(c, at, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct lb_http_conn *c = p->data;
    if (count_header_bytes(c, len) < 0)
        return -1;
    if (c->nspans == 0)
        return reject(c, 400, "bad_request", "header value without a name");
    struct lb_http_span *sp = &c->spans[c->nspans - 1];
    if (c->last != PIECE_VALUE) {
        if (end_piece(c) < 0)
            return -1;
        sp->voff = c->alen;
        c->last = PIECE_VALUE;
    }
    sp->vlen += len;
    return arena_append(c, at, len);
}

/* Appends s[0..len) and a NUL to the arena; *off receives where. */
static int arena_str(struct lb_http_conn *c, const char *s, size_t len, size_t *off)
{
    *off = c->alen;
    if (arena_append(c, s, len) < 0 || arena_nul(c) < 0)
        return -1;
    return 0;
}

static bool span_is(const struct lb_http_conn *c, const struct lb_http_span *sp, const char *name,
                    const char *value)
{
    return sp->nlen == strlen(name) && strncasecmp(c->arena + sp->noff, name, sp->nlen) == 0 &&
           sp->vlen == strlen(value) && strncasecmp(c->arena + sp->voff, value, sp->vlen) == 0;
}

/* Checks the body's announced size, splits the URL into path and query and
 * answers "100 Continue" to a client that waits for it. */
static int on_headers_complete(http_parser *p)
{
    struct lb_http_conn *c = p->data;
    if (c->last == PIECE_FIELD)
        return reject(c, 400, "bad_request", "header without a value");
    if (end_piece(c) < 0)
        return -1;
    c->last = PIECE_NONE;
    lb_http_server *s = c->srv;
    if (c->via_proxy && proxy_client(c) < 0)
        return -1;

    struct http_parser_url u;
    http_parser_url_init(&u);
    if (c->url_len == 0 ||
        http_parser_parse_url(c->arena + c->url_off, c->url_len, p->method == HTTP_CONNECT, &u))
        return reject(c, 400, "bad_request", "malformed URL");
    /* Path and query are copied to the arena's end; room is reserved first
     * so that the copy's source, inside the arena, does not move. */
    size_t url = c->url_off;
    if (u.field_set & (1 << UF_PATH)) {
        if (buf_reserve(&c->arena, &c->acap, c->alen, u.field_data[UF_PATH].len + 1) < 0)
            return -1;
        if (arena_str(c, c->arena + url + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len,
                      &c->path_off) < 0)
            return -1;
    } else if (arena_str(c, "/", 1, &c->path_off) < 0) {
        return -1;
    }
    if (u.field_set & (1 << UF_QUERY)) {
        if (buf_reserve(&c->arena, &c->acap, c->alen, u.field_data[UF_QUERY].len + 1) < 0)
            return -1;
        if (arena_str(c, c->arena + url + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len,
                      &c->query_off) < 0)
            return -1;
        c->has_query = true;
    }
    c->body_off = c->alen;
    c->body_limit = s->cfg.max_body;
    if (s->cfg.upload_path && strcmp(c->arena + c->path_off, s->cfg.upload_path) == 0)
        c->body_limit = s->cfg.upload_max_body;
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > c->body_limit)
        return reject(c, 413, "payload_too_large", "the request body is too large");

    bool has_body = (p->flags & F_CHUNKED) || ((p->flags & F_CONTENTLENGTH) && p->content_length);
    if (has_body && p->http_major == 1 && p->http_minor >= 1) {
        for (size_t i = 0; i < c->nspans; i++) {
            if (span_is(c, &c->spans[i], "expect", "100-continue")) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                uv_buf_t b = uv_buf_init((char *)cont, sizeof(cont) - 1);
                conn_write(c, &b, 1);
                break;
            }
        }
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct lb_http_conn *c = p->data;
    if (c->body_len + len > c->body_limit)
        return reject(c, 413, "payload_too_large", "the request body is too large");
    c->body_len += len;
    return arena_append(c, at, len);
}

/* Completes the request: points req's fields into the arena (which no longer
 * moves) and pauses the parser, so that conn_parse hands it over. */
static int on_message_complete(http_parser *p)
{
    struct lb_http_conn *c = p->data;
    if (arena_nul(c) < 0)
        return -1;
    if (c->nspans > c->hdrs_cap) {
        struct lb_http_header *n = realloc(c->hdrs, c->nspans * sizeof(*n));
        if (!n)
            return -1;
        c->hdrs = n;
        c->hdrs_cap = c->nspans;
    }
    for (size_t i = 0; i < c->nspans; i++) {
        c->hdrs[i].name = c->arena + c->spans[i].noff;
        c->hdrs[i].value = c->arena + c->spans[i].voff;
    }
    lb_http_req *r = &c->req;
    r->method = (int)p->method;
    r->method_name = http_method_str((enum http_method)p->method);
    r->path = c->arena + c->path_off;
    r->query = c->has_query ? c->arena + c->query_off : NULL;
    r->body = c->arena + c->body_off;
    r->body_len = c->body_len;
    r->headers = c->hdrs;
    r->nheaders = c->nspans;
    r->peer = c->via_proxy ? c->client : c->peer;
    c->keepalive = http_should_keep_alive(p) && !p->upgrade;
    c->head = p->method == HTTP_HEAD;
    c->in_msg = false;
    http_parser_pause(p, 1);
    return 0;
}

/* ---- accepting ---- */

/* The peer-table key of a whole address: IPv4 (mapped) as itself, IPv6 by
 * its /64. */
static void addr_key(const uint8_t addr[16], uint8_t key[16])
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(key, 0, 16);
    memcpy(key, addr, memcmp(addr, v4mapped, 12) == 0 ? 16 : 8);
}

static bool is_trusted(const lb_http_server *s, const uint8_t addr[16])
{
    for (size_t i = 0; i < s->cfg.ntrusted; i++)
        if (memcmp(s->cfg.trusted[i], addr, 16) == 0)
            return true;
    return false;
}

int lb_http_parse_addr(const char *text, uint8_t out[16])
{
    struct in_addr v4;
    if (inet_pton(AF_INET, text, &v4) == 1) {
        memset(out, 0, 16);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &v4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, text, out) == 1 ? 0 : LB_EINVAL;
}

/* A whole address as text: IPv4-mapped as the IPv4 address. */
static void addr_text(const uint8_t addr[16], char *out, size_t len)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(addr, v4mapped, 12) == 0)
        inet_ntop(AF_INET, addr + 12, out, (socklen_t)len);
    else
        inet_ntop(AF_INET6, addr, out, (socklen_t)len);
}

/* The client of a request that came through a trusted proxy: walks the
 * X-Forwarded-For addresses (every such header, in order, one list) from the
 * right and stops at the first that is not trusted. With no header, or an
 * entry that is not an address before an untrusted one was found, the
 * client is the last trusted hop reached (at first the proxy itself).
 * Writes the client's whole address. */
static void forwarded_client(const struct lb_http_conn *c, uint8_t client[16])
{
    memcpy(client, c->peer_addr, 16);
    for (size_t h = c->nspans; h-- > 0;) {
        const struct lb_http_span *sp = &c->spans[h];
        if (sp->nlen != 15 || strncasecmp(c->arena + sp->noff, "x-forwarded-for", 15) != 0)
            continue;
        const char *v = c->arena + sp->voff;
        size_t end = sp->vlen;
        for (;;) {
            size_t start = end;
            while (start > 0 && v[start - 1] != ',')
                start--;
            size_t a = start, b = end;
            while (a < b && (v[a] == ' ' || v[a] == '\t'))
                a++;
            while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
                b--;
            char text[64];
            uint8_t addr[16];
            if (b - a == 0 || b - a >= sizeof text)
                return;
            memcpy(text, v + a, b - a);
            text[b - a] = '\0';
            if (lb_http_parse_addr(text, addr) != 0)
                return;
            memcpy(client, addr, 16);
            if (!is_trusted(c->srv, addr))
                return;
            if (start == 0)
                break;
            end = start - 1;
        }
    }
}

/* A request from a trusted proxy: names its client and counts the
 * connection against the client (no longer against the one before).
 * Returns -1 (503) when the client is at max_per_peer already. */
static int proxy_client(struct lb_http_conn *c)
{
    uint8_t addr[16], key[16];
    forwarded_client(c, addr);
    addr_text(addr, c->client, sizeof c->client);
    if (is_trusted(c->srv, addr)) { /* the proxy's own request: not counted per peer */
        peer_release(c->srv, c);
        return 0;
    }
    addr_key(addr, key);
    if (c->peer_counted && memcmp(key, c->peer_key, 16) == 0)
        return 0;
    peer_release(c->srv, c);
    memcpy(c->peer_key, key, 16);
    if (!peer_take(c->srv, c)) {
        log_refusal(c->srv, c->client, "max_per_peer");
        return reject(c, 503, "overloaded", "too many connections from this address");
    }
    return 0;
}

/* The peer's address as text, and its key in the peer table: an IPv4
 * address as ::ffff:a.b.c.d, an IPv6 address by its /64 (an IPv4-mapped
 * IPv6 address as the IPv4 address it is). */
static void peer_name(struct lb_http_conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    strcpy(c->peer, "unknown");
    memset(c->peer_key, 0, sizeof c->peer_key);
    memset(c->peer_addr, 0, sizeof c->peer_addr);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) < 0)
        return;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        uv_ip4_name(in, c->peer, sizeof(c->peer));
        c->peer_addr[10] = c->peer_addr[11] = 0xff;
        memcpy(c->peer_addr + 12, &in->sin_addr, 4);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        uv_ip6_name(in6, c->peer, sizeof(c->peer));
        memcpy(c->peer_addr, in6->sin6_addr.s6_addr, 16);
    } else {
        return;
    }
    addr_key(c->peer_addr, c->peer_key);
    c->via_proxy = is_trusted(c->srv, c->peer_addr);
}

static void connection_cb(uv_stream_t *server, int status)
{
    lb_http_server *s = server->data;
    if (s->stopping)
        return;
    if (status < 0) {
        struct lb_logfmt f;
        lb_logfmt_init(&f);
        lb_logfmt_str(&f, "err", uv_strerror(status));
        srv_log("warn", "accept failed", &f);
        return;
    }
    struct lb_http_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return; /* libuv calls again while connections wait */
    c->srv = s;
    if (uv_tcp_init(s->loop, &c->tcp) < 0) {
        free(c);
        return;
    }
    c->tcp.data = c;
    if (uv_timer_init(s->loop, &c->timer) < 0) {
        /* The tcp handle is initialized: close it alone. */
        c->closing = true;
        c->closes_pending = 1;
        c->timer.data = c;
        s->nlive++;
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
        return;
    }
    c->timer.data = c;
    s->nlive++;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    peer_name(c);
    bool full = s->nconns >= s->cfg.max_connections;
    if (full || (!c->via_proxy && !peer_take(s, c))) {
        log_refusal(s, c->peer, full ? "max_connections" : "max_per_peer");
        c->rejected = true;
        conn_error(c, 503, "overloaded",
                   full ? "too many connections" : "too many connections from this address");
        conn_update_reading(c);
        conn_pump(c);
        return;
    }
    s->nconns++;
    c->counted = true;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    conn_timer_start(c, s->cfg.first_byte_timeout_ms);
    conn_update_reading(c);
}

/* Parses "HOST:PORT", "[V6]:PORT" into ss. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss)
{
    char host[128];
    const char *colon;
    const char *hs = listen;
    size_t hl;
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        if (!end || end[1] != ':')
            return LB_EINVAL;
        hs = listen + 1;
        hl = (size_t)(end - hs);
        colon = end + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return LB_EINVAL;
        hl = (size_t)(colon - listen);
    }
    if (hl == 0 || hl >= sizeof(host))
        return LB_EINVAL;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    char *endp;
    const char *ps = colon + 1;
    if (*ps < '0' || *ps > '9')
        return LB_EINVAL;
    unsigned long port = strtoul(ps, &endp, 10);
    if (*endp != '\0' || port > 65535)
        return LB_EINVAL;
    memset(ss, 0, sizeof(*ss));
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    return LB_EINVAL;
}

int lb_http_server_start(uv_loop_t *loop, const char *listen, const struct lb_http_config *cfg,
                         lb_http_handler handler, void *arg, lb_http_server **out)
{
    if (!loop || !listen || !handler || !out)
        return LB_EINVAL;
    *out = NULL;
    struct sockaddr_storage ss;
    int rc = parse_listen(listen, &ss);
    if (rc < 0)
        return rc;
    lb_http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return LB_ENOMEM;
    lb_http_config_default(&s->cfg);
    if (cfg) {
        /* Zero fields keep their defaults. */
        if (cfg->max_body)
            s->cfg.max_body = cfg->max_body;
        s->cfg.upload_path = cfg->upload_path;
        s->cfg.upload_max_body = cfg->upload_max_body;
        if (cfg->max_header)
            s->cfg.max_header = cfg->max_header;
        if (cfg->request_timeout_ms)
            s->cfg.request_timeout_ms = cfg->request_timeout_ms;
        if (cfg->idle_timeout_ms)
            s->cfg.idle_timeout_ms = cfg->idle_timeout_ms;
        if (cfg->max_connections)
            s->cfg.max_connections = cfg->max_connections;
        if (cfg->max_pending_write)
            s->cfg.max_pending_write = cfg->max_pending_write;
        if (cfg->first_byte_timeout_ms)
            s->cfg.first_byte_timeout_ms = cfg->first_byte_timeout_ms;
        if (cfg->max_per_peer)
            s->cfg.max_per_peer = cfg->max_per_peer;
        s->cfg.trusted = cfg->trusted;
        s->cfg.ntrusted = cfg->ntrusted;
    }
    s->peers_cap = 16;
    while (s->peers_cap < 2 * (size_t)s->cfg.max_connections)
        s->peers_cap *= 2;
    s->peers = calloc(s->peers_cap, sizeof *s->peers);
    if (!s->peers) {
        free(s);
        return LB_ENOMEM;
    }
    randombytes_buf(s->peer_hash_key, sizeof s->peer_hash_key);
    s->loop = loop;
    s->handler = handler;
    s->arg = arg;
    s->settings.on_message_begin = on_message_begin;
    s->settings.on_url = on_url;
    s->settings.on_header_field = on_header_field;
    s->settings.on_header_value = on_header_value;
    s->settings.on_headers_complete = on_headers_complete;
    s->settings.on_body = on_body;
    s->settings.on_message_complete = on_message_complete;
    /* The parser's own limit (process-wide, counting the request line and
     * the CRLFs too) is raised above ours so that ours decides. */
    if (s->cfg.max_header + 16384 > HTTP_MAX_HEADER_SIZE && s->cfg.max_header < UINT32_MAX / 2)
        http_parser_set_max_header_size((uint32_t)(s->cfg.max_header + 16384));

    if (uv_tcp_init(loop, &s->listen) < 0) {
        free(s->peers);
        free(s);
        return LB_EIO;
    }
    s->listen.data = s;
    int r = uv_tcp_bind(&s->listen, (struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&s->listen, 511, connection_cb);
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    if (r == 0)
        r = uv_tcp_getsockname(&s->listen, (struct sockaddr *)&bound, &blen);
    if (r < 0) {
        struct lb_logfmt f;
        lb_logfmt_init(&f);
        lb_logfmt_str(&f, "addr", listen);
        lb_logfmt_str(&f, "err", uv_strerror(r));
        srv_log("error", "listen failed", &f);
        s->start_failed = true;
        uv_close((uv_handle_t *)&s->listen, listen_close_cb);
        if (r == UV_EADDRINUSE || r == UV_EACCES)
            return LB_EBUSY;
        if (r == UV_EADDRNOTAVAIL || r == UV_EINVAL)
            return LB_EINVAL;
        return LB_EIO;
    }
    if (bound.ss_family == AF_INET6)
        s->port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    else
        s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    *out = s;
    return 0;
}

int lb_http_server_port(const lb_http_server *s)
{
    return s->port;
}

unsigned lb_http_server_connections(const lb_http_server *s)
{
    return s->nconns;
}

size_t lb_http_server_pending_write(const lb_http_server *s)
{
    return s->pending_write;
}

void lb_http_server_stop(lb_http_server *s, void (*done)(void *arg), void *arg)
{
    if (s->stopping)
        return;
    s->stopping = true;
    s->done = done;
    s->done_arg = arg;
    uv_close((uv_handle_t *)&s->listen, listen_close_cb);
    for (struct lb_http_conn *c = s->conns; c; c = c->next) {
        if (c->closing || c->at_handler)
            continue; /* the answer's "Connection: close" ends it */
        if (c->pending_write > 0 && !c->lingering) {
            c->finishing = true;
            c->in_msg = false;
            conn_update_reading(c);
            continue;
        }
        conn_close(c);
    }
    /* With no connections, listen_close_cb finishes the stop. */
}

const char *lb_http_req_header(const lb_http_req *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

void lb_http_respond(lb_http_req *req, int status, const char *content_type,
                     const char *extra_headers, const char *body, size_t len)
{
    struct lb_http_conn *c = CONN_OF_REQ(req);
    if (!c->at_handler)
        return; /* a second answer to one request is a caller bug: ignored */
    c->at_handler = false;
    if (c->closing) {
        /* The peer went away meanwhile: the answer is dropped. */
        if (c->closes_pending == 0)
            conn_free(c);
        return;
    }
    bool close = !c->keepalive || c->srv->stopping || (c->eof && c->inlen == 0);
    conn_send(c, status, content_type, extra_headers, body, len, close, c->head);
    if (c->closing)
        return;
    if (close)
        c->finishing = true;
    conn_timer_start(c, c->srv->cfg.idle_timeout_ms);
    conn_pump(c);
}
