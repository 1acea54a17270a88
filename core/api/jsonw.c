/* jsonw.c: the JSON writer of jsonw.h.
 *
 * One growable buffer (doubling, so appends are amortised O(1)); runs of
 * characters that need no escape are copied with one memcpy. Escapes follow
 * jansson 2.14's dump.c without flags, so that answers written here are
 * byte for byte what json_dumps(JSON_COMPACT) printed before. */
#include "lotsbok/jsonw.h"

#include <stdlib.h>
#include <string.h>

void lb_jw_init(struct lb_jw *w)
{
    memset(w, 0, sizeof *w);
}

void lb_jw_free(struct lb_jw *w)
{
    free(w->buf);
    lb_jw_init(w);
}

static bool grow(struct lb_jw *w, size_t n);

/* Makes room for n more bytes (and a NUL); false after a failed allocation. */
static inline bool reserve(struct lb_jw *w, size_t n)
{
    if (w->len + n + 1 <= w->cap && !w->oom)
        return true;
    return grow(w, n);
}

static bool grow(struct lb_jw *w, size_t n)
{
    if (w->oom)
        return false;
    if (w->len + n + 1 <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 512;
    while (cap < w->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            w->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *b = realloc(w->buf, cap);
    if (!b) {
        w->oom = true;
        return false;
    }
    w->buf = b;
    w->cap = cap;
    return true;
}

static inline void put(struct lb_jw *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static inline void putc1(struct lb_jw *w, char c)
{
    if (!reserve(w, 1))
        return;
    w->buf[w->len++] = c;
}

/* The comma before a value or key that follows a value. */
static inline void sep(struct lb_jw *w)
{
    if (w->comma)
        putc1(w, ',');
}

char *lb_jw_take(struct lb_jw *w, size_t *len)
{
    char *out = NULL;
    if (!w->oom && reserve(w, 0)) {
        w->buf[w->len] = '\0';
        out = w->buf;
        if (len)
            *len = w->len;
        w->buf = NULL;
    }
    lb_jw_free(w);
    return out;
}

void lb_jw_obj_begin(struct lb_jw *w)
{
    sep(w);
    putc1(w, '{');
    w->comma = false;
}

void lb_jw_obj_end(struct lb_jw *w)
{
    putc1(w, '}');
    w->comma = true;
}

void lb_jw_arr_begin(struct lb_jw *w)
{
    sep(w);
    putc1(w, '[');
    w->comma = false;
}

void lb_jw_arr_end(struct lb_jw *w)
{
    putc1(w, ']');
    w->comma = true;
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0
 * when it is not one (overlong, surrogate, above U+10FFFF, truncated). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* 1 for the bytes copied as they are: printable ASCII but '"' and '\\'. */
static const unsigned char plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* The string body (between the quotes), escaped. */
static void escape(struct lb_jw *w, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && plain[s[run]])
            run++;
        if (run > i) {
            put(w, (const char *)s + i, run - i);
            i = run;
            if (i == n)
                break;
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t l = utf8_seq(s + i, n - i);
            if (l) {
                put(w, (const char *)s + i, l);
                i += l;
            } else {
                put(w, "\\uFFFD", 6);
                i++;
            }
            continue;
        }
        char e[6] = {'\\', 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"':
            e[1] = '"';
            break;
        case '\\':
            e[1] = '\\';
            break;
        case '\b':
            e[1] = 'b';
            break;
        case '\f':
            e[1] = 'f';
            break;
        case '\n':
            e[1] = 'n';
            break;
        case '\r':
            e[1] = 'r';
            break;
        case '\t':
            e[1] = 't';
            break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 0xF];
            el = 6;
        }
        put(w, e, el);
        i++;
    }
}

void lb_jw_key(struct lb_jw *w, const char *key)
{
    sep(w);
    putc1(w, '"');
    escape(w, (const unsigned char *)key, strlen(key));
    put(w, "\":", 2);
    w->comma = false;
}

void lb_jw_rawkey(struct lb_jw *w, const char *quoted, size_t n)
{
    sep(w);
    put(w, quoted, n);
    w->comma = false;
}

void lb_jw_strn(struct lb_jw *w, const char *s, size_t n)
{
    sep(w);
    putc1(w, '"');
    escape(w, (const unsigned char *)s, n);
    putc1(w, '"');
    w->comma = true;
}

void lb_jw_str(struct lb_jw *w, const char *s)
{
    if (!s)
        lb_jw_null(w);
    else
        lb_jw_strn(w, s, strlen(s));
}

void lb_jw_int(struct lb_jw *w, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    /* Through the unsigned magnitude, so INT64_MIN does not overflow. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    sep(w);
    put(w, p, (size_t)(tmp + sizeof tmp - p));
    w->comma = true;
}

void lb_jw_bool(struct lb_jw *w, bool v)
{
    sep(w);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
    w->comma = true;
}

void lb_jw_null(struct lb_jw *w)
{
    sep(w);
    put(w, "null", 4);
    w->comma = true;
}

void lb_jw_raw(struct lb_jw *w, const char *json, size_t n)
{
    sep(w);
    put(w, json, n);
    w->comma = true;
}

void lb_jw_json(struct lb_jw *w, const json_t *j)
{
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    if (n == 0) {
        w->oom = true;
        return;
    }
    sep(w);
    if (!reserve(w, n))
        return;
    if (json_dumpb(j, w->buf + w->len, n, JSON_COMPACT | JSON_ENCODE_ANY) != n) {
        w->oom = true;
        return;
    }
    w->len += n;
    w->comma = true;
}
