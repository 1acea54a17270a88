/* logfmt.c: the one escaping of log values (logfmt.h).
 *
 * A value is written bare when it is non-empty and every byte is printable
 * ASCII other than '"', '=' and '\'; otherwise it is quoted, with '"' and
 * '\' escaped, \n \r \t spelled so, and every other byte below 0x20, DEL and
 * every byte from 0x80 (UTF-8 is not interpreted) as \xHH. Cutting a value
 * that does not fit never splits an escape and always closes the quotes. */
#include "lotsbok/logfmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool bare_ok(const char *v)
{
    if (!*v)
        return false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '=' || *p == '\\')
            return false;
    return true;
}

size_t lb_logfmt_value(char *out, size_t cap, const char *v)
{
    if (cap < 4) {
        if (cap)
            out[0] = '\0';
        return 0;
    }
    if (!v)
        v = "-";
    size_t n = 0;
    if (bare_ok(v)) {
        size_t l = strlen(v);
        if (l > cap - 1)
            l = cap - 1;
        memcpy(out, v, l);
        out[l] = '\0';
        return l;
    }
    out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char esc[5];
        size_t el;
        switch (*p) {
        case '"':
            memcpy(esc, "\\\"", el = 2);
            break;
        case '\\':
            memcpy(esc, "\\\\", el = 2);
            break;
        case '\n':
            memcpy(esc, "\\n", el = 2);
            break;
        case '\r':
            memcpy(esc, "\\r", el = 2);
            break;
        case '\t':
            memcpy(esc, "\\t", el = 2);
            break;
        default:
            if (*p < 0x20 || *p >= 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", *p);
                el = 4;
            } else {
                esc[0] = (char)*p;
                el = 1;
            }
        }
        if (n + el + 2 > cap) /* the closing quote and the NUL must fit */
            break;
        memcpy(out + n, esc, el);
        n += el;
    }
    out[n++] = '"';
    out[n] = '\0';
    return n;
}

void lb_logfmt_init(struct lb_logfmt *l)
{
    l->len = 0;
    l->buf[0] = '\0';
}

void lb_logfmt_str(struct lb_logfmt *l, const char *key, const char *value)
{
    char v[LB_LOGFMT_MAX];
    size_t vl = lb_logfmt_value(v, sizeof v / 2, value);
    size_t kl = strlen(key);
    size_t sep = l->len ? 1 : 0;
    if (l->len + sep + kl + 1 + vl + 1 > sizeof l->buf)
        return;
    if (sep)
        l->buf[l->len++] = ' ';
    memcpy(l->buf + l->len, key, kl);
    l->len += kl;
    l->buf[l->len++] = '=';
    memcpy(l->buf + l->len, v, vl + 1);
    l->len += vl;
}

void lb_logfmt_int(struct lb_logfmt *l, const char *key, long long value)
{
    char v[24];
    snprintf(v, sizeof v, "%lld", value);
    lb_logfmt_str(l, key, v);
}

size_t lb_logfmt_line(char *out, size_t cap, const char *ts, const char *level, const char *msg,
                      const struct lb_logfmt *fields)
{
    /* msg is always quoted (readers look for msg="request"): a bare-safe
     * value is quoted as it is. */
    char m[512];
    lb_logfmt_value(m + 1, sizeof m - 2, msg);
    const char *mq = m + 1;
    if (m[1] != '"') {
        size_t l = strlen(m + 1);
        m[0] = '"';
        m[l + 1] = '"';
        m[l + 2] = '\0';
        mq = m;
    }
    const char *f = fields && fields->len ? fields->buf : "";
    int n = snprintf(out, cap, "ts=%s level=%s msg=%s%s%s\n", ts, level, mq, *f ? " " : "", f);
    if (n < 0)
        n = 0;
    if ((size_t)n >= cap && cap >= 2) { /* cut: still one line */
        out[cap - 2] = '\n';
        n = (int)cap - 1;
    }
    return (size_t)n;
}
