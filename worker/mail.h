/* mail.h: the survey mail as lots-worker composes it (docs/surveys.md).
 *
 * A composed mail is what SMTP needs and nothing more: the envelope sender
 * and recipient, the header lines (From, To, Subject, Date, Message-ID,
 * List-Unsubscribe, ...) and the two bodies, Swedish text and HTML, in UTF-8.
 * smtp.c turns them into a multipart/alternative message with libcurl's MIME
 * API (quoted-printable bodies). A composed mail is kept, as JSON, in the
 * worker's state from just before the SMTP transaction to just after it, so a
 * mail resent after a crash is the same mail: same Message-ID, same Date, same
 * text. Header values with non-ASCII text (the subject, display names) are
 * RFC 2047 encoded-words. */
#ifndef LOTSBOK_WORKER_MAIL_H
#define LOTSBOK_WORKER_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lotsbok/records.h"

#define LB_MAIL_HEADERS_MAX 12

struct lb_mail {
    char *from_addr;                    /* envelope sender, "a@b" */
    char *rcpt;                         /* envelope recipient, "a@b" */
    char *headers[LB_MAIL_HEADERS_MAX]; /* "Name: value" lines, without CRLF */
    size_t nheaders;
    char *text;
    char *html;
};

void lb_mail_clear(struct lb_mail *m);

/* What the mail needs besides the issue answer (struct lb_mail_ctx). */
struct lb_mail_ctx {
    const char *from;        /* --smtp-from: "Name <addr>" or "addr" */
    const char *public_base; /* --public-base, e.g. "https://enkat.kommun.se" */
    const char *token;       /* the follow-up's survey token */
    const char *message_id;  /* "<...@...>" */
    lb_time now;             /* the Date header */
};

/* Composes the mail of one "send" item of POST /api/v1/surveys/issue's
 * answer (item: recipient, company, items, reminder, sent_at, call_from,
 * expires_at; municipality from the answer's top level). 0, LB_EINVAL when
 * the item lacks what a mail needs (a recipient address), LB_ENOMEM. */
int lb_mail_compose(const struct lb_mail_ctx *ctx, const char *municipality, const json_t *item,
                    struct lb_mail *out);

/* The mail as a JSON object and back (the worker's before-record). */
json_t *lb_mail_to_json(const struct lb_mail *m);
int lb_mail_from_json(const json_t *j, struct lb_mail *out);

/* "Name <addr>" or "addr": the address part into buf; LB_EINVAL when there
 * is no plausible address (no '@', control characters, '<' or '>' inside). */
int lb_mail_address(const char *spec, char *buf, size_t len);

/* value as RFC 2047 encoded-words (UTF-8, base64) when it is not plain
 * printable ASCII, else as it is; folded with CRLF SP between words. A
 * malloc'd string, or NULL. */
char *lb_mail_encode_header(const char *value);

#endif
