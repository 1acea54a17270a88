/* fuzz_tokenizer.c: libFuzzer target for the search tokenizer, the query
 * parser and the snippet builder (core/domain/tokenizer.c). Any bytes are
 * accepted: every word lies within the input, is at most LB_WORD_MAX bytes,
 * is valid UTF-8 and folds to itself; a snippet is valid UTF-8 within its
 * buffer and its highlights lie inside it. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/tokenizer.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static size_t utf8_cps(const char *s, size_t n)
{
    size_t i = 0, cps = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        CHECK(k != 0 && i + k <= n);
        for (size_t j = 1; j < k; j++)
            CHECK(((unsigned char)s[i + j] & 0xC0) == 0x80);
        i += k;
        cps++;
    }
    return cps;
}

struct ctx {
    size_t len;
    size_t last_start;
};

/* A folded word tokenises to itself: one word, the same bytes. */
struct again {
    const char *word;
    size_t len;
    int n;
    bool same;
};

static int refold(const struct lb_token *t, void *arg)
{
    struct again *a = arg;
    a->n++;
    a->same = t->len == a->len && memcmp(t->word, a->word, a->len) == 0;
    return 0;
}

static int on_token(const struct lb_token *t, void *arg)
{
    struct ctx *c = arg;
    CHECK(t->len >= 1 && t->len <= LB_WORD_MAX);
    CHECK(strlen(t->word) == t->len);
    CHECK(t->start < t->end && t->end <= c->len);
    utf8_cps(t->word, t->len);
    struct again a = {t->word, t->len, 0, false};
    CHECK(lb_tokenize(t->word, t->len, false, refold, &a) == 0);
    CHECK(t->compound || (a.n == 1 && a.same));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ctx c = {.len = size};
    lb_tokenize((const char *)data, size, true, on_token, &c);
    lb_tokenize((const char *)data, size, false, on_token, &c);

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct lb_query q;
    if (lb_query_parse(s, &q) == 0) {
        CHECK(q.n <= LB_QUERY_WORDS_MAX);
        for (size_t i = 0; i < q.n; i++)
            CHECK(q.lens[i] >= 1 && q.lens[i] <= LB_WORD_MAX && strlen(q.words[i]) == q.lens[i]);
        char out[200];
        struct lb_span sp[LB_SNIPPET_SPANS_MAX];
        size_t n = lb_snippet(s, &q, 40, out, sizeof out, sp);
        size_t cps = utf8_cps(out, strlen(out));
        CHECK(cps <= 41);
        CHECK(n <= LB_SNIPPET_SPANS_MAX);
        for (size_t i = 0; i < n; i++)
            CHECK(sp[i].start + sp[i].len <= cps);
    }
    char fold[64];
    lb_fold_name(s, fold, sizeof fold);
    free(s);
    return 0;
}
