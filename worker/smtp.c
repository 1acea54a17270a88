/* smtp.c: one composed mail over SMTP with libcurl (smtp.h).
 *
 * The message is libcurl's MIME: a multipart/alternative part holding the
 * text and the HTML body, each quoted-printable in UTF-8, inside the message
 * libcurl builds (the shape of curl's own smtp-mime example); our header
 * lines go on top through CURLOPT_HTTPHEADER, which for SMTP are the mail's
 * headers. libcurl answers CURLE_OK only on the 250 after the data; the reply
 * code of a failure (CURLINFO_RESPONSE_CODE) and libcurl's message tell a
 * refused recipient or message (5xx: permanent) from everything worth
 * retrying. A 5xx to MAIL FROM ("MAIL failed") means our sender is refused:
 * that is the operator's to fix, so it is temporary, never the company's
 * address's fault. */
#include "smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "lotsbok/error.h"

struct lb_smtp {
    CURL *curl;
    char *url;
    char *user, *password;
    bool loopback, implicit_tls;
    char errbuf[CURL_ERROR_SIZE];
    volatile sig_atomic_t *stop; /* NULL: never abandoned */
};

void lb_smtp_set_stop(lb_smtp *s, volatile sig_atomic_t *stop)
{
    s->stop = stop;
}

/* libcurl's progress callback: non-zero abandons the transfer. */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const lb_smtp *s = arg;
    return s->stop && *s->stop ? 1 : 0;
}

static int read_credentials(const char *path, lb_smtp *s)
{
    struct stat st;
    FILE *f = fopen(path, "r");
    if (!f)
        return LB_EIO;
    if (fstat(fileno(f), &st) != 0 || (st.st_mode & 077) != 0) {
        fclose(f);
        return LB_EPERM;
    }
    char line[1024];
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    if (!ok)
        return LB_EIO;
    line[strcspn(line, "\r\n")] = '\0';
    char *colon = strchr(line, ':');
    if (!colon || colon == line) {
        memset(line, 0, sizeof line);
        return LB_EINVAL;
    }
    *colon = '\0';
    s->user = strdup(line);
    s->password = strdup(colon + 1);
    memset(line, 0, sizeof line);
    return s->user && s->password ? 0 : LB_ENOMEM;
}

int lb_smtp_new(const char *url, const char *credentials_file, lb_smtp **out)
{
    *out = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return LB_EINTERNAL;
    lb_smtp *s = calloc(1, sizeof *s);
    if (!s)
        return LB_ENOMEM;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = LB_EINVAL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        (strcmp(scheme, "smtp") == 0 || strcmp(scheme, "smtps") == 0)) {
        s->implicit_tls = strcmp(scheme, "smtps") == 0;
        s->loopback = strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
                      strcmp(host, "[::1]") == 0;
        rc = 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    if (rc == 0 && credentials_file)
        rc = read_credentials(credentials_file, s);
    if (rc == 0 && (!(s->url = strdup(url)) || !(s->curl = curl_easy_init())))
        rc = LB_ENOMEM;
    if (rc != 0) {
        lb_smtp_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void lb_smtp_free(lb_smtp *s)
{
    if (!s)
        return;
    /* Cleanup says QUIT on a connection still open and waits for the reply
     * up to 120 s, whatever our timeouts: when the worker is stopping, the
     * connection is shut first, so a silent server cannot hold its exit. */
    if (s->curl) {
        curl_socket_t sock = CURL_SOCKET_BAD;
        if (s->stop && *s->stop &&
            curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &sock) == CURLE_OK &&
            sock != CURL_SOCKET_BAD)
            shutdown(sock, SHUT_RDWR);
        curl_easy_cleanup(s->curl);
    }
    free(s->url);
    free(s->user);
    if (s->password) {
        memset(s->password, 0, strlen(s->password));
        free(s->password);
    }
    free(s);
}

/* s with every line ending CRLF (quoted-printable keeps CRLF as a line
 * break and would encode a bare LF). */
static char *crlf(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++)
        n += *p == '\n' ? 2 : 1;
    char *out = malloc(n + 1), *o = out;
    for (const char *p = s; out && *p; p++) {
        if (*p == '\n' && (p == s || p[-1] != '\r'))
            *o++ = '\r';
        *o++ = *p;
    }
    if (out)
        *o = '\0';
    return out;
}

/* The message: multipart/alternative (text, then HTML) inside libcurl's
 * mail. NULL when out of memory. */
static curl_mime *build(CURL *c, const struct lb_mail *m)
{
    curl_mime *mime = curl_mime_init(c), *alt = curl_mime_init(c);
    curl_mimepart *part;
    char *text = crlf(m->text), *html = crlf(m->html);
    int bad = !mime || !alt || !text || !html;
    if (!bad) {
        part = curl_mime_addpart(alt);
        bad |= !part || curl_mime_data(part, text, CURL_ZERO_TERMINATED) != CURLE_OK ||
               curl_mime_type(part, "text/plain; charset=utf-8") != CURLE_OK ||
               curl_mime_encoder(part, "quoted-printable") != CURLE_OK;
        part = curl_mime_addpart(alt);
        bad |= !part || curl_mime_data(part, html, CURL_ZERO_TERMINATED) != CURLE_OK ||
               curl_mime_type(part, "text/html; charset=utf-8") != CURLE_OK ||
               curl_mime_encoder(part, "quoted-printable") != CURLE_OK;
        part = curl_mime_addpart(mime);
        bad |= !part || curl_mime_subparts(part, alt) != CURLE_OK;
        if (!bad)
            alt = NULL; /* owned by mime now */
        bad |= !part || curl_mime_type(part, "multipart/alternative") != CURLE_OK;
    }
    free(text); /* curl_mime_data copied them */
    free(html);
    if (alt)
        curl_mime_free(alt);
    if (bad) {
        curl_mime_free(mime);
        return NULL;
    }
    return mime;
}

int lb_smtp_send(lb_smtp *s, const struct lb_mail *m, enum lb_smtp_outcome *outcome, long *code,
                 char *detail, size_t detail_len)
{
    CURL *c = s->curl;
    *outcome = LB_SMTP_TEMPORARY;
    *code = 0;
    detail[0] = '\0';
    char from[340], rcpt[340];
    snprintf(from, sizeof from, "<%s>", m->from_addr);
    snprintf(rcpt, sizeof rcpt, "<%s>", m->rcpt);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt), *headers = NULL;
    for (size_t i = 0; rcpts && i < m->nheaders; i++) {
        struct curl_slist *h = curl_slist_append(headers, m->headers[i]);
        if (!h) {
            curl_slist_free_all(headers);
            headers = NULL;
            break;
        }
        headers = h;
    }
    curl_mime *mime = rcpts && headers ? build(c, m) : NULL;
    if (!mime) {
        curl_slist_free_all(rcpts);
        curl_slist_free_all(headers);
        return LB_ENOMEM;
    }
    s->errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    if (!s->implicit_tls)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)(s->loopback ? CURLUSESSL_TRY : CURLUSESSL_ALL));
    if (s->user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, s->password);
    }
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    /* Nothing of this mail may outlive the call in the handle. */
    curl_easy_setopt(c, CURLOPT_MIMEPOST, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_mime_free(mime);
    curl_slist_free_all(rcpts);
    curl_slist_free_all(headers);
    if (cc == CURLE_OK) {
        *outcome = LB_SMTP_SENT;
        return 0;
    }
    snprintf(detail, detail_len, "%s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc));
    bool ours = strncmp(s->errbuf, "MAIL failed", 11) == 0 || cc == CURLE_LOGIN_DENIED;
    if (*code >= 500 && *code < 600 && !ours)
        *outcome = LB_SMTP_PERMANENT;
    return 0;
}
