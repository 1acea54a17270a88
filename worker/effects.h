/* effects.h: the worker's writes to lotsd, through the HTTP API.
 *
 * Every effect is one request as the service user with an Idempotency-Key,
 * retried with exponential backoff (100 ms doubling to 5 s, or Retry-After)
 * for as long as lotsd cannot be reached or answers 5xx, 401, 403 or 429: the
 * worker must never skip an effect because lotsd was restarting or
 * misconfigured for a while. Any other answer is returned to the caller to
 * interpret. The only way out of the retry loop is the stop flag (SIGTERM),
 * which makes the call return LB_EBUSY with nothing known about the effect;
 * the caller then leaves the event unapplied, and the idempotency key makes
 * the repeat after restart harmless. */
#ifndef LOTSBOK_WORKER_EFFECTS_H
#define LOTSBOK_WORKER_EFFECTS_H

#include <signal.h>
#include <stdint.h>

#include <jansson.h>

typedef struct lb_effects lb_effects;

/* base_url "http://127.0.0.1:8080"; token the service user's bearer token;
 * stop is polled while waiting between retries. */
int lb_effects_new(const char *base_url, const char *token, volatile sig_atomic_t *stop,
                   lb_effects **out);
void lb_effects_free(lb_effects *e);

/* Sends method path with body (may be NULL) and idempotency key (may be
 * NULL), retrying as above. On 0: *status is the final HTTP status and *resp
 * the parsed JSON answer (NULL when the body is not JSON; json_decref it).
 * LB_EBUSY when stopped, LB_ENOMEM. */
int lb_effects_call(lb_effects *e, const char *method, const char *path, json_t *body,
                    const char *key, long *status, json_t **resp);

/* One attempt, for housekeeping that the next round repeats anyway (the
 * cursor report): no retry and no idempotency key, so a lotsd that cannot
 * be reached never holds up the events. LB_EIO when lotsd could not be
 * reached or answered what lb_effects_call would retry; otherwise as
 * lb_effects_call. */
int lb_effects_try(lb_effects *e, const char *method, const char *path, json_t *body,
                   long *status, json_t **resp);

/* The error code of an error answer {"error":{"code":...}}, or "". */
const char *lb_effects_error_code(const json_t *resp);

/* Requests sent (including retries), for logs and the benchmark. */
uint64_t lb_effects_requests(const lb_effects *e);

#endif
