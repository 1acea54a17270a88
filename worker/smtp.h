/* smtp.h: sending one composed mail over SMTP with libcurl (docs/surveys.md).
 *
 * One client keeps one libcurl easy handle, so consecutive mails reuse the
 * connection. `smtps://` is TLS from the start; `smtp://` requires STARTTLS
 * (CURLUSESSL_ALL), except to a loopback host (a local relay, `make run`'s
 * sink), where TLS is used when offered. Certificates are verified.
 * Credentials come from a file that must be mode 0600 (or stricter): its
 * first line is "username:password".
 *
 * The outcome of a transaction is one of three, which is all the survey's
 * exactly-once rule needs (mailer.c): sent (250 after the data), temporary
 * (a 4xx, or no answer at all: connection refused, timeout, TLS failure,
 * authentication refused, our sender refused — worth retrying, possibly by
 * an operator), or permanent (a 5xx to the recipient or to the message: the
 * address is bounced). */
#ifndef LOTSBOK_WORKER_SMTP_H
#define LOTSBOK_WORKER_SMTP_H

#include <signal.h>

#include "mail.h"

typedef struct lb_smtp lb_smtp;

enum lb_smtp_outcome { LB_SMTP_SENT, LB_SMTP_TEMPORARY, LB_SMTP_PERMANENT };

/* url "smtp://host:587" or "smtps://host:465"; credentials_file may be NULL.
 * LB_EINVAL for another scheme or a URL libcurl cannot parse; LB_EPERM when
 * the credentials file is readable by group or others; LB_EIO when it cannot
 * be read. */
int lb_smtp_new(const char *url, const char *credentials_file, lb_smtp **out);
void lb_smtp_free(lb_smtp *s);
/* A transaction under way is abandoned (a temporary outcome: not known to be
 * sent) as soon as *stop is set, so SIGTERM never waits for a silent server;
 * the exactly-once record (mailer.c) resends it with the same Message-ID. */
void lb_smtp_set_stop(lb_smtp *s, volatile sig_atomic_t *stop);

/* Sends m. *code is the last SMTP reply code (0 when none came) and detail
 * libcurl's words for a failure (never the address). 0 with *outcome set, or
 * LB_ENOMEM. */
int lb_smtp_send(lb_smtp *s, const struct lb_mail *m, enum lb_smtp_outcome *outcome, long *code,
                 char *detail, size_t detail_len);

#endif
