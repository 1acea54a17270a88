/* store_companies.c: companies, their indexes (orgnr, folded name) and
 * anonymisation.
 *
 * The orgnr index is unique (10 digits -> id). The name index maps the folded
 * name (lb_fold_name: ASCII lower case, diacritics dropped, cut to
 * LB__FOLD_MAX bytes) to the ids carrying it, so a prefix search is a range
 * scan from the folded prefix. The scan collects every match before sorting
 * them into id order for the page, which is O(matches): fine for a
 * municipality's register of companies. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "store_internal.h"

/* ASCII for U+00C0..U+017F (Latin-1 Supplement letters, Latin Extended-A). */
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

static bool orgnr_ok(const char *s)
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
    if (!orgnr_ok(rec->orgnr) || !rec->name || !*rec->name)
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
    if (!orgnr10 || !orgnr_ok(orgnr10))
        return LB_ENOTFOUND;
    return lb__unique_get(t, LB_IX_COMPANY_ORGNR, orgnr10, 10, id);
}

static bool str_differs(const char *a, const char *b)
{
    if (!a || !b)
        return a != b;
    return strcmp(a, b) != 0;
}

int lb_company_update(lb_txn *t, const struct lb_ctx *c, struct lb_company *rec, uint64_t if_match)
{
    struct lb_company old = {0};
    if (!orgnr_ok(rec->orgnr) || !rec->name || !*rec->name)
        return LB_EINVAL;
    int rc = lb_company_get(t, rec->meta.id, &old);
    if (rc)
        return rc;
    rec->meta = old.meta;
    rec->anonymized_at = old.anonymized_at;
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

/* --- anonymisation ------------------------------------------------------- */

/* What anonymisation writes in place of free text. A record whose text already
 * is the marker is left alone, so anonymising twice changes nothing. */
#define LB_ANON_TEXT "[anonymiserad]"

/* Replaces *s with the marker when it holds text. 1 when it changed, 0 when
 * there was nothing to replace, LB_ENOMEM. */
static int anon_str(char **s)
{
    if (!*s || strcmp(*s, LB_ANON_TEXT) == 0)
        return 0;
    int rc = lb__strset(s, LB_ANON_TEXT);
    return rc ? rc : 1;
}

/* Sums anon_str results: *changed |= 1; the first error wins. */
static int anon_acc(int rc, int r)
{
    if (rc < 0)
        return rc;
    if (r < 0)
        return r;
    return rc | r;
}

/* Rewrites every record reached through the dup list key of index ix with
 * fn (1 changed, 0 unchanged, < 0 error). Only changed records are written,
 * with their version bumped; *changed is set when any was. */
static int rewrite_list(lb_txn *t, const struct lb_ctx *c, enum lb__db ix, lb_id key,
                        const struct lb__rtype *rt, int (*fn)(void *rec), bool *changed)
{
    uint8_t kb[8];
    lb__be64(kb, key);
    struct lb__src src;
    int rc = lb__src_open(t, &src, ix, kb, 8, 0);
    void *old = calloc(1, rt->size), *cur = calloc(1, rt->size);
    if (!old || !cur)
        rc = rc ? rc : LB_ENOMEM;
    /* Rewriting while iterating the same index is safe for these indexes:
     * the keys (the case id) do not change, and the source has already
     * moved past the record being written. */
    while (rc == 0 && src.next) {
        lb_id id = src.next;
        if ((rc = lb__src_advance(&src)))
            break;
        if ((rc = lb__get(t, rt, id, old)) || (rc = lb__get(t, rt, id, cur)))
            break;
        struct lb_meta *m = (struct lb_meta *)rt->meta(cur);
        int r = fn(cur);
        if (r < 0) {
            rc = r;
            break;
        }
        if (r > 0) {
            *changed = true;
            if ((rc = lb__touch(m, c, 0)) || (rc = lb__put(t, rt, old, cur)))
                break;
        }
        rt->clear(old);
        rt->clear(cur);
    }
    if (old)
        rt->clear(old);
    if (cur)
        rt->clear(cur);
    free(old);
    free(cur);
    lb__src_close(&src);
    return rc;
}

static int anon_contact(void *r)
{
    struct lb_contact *x = r;
    return anon_str(&x->summary);
}

static int anon_handoff(void *r)
{
    struct lb_handoff *x = r;
    int rc = anon_str(&x->note);
    rc = anon_acc(rc, anon_str(&x->decision_note));
    return anon_acc(rc, anon_str(&x->withdraw_note));
}

static int anon_followup(void *r)
{
    struct lb_followup *x = r;
    return anon_str(&x->comment);
}

/* The subject is free text too (lots write "Bygglov åt Anna Svensson"). */
static int anon_case(void *r)
{
    struct lb_case *x = r;
    int rc = anon_str(&x->subject);
    rc = anon_acc(rc, anon_str(&x->description));
    return anon_acc(rc, anon_str(&x->close_note));
}

/* Calls fn(case id) for every case of company id. */
static int each_case(lb_txn *t, lb_id company, int (*fn)(lb_txn *t, lb_id id, void *arg), void *arg)
{
    uint8_t kb[8];
    lb__be64(kb, company);
    struct lb__src src;
    int rc = lb__src_open(t, &src, LB_IX_CASE_COMPANY, kb, 8, 0);
    while (rc == 0 && src.next) {
        lb_id id = src.next;
        if ((rc = lb__src_advance(&src)) == 0)
            rc = fn(t, id, arg);
    }
    lb__src_close(&src);
    return rc;
}

static int case_hold(lb_txn *t, lb_id id, void *arg)
{
    (void)arg;
    struct lb_case k = {0};
    int rc = lb_case_get(t, id, &k);
    if (rc == 0 && k.legal_hold)
        rc = LB_EHOLD;
    lb_case_clear(&k);
    return rc;
}

struct anon_run {
    const struct lb_ctx *c;
    bool changed;
};

static int case_anon(lb_txn *t, lb_id id, void *arg)
{
    struct anon_run *ar = arg;
    struct lb_case old = {0}, cur = {0};
    int rc = lb_case_get(t, id, &old);
    if (!rc)
        rc = lb_case_get(t, id, &cur);
    if (!rc) {
        int r = anon_case(&cur);
        if (r < 0)
            rc = r;
        else if (r > 0) {
            ar->changed = true;
            rc = lb__touch(&cur.meta, ar->c, 0);
            if (!rc)
                rc = lb__put(t, &lb__case_type, &old, &cur);
        }
    }
    lb_case_clear(&old);
    lb_case_clear(&cur);
    if (!rc)
        rc = rewrite_list(t, ar->c, LB_IX_CONTACT_CASE, id, &lb__contact_type, anon_contact,
                          &ar->changed);
    if (!rc)
        rc = rewrite_list(t, ar->c, LB_IX_HANDOFF_CASE, id, &lb__handoff_type, anon_handoff,
                          &ar->changed);
    if (!rc)
        rc = rewrite_list(t, ar->c, LB_IX_FOLLOWUP_CASE, id, &lb__followup_type, anon_followup,
                          &ar->changed);
    return rc;
}

bool lb_anonymize_reason_ok(const char *reason)
{
    return reason && (strcmp(reason, "retention") == 0 || strcmp(reason, "erasure_request") == 0);
}

/* The company record's part. 1 when it changed, 0 when already anonymous. */
static int anon_company(struct lb_company *cur, const char *pseudonym)
{
    int changed = 0;
    if (cur->personal_orgnr) {
        if (strcmp(cur->orgnr, pseudonym) != 0) {
            memcpy(cur->orgnr, pseudonym, 11);
            changed = 1;
        }
        /* The name of an enskild firma usually is the person's name. */
        int r = anon_str(&cur->name);
        if (r < 0)
            return r;
        changed |= r;
    }
    if (cur->ncontacts) {
        for (uint32_t i = 0; i < cur->ncontacts; i++) {
            struct lb_person *pp = &cur->contacts[i];
            free(pp->name);
            free(pp->role);
            free(pp->phone);
            free(pp->email);
        }
        free(cur->contacts);
        cur->contacts = NULL;
        cur->ncontacts = 0;
        changed = 1;
    }
    if (cur->anonymized_at == LB_TIME_NONE)
        changed = 1;
    return changed;
}

int lb_company_anonymize(lb_txn *t, const struct lb_ctx *c, lb_id id, const char *reason,
                         const char *pseudonym)
{
    struct lb_company old = {0}, cur = {0};
    if (!lb_anonymize_reason_ok(reason))
        return LB_EINVAL;
    int rc = lb_company_get(t, id, &old);
    if (rc)
        return rc;
    if ((rc = lb_company_get(t, id, &cur)))
        goto out;
    if ((rc = each_case(t, id, case_hold, NULL)))
        goto out;
    if (cur.personal_orgnr && (!pseudonym || !orgnr_ok(pseudonym))) {
        rc = LB_EINVAL;
        goto out;
    }
    struct anon_run ar = {c, false};
    int r = anon_company(&cur, pseudonym);
    if (r < 0) {
        rc = r;
        goto out;
    }
    if (r > 0) {
        ar.changed = true;
        cur.anonymized_at = c->now;
        /* First write of the operation: a pseudonym taken by another company
         * (LB_EEXIST) is refused before anything was written. */
        if ((rc = lb__touch(&cur.meta, c, 0)) || (rc = lb__put(t, &lb__company_type, &old, &cur)))
            goto out;
    }
    if ((rc = each_case(t, id, case_anon, &ar)))
        goto out;
    if (!ar.changed)
        goto out; /* already anonymous: no write, no event */
    if (r == 0) {
        /* Only case records changed (text added after an earlier
         * anonymisation): the company still records this one. */
        cur.anonymized_at = c->now;
        if ((rc = lb__touch(&cur.meta, c, 0)) || (rc = lb__put(t, &lb__company_type, &old, &cur)))
            goto out;
    }
    struct lb__ev e;
    lb__ev_init(&e);
    lb__ev_str(&e, "reason", reason);
    lb__ev_time(&e, "anonymized_at", c->now);
    lb__ev_bool(&e, "personal_orgnr", cur.personal_orgnr);
    rc = lb__ev_append(t, c, "company.anonymized", id, &e);
    lb__ev_done(&e);
out:
    lb_company_clear(&old);
    lb_company_clear(&cur);
    return rc;
}
