/* effects.c: HTTP effects with retry and backoff (see effects.h).
 *
 * Uses lotsbok's libcurl client (one keep-alive connection). Waiting between
 * retries sleeps in slices of 50 ms so that SIGTERM is noticed promptly. */
#include "effects.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lotsbok/error.h"
#include "lotsbok/http_client.h"
#include "wlog.h"

struct lb_effects {
    lb_http_client *http;
    volatile sig_atomic_t *stop;
    uint64_t requests;
};

int lb_effects_new(const char *base_url, const char *token, volatile sig_atomic_t *stop,
                   lb_effects **out)
{
    *out = NULL;
    lb_effects *e = calloc(1, sizeof *e);
    if (e == NULL)
        return LB_ENOMEM;
    int rc = lb_http_client_new(base_url, token, &e->http);
    if (rc != 0) {
        free(e);
        return rc;
    }
    e->stop = stop;
    *out = e;
    return 0;
}

void lb_effects_free(lb_effects *e)
{
    if (e == NULL)
        return;
    lb_http_client_free(e->http);
    free(e);
}

uint64_t lb_effects_requests(const lb_effects *e)
{
    return e->requests;
}

/* Sleeps ms milliseconds unless stopped; false when stopped. */
static bool nap(lb_effects *e, long ms)
{
    while (ms > 0) {
        if (*e->stop)
            return false;
        long slice = ms < 50 ? ms : 50;
        struct timespec ts = {0, slice * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
    return !*e->stop;
}

static bool retryable(long status)
{
    return status >= 500 || status == 401 || status == 403 || status == 429 || status == 408;
}

/* The retry loop of lb_effects_call and lb_effects_try: tries at most
 * `tries` times (0: until stopped). */
static int effects_send(lb_effects *e, const char *method, const char *path, json_t *body,
                        const char *key, int tries, long *status, json_t **resp)
{
    *status = 0;
    *resp = NULL;
    char *text = NULL;
    if (body != NULL) {
        text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
        if (text == NULL)
            return LB_ENOMEM;
    }
    long backoff = 100;
    int rc;
    for (;;) {
        struct lb_http_response r = {0};
        e->requests++;
        rc = lb_http_client_request(e->http, method, path, text, key, NULL, &r);
        if (rc == LB_ENOMEM || rc == LB_EINVAL || rc == LB_ETOOBIG)
            break;
        long wait = backoff;
        if (rc == 0 && !retryable(r.status)) {
            *status = r.status;
            *resp = json_loadb(r.body, r.body_len, 0, NULL);
            lb_http_response_clear(&r);
            break;
        }
        if (tries > 0 && --tries == 0) {
            *status = rc == 0 ? r.status : 0;
            lb_http_response_clear(&r);
            rc = LB_EIO;
            break;
        }
        if (rc == 0) {
            lb_wlog("warn", "lotsd answered, retrying", "method=%s path=%s status=%ld key=%s",
                    method, path, r.status, key ? key : "");
            if (r.retry_after > 0)
                wait = r.retry_after * 1000L;
        } else {
            lb_wlog("warn", "lotsd unreachable, retrying", "method=%s path=%s error=\"%s\"", method,
                    path, lb_http_client_errmsg(e->http));
        }
        lb_http_response_clear(&r);
        if (!nap(e, wait)) {
            rc = LB_EBUSY;
            break;
        }
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
    free(text);
    return rc;
}

int lb_effects_call(lb_effects *e, const char *method, const char *path, json_t *body,
                    const char *key, long *status, json_t **resp)
{
    return effects_send(e, method, path, body, key, 0, status, resp);
}

int lb_effects_try(lb_effects *e, const char *method, const char *path, json_t *body,
                   long *status, json_t **resp)
{
    return effects_send(e, method, path, body, NULL, 1, status, resp);
}

const char *lb_effects_error_code(const json_t *resp)
{
    json_t *err = json_object_get(resp, "error");
    const char *code = json_string_value(json_object_get(err, "code"));
    return code != NULL ? code : "";
}
