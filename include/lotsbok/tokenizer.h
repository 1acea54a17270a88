/* tokenizer.h: folding and tokenising text for search (pure, no I/O).
 *
 * Folding: a code point is lower-cased and its diacritics dropped the way
 * names are folded for the company-name index (lb_fold_name): Swedish å, ä
 * fold to a and ö to o, é to e, ß to ss, Æ to ae; combining marks (a decomposed
 * "a" + U+030A) vanish; fullwidth Latin letters and digits become ASCII; Greek
 * and Cyrillic capitals become small letters; other scripts are kept as they
 * are. Snippets show the original text: folding is for matching only.
 *
 * Tokenising: a word is a run of letters or a run of digits; a letter-digit
 * change starts a new word ("L2026" is "l" and "2026"). Everything else
 * (spaces, punctuation, symbols, emoji, control characters, invalid UTF-8)
 * separates words. Words are cut to LB_WORD_MAX bytes. Words joined by one of
 * - / . : _ (or touching, letters to digits) form a run; a run of two or more
 * words holding a digit also yields its compound, the words' concatenation:
 * "556036-0793" gives 556036, 0793 and 5560360793; "L2026-0001" gives l,
 * 2026, 0001 and l20260001; "BYGG 2026/1234" gives bygg, 2026, 1234 and
 * 20261234. Compounds are for the index; a query is matched by its words.
 *
 * A query (lb_query_parse) is split on white space into chunks; a chunk that
 * is an organisationsnummer or personnummer in any accepted form
 * ("16556036-0793") becomes its 10 digits, any other chunk its words. Every
 * word must match; the last is a prefix. */
#ifndef LOTSBOK_TOKENIZER_H
#define LOTSBOK_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>

#define LB_WORD_MAX 64        /* bytes of a folded word; longer words are cut */
#define LB_QUERY_WORDS_MAX 16 /* words of one query */

struct lb_token {
    const char *word; /* folded, NUL-terminated; valid during the callback */
    size_t len;
    size_t start, end; /* byte range in the original text */
    bool compound;
};

/* Calls fn for every word of text[0..len) in order, and for each run's
 * compound after the run's last word when compounds is true. Stops when fn
 * returns non-zero and returns that value; 0 otherwise. Never reads past
 * len; any byte sequence is accepted. */
int lb_tokenize(const char *text, size_t len, bool compounds,
                int (*fn)(const struct lb_token *tok, void *arg), void *arg);

/* Folds a name for the company-name index: lower case, å ä → a, ö → o,
 * é → e, ...; ASCII only in the result (other characters are dropped,
 * punctuation and spaces kept). Writes at most len-1 bytes and a NUL. */
void lb_fold_name(const char *name, char *buf, size_t len);

struct lb_query {
    size_t n;                                        /* words; 0 when q holds none */
    char words[LB_QUERY_WORDS_MAX][LB_WORD_MAX + 1]; /* folded */
    size_t lens[LB_QUERY_WORDS_MAX];
    bool last_prefix; /* words[n-1] matches as a prefix (always, when n > 0) */
};

/* Parses a query. 0 with q->n == 0 when it holds no word (empty, white
 * space, emoji, punctuation); LB_ETOOBIG when it has more than
 * LB_QUERY_WORDS_MAX words. Repeated words are kept once. */
int lb_query_parse(const char *text, struct lb_query *q);

/* Whether a folded word matches query word i (equal, or for the last word
 * with last_prefix, starting with it). */
bool lb_query_word_matches(const struct lb_query *q, size_t i, const char *word, size_t len);

/* A highlighted range of a snippet, in Unicode code points. */
struct lb_span {
    size_t start, len;
};
#define LB_SNIPPET_SPANS_MAX 16

/* A snippet of text around its first word matching q: at most max_chars code
 * points of the original text (control characters and line breaks shown as
 * spaces), with "…" where it was cut, into out (NUL-terminated, truncated to
 * outlen). spans receives up to LB_SNIPPET_SPANS_MAX ranges of words that
 * match any query word, in code points of out. Returns the number of spans. */
size_t lb_snippet(const char *text, const struct lb_query *q, size_t max_chars, char *out,
                  size_t outlen, struct lb_span spans[LB_SNIPPET_SPANS_MAX]);

#endif
