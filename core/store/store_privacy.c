/* store_privacy.c: anonymisation of a company and everything written about it.
 *
 * lb_company_anonymize walks the company's cases (through the case-by-company
 * index) and, for each, its contacts, hand-offs and follow-ups, replacing
 * contact persons and free text in one transaction with one
 * company.anonymized event. The comments of the meeting evaluations typed in
 * from paper forms that name the company are free text about it too. It sits above the per-record
 * files (companies, cases, ...) and calls into them, so those never call each other for it. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "store_internal.h"

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

/* The survey's recipient hash names a person's address too (store_surveys.c). */
static int anon_followup(void *r)
{
    struct lb_followup *x = r;
    static const uint8_t zero[32];
    int had = memcmp(x->survey.recipient, zero, 32) != 0;
    memset(x->survey.recipient, 0, 32);
    return anon_acc(anon_str(&x->comment), had);
}

/* A paper evaluation of a meeting that names the company: its comment. */
static int anon_meeting_eval(void *r)
{
    return anon_str(&((struct lb_meeting_eval *)r)->comment);
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
    if (cur.personal_orgnr && (!pseudonym || !lb__orgnr10_ok(pseudonym))) {
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
    /* Attendance keeps the company's id and persons count (no personal
     * data); the comments of paper evaluations naming it are free text. */
    if ((rc = rewrite_list(t, c, LB_IX_EVAL_COMPANY, id, &lb__meeting_eval_type, anon_meeting_eval,
                           &ar.changed)))
        goto out;
    /* Stored Idempotency-Key answers describing its records hold the text
     * just replaced (issue 19): gone in this transaction, also on a repeat. */
    size_t forgotten = 0;
    if ((rc = lb_idempotency_forget_company(t, id, &forgotten)))
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
    if (rc == 0) /* its old text stays in free pages until lotsd compact */
        rc = lb__anonymized_count(t);
out:
    lb_company_clear(&old);
    lb_company_clear(&cur);
    return rc;
}
