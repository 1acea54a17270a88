/* store_search.c: the search index, kept by the writes that change records.
 *
 * Layout (docs/search.md has the why). One sub-database, "search",
 * MDB_DUPSORT|MDB_DUPFIXED: the key is a type byte, a folded word
 * (tokenizer.h), a NUL and a field byte; each value is a posting of 12 bytes,
 * the record's created_at in ms and its id, 48 bits each, big-endian. A
 * word's list per field is thus a sorted run of fixed-size values packed in
 * LMDB's LEAF2 pages, oldest first; new records append (MDB_APPENDDUP, so the
 * pages stay full). A record has one posting per distinct (word, field).
 *
 * Writing: lb__put calls lb__search_put with the record before and after.
 * A new record's postings go first to "search_pending", one entry per record
 * (type, id -> its posting and its keys): one small append instead of a
 * leaf and a sub-database path per word. When LB__SEARCH_PENDING_MAX
 * records are pending, the transaction that adds the last one merges them
 * all into the lists, sorted by key, so a word that several of them share is
 * written once (SQLite FTS5 writes each transaction's terms as a small segment and
 * merges segments later in the same way). An update first merges whatever
 * is pending, then the postings of both versions are computed by the type's
 * field function below and only the difference is written, so an update
 * that does not touch text writes nothing here. A case is also indexed under
 * its company's name and locality; a company whose name or locality changes
 * moves those postings of each of its cases in the same transaction
 * (anonymisation goes through the same puts). Adding a record type is a
 * field function and a row in kinds[].
 *
 * Reading (lb_search): per type, each query word is the union of the
 * (word, field) lists it matches (the last word's every completion, at most
 * LB__PREFIX_LISTS of them, in key order) and of the pending records whose
 * keys it matches (read like short lists): a list of at most LB__SMALL_LIST
 * postings is read whole while the keys are scanned (LMDB keeps it inside
 * the leaf the scan stands on) into one sorted array per word, a longer one
 * gets a cursor; a type one word finds nothing in is dropped before the
 * other words are looked up. The words are intersected by
 * leapfrogging from the newest posting down (each cursor seeks to the
 * candidate with a few MDB_PREV_DUP steps, then MDB_GET_BOTH_RANGE), and the
 * types are merged by recency. Hits are collected in recency order, a window
 * of LB_SEARCH_WINDOW at a time, and ranked within it by the number of fields
 * matched; collection stops early once the page is certain (enough hits with
 * the best score any hit of the query can reach).
 *
 * The meta key "search_version" says the index is complete; a store opened
 * with no_search_index deletes it, and lb_search_reindex rebuilds the index
 * in chunks and sets it. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/orgnr.h"
#include "store_internal.h"

#define LB__SEARCH_VERSION 1
#define LB__KEY_LEN_MAX (1 + LB_WORD_MAX + 2)
#define LB__POST 12
#define LB__PREFIX_LISTS 256 /* lists one query word may expand to, per type */
#define LB__SMALL_LIST 64    /* a list this short is read whole when collected */
#define LB__MEM_MAX 65536    /* postings of one query read whole, in all */
#define LB__QUERY_LISTS 1024 /* lists of one query in all */
#define LB__ID_MAX ((1ull << 48) - 1)

static const char version_key[] = "search_version";

/* --- record types and their fields ---------------------------------------- */

typedef int (*field_cb)(unsigned field, const char *text, void *arg);

static int company_fields(lb_txn *t, const void *rec, field_cb fn, void *arg)
{
    (void)t;
    const struct lb_company *c = rec;
    char orgnr[16];
    int rc = fn(1, c->name, arg);
    if (!rc)
        rc = fn(2, c->locality, arg);
    if (!rc && lb__orgnr10_ok(c->orgnr)) {
        lb_orgnr_format(c->orgnr, orgnr);
        rc = fn(3, orgnr, arg);
    }
    return rc;
}

/* A case's company fields, from the company record c. */
static int case_company_fields(const struct lb_company *c, field_cb fn, void *arg)
{
    int rc = fn(5, c->name, arg);
    return rc ? rc : fn(6, c->locality, arg);
}

static int case_fields(lb_txn *t, const void *rec, field_cb fn, void *arg)
{
    const struct lb_case *k = rec;
    char num[24], both[48];
    lb_case_number(k, num, sizeof num);
    /* "L2026-0001 2026-0001": the compound 20260001 too. */
    snprintf(both, sizeof both, "%s %s", num, num[0] == 'L' ? num + 1 : num);
    int rc = fn(1, both, arg);
    if (!rc)
        rc = fn(2, k->subject, arg);
    if (!rc)
        rc = fn(3, k->description, arg);
    if (!rc)
        rc = fn(4, k->close_note, arg);
    if (!rc) {
        struct lb_company c = {0};
        rc = lb_company_get(t, k->company_id, &c);
        if (!rc)
            rc = case_company_fields(&c, fn, arg);
        lb_company_clear(&c);
    }
    return rc;
}

static int contact_fields(lb_txn *t, const void *rec, field_cb fn, void *arg)
{
    (void)t;
    const struct lb_contact *c = rec;
    return fn(1, c->summary, arg);
}

static int handoff_fields(lb_txn *t, const void *rec, field_cb fn, void *arg)
{
    (void)t;
    const struct lb_handoff *h = rec;
    int rc = fn(1, h->note, arg);
    if (!rc)
        rc = fn(2, h->reference, arg);
    if (!rc)
        rc = fn(3, h->decision_note, arg);
    if (!rc)
        rc = fn(4, h->withdraw_note, arg);
    return rc;
}

struct kind {
    int type;
    const struct lb__rtype *rt;
    int (*fields)(lb_txn *t, const void *rec, field_cb fn, void *arg);
    const char *const *field_names; /* [0] unused */
    unsigned nfields;
};

static const char *const company_names[] = {NULL, "name", "locality", "orgnr"};
static const char *const case_names[] = {
    NULL, "number", "subject", "description", "close_note", "company_name", "company_locality"};
static const char *const contact_names[] = {NULL, "summary"};
static const char *const handoff_names[] = {NULL, "note", "reference", "decision_note",
                                            "withdraw_note"};

static const struct kind kinds[] = {
    {LB_SEARCH_COMPANY, &lb__company_type, company_fields, company_names, 3},
    {LB_SEARCH_CASE, &lb__case_type, case_fields, case_names, 6},
    {LB_SEARCH_CONTACT, &lb__contact_type, contact_fields, contact_names, 1},
    {LB_SEARCH_HANDOFF, &lb__handoff_type, handoff_fields, handoff_names, 4},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const struct kind *kind_of_rt(const struct lb__rtype *rt)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i].rt == rt)
            return &kinds[i];
    return NULL;
}

static const struct kind *kind_of_type(int type)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i].type == type)
            return &kinds[i];
    return NULL;
}

const char *lb_search_type_name(int type)
{
    static const char *const names[LB_SEARCH_TYPES] = {
        [LB_SEARCH_COMPANY] = "company",
        [LB_SEARCH_CASE] = "case",
        [LB_SEARCH_CONTACT] = "contact",
        [LB_SEARCH_HANDOFF] = "handoff",
    };
    return type > 0 && type < LB_SEARCH_TYPES ? names[type] : NULL;
}

int lb_search_type_parse(const char *s)
{
    for (int i = 1; i < LB_SEARCH_TYPES; i++)
        if (s && strcmp(s, lb_search_type_name(i)) == 0)
            return i;
    return 0;
}

const char *lb_search_field_name(int type, unsigned field)
{
    const struct kind *k = kind_of_type(type);
    return k && field >= 1 && field <= k->nfields ? k->field_names[field] : NULL;
}

/* --- postings ------------------------------------------------------------- */

struct post {
    uint8_t klen;
    uint8_t key[LB__KEY_LEN_MAX];
    uint8_t val[LB__POST];
};
struct plist {
    struct post *e;
    size_t n, cap;
    int type;
    unsigned field;        /* of the text being tokenised */
    uint8_t val[LB__POST]; /* the record's posting */
    int err;
};

static void post_val(uint8_t *v, lb_time created_at, lb_id id)
{
    uint64_t ms = created_at < 0 ? 0 : (uint64_t)created_at;
    if (ms > LB__ID_MAX)
        ms = LB__ID_MAX;
    for (int i = 5; i >= 0; i--, ms >>= 8)
        v[i] = (uint8_t)ms;
    for (int i = 11; i >= 6; i--, id >>= 8)
        v[i] = (uint8_t)id;
}

static uint64_t rd48(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = (v << 8) | p[i];
    return v;
}

/* A new posting at the end of pl; NULL when out of memory. */
static struct post *plist_add(struct plist *pl)
{
    if (pl->n == pl->cap) {
        size_t ncap = pl->cap ? pl->cap * 2 : 32;
        struct post *ne = realloc(pl->e, ncap * sizeof *ne);
        if (!ne)
            return NULL;
        pl->e = ne;
        pl->cap = ncap;
    }
    return &pl->e[pl->n++];
}

static int plist_token(const struct lb_token *tok, void *arg)
{
    struct plist *pl = arg;
    struct post *p = plist_add(pl);
    if (!p)
        return pl->err = LB_ENOMEM;
    p->key[0] = (uint8_t)pl->type;
    memcpy(p->key + 1, tok->word, tok->len);
    p->key[1 + tok->len] = 0;
    p->key[2 + tok->len] = (uint8_t)pl->field;
    p->klen = (uint8_t)(tok->len + 3);
    memcpy(p->val, pl->val, LB__POST);
    return 0;
}

static int plist_field(unsigned field, const char *text, void *arg)
{
    struct plist *pl = arg;
    if (!text || !*text)
        return 0;
    pl->field = field;
    int rc = lb_tokenize(text, strlen(text), true, plist_token, pl);
    return rc ? rc : pl->err;
}

static int post_cmp(const void *a, const void *b)
{
    const struct post *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    return memcmp(x->val, y->val, LB__POST);
}

/* Sorts and removes repeats. */
static void plist_sort(struct plist *pl)
{
    if (pl->n < 2)
        return;
    qsort(pl->e, pl->n, sizeof *pl->e, post_cmp);
    size_t o = 1;
    for (size_t i = 1; i < pl->n; i++)
        if (post_cmp(&pl->e[i], &pl->e[o - 1]) != 0)
            pl->e[o++] = pl->e[i];
    pl->n = o;
}

/* The postings of record rec of kind k, sorted, appended to pl. */
static int record_postings(lb_txn *t, const struct kind *k, const void *rec, struct plist *pl)
{
    const struct lb_meta *m = k->rt->meta(rec);
    if (m->id > LB__ID_MAX)
        return LB_ETOOBIG;
    pl->type = k->type;
    post_val(pl->val, m->created_at, m->id);
    int rc = k->fields(t, rec, plist_field, pl);
    if (rc)
        return rc;
    plist_sort(pl);
    return 0;
}

static void plist_free(struct plist *pl)
{
    free(pl->e);
    memset(pl, 0, sizeof *pl);
}

static int post_put(lb_txn *t, MDB_cursor *cur, const struct post *p)
{
    MDB_val k = {p->klen, (void *)p->key}, v = {LB__POST, (void *)p->val};
    /* Appending keeps a list's pages full; an older posting (a rebuilt or
     * back-dated record) goes in its place. */
    int rc = mdb_cursor_put(cur, &k, &v, MDB_APPENDDUP);
    if (rc == MDB_KEYEXIST)
        rc = mdb_cursor_put(cur, &k, &v, MDB_NODUPDATA);
    return rc == MDB_KEYEXIST ? 0 : lb__mdb_err(t, rc);
}

static int post_del(lb_txn *t, const struct post *p)
{
    MDB_val k = {p->klen, (void *)p->key}, v = {LB__POST, (void *)p->val};
    int rc = mdb_del(t->txn, lb__dbi(t, LB_DB_SEARCH), &k, &v);
    return rc == MDB_NOTFOUND ? 0 : lb__mdb_err(t, rc);
}

/* Writes new's postings that old lacks and deletes old's that new lacks
 * (both sorted). */
static int apply_diff(lb_txn *t, const struct plist *old, const struct plist *new)
{
    MDB_cursor *cur = NULL;
    size_t i = 0, j = 0;
    int rc = 0;
    while (!rc && (i < old->n || j < new->n)) {
        int c = i == old->n ? 1 : j == new->n ? -1 : post_cmp(&old->e[i], &new->e[j]);
        if (c == 0) {
            i++;
            j++;
        } else if (c < 0) {
            rc = post_del(t, &old->e[i++]);
        } else {
            if (!cur) {
                rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_SEARCH), &cur);
                if (rc) {
                    cur = NULL;
                    rc = lb__mdb_err(t, rc);
                    break;
                }
            }
            rc = post_put(t, cur, &new->e[j++]);
        }
    }
    if (cur)
        mdb_cursor_close(cur);
    return rc;
}

/* The postings of fields company_name and company_locality of case_id, with
 * the company c. */
static int case_company_postings(lb_txn *t, lb_id case_id, const struct lb_company *c,
                                 struct plist *pl)
{
    MDB_val v;
    struct lb_case k = {0};
    int rc = lb__get_raw(t, LB_DB_CASES, case_id, &v);
    if (!rc)
        rc = lb_case_decode(v.mv_data, v.mv_size, &k);
    if (!rc) {
        pl->type = LB_SEARCH_CASE;
        post_val(pl->val, k.meta.created_at, k.meta.id);
        rc = case_company_fields(c, plist_field, pl);
    }
    lb_case_clear(&k);
    if (!rc)
        plist_sort(pl);
    return rc;
}

static bool str_same(const char *a, const char *b)
{
    return (!a || !*a) ? (!b || !*b) : (b && strcmp(a, b) == 0);
}

/* A company's name or locality changed: each of its cases moves its
 * postings of those two fields. */
static int company_cases(lb_txn *t, const struct lb_company *old, const struct lb_company *rec)
{
    if (str_same(old->name, rec->name) && str_same(old->locality, rec->locality))
        return 0;
    uint8_t kb[8];
    lb__be64(kb, rec->meta.id);
    struct lb__src src;
    int rc = lb__src_open(t, &src, LB_IX_CASE_COMPANY, kb, 8, 0);
    while (rc == 0 && src.next) {
        lb_id id = src.next;
        struct plist po = {0}, pn = {0};
        if ((rc = lb__src_advance(&src)) == 0 &&
            (rc = case_company_postings(t, id, old, &po)) == 0 &&
            (rc = case_company_postings(t, id, rec, &pn)) == 0)
            rc = apply_diff(t, &po, &pn);
        plist_free(&po);
        plist_free(&pn);
    }
    lb__src_close(&src);
    return rc;
}

/* --- pending postings ------------------------------------------------------ */

static void pending_key(uint8_t *kb, int type, lb_id id)
{
    kb[0] = (uint8_t)type;
    lb__be64(kb + 1, id);
}

/* A pending entry's filter: 256 bits, set for the first letter of each of
 * its words and for the first two, so that a query word's scan skips most
 * entries that hold no word beginning like it. */
#define PENDING_FILTER 32
#define PENDING_HEAD (LB__POST + PENDING_FILTER)

/* The filter bit of a word (or prefix) w of wl >= 1 bytes. */
static unsigned filter_bit(const uint8_t *w, size_t wl)
{
    return wl == 1 ? (w[0] * 37u + 11u) & 255u : (w[0] * 131u + w[1] * 7u) & 255u;
}

static void filter_set(uint8_t *f, const uint8_t *w, size_t wl)
{
    unsigned b = filter_bit(w, 1);
    f[b >> 3] |= (uint8_t)(1u << (b & 7));
    if (wl >= 2) {
        b = filter_bit(w, 2);
        f[b >> 3] |= (uint8_t)(1u << (b & 7));
    }
}

/* Records new record's postings pl (sorted, all with pl->val) as pending:
 * the value is the posting, the filter, then each key as a length byte and
 * its bytes. */
static int pending_put(lb_txn *t, const struct plist *pl, lb_id id)
{
    uint8_t kb[9];
    size_t size = PENDING_HEAD;
    for (size_t i = 0; i < pl->n; i++)
        size += 1 + pl->e[i].klen;
    pending_key(kb, pl->type, id);
    MDB_val k = {sizeof kb, kb}, v = {size, NULL};
    int rc = mdb_put(t->txn, lb__dbi(t, LB_DB_SEARCH_PENDING), &k, &v, MDB_RESERVE);
    if (rc)
        return lb__mdb_err(t, rc);
    uint8_t *p = v.mv_data;
    memcpy(p, pl->val, LB__POST);
    p += LB__POST;
    memset(p, 0, PENDING_FILTER);
    for (size_t i = 0; i < pl->n; i++)
        if (pl->e[i].klen > 3)
            filter_set(p, pl->e[i].key + 1, (size_t)pl->e[i].klen - 3);
    p += PENDING_FILTER;
    for (size_t i = 0; i < pl->n; i++) {
        *p++ = pl->e[i].klen;
        memcpy(p, pl->e[i].key, pl->e[i].klen);
        p += pl->e[i].klen;
    }
    return 0;
}

/* Walks a pending entry's keys: fn(key, klen, arg) for each. LB_ECORRUPT
 * when the entry is malformed. */
static int pending_keys(const MDB_val *v, int (*fn)(const uint8_t *key, size_t klen, void *arg),
                        void *arg)
{
    if (v->mv_size < PENDING_HEAD)
        return LB_ECORRUPT;
    const uint8_t *p = (const uint8_t *)v->mv_data + PENDING_HEAD,
                  *end = (const uint8_t *)v->mv_data + v->mv_size;
    while (p < end) {
        size_t kl = *p++;
        if (kl < 3 || kl > LB__KEY_LEN_MAX || (size_t)(end - p) < kl)
            return LB_ECORRUPT;
        int rc = fn(p, kl, arg);
        if (rc)
            return rc;
        p += kl;
    }
    return 0;
}

struct collect {
    struct plist *pl;
    const uint8_t *val;
};

static int collect_key(const uint8_t *key, size_t klen, void *arg)
{
    struct collect *c = arg;
    struct post *p = plist_add(c->pl);
    if (!p)
        return LB_ENOMEM;
    p->klen = (uint8_t)klen;
    memcpy(p->key, key, klen);
    memcpy(p->val, c->val, LB__POST);
    return 0;
}

static int pending_count(lb_txn *t, size_t *n)
{
    MDB_stat st;
    int rc = mdb_stat(t->txn, lb__dbi(t, LB_DB_SEARCH_PENDING), &st);
    *n = rc ? 0 : st.ms_entries;
    return lb__mdb_err(t, rc);
}

int lb__search_merge(lb_txn *t)
{
    size_t n;
    int rc = pending_count(t, &n);
    if (rc || n == 0)
        return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_SEARCH_PENDING), &cur)))
        return lb__mdb_err(t, rc);
    struct plist all = {0};
    MDB_val k, v;
    int mrc;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc && mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        struct collect c = {&all, v.mv_data};
        rc = pending_keys(&v, collect_key, &c);
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND)
        rc = lb__mdb_err(t, mrc);
    /* In key order: the postings of one list land together, and each page
     * is made dirty once however many records share the word. */
    if (!rc)
        plist_sort(&all);
    if (!rc && (rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_SEARCH), &cur)) != 0)
        rc = lb__mdb_err(t, rc);
    else if (!rc) {
        for (size_t i = 0; !rc && i < all.n; i++)
            rc = post_put(t, cur, &all.e[i]);
        mdb_cursor_close(cur);
    }
    plist_free(&all);
    if (!rc)
        rc = lb__mdb_err(t, mdb_drop(t->txn, lb__dbi(t, LB_DB_SEARCH_PENDING), 0));
    return rc;
}

int lb__search_put(lb_txn *t, const struct lb__rtype *rt, const void *old, const void *rec)
{
    if (t->s->search_off)
        return 0;
    const struct kind *k = kind_of_rt(rt);
    if (!k)
        return 0;
    struct plist po = {0}, pn = {0};
    int rc = 0;
    if (!old) {
        /* A new record: pending, merged with the others once there are
         * enough of them. */
        size_t n;
        rc = record_postings(t, k, rec, &pn);
        if (!rc && pn.n)
            rc = pending_put(t, &pn, k->rt->meta(rec)->id);
        if (!rc && pn.n && (rc = pending_count(t, &n)) == 0 && n >= LB__SEARCH_PENDING_MAX)
            rc = lb__search_merge(t);
        plist_free(&pn);
        return rc;
    }
    /* Only merged postings are moved (a pending record's entry would have
     * to be found and rewritten, and a company's cases may be among them). */
    rc = lb__search_merge(t);
    if (!rc)
        rc = record_postings(t, k, old, &po);
    if (!rc)
        rc = record_postings(t, k, rec, &pn);
    if (!rc)
        rc = apply_diff(t, &po, &pn);
    plist_free(&po);
    plist_free(&pn);
    if (!rc && old && k->type == LB_SEARCH_COMPANY)
        rc = company_cases(t, old, rec);
    return rc;
}

/* --- the marker ----------------------------------------------------------- */

int lb__search_init(lb_txn *t, bool complete)
{
    MDB_val k = {sizeof version_key - 1, (void *)version_key};
    if (complete)
        return lb__meta_put(t, version_key, sizeof version_key - 1, LB__SEARCH_VERSION);
    int rc = mdb_drop(t->txn, lb__dbi(t, LB_DB_SEARCH), 0);
    if (!rc)
        rc = mdb_drop(t->txn, lb__dbi(t, LB_DB_SEARCH_PENDING), 0);
    if (rc)
        return lb__mdb_err(t, rc);
    rc = mdb_del(t->txn, lb__dbi(t, LB_DB_META), &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : lb__mdb_err(t, rc);
}

int lb_search_ready(lb_txn *t, bool *ready)
{
    uint64_t v;
    int rc = lb__meta_get(t, version_key, sizeof version_key - 1, &v);
    *ready = rc == 0 && v == LB__SEARCH_VERSION;
    return rc;
}

/* --- rebuilding ------------------------------------------------------------ */

#define REINDEX_CHUNK 5000

struct reindex {
    const struct kind *k;
    lb_id after, next_after;
    bool more;
    uint64_t n, chunk_n;
};

static int op_clear(lb_txn *t, void *arg)
{
    (void)arg;
    return lb__search_init(t, false);
}

static int op_mark(lb_txn *t, void *arg)
{
    (void)arg;
    return lb__search_init(t, true);
}

static int op_chunk(lb_txn *t, void *arg)
{
    struct reindex *r = arg;
    const struct lb__rtype *rt = r->k->rt;
    MDB_cursor *cur = NULL, *pc = NULL;
    void *rec = calloc(1, rt->size);
    uint8_t kb[8];
    MDB_val k = {8, kb}, v;
    int rc = rec ? 0 : LB_ENOMEM;
    r->more = false;
    r->chunk_n = 0;
    r->next_after = r->after;
    if (!rc && (rc = mdb_cursor_open(t->txn, lb__dbi(t, rt->db), &cur)) != 0)
        rc = lb__mdb_err(t, rc), cur = NULL;
    if (!rc && (rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_SEARCH), &pc)) != 0)
        rc = lb__mdb_err(t, rc), pc = NULL;
    lb__be64(kb, r->after + 1);
    int mrc = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (!rc && mrc == 0) {
        if (r->chunk_n == REINDEX_CHUNK) {
            r->more = true;
            break;
        }
        if (k.mv_size != 8) {
            rc = LB_ECORRUPT;
            break;
        }
        struct plist pl = {0};
        rc = rt->decode(v.mv_data, v.mv_size, rec);
        if (!rc)
            rc = record_postings(t, r->k, rec, &pl);
        for (size_t i = 0; !rc && i < pl.n; i++)
            rc = post_put(t, pc, &pl.e[i]);
        plist_free(&pl);
        rt->clear(rec);
        r->next_after = lb__rd64(k.mv_data);
        r->chunk_n++;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (!rc && mrc && mrc != MDB_NOTFOUND)
        rc = lb__mdb_err(t, mrc);
    if (cur)
        mdb_cursor_close(cur);
    if (pc)
        mdb_cursor_close(pc);
    free(rec);
    return rc;
}

int lb_search_reindex(lb_store *s, void (*progress)(const char *type, uint64_t n, void *arg),
                      void *arg)
{
    int rc = lb_store_run(s, op_clear, NULL);
    for (size_t i = 0; !rc && i < NKINDS; i++) {
        struct reindex r = {.k = &kinds[i]};
        do {
            rc = lb_store_run(s, op_chunk, &r);
            if (!rc) {
                r.after = r.next_after;
                r.n += r.chunk_n;
            }
        } while (!rc && r.more);
        if (!rc && progress)
            progress(lb_search_type_name(kinds[i].type), r.n, arg);
    }
    return rc ? rc : lb_store_run(s, op_mark, NULL);
}

/* --- the check ------------------------------------------------------------- */

static void key_text(const uint8_t *key, size_t klen, char *buf, size_t len)
{
    size_t wl = klen >= 3 ? klen - 3 : 0;
    int type = klen ? key[0] : 0;
    unsigned field = klen ? key[klen - 1] : 0;
    const char *tn = lb_search_type_name(type), *fn = lb_search_field_name(type, field);
    snprintf(buf, len, "%s %s \"%.*s\"", tn ? tn : "?", fn ? fn : "?", (int)wl,
             (const char *)key + 1);
}

#define CHECK_REPORT_MAX 20

struct same {
    const struct plist *pl;
    size_t i;
    bool differ;
};

static int same_key(const uint8_t *key, size_t klen, void *arg)
{
    struct same *sm = arg;
    const struct post *p = sm->i < sm->pl->n ? &sm->pl->e[sm->i] : NULL;
    if (!p || p->klen != klen || memcmp(p->key, key, klen) != 0)
        sm->differ = true;
    sm->i++;
    return 0;
}

/* Whether record id's postings pl (sorted) are pending: 1 no, 0 yes and the
 * same, 2 yes but different; < 0 an error. */
static int pending_same(lb_txn *t, const struct plist *pl, lb_id id)
{
    uint8_t kb[9];
    pending_key(kb, pl->type, id);
    MDB_val k = {sizeof kb, kb}, v;
    int rc = mdb_get(t->txn, lb__dbi(t, LB_DB_SEARCH_PENDING), &k, &v);
    if (rc == MDB_NOTFOUND)
        return 1;
    if (rc)
        return lb__mdb_err(t, rc);
    struct same sm = {pl, 0, false};
    uint8_t filter[PENDING_FILTER] = {0};
    for (size_t i = 0; i < pl->n; i++)
        if (pl->e[i].klen > 3)
            filter_set(filter, pl->e[i].key + 1, (size_t)pl->e[i].klen - 3);
    if (pl->n == 0 || v.mv_size < PENDING_HEAD || memcmp(v.mv_data, pl->e[0].val, LB__POST) != 0 ||
        memcmp((const uint8_t *)v.mv_data + LB__POST, filter, PENDING_FILTER) != 0 ||
        pending_keys(&v, same_key, &sm) != 0 || sm.i != pl->n)
        sm.differ = true;
    return sm.differ ? 2 : 0;
}

int lb__search_check(lb_txn *t, FILE *report, size_t *problems)
{
    bool ready;
    int rc = lb_search_ready(t, &ready);
    if (rc)
        return rc;
    if (!ready) {
        (*problems)++;
        if (report)
            fprintf(report, "search: the index is not built (lotsd reindex builds it; lotsd serve "
                            "does when it starts)\n");
        return 0;
    }
    MDB_cursor *sc;
    if ((rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_SEARCH), &sc)))
        return lb__mdb_err(t, rc);
    uint64_t expected = 0;
    size_t npending, pending_seen = 0;
    if ((rc = pending_count(t, &npending))) {
        mdb_cursor_close(sc);
        return rc;
    }
    size_t reported = 0;
    for (size_t i = 0; !rc && i < NKINDS; i++) {
        const struct lb__rtype *rt = kinds[i].rt;
        MDB_cursor *cur;
        MDB_val k, v;
        void *rec = calloc(1, rt->size);
        if (!rec) {
            rc = LB_ENOMEM;
            break;
        }
        if ((rc = mdb_cursor_open(t->txn, lb__dbi(t, rt->db), &cur))) {
            free(rec);
            rc = lb__mdb_err(t, rc);
            break;
        }
        int mrc;
        for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc && mrc == 0;
             mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            struct plist pl = {0};
            if (rt->decode(v.mv_data, v.mv_size, rec) != 0)
                continue; /* the record check reports it */
            int prc = record_postings(t, &kinds[i], rec, &pl);
            if (prc == LB_ENOMEM) {
                rc = prc;
            } else if (prc) {
                (*problems)++;
                if (report && reported++ < CHECK_REPORT_MAX)
                    fprintf(report, "search: %s %llu: its postings cannot be computed\n", rt->name,
                            (unsigned long long)rt->meta(rec)->id);
            }
            int pend = rc || !npending ? 1 : pending_same(t, &pl, rt->meta(rec)->id);
            if (pend < 0) {
                rc = pend;
            } else if (pend == 0 || pend == 2) {
                pending_seen++;
                if (pend == 2) {
                    (*problems)++;
                    if (report && reported++ < CHECK_REPORT_MAX)
                        fprintf(report, "search: %s %llu: its pending postings differ from its "
                                        "text\n",
                                rt->name, (unsigned long long)rt->meta(rec)->id);
                }
                pl.n = 0; /* pending: none of its postings is in the lists yet */
            }
            for (size_t j = 0; !rc && j < pl.n; j++) {
                MDB_val pk = {pl.e[j].klen, pl.e[j].key}, pv = {LB__POST, pl.e[j].val};
                int g = mdb_cursor_get(sc, &pk, &pv, MDB_GET_BOTH);
                expected++;
                if (g == MDB_NOTFOUND) {
                    char kt[128];
                    (*problems)++;
                    key_text(pl.e[j].key, pl.e[j].klen, kt, sizeof kt);
                    if (report && reported++ < CHECK_REPORT_MAX)
                        fprintf(report, "search: %s %llu is missing its posting under %s\n",
                                rt->name, (unsigned long long)rt->meta(rec)->id, kt);
                } else if (g) {
                    rc = lb__mdb_err(t, g);
                }
            }
            plist_free(&pl);
            rt->clear(rec);
        }
        if (!rc && mrc && mrc != MDB_NOTFOUND)
            rc = lb__mdb_err(t, mrc);
        mdb_cursor_close(cur);
        free(rec);
    }
    if (!rc && pending_seen != npending) {
        (*problems)++;
        if (report)
            fprintf(report, "search: %zu pending entries belong to no record\n",
                    npending - pending_seen);
    }
    MDB_stat st;
    if (!rc && (rc = mdb_stat(t->txn, lb__dbi(t, LB_DB_SEARCH), &st)) != 0)
        rc = lb__mdb_err(t, rc);
    if (!rc && st.ms_entries != expected) {
        (*problems)++;
        if (report)
            fprintf(report, "search: the index holds %llu postings, the records call for %llu\n",
                    (unsigned long long)st.ms_entries, (unsigned long long)expected);
        /* Name the postings no record calls for (slow, and only when broken). */
        MDB_val k, v;
        int mrc;
        size_t named = 0;
        for (mrc = mdb_cursor_get(sc, &k, &v, MDB_FIRST); !rc && mrc == 0 && named < 10;
             mrc = mdb_cursor_get(sc, &k, &v, MDB_NEXT)) {
            const uint8_t *kp = k.mv_data;
            const struct kind *kd = k.mv_size >= 3 ? kind_of_type(kp[0]) : NULL;
            bool ok = false;
            if (kd && v.mv_size == LB__POST && kp[k.mv_size - 2] == 0) {
                void *rec = calloc(1, kd->rt->size);
                struct plist pl = {0};
                if (!rec) {
                    rc = LB_ENOMEM;
                    break;
                }
                if (lb__get(t, kd->rt, rd48((const uint8_t *)v.mv_data + 6), rec) == 0 &&
                    record_postings(t, kd, rec, &pl) == 0) {
                    struct post p = {.klen = (uint8_t)k.mv_size};
                    memcpy(p.key, kp, k.mv_size <= LB__KEY_LEN_MAX ? k.mv_size : 0);
                    memcpy(p.val, v.mv_data, LB__POST);
                    ok = k.mv_size <= LB__KEY_LEN_MAX &&
                         bsearch(&p, pl.e, pl.n, sizeof *pl.e, post_cmp) != NULL;
                }
                plist_free(&pl);
                kd->rt->clear(rec);
                free(rec);
            }
            if (!ok) {
                char kt[128];
                key_text(kp, k.mv_size, kt, sizeof kt);
                named++;
                if (report)
                    fprintf(report, "search: posting of id %llu under %s belongs to no record\n",
                            v.mv_size == LB__POST
                                ? (unsigned long long)rd48((const uint8_t *)v.mv_data + 6)
                                : 0ull,
                            kt);
            }
        }
        if (!rc && mrc && mrc != MDB_NOTFOUND)
            rc = lb__mdb_err(t, mrc);
    }
    mdb_cursor_close(sc);
    return rc;
}

/* --- sizes ------------------------------------------------------------------- */

struct sizes {
    uint64_t text;
};

static int count_text(unsigned field, const char *text, void *arg)
{
    (void)field;
    struct sizes *s = arg;
    if (text)
        s->text += strlen(text);
    return 0;
}

int lb_search_sizes(lb_txn *t, uint64_t *text_bytes, uint64_t *index_bytes, uint64_t *postings)
{
    struct sizes sz = {0};
    int rc = 0;
    for (size_t i = 0; !rc && i < NKINDS; i++) {
        const struct lb__rtype *rt = kinds[i].rt;
        MDB_cursor *cur;
        MDB_val k, v;
        void *rec = calloc(1, rt->size);
        if (!rec)
            return LB_ENOMEM;
        if ((rc = mdb_cursor_open(t->txn, lb__dbi(t, rt->db), &cur))) {
            free(rec);
            return lb__mdb_err(t, rc);
        }
        for (int m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc && m == 0;
             m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (rt->decode(v.mv_data, v.mv_size, rec) == 0) {
                rc = kinds[i].fields(t, rec, count_text, &sz);
                rt->clear(rec);
            }
        }
        mdb_cursor_close(cur);
        free(rec);
    }
    if (rc)
        return rc;
    /* The main tree's pages, and each long list's sub-tree of LEAF2 pages
     * (fixed-size postings packed, pages full when appended); short lists
     * live inside the main tree's leaves. */
    MDB_stat st;
    MDB_cursor *cur;
    MDB_val k, v;
    if ((rc = mdb_stat(t->txn, lb__dbi(t, LB_DB_SEARCH), &st)) ||
        (rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_SEARCH), &cur)))
        return lb__mdb_err(t, rc);
    uint64_t bytes =
        (uint64_t)(st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) * st.ms_psize;
    uint64_t per_page = (st.ms_psize - 16) / LB__POST;
    int m;
    for (m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP)) {
        size_t n;
        if ((m = mdb_cursor_count(cur, &n)) != 0)
            break;
        if (n * LB__POST > st.ms_psize / 2)
            bytes += (n + per_page - 1) / per_page * st.ms_psize;
    }
    mdb_cursor_close(cur);
    if (m != MDB_NOTFOUND)
        return lb__mdb_err(t, m);
    *text_bytes = sz.text;
    *postings = st.ms_entries;
    *index_bytes = bytes;
    return 0;
}

/* --- the query ------------------------------------------------------------------ */

/* One (word, field) list: a cursor walking its postings newest first. */
struct plcur {
    MDB_cursor *cur;
    uint8_t key[LB__KEY_LEN_MAX];
    size_t klen;
    unsigned fbit;
    bool live;
    uint8_t val[LB__POST];
    struct lb_search_stats *st;
};

/* A posting of a short list, read whole while the lists were collected. */
struct mpost {
    uint8_t val[LB__POST];
    unsigned fbits;
};

/* A query word within one type: the union of its lists. The short ones
 * (at most LB__SMALL_LIST postings, as most completions of a prefix are)
 * are read whole when collected and merged into one array, newest first;
 * only the long ones get a cursor each. */
struct term {
    struct plcur *lists; /* qs->all + first, set once every list is collected */
    size_t first, n;
    struct mpost *mem; /* qs->mem + mfirst, likewise */
    size_t mfirst, mn, mpos;
    bool live;
    uint8_t head[LB__POST];
    unsigned mask;
};

/* One type's hits: the intersection of its terms. */
struct tstream {
    int type;
    struct term terms[LB_QUERY_WORDS_MAX];
    size_t nterms;
    unsigned ubits; /* every field any word can match */
    bool live;
    uint8_t hit[LB__POST];
    unsigned mask;
    bool bounded; /* lists start at bound (a later window), else at their newest */
    uint8_t bound[LB__POST];
};

struct qstate {
    lb_txn *t;
    struct plcur *all; /* every list of the query (grown while collecting) */
    size_t nall, cap;
    struct tstream ts[LB_SEARCH_TYPES];
    size_t nts;
    struct mpost *mem; /* every term's short lists' postings */
    size_t nmem, memcap;
    MDB_cursor *pend; /* the pending records, when there are any */
    struct lb_search_stats *st, own;
};

static int cur_read(struct plcur *c, const MDB_val *v)
{
    if (v->mv_size != LB__POST)
        return LB_ECORRUPT;
    memcpy(c->val, v->mv_data, LB__POST);
    c->st->postings++;
    return 0;
}

/* Positions c on its newest posting <= bound (all of them when bound is
 * NULL); c->live false when there is none. */
static int cur_start(lb_txn *t, struct plcur *c, const uint8_t *bound)
{
    MDB_val k = {c->klen, c->key}, v;
    int rc;
    c->live = false;
    c->st->seeks++;
    if (bound) {
        v.mv_size = LB__POST;
        v.mv_data = (void *)bound;
        rc = mdb_cursor_get(c->cur, &k, &v, MDB_GET_BOTH_RANGE);
        if (rc == 0) {
            if (v.mv_size == LB__POST && memcmp(v.mv_data, bound, LB__POST) == 0) {
                c->live = true;
                return cur_read(c, &v);
            }
            rc = mdb_cursor_get(c->cur, &k, &v, MDB_PREV_DUP);
            if (rc == MDB_NOTFOUND)
                return 0;
            if (rc)
                return lb__mdb_err(t, rc);
            c->live = true;
            return cur_read(c, &v);
        }
        if (rc != MDB_NOTFOUND)
            return lb__mdb_err(t, rc);
        /* Every posting is older than bound: the last one. */
    }
    rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_KEY);
    if (rc == 0)
        rc = mdb_cursor_get(c->cur, &k, &v, MDB_LAST_DUP);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return lb__mdb_err(t, rc);
    c->live = true;
    return cur_read(c, &v);
}

/* Moves c to its newest posting <= target: a few steps back first (lists of
 * one query move together), then a seek. */
static int cur_seek(lb_txn *t, struct plcur *c, const uint8_t *target)
{
    if (!c->live || memcmp(c->val, target, LB__POST) <= 0)
        return 0;
    MDB_val k, v;
    for (int i = 0; i < 4; i++) {
        int rc = mdb_cursor_get(c->cur, &k, &v, MDB_PREV_DUP);
        if (rc == MDB_NOTFOUND) {
            c->live = false;
            return 0;
        }
        if (rc)
            return lb__mdb_err(t, rc);
        if ((rc = cur_read(c, &v)))
            return rc;
        if (memcmp(c->val, target, LB__POST) <= 0)
            return 0;
    }
    return cur_start(t, c, target);
}

/* The term's head: its lists' newest current posting, and the fields of
 * the lists standing on it. */
static void term_head(struct term *tm)
{
    tm->live = false;
    tm->mask = 0;
    if (tm->mpos < tm->mn) {
        memcpy(tm->head, tm->mem[tm->mpos].val, LB__POST);
        tm->mask = tm->mem[tm->mpos].fbits;
        tm->live = true;
    }
    for (size_t i = 0; i < tm->n; i++) {
        struct plcur *c = &tm->lists[i];
        if (!c->live)
            continue;
        int cmp = tm->live ? memcmp(c->val, tm->head, LB__POST) : 1;
        if (cmp > 0) {
            memcpy(tm->head, c->val, LB__POST);
            tm->mask = c->fbit;
            tm->live = true;
        } else if (cmp == 0) {
            tm->mask |= c->fbit;
        }
    }
}

/* Moves the term's array to its first posting <= target: a gallop, then a
 * binary search. */
static void mem_seek(struct term *tm, const uint8_t *target)
{
    size_t lo = tm->mpos, step = 1;
    if (lo >= tm->mn || memcmp(tm->mem[lo].val, target, LB__POST) <= 0)
        return;
    /* mem[lo] > target; find hi with mem[hi] <= target (or the end). */
    size_t hi = lo + 1;
    while (hi < tm->mn && memcmp(tm->mem[hi].val, target, LB__POST) > 0) {
        lo = hi;
        step *= 2;
        hi = lo + step;
    }
    if (hi > tm->mn)
        hi = tm->mn;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(tm->mem[mid].val, target, LB__POST) > 0)
            lo = mid;
        else
            hi = mid;
    }
    tm->mpos = hi;
}

static int term_seek(lb_txn *t, struct term *tm, const uint8_t *target)
{
    if (!tm->live || memcmp(tm->head, target, LB__POST) <= 0)
        return 0;
    mem_seek(tm, target);
    for (size_t i = 0; i < tm->n; i++) {
        int rc = cur_seek(t, &tm->lists[i], target);
        if (rc)
            return rc;
    }
    term_head(tm);
    return 0;
}

/* The 12-byte value one below v; false when v is all zero. */
static bool dec12(const uint8_t *v, uint8_t *out)
{
    memcpy(out, v, LB__POST);
    for (int i = LB__POST - 1; i >= 0; i--) {
        if (out[i]--)
            return true;
    }
    return false;
}

/* Leapfrog: the stream's newest posting every term holds, at or below the
 * terms' current heads. */
static int ts_find(lb_txn *t, struct tstream *s)
{
    for (;;) {
        const uint8_t *target = NULL;
        for (size_t i = 0; i < s->nterms; i++) {
            if (!s->terms[i].live) {
                s->live = false;
                return 0;
            }
            if (!target || memcmp(s->terms[i].head, target, LB__POST) < 0)
                target = s->terms[i].head;
        }
        uint8_t tg[LB__POST];
        memcpy(tg, target, LB__POST);
        bool same = true;
        for (size_t i = 0; i < s->nterms; i++) {
            int rc = term_seek(t, &s->terms[i], tg);
            if (rc)
                return rc;
            if (!s->terms[i].live) {
                s->live = false;
                return 0;
            }
            if (memcmp(s->terms[i].head, tg, LB__POST) != 0)
                same = false;
        }
        if (same) {
            memcpy(s->hit, tg, LB__POST);
            s->mask = 0;
            for (size_t i = 0; i < s->nterms; i++)
                s->mask |= s->terms[i].mask;
            s->live = true;
            return 0;
        }
    }
}

static int ts_advance(lb_txn *t, struct tstream *s)
{
    uint8_t below[LB__POST];
    if (!dec12(s->hit, below)) {
        s->live = false;
        return 0;
    }
    for (size_t i = 0; i < s->nterms; i++) {
        int rc = term_seek(t, &s->terms[i], below);
        if (rc)
            return rc;
    }
    return ts_find(t, s);
}

static int mem_reserve(struct qstate *qs, size_t more)
{
    if (qs->nmem + more <= qs->memcap)
        return 0;
    size_t ncap = qs->memcap ? qs->memcap * 2 : 256;
    while (ncap < qs->nmem + more)
        ncap *= 2;
    struct mpost *nm = realloc(qs->mem, ncap * sizeof *nm);
    if (!nm)
        return LB_ENOMEM;
    qs->mem = nm;
    qs->memcap = ncap;
    return 0;
}

struct pmatch {
    struct qstate *qs;
    struct term *tm;
    const uint8_t *pfx;
    size_t pl;
    const uint8_t *val;
};

/* pending_match's "stop": the entry's later keys are all greater (a
 * positive value, unlike the LB_E codes). */
#define PENDING_PAST 1

static int pending_match(const uint8_t *key, size_t klen, void *arg)
{
    struct pmatch *pm = arg;
    int c = memcmp(key, pm->pfx, klen < pm->pl ? klen : pm->pl);
    if (c > 0)
        return PENDING_PAST; /* the keys are sorted */
    if (c < 0 || klen < pm->pl || key[klen - 2] != 0 || key[klen - 1] < 1 || key[klen - 1] > 31)
        return 0;
    int rc = mem_reserve(pm->qs, 1);
    if (rc)
        return rc;
    struct mpost *m = &pm->qs->mem[pm->qs->nmem++];
    memcpy(m->val, pm->val, LB__POST);
    m->fbits = 1u << (key[klen - 1] - 1);
    pm->tm->mn++;
    pm->qs->st->postings++;
    return 0;
}

/* Adds the pending records of type whose keys begin with pfx to tm's
 * array, as if they were short lists. */
static int term_pending(struct qstate *qs, int type, const uint8_t *pfx, size_t pl, size_t wl,
                        struct term *tm)
{
    uint8_t kb[1] = {(uint8_t)type};
    MDB_val k = {1, kb}, v;
    struct pmatch pm = {qs, tm, pfx, pl, NULL};
    unsigned fb = wl ? filter_bit(pfx + 1, wl >= 2 ? 2 : 1) : 0;
    int rc = mdb_cursor_get(qs->pend, &k, &v, MDB_SET_RANGE);
    for (; rc == 0; rc = mdb_cursor_get(qs->pend, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 9 || *(const uint8_t *)k.mv_data != type)
            break;
        if (v.mv_size < PENDING_HEAD)
            return LB_ECORRUPT;
        const uint8_t *f = (const uint8_t *)v.mv_data + LB__POST;
        if (wl && !(f[fb >> 3] & (1u << (fb & 7))))
            continue; /* no word of it begins like this one */
        pm.val = v.mv_data;
        int prc = pending_keys(&v, pending_match, &pm);
        if (prc && prc != PENDING_PAST)
            return prc;
    }
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : lb__mdb_err(qs->t, rc);
}

/* Adds the lists of query word w to term tm of type: every key beginning
 * [type][w][NUL] for a whole word, [type][w] for the prefix. */
static int term_lists(struct qstate *qs, MDB_cursor *scan, int type, const char *w, size_t wl,
                      bool prefix, struct term *tm)
{
    uint8_t pfx[LB__KEY_LEN_MAX];
    size_t pl = 1 + wl + (prefix ? 0 : 1);
    pfx[0] = (uint8_t)type;
    memcpy(pfx + 1, w, wl);
    pfx[1 + wl] = 0;
    MDB_val k = {pl, pfx}, v;
    tm->lists = NULL;
    tm->first = qs->nall;
    tm->n = 0;
    tm->mem = NULL;
    tm->mfirst = qs->nmem;
    tm->mn = tm->mpos = 0;
    int rc = mdb_cursor_get(scan, &k, &v, MDB_SET_RANGE);
    size_t got = 0;
    while (rc == 0) {
        const uint8_t *kp = k.mv_data;
        if (k.mv_size < pl || memcmp(kp, pfx, pl) != 0)
            break;
        if (k.mv_size >= 3 && k.mv_size <= LB__KEY_LEN_MAX && kp[k.mv_size - 2] == 0 &&
            kp[k.mv_size - 1] >= 1 && kp[k.mv_size - 1] <= 31) {
            if (got == LB__PREFIX_LISTS || qs->nall == LB__QUERY_LISTS)
                break; /* a prefix of very many words: the first ones, in key order */
            unsigned fbit = 1u << (kp[k.mv_size - 1] - 1);
            size_t cnt;
            if ((rc = mdb_cursor_count(scan, &cnt)))
                return lb__mdb_err(qs->t, rc);
            qs->st->lists++;
            got++;
            if (cnt <= LB__SMALL_LIST && qs->nmem + cnt <= LB__MEM_MAX) {
                /* Read it here: the scan stands on its first posting. */
                if ((rc = mem_reserve(qs, cnt)))
                    return rc;
                for (size_t i = 0; i < cnt; i++) {
                    if (i && (rc = mdb_cursor_get(scan, &k, &v, MDB_NEXT_DUP)))
                        return lb__mdb_err(qs->t, rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc);
                    if (v.mv_size != LB__POST)
                        return LB_ECORRUPT;
                    struct mpost *m = &qs->mem[qs->nmem++];
                    memcpy(m->val, v.mv_data, LB__POST);
                    m->fbits = fbit;
                    tm->mn++;
                    qs->st->postings++;
                }
                rc = mdb_cursor_get(scan, &k, &v, MDB_NEXT_NODUP);
                continue;
            }
            if (qs->nall == qs->cap) {
                size_t ncap = qs->cap ? qs->cap * 2 : 16;
                struct plcur *na = realloc(qs->all, ncap * sizeof *na);
                if (!na)
                    return LB_ENOMEM;
                qs->all = na;
                qs->cap = ncap;
            }
            struct plcur *c = &qs->all[qs->nall];
            memset(c, 0, sizeof *c);
            if ((rc = mdb_cursor_open(qs->t->txn, lb__dbi(qs->t, LB_DB_SEARCH), &c->cur)))
                return lb__mdb_err(qs->t, rc);
            qs->nall++;
            c->st = qs->st;
            memcpy(c->key, kp, k.mv_size);
            c->klen = k.mv_size;
            c->fbit = fbit;
            tm->n++;
        }
        rc = mdb_cursor_get(scan, &k, &v, MDB_NEXT_NODUP);
    }
    if (rc && rc != MDB_NOTFOUND)
        return lb__mdb_err(qs->t, rc);
    return qs->pend ? term_pending(qs, type, pfx, pl, wl, tm) : 0;
}

/* The bound of type's lists for hits older than start (newest-first order is
 * created_at, then type, then id, all descending). false: none. */
static bool type_bound(const struct lb_search_pos *start, int type, uint8_t *bound)
{
    if (type == start->type) {
        uint8_t v[LB__POST];
        post_val(v, start->created_at, start->id);
        return dec12(v, bound);
    }
    if (type > start->type) {
        uint8_t v[LB__POST];
        post_val(v, start->created_at, 0);
        return dec12(v, bound);
    }
    post_val(bound, start->created_at, LB__ID_MAX);
    return true;
}

static int mpost_cmp(const void *a, const void *b)
{
    return -memcmp(((const struct mpost *)a)->val, ((const struct mpost *)b)->val, LB__POST);
}

/* Sorts the term's short lists' postings newest first, one entry per
 * record with the fields of every list holding it. */
static void mem_prepare(struct term *tm)
{
    if (tm->mn < 2)
        return;
    qsort(tm->mem, tm->mn, sizeof *tm->mem, mpost_cmp);
    size_t o = 1;
    for (size_t i = 1; i < tm->mn; i++) {
        if (memcmp(tm->mem[i].val, tm->mem[o - 1].val, LB__POST) == 0)
            tm->mem[o - 1].fbits |= tm->mem[i].fbits;
        else
            tm->mem[o++] = tm->mem[i];
    }
    tm->mn = o;
}

static int qstate_open(struct qstate *qs, const struct lb_search_req *rq)
{
    const struct lb_query *q = rq->q;
    unsigned types = rq->types ? rq->types : LB_SEARCH_ALL;
    MDB_cursor *scan;
    size_t npending;
    int rc = pending_count(qs->t, &npending);
    if (rc)
        return rc;
    if (npending &&
        (rc = mdb_cursor_open(qs->t->txn, lb__dbi(qs->t, LB_DB_SEARCH_PENDING), &qs->pend))) {
        qs->pend = NULL;
        return lb__mdb_err(qs->t, rc);
    }
    rc = mdb_cursor_open(qs->t->txn, lb__dbi(qs->t, LB_DB_SEARCH), &scan);
    if (rc)
        return lb__mdb_err(qs->t, rc);
    for (int type = 1; type < LB_SEARCH_TYPES && !rc; type++) {
        if (!(types & (1u << type)) || !kind_of_type(type))
            continue;
        struct tstream *s = &qs->ts[qs->nts];
        memset(s, 0, sizeof *s);
        s->type = type;
        s->nterms = q->n;
        bool empty = false;
        for (size_t i = 0; i < q->n && !rc && !empty; i++) {
            rc = term_lists(qs, scan, type, q->words[i], q->lens[i],
                            q->last_prefix && i + 1 == q->n, &s->terms[i]);
            if (!rc && s->terms[i].n == 0 && s->terms[i].mn == 0)
                empty = true;
        }
        if (rc || empty)
            continue; /* a word no list of this type holds: no hit of it */
        s->bounded = rq->after.windowed;
        if (s->bounded && !type_bound(&rq->after.start, type, s->bound))
            continue; /* nothing of this type is older than the window's start */
        qs->nts++;
    }
    mdb_cursor_close(scan);
    /* Every list is collected (qs->all no longer moves): start the cursors. */
    for (size_t k = 0; k < qs->nts && !rc; k++) {
        struct tstream *s = &qs->ts[k];
        for (size_t i = 0; i < s->nterms && !rc; i++) {
            struct term *tm = &s->terms[i];
            tm->lists = qs->all + tm->first;
            tm->mem = qs->mem + tm->mfirst;
            mem_prepare(tm);
            for (size_t j = 0; j < tm->mn; j++)
                s->ubits |= tm->mem[j].fbits;
            if (s->bounded)
                mem_seek(tm, s->bound);
            for (size_t j = 0; j < tm->n && !rc; j++) {
                rc = cur_start(qs->t, &tm->lists[j], s->bounded ? s->bound : NULL);
                s->ubits |= tm->lists[j].fbit;
            }
            term_head(tm);
        }
        if (!rc)
            rc = ts_find(qs->t, s);
    }
    return rc;
}

static void qstate_close(struct qstate *qs)
{
    if (qs->pend)
        mdb_cursor_close(qs->pend);
    for (size_t i = 0; i < qs->nall; i++)
        if (qs->all[i].cur)
            mdb_cursor_close(qs->all[i].cur);
}

/* The newest hit of all streams, in (created_at, type, id) order. */
static struct tstream *qs_best(struct qstate *qs)
{
    struct tstream *best = NULL;
    for (size_t i = 0; i < qs->nts; i++) {
        struct tstream *s = &qs->ts[i];
        if (!s->live)
            continue;
        if (!best)
            best = s;
        else {
            int c = memcmp(s->hit, best->hit, 6);
            if (c > 0 ||
                (c == 0 && (s->type > best->type ||
                            (s->type == best->type && memcmp(s->hit + 6, best->hit + 6, 6) > 0))))
                best = s;
        }
    }
    return best;
}

static unsigned popcount(unsigned x)
{
    unsigned n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

struct whit {
    struct lb_search_hit h;
    size_t order; /* recency rank in the window */
};

static int whit_cmp(const void *a, const void *b)
{
    const struct whit *x = a, *y = b;
    if (x->h.score != y->h.score)
        return x->h.score > y->h.score ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

int lb_search(lb_txn *t, const struct lb_search_req *rq, struct lb_search_res *out)
{
    out->count = 0;
    out->more = false;
    bool ready;
    int rc = lb_search_ready(t, &ready);
    if (rc)
        return rc;
    if (!ready)
        return LB_EBUSY;
    if (!rq->q || rq->q->n == 0 || rq->limit == 0)
        return 0;
    size_t limit = rq->limit > LB_SEARCH_PAGE_MAX ? LB_SEARCH_PAGE_MAX : rq->limit;
    /* Small first, grown as needed: a query usually has a few lists and
     * stops after a page of hits (large blocks would be mapped and unmapped
     * by malloc on every query). */
    struct qstate qs = {.t = t};
    qs.st = rq->stats ? rq->stats : &qs.own;
    size_t wcap = 64;
    struct whit *w = malloc(wcap * sizeof *w);
    if (!w)
        return LB_ENOMEM;
    rc = qstate_open(&qs, rq);
    unsigned umax = 0;
    for (size_t i = 0; i < qs.nts; i++)
        if (popcount(qs.ts[i].ubits) > umax)
            umax = popcount(qs.ts[i].ubits);
    size_t need = (size_t)rq->after.offset + limit + 1, nbest = 0, n = 0;
    bool early = false;
    while (!rc && n < LB_SEARCH_WINDOW + 1) {
        struct tstream *s = qs_best(&qs);
        if (!s)
            break;
        struct lb_search_hit h = {
            .pos = {(lb_time)rd48(s->hit), (uint8_t)s->type, rd48(s->hit + 6)},
            .fields = s->mask,
            .score = popcount(s->mask),
        };
        qs.st->hits++;
        if ((rc = ts_advance(t, s)))
            break;
        if (rq->visible) {
            int vis = rq->visible(t, h.pos.type, h.pos.id, rq->visible_arg);
            if (vis < 0) {
                rc = vis;
                break;
            }
            if (!vis)
                continue;
        }
        if (n == wcap) {
            size_t ncap = wcap * 2 > LB_SEARCH_WINDOW + 1 ? LB_SEARCH_WINDOW + 1 : wcap * 2;
            struct whit *nw = realloc(w, ncap * sizeof *w);
            if (!nw) {
                rc = LB_ENOMEM;
                break;
            }
            w = nw;
            wcap = ncap;
        }
        w[n].h = h;
        w[n].order = n;
        n++;
        if (h.score == umax && ++nbest == need) {
            early = true;
            break;
        }
    }
    if (!rc) {
        size_t wn = n > LB_SEARCH_WINDOW ? LB_SEARCH_WINDOW : n;
        size_t from = rq->after.offset;
        if (early) {
            /* The first `need` hits of the best score are the window's top. */
            size_t k = 0;
            for (size_t i = 0; i < n && out->count < limit; i++) {
                if (w[i].h.score != umax)
                    continue;
                if (k++ >= from)
                    out->hits[out->count++] = w[i].h;
            }
            out->more = true;
            out->next = rq->after;
            out->next.offset = (uint32_t)(from + limit);
        } else {
            struct lb_search_pos last = wn ? w[wn - 1].h.pos : rq->after.start;
            qsort(w, wn, sizeof *w, whit_cmp);
            for (size_t i = from; i < wn && out->count < limit; i++)
                out->hits[out->count++] = w[i].h;
            if (from + limit < wn) {
                out->more = true;
                out->next = rq->after;
                out->next.offset = (uint32_t)(from + limit);
            } else if (n > LB_SEARCH_WINDOW) {
                out->more = true;
                out->next.windowed = true;
                out->next.start = last;
                out->next.offset = 0;
            }
        }
    }
    qstate_close(&qs);
    free(qs.all);
    free(qs.mem);
    free(w);
    return rc;
}
