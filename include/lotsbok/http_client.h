/* http_client.h: the HTTP/JSON client of lotsd's API, shared by the CLI and the worker.
 *
 * A thin layer over libcurl's easy API. One client holds one CURL handle, so
 * consecutive requests reuse the connection (keep-alive). A client is not
 * thread-safe; use one per thread.
 *
 * Errors: a request that got an HTTP answer returns 0 whatever the status (the
 * caller reads out->status); LB_EIO means the server could not be reached or the
 * exchange broke off (connection refused, DNS failure, timeout, connection reset),
 * so the CLI can exit with its "unreachable" code and the worker can back off and
 * retry. LB_EINVAL is a bad argument (method, path, a header value with control
 * characters), LB_ENOMEM an allocation failure, LB_ETOOBIG a response body over
 * LB_HTTP_CLIENT_MAX_BODY, LB_EINTERNAL any other libcurl failure (e.g. TLS set-up). */
#ifndef LOTSBOK_HTTP_CLIENT_H
#define LOTSBOK_HTTP_CLIENT_H

#include <stddef.h>

#define LB_HTTP_CLIENT_CONNECT_TIMEOUT_MS 2000L
#define LB_HTTP_CLIENT_TIMEOUT_MS 30000L
#define LB_HTTP_CLIENT_MAX_BODY (64u * 1024u * 1024u) /* bytes of one response body */

typedef struct lb_http_client lb_http_client;

struct lb_http_response {
    long status;      /* HTTP status, e.g. 201 */
    char *body;       /* malloc'd, NUL-terminated (also when empty); never NULL after 0 */
    size_t body_len;  /* bytes before the terminating NUL */
    char *location;   /* malloc'd Location header value, or NULL when absent */
    long retry_after; /* Retry-After in seconds, or -1 when absent or not a number */
};

/* A client for base_url ("http://127.0.0.1:8080", or with a path prefix
 * "https://host/lotsbok"; http and https only) sending "Authorization: Bearer
 * token" when token is not NULL. Copies both strings. LB_EINVAL for a URL libcurl
 * cannot parse, another scheme, or a token with characters not allowed in a header. */
int lb_http_client_new(const char *base_url, const char *token, lb_http_client **out);
void lb_http_client_free(lb_http_client *c);

/* Timeouts in milliseconds for the following requests: connecting, and the whole
 * request. Defaults: LB_HTTP_CLIENT_CONNECT_TIMEOUT_MS and LB_HTTP_CLIENT_TIMEOUT_MS.
 * LB_EINVAL when either is not positive. */
int lb_http_client_set_timeouts(lb_http_client *c, long connect_ms, long total_ms);

/* Sends one request and waits for the answer.
 *   method: GET, POST, PUT, PATCH or DELETE.
 *   path: absolute path with optional query, "/api/v1/cases?status=open"; appended to
 *     base_url's path. Query values must already be escaped (lb_http_client_escape).
 *     libcurl's URL API may send escapes with lower-case hex (%c3%a4), which RFC 3986
 *     makes equal to %C3%A4: servers must decode both.
 *   json_body: sent with Content-Type: application/json; NULL sends no body.
 *   idempotency_key, if_match: sent as Idempotency-Key and If-Match when not NULL.
 * Every request sends Accept: application/json. *out is overwritten, not freed: clear a
 * previous answer first. On 0, *out holds the answer (free it with
 * lb_http_response_clear); on failure *out owns nothing (status 0, body NULL). */
int lb_http_client_request(lb_http_client *c, const char *method, const char *path,
                           const char *json_body, const char *idempotency_key, const char *if_match,
                           struct lb_http_response *out);

/* As lb_http_client_request, with a body of len bytes of any content_type
 * (a file: CSV, XLSX) instead of JSON; progress, when not NULL, is called as
 * the body goes out (sent of total bytes), for a progress bar. */
int lb_http_client_upload(lb_http_client *c, const char *method, const char *path, const void *body,
                          size_t len, const char *content_type,
                          void (*progress)(void *arg, size_t sent, size_t total), void *arg,
                          struct lb_http_response *out);

/* The last request's failure as libcurl words it ("Failed to connect to … : Connection
 * refused"), for a user-facing message; "" when the last request did not fail. */
const char *lb_http_client_errmsg(const lb_http_client *c);

/* Frees what a response owns and zeroes it; a zeroed response may be cleared again. */
void lb_http_response_clear(struct lb_http_response *r);

/* s percent-encoded for use as one query value (or path segment): a malloc'd string
 * the caller frees with free(), or NULL when s is NULL or memory is short. */
char *lb_http_client_escape(const char *s);

#endif
