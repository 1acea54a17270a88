/* jsonw.h: a JSON writer into one growable byte buffer.
 *
 * The API's hot answers (GET /cases/{id}, POST /cases/{id}/contacts) are
 * serialised straight from the decoded records instead of through a jansson
 * tree and json_dumps: no node per value, no hash table per object, no
 * vsnprintf per integer. The output is what json_dumps(..., JSON_COMPACT)
 * of jansson 2.14 prints for the same values in the same order: no spaces,
 * strings escaped the same way (\" \\ \b \f \n \r \t, other control
 * characters as \u00XX with upper-case hex, everything else, including
 * U+2028 and non-BMP characters, as UTF-8). Parsing stays jansson's.
 *
 * Commas are placed by the writer: after a key the next value follows it,
 * otherwise a value or key after a value gets a comma. An allocation failure
 * is remembered (w->oom) and makes every later call a no-op, so a caller
 * builds the whole answer and checks once at the end (lb_jw_take). */
#ifndef LOTSBOK_JSONW_H
#define LOTSBOK_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct lb_jw {
    char *buf;
    size_t len, cap;
    bool oom;   /* an allocation failed; the output is incomplete */
    bool comma; /* the last thing written was a value */
};

/* An empty writer (no allocation yet). */
void lb_jw_init(struct lb_jw *w);
/* Frees the buffer; w may be reused after lb_jw_init. */
void lb_jw_free(struct lb_jw *w);
/* The NUL-terminated output, now the caller's (free()); NULL when an
 * allocation failed. The writer is left empty either way. */
char *lb_jw_take(struct lb_jw *w, size_t *len);

void lb_jw_obj_begin(struct lb_jw *w);
void lb_jw_obj_end(struct lb_jw *w);
void lb_jw_arr_begin(struct lb_jw *w);
void lb_jw_arr_end(struct lb_jw *w);
/* An object key; key is escaped like any string. */
void lb_jw_key(struct lb_jw *w, const char *key);

/* Values. lb_jw_str writes null for a NULL s. Invalid UTF-8 (which the API
 * never stores: every string is validated on the way in) is written as
 * U+FFFD per bad byte, so the output stays valid JSON. */
void lb_jw_str(struct lb_jw *w, const char *s);
void lb_jw_strn(struct lb_jw *w, const char *s, size_t n);
void lb_jw_int(struct lb_jw *w, int64_t v);
void lb_jw_bool(struct lb_jw *w, bool v);
void lb_jw_null(struct lb_jw *w);
/* A jansson value, dumped compactly in place (not consumed). */
void lb_jw_json(struct lb_jw *w, const json_t *j);
/* A value that is already valid JSON text, copied as is. */
void lb_jw_raw(struct lb_jw *w, const char *json, size_t n);
/* Where the next value written will begin in w's buffer (after the comma
 * that separates it): with w->len after writing it, the value's own bytes. */
static inline size_t lb_jw_mark(const struct lb_jw *w)
{
    return w->len + (w->comma ? 1 : 0);
}

/* A key already quoted and followed by ':' ("\"id\":"), copied as is. */
void lb_jw_rawkey(struct lb_jw *w, const char *quoted, size_t n);
/* A key that is a string literal needing no escape: no scan at run time. */
#define LB_JW_KEY(w, lit) lb_jw_rawkey((w), "\"" lit "\":", sizeof("\"" lit "\":") - 1)
#define LB_JW_KSTR(w, lit, s)                                                                      \
    do {                                                                                           \
        LB_JW_KEY(w, lit);                                                                         \
        lb_jw_str((w), (s));                                                                       \
    } while (0)
#define LB_JW_KINT(w, lit, v)                                                                      \
    do {                                                                                           \
        LB_JW_KEY(w, lit);                                                                         \
        lb_jw_int((w), (v));                                                                       \
    } while (0)

/* Key and value in one call. */
static inline void lb_jw_kstr(struct lb_jw *w, const char *k, const char *s)
{
    lb_jw_key(w, k);
    lb_jw_str(w, s);
}
static inline void lb_jw_kint(struct lb_jw *w, const char *k, int64_t v)
{
    lb_jw_key(w, k);
    lb_jw_int(w, v);
}
static inline void lb_jw_kbool(struct lb_jw *w, const char *k, bool v)
{
    lb_jw_key(w, k);
    lb_jw_bool(w, v);
}

#endif
