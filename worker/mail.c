/* mail.c: composing the survey mail (mail.h).
 *
 * The text is written for the company's contact person, in plain Swedish:
 * who asks (the municipality), what about (each matter: the unit or the
 * företagslots, the case's subject and number, the day it ended), how long it
 * takes, the personal link and until when it works, that an unanswered survey
 * may become a phone call, and how to opt out. A reminder says when the first
 * mail was sent. The HTML body says the same with the link as a button; it
 * needs no images and no styles beyond a few inline ones, so it reads the
 * same in any mail program and to a screen reader.
 *
 * Base64 for the encoded-words is libsodium's; the bodies' quoted-printable
 * is libcurl's (smtp.c). */
#include "mail.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"

void lb_mail_clear(struct lb_mail *m)
{
    free(m->from_addr);
    free(m->rcpt);
    for (size_t i = 0; i < m->nheaders; i++)
        free(m->headers[i]);
    free(m->text);
    free(m->html);
    memset(m, 0, sizeof *m);
}

/* --- a growing string ------------------------------------------------------- */

struct buf {
    char *p;
    size_t n, cap;
    int err;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->err)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 2048;
        while (b->n + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->err = LB_ENOMEM;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void fmt(struct buf *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void fmt(struct buf *b, const char *f, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(tmp, sizeof tmp, f, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        b->err = LB_EINVAL;
    else
        put(b, tmp, (size_t)n);
}

/* HTML text, escaped. */
static void esc(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            puts_(b, "&amp;");
            break;
        case '<':
            puts_(b, "&lt;");
            break;
        case '>':
            puts_(b, "&gt;");
            break;
        case '"':
            puts_(b, "&quot;");
            break;
        default:
            put(b, s, 1);
        }
    }
}

/* --- header values -------------------------------------------------------------- */

static bool plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

char *lb_mail_encode_header(const char *value)
{
    struct buf b = {0};
    if (plain_ascii(value)) {
        puts_(&b, value);
        return b.err ? (free(b.p), NULL) : b.p;
    }
    /* Encoded-words of at most 45 input bytes (60 base64 characters, 72 with
     * the frame: under RFC 2047's 75), never splitting a UTF-8 sequence. */
    const unsigned char *s = (const unsigned char *)value;
    size_t len = strlen(value), i = 0;
    while (i < len) {
        size_t n = len - i < 45 ? len - i : 45;
        while (n > 0 && i + n < len && (s[i + n] & 0xC0) == 0x80)
            n--;
        if (n == 0)
            n = 1;
        char b64[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, s + i, n, sodium_base64_VARIANT_ORIGINAL);
        if (i > 0)
            puts_(&b, "\r\n ");
        fmt(&b, "=?UTF-8?B?%s?=", b64);
        i += n;
    }
    return b.err ? (free(b.p), NULL) : b.p;
}

int lb_mail_address(const char *spec, char *buf, size_t len)
{
    const char *lt = strrchr(spec, '<'), *a = spec, *e = spec + strlen(spec);
    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt)
            return LB_EINVAL;
        a = lt + 1;
        e = gt;
    }
    while (a < e && *a == ' ')
        a++;
    while (e > a && e[-1] == ' ')
        e--;
    size_t n = (size_t)(e - a);
    if (n == 0 || n >= len || !memchr(a, '@', n))
        return LB_EINVAL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] <= 0x20 || a[i] == '<' || a[i] == '>' || a[i] == 0x7f)
            return LB_EINVAL;
    memcpy(buf, a, n);
    buf[n] = '\0';
    return 0;
}

/* "Name <addr>" with the name encoded, or "addr". */
static char *mailbox(const char *name, const char *addr)
{
    struct buf b = {0};
    if (name && *name) {
        /* A plain ASCII name is quoted (it may hold a comma); any other is
         * an encoded-word, which needs no quotes. */
        if (plain_ascii(name) && !strpbrk(name, "\"\\")) {
            fmt(&b, "\"%s\"", name);
        } else {
            char *enc = lb_mail_encode_header(name);
            if (!enc)
                return NULL;
            puts_(&b, enc);
            free(enc);
        }
        fmt(&b, " <%s>", addr);
    } else {
        puts_(&b, addr);
    }
    return b.err ? (free(b.p), NULL) : b.p;
}

/* The display name of "Name <addr>", or NULL. */
static char *spec_name(const char *spec)
{
    const char *lt = strrchr(spec, '<');
    if (!lt)
        return NULL;
    const char *a = spec, *e = lt;
    while (a < e && (*a == ' ' || *a == '"'))
        a++;
    while (e > a && (e[-1] == ' ' || e[-1] == '"'))
        e--;
    return e > a ? strndup(a, (size_t)(e - a)) : NULL;
}

/* --- dates in Swedish ------------------------------------------------------------- */

static const char *const months[] = {"januari",   "februari", "mars",     "april",
                                     "maj",       "juni",     "juli",     "augusti",
                                     "september", "oktober",  "november", "december"};

/* "30 november 2026" for a "YYYY-MM-DD", or "" when it does not parse. */
static void date_sv(const char *iso, char *out, size_t len)
{
    lb_date d;
    out[0] = '\0';
    if (!iso || lb_date_parse(iso, &d) != 0)
        return;
    int y, m, day;
    lb_date_to_ymd(d, &y, &m, &day);
    snprintf(out, len, "%d %s %d", day, months[m - 1], y);
}

/* The same for an RFC 3339 instant, by its Stockholm date. */
static void instant_sv(const char *rfc, char *out, size_t len)
{
    lb_time t;
    char iso[16];
    out[0] = '\0';
    if (!rfc || lb_time_parse_rfc3339(rfc, &t) != 0)
        return;
    lb_date_format(lb_stockholm_date(t), iso);
    date_sv(iso, out, len);
}

/* RFC 5322's date in Stockholm time: "Tue, 01 Dec 2026 10:00:00 +0100". */
static void rfc5322_date(lb_time t, char *out, size_t len)
{
    static const char *const wd[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int off = lb_stockholm_offset(t);
    time_t secs = (time_t)((t - (t % 1000 + 1000) % 1000) / 1000) + off;
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d +%02d%02d", wd[(tm.tm_wday + 6) % 7],
             tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
             off / 3600, (off % 3600) / 60);
}

/* --- composing ------------------------------------------------------------------- */

static const char *js(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* One line per matter: "Bygglov – Ny bageributik (L2026-0001), beslut 25 november 2026". */
static void matter(struct buf *b, const json_t *it, bool html)
{
    char day[40];
    bool lots = strcmp(js(it, "kind"), "lots") == 0;
    date_sv(js(it, "date"), day, sizeof day);
    if (html) {
        puts_(b, "<li><strong>");
        esc(b, js(it, "title"));
        puts_(b, "</strong> – ");
        esc(b, js(it, "case_subject"));
        fmt(b, " (%s)", js(it, "case_number"));
    } else {
        fmt(b, "  • %s – %s (%s)", js(it, "title"), js(it, "case_subject"), js(it, "case_number"));
    }
    if (day[0])
        fmt(b, ", %s %s", lots ? "avslutat" : "beslut", day);
    puts_(b, html ? "</li>\n" : "\n");
}

int lb_mail_compose(const struct lb_mail_ctx *ctx, const char *municipality, const json_t *item,
                    struct lb_mail *out)
{
    memset(out, 0, sizeof *out);
    const json_t *rcpt = json_object_get(item, "recipient");
    const char *email = js(rcpt, "email"), *name = js(rcpt, "name");
    char addr[320], from_addr[320];
    if (lb_mail_address(email, addr, sizeof addr) != 0 ||
        lb_mail_address(ctx->from, from_addr, sizeof from_addr) != 0)
        return LB_EINVAL;
    json_int_t reminder = json_integer_value(json_object_get(item, "reminder"));
    const json_t *items = json_object_get(item, "items");
    char link[512], optout[600], until[40], first[40], date[64];
    size_t bl = strlen(ctx->public_base);
    while (bl > 0 && ctx->public_base[bl - 1] == '/')
        bl--;
    snprintf(link, sizeof link, "%.*s/enkat/%s", (int)bl, ctx->public_base, ctx->token);
    snprintf(optout, sizeof optout, "%s/avregistrera", link);
    instant_sv(js(item, "expires_at"), until, sizeof until);
    instant_sv(js(item, "sent_at"), first, sizeof first);
    rfc5322_date(ctx->now, date, sizeof date);
    char *from_name = spec_name(ctx->from);

    /* Headers. */
    char subject[300];
    snprintf(subject, sizeof subject, "%sHur var vår service? Några frågor från %s",
             reminder > 0 ? "Påminnelse: " : "", municipality);
    char *subj = lb_mail_encode_header(subject);
    char *from = mailbox(from_name ? from_name : municipality, from_addr);
    char *to = mailbox(name, addr);
    struct buf h[LB_MAIL_HEADERS_MAX] = {{0}};
    size_t nh = 0;
    fmt(&h[nh++], "From: %s", from ? from : "");
    fmt(&h[nh++], "To: %s", to ? to : "");
    fmt(&h[nh++], "Subject: %s", subj ? subj : "");
    fmt(&h[nh++], "Date: %s", date);
    fmt(&h[nh++], "Message-ID: %s", ctx->message_id);
    fmt(&h[nh++], "List-Unsubscribe: <%s>", optout);
    fmt(&h[nh++], "List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    fmt(&h[nh++], "Auto-Submitted: auto-generated");
    fmt(&h[nh++], "Content-Language: sv");
    int err = !subj || !from || !to;
    free(subj);
    free(from);
    free(to);

    /* The text. */
    struct buf t = {0}, w = {0};
    fmt(&t, "Hej%s%s!\n\n", name[0] ? " " : "", name);
    if (reminder > 0)
        fmt(&t,
            "Den %s skickade vi några frågor om hur %s skötte ert ärende, och vi har inte fått "
            "något svar ännu. Det vore värdefullt om du vill ta tre minuter och svara – även om "
            "ni bara har en liten synpunkt.\n\n",
            first[0] ? first : "förra veckan", municipality);
    else
        fmt(&t,
            "%s har nyligen haft ett ärende hos %s, och vi vill gärna veta hur ni tyckte att det "
            "gick. Svaren hjälper oss att bli bättre på att hjälpa företag.\n\n",
            js(item, "company"), municipality);
    puts_(&t, "Frågorna gäller:\n");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) matter(&t, it, false);
    fmt(&t,
        "\nEnkäten tar ungefär tre minuter. Svara här:\n%s\n\nLänken är personlig%s%s. Svarar "
        "ni inte kan det hända att vi ringer i stället.\n\nMed vänliga hälsningar\n%s\n\n-- \n"
        "Vill du inte få fler enkäter från oss per e-post? Avregistrera dig här:\n%s\n",
        link, until[0] ? " och gäller till och med " : "", until,
        from_name ? from_name : municipality, optout);

    /* The HTML. */
    puts_(&w, "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    esc(&w, subject);
    puts_(&w, "</title>\n</head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;"
              "font-size:16px;line-height:1.5;color:#1b1b1b;max-width:36em\">\n<p>Hej");
    if (name[0]) {
        puts_(&w, " ");
        esc(&w, name);
    }
    puts_(&w, "!</p>\n<p>");
    if (reminder > 0) {
        puts_(&w, "Den ");
        esc(&w, first[0] ? first : "förra veckan");
        puts_(&w, " skickade vi några frågor om hur ");
        esc(&w, municipality);
        puts_(&w, " skötte ert ärende, och vi har inte fått något svar ännu. Det vore värdefullt "
                  "om du vill ta tre minuter och svara – även om ni bara har en liten "
                  "synpunkt.");
    } else {
        esc(&w, js(item, "company"));
        puts_(&w, " har nyligen haft ett ärende hos ");
        esc(&w, municipality);
        puts_(&w, ", och vi vill gärna veta hur ni tyckte att det gick. Svaren hjälper oss att "
                  "bli bättre på att hjälpa företag.");
    }
    puts_(&w, "</p>\n<p>Frågorna gäller:</p>\n<ul>\n");
    json_array_foreach(items, i, it) matter(&w, it, true);
    puts_(&w, "</ul>\n<p>Enkäten tar ungefär tre minuter.</p>\n<p><a href=\"");
    esc(&w, link);
    puts_(&w, "\" style=\"display:inline-block;background:#0b4f8a;color:#ffffff;padding:12px "
              "20px;border-radius:6px;text-decoration:none;font-weight:bold\">Svara på "
              "enkäten</a></p>\n<p>Fungerar inte knappen? Kopiera länken: <a href=\"");
    esc(&w, link);
    puts_(&w, "\">");
    esc(&w, link);
    puts_(&w, "</a></p>\n<p>Länken är personlig");
    if (until[0]) {
        puts_(&w, " och gäller till och med ");
        esc(&w, until);
    }
    puts_(&w, ". Svarar ni inte kan det hända att vi ringer i stället.</p>\n<p>Med vänliga "
              "hälsningar<br>\n");
    esc(&w, from_name ? from_name : municipality);
    puts_(&w, "</p>\n<hr>\n<p style=\"font-size:14px;color:#4a4a4a\">Vill du inte få fler "
              "enkäter från oss per e-post? <a href=\"");
    esc(&w, optout);
    puts_(&w, "\">Avregistrera dig</a>.</p>\n</body>\n</html>\n");
    free(from_name);

    for (size_t k = 0; k < nh; k++)
        err |= h[k].err != 0;
    err |= t.err != 0 || w.err != 0;
    out->from_addr = strdup(from_addr);
    out->rcpt = strdup(addr);
    for (size_t k = 0; k < nh; k++)
        out->headers[out->nheaders++] = h[k].p;
    out->text = t.p;
    out->html = w.p;
    if (err || !out->from_addr || !out->rcpt || !out->text || !out->html) {
        lb_mail_clear(out);
        return LB_ENOMEM;
    }
    return 0;
}

json_t *lb_mail_to_json(const struct lb_mail *m)
{
    json_t *hs = json_array();
    for (size_t i = 0; hs && i < m->nheaders; i++)
        json_array_append_new(hs, json_string(m->headers[i]));
    return json_pack("{s:s,s:s,s:o,s:s,s:s}", "from", m->from_addr, "rcpt", m->rcpt, "headers", hs,
                     "text", m->text, "html", m->html);
}

int lb_mail_from_json(const json_t *j, struct lb_mail *out)
{
    memset(out, 0, sizeof *out);
    const json_t *hs = json_object_get(j, "headers");
    const char *from = json_string_value(json_object_get(j, "from"));
    const char *rcpt = json_string_value(json_object_get(j, "rcpt"));
    const char *text = json_string_value(json_object_get(j, "text"));
    const char *html = json_string_value(json_object_get(j, "html"));
    if (!from || !rcpt || !text || !html || !json_is_array(hs) ||
        json_array_size(hs) > LB_MAIL_HEADERS_MAX)
        return LB_ECORRUPT;
    out->from_addr = strdup(from);
    out->rcpt = strdup(rcpt);
    out->text = strdup(text);
    out->html = strdup(html);
    for (size_t i = 0; i < json_array_size(hs); i++) {
        const char *s = json_string_value(json_array_get(hs, i));
        if (!s) {
            lb_mail_clear(out);
            return LB_ECORRUPT;
        }
        out->headers[out->nheaders++] = strdup(s);
    }
    for (size_t i = 0; i < out->nheaders; i++)
        if (!out->headers[i])
            goto oom;
    if (!out->from_addr || !out->rcpt || !out->text || !out->html)
        goto oom;
    return 0;
oom:
    lb_mail_clear(out);
    return LB_ENOMEM;
}
