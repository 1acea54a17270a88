/* http_client.c: the libcurl client of lotsd's HTTP/JSON API (CLI and worker).
 *
 * One CURL easy handle per client. Before each request the handle is reset
 * (curl_easy_reset keeps live connections, so keep-alive survives) and every option
 * is set again, so nothing from one request leaks into the next. URLs are built with
 * libcurl's URL API: the base URL is parsed once at creation; each request copies it
 * and sets the path (base path + request path) and the query, so a base with a path
 * prefix works and nothing is joined by hand. The response body is collected into
 * one growing buffer, capped at LB_HTTP_CLIENT_MAX_BODY. libcurl's result codes are
 * translated into lb_err in curl_to_lb(), the one place that knows them. */
#include "lotsbok/http_client.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lotsbok/error.h"

struct lb_http_client {
    CURL *curl;
    CURLU *base;       /* the parsed base URL */
    char *base_path;   /* its path without the trailing '/', "" for the root */
    char *auth_header; /* "Authorization: Bearer …", or NULL */
    long connect_ms;
    long total_ms;
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* true when every byte of s is printable ASCII (space allowed only when `space`). */
static bool header_safe(const char *s, bool space)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p > 0x7e || *p < 0x20 || (*p == ' ' && !space))
            return false;
    }
    return true;
}

/* "Name: value" in a fresh malloc'd string, or NULL. */
static char *header_line(const char *name, const char *value)
{
    size_t n = strlen(name) + 2 + strlen(value) + 1;
    char *line = malloc(n);
    if (line != NULL) {
        strcpy(line, name);
        strcat(line, ": ");
        strcat(line, value);
    }
    return line;
}

static int urlcode_to_lb(CURLUcode uc)
{
    return uc == CURLUE_OUT_OF_MEMORY ? LB_ENOMEM : LB_EINVAL;
}

int lb_http_client_new(const char *base_url, const char *token, lb_http_client **out)
{
    if (base_url == NULL || out == NULL)
        return LB_EINVAL;
    if (token != NULL && (token[0] == '\0' || !header_safe(token, false)))
        return LB_EINVAL;
    if (pthread_once(&global_once, global_init) != 0 || global_rc != CURLE_OK)
        return LB_EINTERNAL;

    lb_http_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return LB_ENOMEM;
    c->connect_ms = LB_HTTP_CLIENT_CONNECT_TIMEOUT_MS;
    c->total_ms = LB_HTTP_CLIENT_TIMEOUT_MS;
    int rc = LB_ENOMEM;
    char *scheme = NULL, *path = NULL;
    c->curl = curl_easy_init();
    c->base = curl_url();
    if (c->curl == NULL || c->base == NULL)
        goto fail;

    CURLUcode uc = curl_url_set(c->base, CURLUPART_URL, base_url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(c->base, CURLUPART_SCHEME, &scheme, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(c->base, CURLUPART_PATH, &path, 0);
    if (uc != CURLUE_OK) {
        rc = urlcode_to_lb(uc);
        goto fail;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        rc = LB_EINVAL;
        goto fail;
    }
    /* Query and fragment of the base are dropped: each request sets its own. */
    if (curl_url_set(c->base, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
        curl_url_set(c->base, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
        goto fail;
    size_t plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    c->base_path = strndup(path, plen);
    if (c->base_path == NULL)
        goto fail;
    if (token != NULL) {
        size_t n = strlen("Authorization: Bearer ") + strlen(token) + 1;
        c->auth_header = malloc(n);
        if (c->auth_header == NULL)
            goto fail;
        strcpy(c->auth_header, "Authorization: Bearer ");
        strcat(c->auth_header, token);
    }
    curl_free(scheme);
    curl_free(path);
    *out = c;
    return 0;

fail:
    curl_free(scheme);
    curl_free(path);
    lb_http_client_free(c);
    return rc;
}

void lb_http_client_free(lb_http_client *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    curl_url_cleanup(c->base);
    free(c->base_path);
    if (c->auth_header != NULL) {
        /* The token is a credential: do not leave it in freed memory. */
        memset(c->auth_header, 0, strlen(c->auth_header));
        free(c->auth_header);
    }
    free(c);
}

int lb_http_client_set_timeouts(lb_http_client *c, long connect_ms, long total_ms)
{
    if (c == NULL || connect_ms <= 0 || total_ms <= 0)
        return LB_EINVAL;
    c->connect_ms = connect_ms;
    c->total_ms = total_ms;
    return 0;
}

const char *lb_http_client_errmsg(const lb_http_client *c)
{
    return c == NULL ? "" : c->errbuf;
}

void lb_http_response_clear(struct lb_http_response *r)
{
    if (r == NULL)
        return;
    free(r->body);
    free(r->location);
    memset(r, 0, sizeof *r);
    r->retry_after = -1;
}

char *lb_http_client_escape(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s);
    if (n > INT_MAX)
        return NULL;
    if (pthread_once(&global_once, global_init) != 0 || global_rc != CURLE_OK)
        return NULL;
    /* curl_easy_escape needs no handle (libcurl >= 7.82 ignores it); its result must be
     * released with curl_free, so hand the caller a plain malloc'd copy. */
    char *e = curl_easy_escape(NULL, s, (int)n);
    if (e == NULL)
        return NULL;
    char *copy = strdup(e);
    curl_free(e);
    return copy;
}

/* ---- one request ---- */

struct body_buf {
    char *data;
    size_t len;
    size_t cap;
    int err; /* why the write callback stopped the transfer: LB_ETOOBIG or LB_ENOMEM */
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct body_buf *b = userdata;
    size_t n = size * nmemb; /* libcurl guarantees size == 1 */
    if (n > LB_HTTP_CLIENT_MAX_BODY - b->len) {
        b->err = LB_ETOOBIG;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 4096 : b->cap;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (p == NULL) {
            b->err = LB_ENOMEM;
            return 0;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* The one translation of libcurl's result codes. Everything that means "no answer came
 * back from the server" is LB_EIO. */
static int curl_to_lb(CURLcode cc, const struct body_buf *b)
{
    switch (cc) {
    case CURLE_OK:
        return 0;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return LB_EIO;
    case CURLE_WRITE_ERROR:
        return b->err != 0 ? b->err : LB_EIO;
    case CURLE_OUT_OF_MEMORY:
        return LB_ENOMEM;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return LB_EINVAL;
    default:
        return LB_EINTERNAL;
    }
}

static bool method_known(const char *m)
{
    static const char *const known[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(m, known[i]) == 0)
            return true;
    }
    return false;
}

/* The full URL of path (with its query) under the client's base: a string to release
 * with curl_free in *url. */
static int build_url(const lb_http_client *c, const char *path, char **url)
{
    const char *q = strchr(path, '?');
    size_t plen = q != NULL ? (size_t)(q - path) : strlen(path);
    size_t blen = strlen(c->base_path);
    char *full = malloc(blen + plen + 1);
    CURLU *u = curl_url_dup(c->base);
    if (full == NULL || u == NULL) {
        free(full);
        curl_url_cleanup(u);
        return LB_ENOMEM;
    }
    memcpy(full, c->base_path, blen);
    memcpy(full + blen, path, plen);
    full[blen + plen] = '\0';
    /* No CURLU_URLENCODE: the caller escaped query values, and our paths are plain. */
    CURLUcode uc = curl_url_set(u, CURLUPART_PATH, full, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_set(u, CURLUPART_QUERY, q != NULL ? q + 1 : NULL, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_URL, url, 0);
    free(full);
    curl_url_cleanup(u);
    return uc == CURLUE_OK ? 0 : urlcode_to_lb(uc);
}

/* Appends line to *list; false when memory is short (*list is then left as it was and
 * must still be freed by the caller). */
static bool add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);
    if (l == NULL)
        return false;
    *list = l;
    return true;
}

static int build_headers(const lb_http_client *c, const char *ctype, const char *idempotency_key,
                         const char *if_match, struct curl_slist **out)
{
    struct curl_slist *h = NULL;
    char *idem = NULL, *match = NULL, *ct = ctype ? header_line("Content-Type", ctype) : NULL;
    bool ok = (ctype == NULL || ct != NULL) && add_header(&h, "Accept: application/json") &&
              /* No "Expect: 100-continue" round trip for larger bodies. */
              add_header(&h, "Expect:") &&
              /* With a body, its type; without one, no Content-Type at all (libcurl
               * would otherwise announce a form for an empty POST). */
              add_header(&h, ct != NULL ? ct : "Content-Type:") &&
              (c->auth_header == NULL || add_header(&h, c->auth_header));
    free(ct);
    if (ok && idempotency_key != NULL) {
        idem = header_line("Idempotency-Key", idempotency_key);
        ok = idem != NULL && add_header(&h, idem);
    }
    if (ok && if_match != NULL) {
        match = header_line("If-Match", if_match);
        ok = match != NULL && add_header(&h, match);
    }
    free(idem); /* curl_slist_append copies */
    free(match);
    if (!ok) {
        curl_slist_free_all(h);
        return LB_ENOMEM;
    }
    *out = h;
    return 0;
}

/* Every option of one request, set on a freshly reset handle. */
struct upload {
    const void *body; /* NULL: no body */
    size_t len;
    void (*progress)(void *arg, size_t sent, size_t total);
    void *arg;
};

static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const struct upload *u = p;
    (void)dltotal, (void)dlnow, (void)ultotal;
    u->progress(u->arg, (size_t)ulnow, u->len);
    return 0;
}

static int set_options(lb_http_client *c, const char *method, const char *url,
                       const struct upload *u, struct curl_slist *headers, struct body_buf *b)
{
    CURL *h = c->curl;
    CURLcode cc = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = curl_easy_setopt(h, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for timeouts: safe in threads */
    SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
    SET(CURLOPT_TIMEOUT_MS, c->total_ms);
    SET(CURLOPT_ERRORBUFFER, c->errbuf);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, b);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_ACCEPT_ENCODING, NULL);
    bool has_body = u->body != NULL;
    bool sends_body = has_body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
                      strcmp(method, "PATCH") == 0;
    if (sends_body) {
        /* POST/PUT/PATCH without a body still send "Content-Length: 0". */
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(has_body ? u->len : 0));
        SET(CURLOPT_POSTFIELDS, has_body ? u->body : "");
        if (u->progress) {
            SET(CURLOPT_XFERINFOFUNCTION, on_progress);
            SET(CURLOPT_XFERINFODATA, u);
            SET(CURLOPT_NOPROGRESS, 0L);
        }
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
    SET(CURLOPT_CUSTOMREQUEST, method);
#undef SET
    return cc == CURLE_OK ? 0 : curl_to_lb(cc, b);
}

/* A header of the last response, or NULL. */
static const char *response_header(CURL *h, const char *name)
{
    struct curl_header *hd = NULL;
    if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || hd == NULL)
        return NULL;
    return hd->value;
}

/* Retry-After as delta-seconds; -1 for an HTTP-date or anything else. */
static long parse_retry_after(const char *v)
{
    if (v == NULL || *v < '0' || *v > '9')
        return -1;
    long n = 0;
    for (; *v >= '0' && *v <= '9'; v++) {
        if (n > (LONG_MAX - 9) / 10)
            return -1;
        n = n * 10 + (*v - '0');
    }
    return *v == '\0' ? n : -1;
}

static int do_request(lb_http_client *c, const char *method, const char *path,
                      const struct upload *u, const char *ctype, const char *idempotency_key,
                      const char *if_match, struct lb_http_response *out)
{
    if (out == NULL)
        return LB_EINVAL;
    memset(out, 0, sizeof *out);
    out->retry_after = -1;
    if (c == NULL || method == NULL || path == NULL || !method_known(method))
        return LB_EINVAL;
    /* The path goes on the request line: printable ASCII, no spaces, no fragment. */
    if (path[0] != '/' || !header_safe(path, false) || strchr(path, '#') != NULL)
        return LB_EINVAL;
    if ((idempotency_key != NULL && !header_safe(idempotency_key, true)) ||
        (if_match != NULL && !header_safe(if_match, true)))
        return LB_EINVAL;
    c->errbuf[0] = '\0';

    char *url = NULL;
    struct curl_slist *headers = NULL;
    struct body_buf b = {0};
    int rc = build_url(c, path, &url);
    if (rc == 0)
        rc = build_headers(c, u->body ? ctype : NULL, idempotency_key, if_match, &headers);
    if (rc == 0) {
        curl_easy_reset(c->curl);
        rc = set_options(c, method, url, u, headers, &b);
    }
    if (rc == 0) {
        CURLcode cc = curl_easy_perform(c->curl);
        rc = curl_to_lb(cc, &b);
        if (cc != CURLE_OK && c->errbuf[0] == '\0')
            snprintf(c->errbuf, sizeof c->errbuf, "%s", curl_easy_strerror(cc));
    }

    long status = 0;
    if (rc == 0 && curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        rc = LB_EINTERNAL;
    const char *loc = rc == 0 ? response_header(c->curl, "Location") : NULL;
    if (rc == 0 && loc != NULL && (out->location = strdup(loc)) == NULL)
        rc = LB_ENOMEM;
    if (rc == 0 && b.data == NULL && (b.data = calloc(1, 1)) == NULL)
        rc = LB_ENOMEM;
    if (rc == 0) {
        out->status = status;
        out->body = b.data;
        out->body_len = b.len;
        out->retry_after = parse_retry_after(response_header(c->curl, "Retry-After"));
    } else {
        free(b.data);
        lb_http_response_clear(out);
    }
    /* The handle keeps the header list's address until the next reset: detach it before
     * freeing it. Setting a NULL list cannot fail. */
    (void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    curl_free(url);
    return rc;
}

int lb_http_client_request(lb_http_client *c, const char *method, const char *path,
                           const char *json_body, const char *idempotency_key, const char *if_match,
                           struct lb_http_response *out)
{
    struct upload u = {json_body, json_body ? strlen(json_body) : 0, NULL, NULL};
    return do_request(c, method, path, &u, "application/json", idempotency_key, if_match, out);
}

int lb_http_client_upload(lb_http_client *c, const char *method, const char *path, const void *body,
                          size_t len, const char *content_type,
                          void (*progress)(void *arg, size_t sent, size_t total), void *arg,
                          struct lb_http_response *out)
{
    if (body == NULL || content_type == NULL || !header_safe(content_type, true)) {
        if (out) {
            memset(out, 0, sizeof *out);
            out->retry_after = -1;
        }
        return LB_EINVAL;
    }
    struct upload u = {body, len, progress, arg};
    return do_request(c, method, path, &u, content_type, NULL, NULL, out);
}
