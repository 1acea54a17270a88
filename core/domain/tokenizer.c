/* tokenizer.c: folding, tokenising, query parsing and snippets for search.
 *
 * One pass over the bytes: each code point is decoded strictly (an invalid
 * or overlong sequence is one separating byte), classified as letter, digit,
 * separator or ignorable (combining marks, variation selectors, the soft
 * hyphen) and, for letters, folded. The classes are coarse Unicode blocks
 * rather than the full Unicode tables: Latin, Greek and Cyrillic are folded
 * exactly as names are (lb_fold_name's table), other scripts are kept as
 * words unfolded, and the punctuation, symbol, emoji and private-use blocks
 * separate. A word is cut at LB_WORD_MAX bytes on a code point boundary; the
 * rest of the run still belongs to it (its byte range), so a snippet
 * highlights the whole word. See tokenizer.h for what a word and a compound
 * are. */
#include "lotsbok/tokenizer.h"

#include <string.h>

#include "lotsbok/error.h"
#include "lotsbok/orgnr.h"

/* ASCII for U+00C0..U+017F (Latin-1 Supplement letters, Latin Extended-A);
 * "" for the two symbols among them (× and ÷). */
static const char *const fold_table[0x180 - 0xC0] = {
    "a", "a", "a",  "a",  "a", "a", "ae", "c",  "e",  "e", "e", "e", "i",  "i",  "i", "i", "d", "n",
    "o", "o", "o",  "o",  "o", "",  "o",  "u",  "u",  "u", "u", "y", "th", "ss", "a", "a", "a", "a",
    "a", "a", "ae", "c",  "e", "e", "e",  "e",  "i",  "i", "i", "i", "d",  "n",  "o", "o", "o", "o",
    "o", "",  "o",  "u",  "u", "u", "u",  "y",  "th", "y", "a", "a", "a",  "a",  "a", "a", "c", "c",
    "c", "c", "c",  "c",  "c", "c", "d",  "d",  "d",  "d", "e", "e", "e",  "e",  "e", "e", "e", "e",
    "e", "e", "g",  "g",  "g", "g", "g",  "g",  "g",  "g", "h", "h", "h",  "h",  "i", "i", "i", "i",
    "i", "i", "i",  "i",  "i", "i", "ij", "ij", "j",  "j", "k", "k", "k",  "l",  "l", "l", "l", "l",
    "l", "l", "l",  "l",  "l", "n", "n",  "n",  "n",  "n", "n", "n", "n",  "n",  "o", "o", "o", "o",
    "o", "o", "oe", "oe", "r", "r", "r",  "r",  "r",  "r", "s", "s", "s",  "s",  "s", "s", "s", "s",
    "t", "t", "t",  "t",  "t", "t", "u",  "u",  "u",  "u", "u", "u", "u",  "u",  "u", "u", "u", "u",
    "w", "w", "y",  "y",  "y", "z", "z",  "z",  "z",  "z", "z", "s",
};

void lb_fold_name(const char *name, char *buf, size_t len)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)(name ? name : "");
    if (len == 0)
        return;
    while (*p) {
        const char *rep = NULL;
        char one[2] = {0, 0};
        unsigned cp;
        size_t n;
        if (*p < 0x80) {
            cp = *p;
            n = 1;
        } else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
            cp = ((unsigned)(*p & 0x1F) << 6) | (p[1] & 0x3F);
            n = 2;
        } else {
            /* Longer sequences (and broken bytes) have no ASCII form: skip
             * the lead byte and its continuation bytes. */
            n = 1;
            while ((p[n] & 0xC0) == 0x80)
                n++;
            cp = 0;
        }
        if (cp && cp < 0x80) {
            one[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
            rep = one;
        } else if (cp >= 0xC0 && cp < 0x180) {
            rep = fold_table[cp - 0xC0];
        }
        for (; rep && *rep; rep++) {
            if (o + 1 >= len)
                goto done;
            buf[o++] = *rep;
        }
        p += n;
    }
done:
    buf[o] = '\0';
}

/* --- code points --------------------------------------------------------- */

#define CP_INVALID 0xFFFFFFFFu

/* Decodes one code point of p[0..n) strictly; returns the bytes it took
 * (>= 1) and CP_INVALID in *cp for a broken, overlong or surrogate
 * sequence (which then takes one byte). */
static size_t utf8_next(const unsigned char *p, size_t n, unsigned *cp)
{
    unsigned c = p[0];
    size_t need;
    unsigned min;
    *cp = CP_INVALID;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) {
        need = 2;
        min = 0x80;
        c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        need = 3;
        min = 0x800;
        c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        need = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 1;
    }
    if (need > n)
        return 1;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 1;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 1;
    *cp = c;
    return need;
}

static size_t utf8_put(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

enum cls { SEP, IGNORE, LETTER, DIGIT };

/* The class of cp and, for a letter or digit, its folded bytes in out (at
 * most 4; *olen of them). */
static enum cls classify(unsigned cp, char *out, size_t *olen)
{
    *olen = 0;
    if (cp < 0x80) {
        if (cp >= '0' && cp <= '9') {
            out[0] = (char)cp;
            *olen = 1;
            return DIGIT;
        }
        if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')) {
            out[0] = (char)(cp | 0x20);
            *olen = 1;
            return LETTER;
        }
        return SEP;
    }
    if (cp == CP_INVALID)
        return SEP;
    if (cp < 0xC0)
        return cp == 0xAD ? IGNORE : SEP; /* soft hyphen; Latin-1 punctuation */
    if (cp < 0x180) {
        const char *rep = fold_table[cp - 0xC0];
        if (!*rep)
            return SEP;
        *olen = strlen(rep);
        memcpy(out, rep, *olen);
        return LETTER;
    }
    if (cp >= 0x2B0 && cp < 0x370)
        return IGNORE; /* modifier letters, combining diacritical marks */
    if (cp == 0x37E || cp == 0x387 || cp == 0x482)
        return SEP; /* Greek question mark and ano teleia, Cyrillic thousands sign */
    if ((cp >= 0x483 && cp < 0x48A) || (cp >= 0x1AB0 && cp < 0x1B00) ||
        (cp >= 0x1DC0 && cp < 0x1E00))
        return IGNORE;
    if (cp >= 0x391 && cp <= 0x3A9)
        cp += 0x20; /* Greek capitals */
    else if (cp >= 0x410 && cp <= 0x42F)
        cp += 0x20; /* Cyrillic capitals */
    else if (cp >= 0x400 && cp <= 0x40F)
        cp += 0x50;
    if (cp < 0x2000)
        goto letter;
    if (cp < 0x2C00)
        return SEP; /* punctuation, symbols, arrows, math, box drawing, dingbats */
    if (cp < 0x2E00)
        goto letter;
    if (cp < 0x2E80)
        return SEP;
    if (cp < 0x3000)
        goto letter;
    if (cp < 0x3040)
        return SEP; /* CJK symbols and punctuation */
    if (cp < 0xD800)
        goto letter; /* kana, CJK ideographs, Yi, Hangul */
    if (cp < 0xF900)
        return SEP; /* private use */
    if (cp < 0xFE00)
        goto letter;
    if (cp < 0xFE10)
        return IGNORE; /* variation selectors */
    if (cp < 0xFE20)
        return SEP;
    if (cp < 0xFE30)
        return IGNORE;
    if (cp < 0xFE70)
        return SEP;
    if (cp < 0xFEFF)
        goto letter;
    if (cp < 0xFF00)
        return SEP; /* byte order mark */
    if (cp < 0xFFF0) {
        /* Fullwidth ASCII digits and letters fold to ASCII. */
        if (cp >= 0xFF10 && cp <= 0xFF19) {
            out[0] = (char)('0' + (cp - 0xFF10));
            *olen = 1;
            return DIGIT;
        }
        if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A)) {
            out[0] = (char)('a' + (cp >= 0xFF41 ? cp - 0xFF41 : cp - 0xFF21));
            *olen = 1;
            return LETTER;
        }
        if (cp >= 0xFF66 && cp <= 0xFFDC)
            goto letter; /* halfwidth kana and Hangul */
        return SEP;
    }
    if (cp < 0x10000)
        return SEP;
    if (cp >= 0x1F000 && cp < 0x20000)
        return SEP; /* emoji, playing cards, symbols */
    if (cp >= 0xE0100 && cp < 0xE01F0)
        return IGNORE; /* variation selectors supplement */
    if (cp >= 0xE0000)
        return SEP; /* tags, private use */
letter:
    *olen = utf8_put(cp, out);
    return LETTER;
}

/* A separator that joins the words around it into one run. */
static bool is_joiner(unsigned cp)
{
    return cp == '-' || cp == '/' || cp == '.' || cp == ':' || cp == '_' ||
           (cp >= 0x2010 && cp <= 0x2013); /* hyphens and the en dash of word processors */
}

/* --- tokenising ---------------------------------------------------------- */

struct scan {
    int (*fn)(const struct lb_token *tok, void *arg);
    void *arg;
    bool compounds;
    int rc;
    /* the current word */
    enum cls pcls; /* SEP when there is none */
    char part[LB_WORD_MAX + 1];
    size_t plen, pstart, pend;
    bool pfull;
    /* the current run */
    size_t nparts, cstart, cend;
    char comp[LB_WORD_MAX + 1];
    size_t clen;
    bool cover, cdigit;
    bool joined; /* the run's last word ended at a joiner */
};

static void emit(struct scan *s, const char *w, size_t len, size_t start, size_t end, bool comp)
{
    if (s->rc || len == 0)
        return;
    char buf[LB_WORD_MAX + 1];
    memcpy(buf, w, len);
    buf[len] = '\0';
    struct lb_token t = {buf, len, start, end, comp};
    s->rc = s->fn(&t, s->arg);
}

static void end_word(struct scan *s)
{
    if (s->pcls == SEP)
        return;
    emit(s, s->part, s->plen, s->pstart, s->pend, false);
    if (s->nparts == 0)
        s->cstart = s->pstart;
    s->nparts++;
    s->cend = s->pend;
    if (s->pcls == DIGIT)
        s->cdigit = true;
    if (s->clen + s->plen > LB_WORD_MAX) {
        s->cover = true;
    } else {
        memcpy(s->comp + s->clen, s->part, s->plen);
        s->clen += s->plen;
    }
    s->pcls = SEP;
}

static void end_run(struct scan *s)
{
    end_word(s);
    if (s->compounds && s->nparts >= 2 && s->cdigit && !s->cover)
        emit(s, s->comp, s->clen, s->cstart, s->cend, true);
    s->nparts = 0;
    s->clen = 0;
    s->cover = false;
    s->cdigit = false;
    s->joined = false;
}

int lb_tokenize(const char *text, size_t len, bool compounds,
                int (*fn)(const struct lb_token *tok, void *arg), void *arg)
{
    struct scan s = {.fn = fn, .arg = arg, .compounds = compounds, .pcls = SEP};
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < len && !s.rc) {
        unsigned cp;
        size_t n = utf8_next(p + i, len - i, &cp);
        char f[8];
        size_t flen;
        enum cls c = classify(cp, f, &flen);
        if (c == IGNORE) {
            if (s.pcls != SEP)
                s.pend = i + n;
        } else if (c == SEP) {
            if (s.pcls != SEP && is_joiner(cp)) {
                end_word(&s);
                s.joined = true;
            } else {
                end_run(&s);
            }
        } else {
            if (s.pcls != SEP && s.pcls != c)
                end_word(&s); /* letters to digits: a new word of the same run */
            else if (s.pcls == SEP && !s.joined)
                end_run(&s); /* a fresh run (nothing pending: a no-op but for clarity) */
            s.joined = false;
            if (s.pcls == SEP) {
                s.pcls = c;
                s.plen = 0;
                s.pfull = false;
                s.pstart = i;
            }
            if (!s.pfull && s.plen + flen <= LB_WORD_MAX) {
                memcpy(s.part + s.plen, f, flen);
                s.plen += flen;
            } else {
                s.pfull = true;
            }
            s.pend = i + n;
        }
        i += n;
    }
    if (!s.rc)
        end_run(&s);
    return s.rc;
}

/* --- queries ------------------------------------------------------------- */

static int query_add(struct lb_query *q, const char *w, size_t len)
{
    if (len == 0 || len > LB_WORD_MAX)
        return 0;
    for (size_t i = 0; i < q->n; i++) {
        if (q->lens[i] == len && memcmp(q->words[i], w, len) == 0) {
            /* Seen before: it moves to the end, so the last word typed stays last. */
            for (size_t j = i; j + 1 < q->n; j++) {
                memcpy(q->words[j], q->words[j + 1], sizeof q->words[j]);
                q->lens[j] = q->lens[j + 1];
            }
            q->n--;
            break;
        }
    }
    if (q->n == LB_QUERY_WORDS_MAX)
        return LB_ETOOBIG;
    memcpy(q->words[q->n], w, len);
    q->words[q->n][len] = '\0';
    q->lens[q->n] = len;
    q->n++;
    return 0;
}

static int query_word(const struct lb_token *t, void *arg)
{
    return query_add(arg, t->word, t->len);
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int lb_query_parse(const char *text, struct lb_query *q)
{
    memset(q, 0, sizeof *q);
    const char *p = text ? text : "";
    while (*p) {
        while (*p && is_space((unsigned char)*p))
            p++;
        const char *s = p;
        while (*p && !is_space((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - s);
        if (n == 0)
            break;
        int rc;
        char buf[16];
        struct lb_orgnr on;
        if (n < sizeof buf) {
            memcpy(buf, s, n);
            buf[n] = '\0';
        }
        if (n < sizeof buf && n >= 10 && lb_orgnr_parse(buf, &on) == LB_ORGNR_OK)
            rc = query_add(q, on.digits, 10);
        else
            rc = lb_tokenize(s, n, false, query_word, q);
        if (rc) {
            q->n = 0;
            return rc;
        }
    }
    q->last_prefix = q->n > 0;
    return 0;
}

bool lb_query_word_matches(const struct lb_query *q, size_t i, const char *word, size_t len)
{
    if (i >= q->n)
        return false;
    if (q->last_prefix && i + 1 == q->n)
        return len >= q->lens[i] && memcmp(word, q->words[i], q->lens[i]) == 0;
    return len == q->lens[i] && memcmp(word, q->words[i], len) == 0;
}

/* --- snippets ------------------------------------------------------------ */

#define SNIP_MATCHES 64

struct snip_scan {
    const struct lb_query *q;
    size_t n;
    size_t start[SNIP_MATCHES], end[SNIP_MATCHES];
};

static int snip_token(const struct lb_token *t, void *arg)
{
    struct snip_scan *m = arg;
    for (size_t i = 0; i < m->q->n; i++) {
        if (!lb_query_word_matches(m->q, i, t->word, t->len))
            continue;
        /* Ranges arrive in text order but a compound covers its words:
         * merge a range overlapping the previous one. */
        if (m->n && t->start < m->end[m->n - 1]) {
            if (t->end > m->end[m->n - 1])
                m->end[m->n - 1] = t->end;
            return 0;
        }
        if (m->n && t->start < m->start[m->n - 1])
            return 0;
        m->start[m->n] = t->start;
        m->end[m->n] = t->end;
        return ++m->n == SNIP_MATCHES;
    }
    return 0;
}

/* Byte offset of the code point boundary `back` code points before pos. */
static size_t back_cps(const unsigned char *p, size_t pos, size_t back)
{
    while (pos > 0 && back > 0) {
        pos--;
        while (pos > 0 && (p[pos] & 0xC0) == 0x80)
            pos--;
        back--;
    }
    return pos;
}

size_t lb_snippet(const char *text, const struct lb_query *q, size_t max_chars, char *out,
                  size_t outlen, struct lb_span spans[LB_SNIPPET_SPANS_MAX])
{
    static const char ell[] = "\xe2\x80\xa6"; /* … */
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    size_t len = strlen((const char *)p);
    struct snip_scan m = {.q = q};
    size_t nspans = 0;
    if (outlen == 0)
        return 0;
    out[0] = '\0';
    if (max_chars < 8)
        max_chars = 8;
    lb_tokenize((const char *)p, len, true, snip_token, &m);

    /* Start a third of the window before the first match, at a word. */
    size_t from = 0;
    if (m.n) {
        from = back_cps(p, m.start[0], max_chars / 3);
        if (from > 0) {
            size_t k = from;
            while (k < m.start[0] && !is_space(p[k]))
                k++;
            if (k < m.start[0])
                from = k + 1;
        }
    }
    size_t o = 0, cps = 0, mi = 0;
    bool space = false;
    if (from > 0 && outlen > sizeof ell) {
        memcpy(out, ell, sizeof ell - 1);
        o = sizeof ell - 1;
        cps = 1;
    }
    size_t i = from;
    bool cut = false;
    while (i < len) {
        unsigned cp;
        size_t n = utf8_next(p + i, len - i, &cp);
        while (mi < m.n && m.end[mi] <= i)
            mi++;
        if (cp == CP_INVALID) {
            i += n;
            continue;
        }
        bool ws = cp < 0x20 || cp == 0x7F || cp == ' ';
        if (ws && space) {
            i += n;
            continue; /* runs of white space and control characters print as one space */
        }
        if (cps + 1 >= max_chars || o + 4 + sizeof ell > outlen) {
            cut = true;
            break;
        }
        if (mi < m.n && m.start[mi] == i && nspans < LB_SNIPPET_SPANS_MAX) {
            spans[nspans].start = cps;
            spans[nspans].len = 0;
            nspans++;
        }
        if (ws) {
            out[o++] = ' ';
        } else {
            memcpy(out + o, p + i, n);
            o += n;
        }
        space = ws;
        cps++;
        if (nspans && mi < m.n && spans[nspans - 1].len == 0 && m.start[mi] <= i &&
            i + n >= m.end[mi])
            spans[nspans - 1].len = cps - spans[nspans - 1].start;
        i += n;
    }
    /* A highlight cut by the window's end covers what is shown of it. */
    if (nspans && spans[nspans - 1].len == 0)
        spans[nspans - 1].len = cps - spans[nspans - 1].start;
    if (cut) {
        while (o > 0 && out[o - 1] == ' ')
            o--;
        memcpy(out + o, ell, sizeof ell - 1);
        o += sizeof ell - 1;
    }
    out[o] = '\0';
    return nspans;
}
