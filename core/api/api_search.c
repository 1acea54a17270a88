/* api_search.c: GET /api/v1/search?q=&type=&limit=&after= (docs/api.md,
 * docs/search.md).
 *
 * The query is parsed by the tokenizer (core/domain/tokenizer.c) on the loop
 * and run by lb_search on libuv's thread pool, in a read transaction of its
 * own (api_offload_read); this file validates the
 * parameters, scopes the hits to what the caller may see (a handler: the
 * companies and cases with a hand-off to one of their units, those cases'
 * contacts, their units' hand-offs; the route table keeps viewers and the
 * service out) and renders each hit of the page: title, snippet of the best
 * matched field in the original text with highlights in code points, and a
 * few fields a results screen shows without another request. A page cursor
 * ("next") is opaque text: the offset into a window of hits, and where the
 * window starts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/error.h"
#include "lotsbok/orgnr.h"
#include "lotsbok/tokenizer.h"

#define SEARCH_Q_MAX_CHARS 200
#define SEARCH_LIMIT_DEFAULT 20
#define SNIPPET_CHARS 160

/* --- the cursor ------------------------------------------------------------ */

/* "OFFSET" for the first window, "OFFSET.MS.TYPE.ID" for a later one. */
static void cursor_text(const struct lb_search_cursor *c, char *buf, size_t len)
{
    if (!c->windowed)
        snprintf(buf, len, "%u", (unsigned)c->offset);
    else
        snprintf(buf, len, "%u.%lld.%u.%llu", (unsigned)c->offset, (long long)c->start.created_at,
                 (unsigned)c->start.type, (unsigned long long)c->start.id);
}

static bool num(const char **p, unsigned long long max, unsigned long long *out)
{
    const char *s = *p;
    unsigned long long v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (max - (unsigned long long)(*s - '0')) / 10)
            return false;
        v = v * 10 + (unsigned long long)(*s - '0');
    }
    *p = s;
    *out = v;
    return true;
}

static bool cursor_parse(const char *s, struct lb_search_cursor *c)
{
    unsigned long long off, ms, type, id;
    memset(c, 0, sizeof *c);
    if (!num(&s, LB_SEARCH_WINDOW, &off))
        return false;
    c->offset = (uint32_t)off;
    if (!*s)
        return true;
    if (*s++ != '.' || !num(&s, (1ull << 48) - 1, &ms) || *s++ != '.' ||
        !num(&s, LB_SEARCH_TYPES - 1, &type) || *s++ != '.' || !num(&s, (1ull << 48) - 1, &id) ||
        *s)
        return false;
    c->windowed = true;
    c->start.created_at = (lb_time)ms;
    c->start.type = (uint8_t)type;
    c->start.id = id;
    return true;
}

/* --- scoping ----------------------------------------------------------------- */

#define VIS_CACHE 64

/* A handler's view, with the cases already decided (a page's hits are often
 * one case's contacts). */
struct vis {
    struct lb_api_req *r;
    lb_id ids[VIS_CACHE];
    bool ok[VIS_CACHE];
};

static bool case_ok(struct vis *v, lb_txn *t, lb_id case_id)
{
    size_t slot = case_id % VIS_CACHE;
    if (v->ids[slot] != case_id) {
        v->ids[slot] = case_id;
        v->ok[slot] = api_case_visible(v->r, t, case_id);
    }
    return v->ok[slot];
}

static int visible(lb_txn *t, int type, lb_id id, void *arg)
{
    struct vis *v = arg;
    int rc;
    switch (type) {
    case LB_SEARCH_COMPANY:
        return api_company_visible(v->r, t, id);
    case LB_SEARCH_CASE:
        return case_ok(v, t, id);
    case LB_SEARCH_CONTACT: {
        struct lb_contact c = {0};
        if ((rc = lb_contact_get(t, id, &c)) == 0)
            rc = case_ok(v, t, c.case_id);
        lb_contact_clear(&c);
        return rc == LB_ENOTFOUND ? 0 : rc;
    }
    case LB_SEARCH_HANDOFF: {
        struct lb_handoff h = {0};
        if ((rc = lb_handoff_get(t, id, &h)) == 0)
            rc = api_unit_allowed(v->r, h.unit);
        lb_handoff_clear(&h);
        return rc == LB_ENOTFOUND ? 0 : rc;
    }
    default:
        return 0;
    }
}

/* --- rendering ------------------------------------------------------------------ */

/* Items are written with the JSON writer (jsonw.h): a page of twenty hits
 * through jansson trees cost more than the query itself. */

/* The last company and case read while rendering a page: a page's hits are
 * often one company's cases or one case's contacts, and each of them names
 * its company or case (at 10,000,000 contacts a record read is a few
 * B-tree pages out of the CPU's caches). */
struct rcache {
    struct lb_company co;
    struct lb_case k;
    lb_id co_id, k_id; /* 0: empty */
};

static int cached_company(struct rcache *c, lb_txn *t, lb_id id, const struct lb_company **out)
{
    if (c->co_id != id) {
        lb_company_clear(&c->co);
        memset(&c->co, 0, sizeof c->co);
        c->co_id = 0;
        int rc = lb_company_get(t, id, &c->co);
        if (rc)
            return rc;
        c->co_id = id;
    }
    *out = &c->co;
    return 0;
}

static int cached_case(struct rcache *c, lb_txn *t, lb_id id, const struct lb_case **out)
{
    if (c->k_id != id) {
        lb_case_clear(&c->k);
        memset(&c->k, 0, sizeof c->k);
        c->k_id = 0;
        int rc = lb_case_get(t, id, &c->k);
        if (rc)
            return rc;
        c->k_id = id;
    }
    *out = &c->k;
    return 0;
}

static void rcache_clear(struct rcache *c)
{
    lb_company_clear(&c->co);
    lb_case_clear(&c->k);
}

/* The text of field f of a record, for the snippet. */
struct texts {
    const char *t[8];
};

/* Writes the snippet and its highlights from the first field of order[]
 * that matched (any text field when none did), and that field's name. */
static void put_snippet(struct lb_jw *w, int type, const struct texts *tx, const unsigned *order,
                        size_t norder, unsigned matched, const struct lb_query *q)
{
    unsigned field = 0;
    for (size_t i = 0; i < norder && !field; i++)
        if ((matched & (1u << (order[i] - 1))) && tx->t[order[i]] && *tx->t[order[i]])
            field = order[i];
    for (size_t i = 0; i < norder && !field; i++)
        if (tx->t[order[i]] && *tx->t[order[i]])
            field = order[i];
    char buf[SNIPPET_CHARS * 4 + 16];
    struct lb_span sp[LB_SNIPPET_SPANS_MAX];
    size_t n = field ? lb_snippet(tx->t[field], q, SNIPPET_CHARS, buf, sizeof buf, sp) : 0;
    LB_JW_KSTR(w, "snippet", field ? buf : "");
    LB_JW_KEY(w, "highlights");
    lb_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        lb_jw_arr_begin(w);
        lb_jw_int(w, (int64_t)sp[i].start);
        lb_jw_int(w, (int64_t)sp[i].len);
        lb_jw_arr_end(w);
    }
    lb_jw_arr_end(w);
    LB_JW_KSTR(w, "field", field ? lb_search_field_name(type, field) : NULL);
}

static void put_fields(struct lb_jw *w, int type, unsigned mask)
{
    LB_JW_KEY(w, "fields");
    lb_jw_arr_begin(w);
    for (unsigned f = 1; f <= 8; f++) {
        const char *n = (mask & (1u << (f - 1))) ? lb_search_field_name(type, f) : NULL;
        if (n)
            lb_jw_str(w, n);
    }
    lb_jw_arr_end(w);
}

static const char *unit_name(struct lb_api_req *r, const char *code)
{
    const struct lb_unit *u = lb_units_find(api_units(r), code ? code : "");
    return u ? u->name_sv : code;
}

/* "a b" (cut at 1,023 bytes as snprintf would; without its format
 * interpretation, which showed in the route's profile). */
static void title2(struct lb_jw *w, const char *a, const char *b)
{
    char buf[1024];
    size_t n = 0;
    for (const char *p = a; *p && n < sizeof buf - 1;)
        buf[n++] = *p++;
    if (n < sizeof buf - 1)
        buf[n++] = ' ';
    for (const char *p = b ? b : ""; *p && n < sizeof buf - 1;)
        buf[n++] = *p++;
    buf[n] = '\0';
    LB_JW_KSTR(w, "title", buf);
}

static int render_company(struct lb_jw *w, lb_txn *t, struct rcache *cache,
                          const struct lb_search_hit *h, const struct lb_query *q)
{
    const struct lb_company *c;
    int rc = cached_company(cache, t, h->pos.id, &c);
    if (rc)
        return rc;
    char orgnr[16];
    lb_orgnr_format(c->orgnr, orgnr);
    LB_JW_KSTR(w, "title", c->name);
    struct texts tx = {{NULL, c->name, c->locality, orgnr}};
    static const unsigned order[] = {1, 2, 3};
    put_snippet(w, LB_SEARCH_COMPANY, &tx, order, 3, h->fields, q);
    LB_JW_KSTR(w, "name", c->name);
    LB_JW_KSTR(w, "orgnr", orgnr);
    LB_JW_KSTR(w, "locality", c->locality);
    return 0;
}

static int render_case(struct lb_jw *w, lb_txn *t, struct rcache *cache,
                       const struct lb_search_hit *h, const struct lb_query *q)
{
    struct lb_case k = {0};
    const struct lb_company *c = NULL;
    char num[24];
    int rc = lb_case_get(t, h->pos.id, &k);
    if (!rc)
        rc = cached_company(cache, t, k.company_id, &c);
    if (!rc) {
        lb_case_number(&k, num, sizeof num);
        title2(w, num, k.subject);
        struct texts tx = {
            {NULL, num, k.subject, k.description, k.close_note, c->name, c->locality}};
        static const unsigned order[] = {3, 4, 2, 5, 6, 1};
        put_snippet(w, LB_SEARCH_CASE, &tx, order, 6, h->fields, q);
        LB_JW_KSTR(w, "number", num);
        LB_JW_KSTR(w, "subject", k.subject);
        LB_JW_KSTR(w, "status", lb_case_status_str(k.status));
        LB_JW_KINT(w, "company_id", (int64_t)k.company_id);
        LB_JW_KSTR(w, "company_name", c->name);
    }
    lb_case_clear(&k);
    return rc;
}

static int render_contact(struct lb_jw *w, lb_txn *t, struct rcache *cache,
                          const struct lb_search_hit *h, const struct lb_query *q)
{
    struct lb_contact ct = {0};
    const struct lb_case *k = NULL;
    char num[24];
    int rc = lb_contact_get(t, h->pos.id, &ct);
    if (!rc)
        rc = cached_case(cache, t, ct.case_id, &k);
    if (!rc) {
        lb_case_number(k, num, sizeof num);
        title2(w, num, k->subject);
        struct texts tx = {{NULL, ct.summary}};
        static const unsigned order[] = {1};
        put_snippet(w, LB_SEARCH_CONTACT, &tx, order, 1, h->fields, q);
        LB_JW_KINT(w, "case_id", (int64_t)ct.case_id);
        LB_JW_KSTR(w, "case_number", num);
        API_JW_TIME(w, "at", ct.at);
        LB_JW_KSTR(w, "channel", lb_channel_str(ct.channel));
        LB_JW_KSTR(w, "direction", lb_direction_str(ct.direction));
    }
    lb_contact_clear(&ct);
    return rc;
}

static int render_handoff(struct lb_api_req *r, struct lb_jw *w, lb_txn *t,
                          const struct lb_search_hit *h, const struct lb_query *q)
{
    struct lb_handoff ho = {0};
    struct lb_case k = {0};
    char num[24];
    int rc = lb_handoff_get(t, h->pos.id, &ho);
    if (!rc)
        rc = lb_case_get(t, ho.case_id, &k);
    if (!rc) {
        lb_case_number(&k, num, sizeof num);
        const char *un = unit_name(r, ho.unit);
        title2(w, num, un);
        struct texts tx = {{NULL, ho.note, ho.reference, ho.decision_note, ho.withdraw_note}};
        static const unsigned order[] = {1, 3, 4, 2};
        put_snippet(w, LB_SEARCH_HANDOFF, &tx, order, 4, h->fields, q);
        LB_JW_KINT(w, "case_id", (int64_t)ho.case_id);
        LB_JW_KSTR(w, "case_number", num);
        LB_JW_KSTR(w, "unit", ho.unit);
        LB_JW_KSTR(w, "unit_name", un);
        LB_JW_KSTR(w, "status", lb_handoff_status_str(ho.status));
        LB_JW_KSTR(w, "reference", ho.reference);
    }
    lb_handoff_clear(&ho);
    lb_case_clear(&k);
    return rc;
}

/* One item; a record the index names but that is gone is a corrupt index. */
static int render_hit(struct lb_api_req *r, struct lb_jw *w, lb_txn *t, struct rcache *cache,
                      const struct lb_search_hit *h, const struct lb_query *q)
{
    int type = h->pos.type;
    lb_jw_obj_begin(w);
    LB_JW_KSTR(w, "type", lb_search_type_name(type));
    LB_JW_KINT(w, "id", (int64_t)h->pos.id);
    int rc;
    switch (type) {
    case LB_SEARCH_COMPANY:
        rc = render_company(w, t, cache, h, q);
        break;
    case LB_SEARCH_CASE:
        rc = render_case(w, t, cache, h, q);
        break;
    case LB_SEARCH_CONTACT:
        rc = render_contact(w, t, cache, h, q);
        break;
    case LB_SEARCH_HANDOFF:
        rc = render_handoff(r, w, t, h, q);
        break;
    default:
        rc = LB_ECORRUPT;
    }
    put_fields(w, type, h->fields);
    LB_JW_KINT(w, "score", (int64_t)h->score);
    API_JW_TIME(w, "created_at", h->pos.created_at);
    lb_jw_obj_end(w);
    return rc == LB_ENOTFOUND ? LB_ECORRUPT : rc;
}

/* --- the handler ---------------------------------------------------------------------- */

static int parse_types(struct lb_api_req *r, unsigned *types)
{
    char buf[256];
    *types = 0;
    int rc = api_query(r, "type", buf, sizeof buf);
    if (rc <= 0)
        return rc;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int ty = lb_search_type_parse(tok);
        if (!ty)
            return api_fail(r, 400, "bad_query", "type",
                            "type must be company, case, contact or handoff (comma-separated)");
        *types |= 1u << ty;
    }
    if (!*types)
        return api_fail(r, 400, "bad_query", "type", "type must name a record type");
    return 0;
}

/* A search handed to the thread pool: the parsed request, then the answer. */
struct search_job {
    struct lb_query q;
    struct lb_search_req rq;
    struct vis v;
    struct lb_jw w;
    int rc;
};

static void search_job_free(void *arg)
{
    struct search_job *j = arg;
    lb_jw_free(&j->w);
    free(j);
}

/* The query and its page's items, read in t; 0 with the answer in j->w. */
static int search_run(struct lb_api_req *r, lb_txn *t, struct search_job *j)
{
    char buf[64];
    struct lb_search_res *res = malloc(sizeof *res);
    if (!res)
        return LB_ENOMEM;
    int rc = lb_search(t, &j->rq, res);
    if (rc == LB_EBUSY) {
        free(res);
        return api_fail(r, 503, "search_unavailable", NULL,
                        "the search index is being built; try again shortly");
    }
    struct lb_jw *w = &j->w;
    lb_jw_obj_begin(w);
    LB_JW_KEY(w, "items");
    lb_jw_arr_begin(w);
    struct rcache cache = {0};
    for (size_t i = 0; rc == 0 && i < res->count; i++)
        rc = render_hit(r, w, t, &cache, &res->hits[i], &j->q);
    rcache_clear(&cache);
    lb_jw_arr_end(w);
    LB_JW_KEY(w, "next");
    if (res->more) {
        cursor_text(&res->next, buf, sizeof buf);
        lb_jw_str(w, buf);
    } else {
        lb_jw_null(w);
    }
    lb_jw_obj_end(w);
    free(res);
    return rc;
}

/* On a pool thread: the search in its own read transaction (begun after
 * the request arrived, so every write answered before it is seen). */
static void search_work(struct lb_api_req *r)
{
    struct search_job *j = r->arg;
    lb_txn *t;
    j->rc = lb_txn_read(api_store(r), &t);
    if (j->rc == 0) {
        j->rc = search_run(r, t, j);
        lb_txn_end(t);
    }
}

static int search_after(struct lb_api_req *r)
{
    struct search_job *j = r->arg;
    return j->rc ? j->rc : api_answer_jw(r, 200, &j->w, NULL);
}

/* The parameters are checked here on the loop; the search and its page's
 * rendering, which read a few dozen B-tree pages of a large environment,
 * run on libuv's thread pool so the loop serves other requests meanwhile
 * (docs/search.md, "The route"). */
int api_search(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    char qbuf[1024], buf[64];
    struct search_job *j = calloc(1, sizeof *j);
    if (!j)
        return LB_ENOMEM;
    r->arg = j;
    r->arg_free = search_job_free;
    struct lb_query *q = &j->q;
    struct lb_search_req *rq = &j->rq;
    rq->q = q;
    rq->limit = SEARCH_LIMIT_DEFAULT;
    int rc = api_query(r, "q", qbuf, sizeof qbuf);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return api_fail(r, 400, "bad_query", "q", "q (the words to search for) is required");
    if (api_utf8_len(qbuf) > SEARCH_Q_MAX_CHARS)
        return api_fail(r, 400, "bad_query", "q", "q is longer than %d characters",
                        SEARCH_Q_MAX_CHARS);
    if (lb_query_parse(qbuf, q) != 0)
        return api_fail(r, 400, "bad_query", "q", "q has more than %d words", LB_QUERY_WORDS_MAX);
    if ((rc = parse_types(r, &rq->types)) < 0)
        return rc;
    if ((rc = api_query(r, "limit", buf, sizeof buf)) < 0)
        return rc;
    if (rc == 1) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (!*buf || *end || v < 1 || v > LB_SEARCH_PAGE_MAX)
            return api_fail(r, 400, "bad_query", "limit", "limit must be 1..%d",
                            LB_SEARCH_PAGE_MAX);
        rq->limit = (size_t)v;
    }
    if ((rc = api_query(r, "after", buf, sizeof buf)) < 0)
        return rc;
    if (rc == 1 && !cursor_parse(buf, &rq->after))
        return api_fail(r, 400, "bad_query", "after", "after must be a next value of this search");

    j->v.r = r;
    if (r->user.role == LB_ROLE_HANDLER) {
        rq->visible = visible;
        rq->visible_arg = &j->v;
    }
    lb_jw_init(&j->w);
    return api_offload_read(r, search_work, search_after);
}
