/* store_companies.c: companies and their indexes (orgnr, folded name).
 *
 * The orgnr index is unique (10 digits -> id). The name index maps the folded
 * name (lb_fold_name: ASCII lower case, diacritics dropped, cut to
 * LB__FOLD_MAX bytes) to the ids carrying it, so a prefix search is a range
 * scan from the folded prefix. The scan collects every match before sorting
 * them into id order for the page, which is O(matches): fine for a
 * municipality's register of companies. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "store_internal.h"

static int company_keys(const void *r, struct lb__keys *ks)
{
    const struct lb_company *c = r;
    char folded[LB__FOLD_MAX + 1];
    int rc = lb__keys_add(ks, LB_IX_COMPANY_ORGNR, c->orgnr, strlen(c->orgnr));
    if (rc)
        return rc;
    lb_fold_name(c->name, folded, sizeof folded);
    /* A name with nothing foldable (all CJK, say) is indexed under "". */
    if (!folded[0])
        return lb__keys_add(ks, LB_IX_COMPANY_NAME, "\0", 1);
    return lb__keys_add_str(ks, LB_IX_COMPANY_NAME, folded);
}

LB__RTYPE(company, LB_DB_COMPANIES, company_keys);

bool lb__orgnr10_ok(const char *s)
{
    size_t n = strnlen(s, 11);
    if (n != 10)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Event data shared by company.created and company.updated: no name,
 * locality or persons; the orgnr only when it is not a personnummer. */
static void company_event(struct lb__ev *e, const struct lb_company *r)
{
    if (r->personal_orgnr)
        lb__ev_nil(e, "orgnr");
    else
        lb__ev_str(e, "orgnr", r->orgnr);
    lb__ev_bool(e, "personal_orgnr", r->personal_orgnr);
    lb__ev_str(e, "sni", r->sni);
    lb__ev_uint(e, "contacts", r->ncontacts);
}

int lb_company_create(lb_txn *t, const struct lb_ctx *c, struct lb_company *rec, lb_id *existing)
{
    lb_id other = 0, id;
    if (existing)
        *existing = 0;
    if (!lb__orgnr10_ok(rec->orgnr) || !rec->name || !*rec->name)
        return LB_EINVAL;
    int rc = lb__unique_get(t, LB_IX_COMPANY_ORGNR, rec->orgnr, 10, &other);
    if (rc == 0) {
        if (existing)
            *existing = other;
        return LB_EEXIST;
    }
    if (rc != LB_ENOTFOUND)
        return rc;
    if ((rc = lb__next_id(t, &lb__company_type, &id)))
        return rc;
    lb__meta_new(&rec->meta, id, c);
    rec->anonymized_at = LB_TIME_NONE;
    if ((rc = lb__put(t, &lb__company_type, NULL, rec)))
        return rc;
    struct lb__ev e;
    lb__ev_init(&e);
    company_event(&e, rec);
    rc = lb__ev_append(t, c, "company.created", id, &e);
    lb__ev_done(&e);
    return rc;
}

int lb_company_get(lb_txn *t, lb_id id, struct lb_company *out)
{
    return lb__get(t, &lb__company_type, id, out);
}

int lb_company_by_orgnr(lb_txn *t, const char *orgnr10, lb_id *id)
{
    *id = 0;
    if (!orgnr10 || !lb__orgnr10_ok(orgnr10))
        return LB_ENOTFOUND;
    return lb__unique_get(t, LB_IX_COMPANY_ORGNR, orgnr10, 10, id);
}

static bool str_differs(const char *a, const char *b)
{
    if (!a || !b)
        return a != b;
    return strcmp(a, b) != 0;
}

/* The survey flags of a contact person are lotsd's, never the caller's: a
 * new list of contacts takes them over from the old one by address (ASCII
 * case ignored), so editing a company keeps an opt-out and a bounce, and a
 * changed address starts afresh (docs/surveys.md). */
static void carry_survey_flags(const struct lb_company *old, struct lb_company *rec)
{
    for (uint32_t i = 0; i < rec->ncontacts; i++) {
        struct lb_person *p = &rec->contacts[i];
        p->survey_opt_out = false;
        p->email_bounced = false;
        for (uint32_t j = 0; p->email && j < old->ncontacts; j++) {
            const struct lb_person *o = &old->contacts[j];
            if (o->email && strcasecmp(o->email, p->email) == 0) {
                p->survey_opt_out |= o->survey_opt_out;
                p->email_bounced |= o->email_bounced;
            }
        }
    }
}

int lb_company_update(lb_txn *t, const struct lb_ctx *c, struct lb_company *rec, uint64_t if_match)
{
    struct lb_company old = {0};
    if (!lb__orgnr10_ok(rec->orgnr) || !rec->name || !*rec->name)
        return LB_EINVAL;
    int rc = lb_company_get(t, rec->meta.id, &old);
    if (rc)
        return rc;
    rec->meta = old.meta;
    rec->anonymized_at = old.anonymized_at;
    carry_survey_flags(&old, rec);
    if ((rc = lb__touch(&rec->meta, c, if_match)))
        goto out;
    if ((rc = lb__put(t, &lb__company_type, &old, rec)))
        goto out;
    struct lb__ev e;
    lb__ev_init(&e);
    company_event(&e, rec);
    lb__ev_key(&e, "changed");
    const char *changed[5];
    uint32_t n = 0;
    if (strcmp(old.orgnr, rec->orgnr) != 0 || old.personal_orgnr != rec->personal_orgnr)
        changed[n++] = "orgnr";
    if (str_differs(old.name, rec->name))
        changed[n++] = "name";
    if (str_differs(old.locality, rec->locality))
        changed[n++] = "locality";
    if (str_differs(old.sni, rec->sni))
        changed[n++] = "sni";
    changed[n++] = "contacts"; /* persons are not compared field by field */
    msgpack_pack_array(&e.pk, n);
    for (uint32_t i = 0; i < n; i++) {
        msgpack_pack_str(&e.pk, strlen(changed[i]));
        msgpack_pack_str_body(&e.pk, changed[i], strlen(changed[i]));
    }
    rc = lb__ev_append(t, c, "company.updated", rec->meta.id, &e);
    lb__ev_done(&e);
out:
    lb_company_clear(&old);
    return rc;
}

int lb_company_list(lb_txn *t, struct lb_page *p)
{
    struct lb__src src;
    int rc = lb__src_open(t, &src, LB_DB_COMPANIES, NULL, 0, p->after);
    if (rc == 0)
        rc = lb__page_merge(t, &src, 1, NULL, NULL, p);
    lb__src_close(&src);
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    lb_id x = *(const lb_id *)a, y = *(const lb_id *)b;
    return x < y ? -1 : x > y;
}

int lb_company_search(lb_txn *t, const char *prefix, struct lb_page *p)
{
    char folded[LB__FOLD_MAX + 1];
    lb_fold_name(prefix, folded, sizeof folded);
    size_t plen = strlen(folded);
    MDB_cursor *cur;
    lb_id *ids = NULL;
    size_t n = 0, cap = 0;
    p->count = 0;
    p->next = 0;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_IX_COMPANY_NAME), &cur);
    if (rc)
        return lb__mdb_err(t, rc);
    MDB_val k = {plen ? plen : 1, plen ? folded : "\0"}, v;
    rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    int err = 0;
    while (rc == 0) {
        if (k.mv_size < plen || memcmp(k.mv_data, folded, plen) != 0)
            break;
        if (v.mv_size != 8) {
            err = LB_ECORRUPT;
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            lb_id *nids = realloc(ids, ncap * sizeof *ids);
            if (!nids) {
                err = LB_ENOMEM;
                break;
            }
            ids = nids;
            cap = ncap;
        }
        ids[n++] = lb__rd64(v.mv_data);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (!err && rc && rc != MDB_NOTFOUND)
        err = lb__mdb_err(t, rc);
    if (!err) {
        if (n)
            qsort(ids, n, sizeof *ids, cmp_id);
        lb__page_from_sorted(ids, n, p);
    }
    free(ids);
    return err;
}

int lb_import_completed(lb_txn *t, const struct lb_ctx *c, const char *format, uint32_t created,
                        uint32_t updated, uint32_t unchanged, uint32_t failed)
{
    struct lb__ev e;
    lb__ev_init(&e);
    lb__ev_str(&e, "kind", "companies");
    lb__ev_str(&e, "format", format);
    lb__ev_uint(&e, "created", created);
    lb__ev_uint(&e, "updated", updated);
    lb__ev_uint(&e, "unchanged", unchanged);
    lb__ev_uint(&e, "failed", failed);
    int rc = lb__ev_append(t, c, "import.completed", 0, &e);
    lb__ev_done(&e);
    return rc;
}
