/* store_surveys.c: the e-mail survey of a follow-up call and its public
 * tokens (docs/surveys.md).
 *
 * A token is stored only as its hash, under that hash, in survey_tokens
 * (bookkeeping like a session: no meta, no event). It names what it answers:
 * kind followup with the follow-up's id, one answer; from issue 23 also kind
 * meeting, many answers. The follow-up carries the survey's state
 * (struct lb_followup_survey): sent, answered, bounced or opted out, when it
 * was sent and reminded, the day the call goes on the list, and the hash of
 * the recipient's address (lb_survey_recipient_hash), which finds the contact
 * person again for a bounce or an opt-out without the survey keeping the
 * address.
 *
 * Every change is one transaction with one event (survey.sent,
 * survey.answered, survey.bounced, survey.opted_out), whose data is the
 * follow-up's common fields (store_followups.c) and never an address or a
 * token. A repeated request that finds its change recorded already writes
 * nothing, so the worker needs no Idempotency-Key for these. */
#include <string.h>

#include <sodium.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/survey.h"
#include "lotsbok/timeutil.h"
#include "store_internal.h"

/* --- tokens ----------------------------------------------------------------- */

int lb_survey_token_put(lb_txn *t, const struct lb_survey_token *rec)
{
    if (rec->kind == LB_SURVEY_KIND_NONE || (unsigned)rec->kind >= LB_SURVEY_KIND_COUNT ||
        rec->target_id == 0)
        return LB_EINVAL;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = lb_survey_token_encode(rec, &sb);
    if (rc == 0) {
        MDB_val k = {32, (void *)rec->token_hash}, v = {sb.size, sb.data};
        rc = lb__mdb_err(t, mdb_put(t->txn, lb__dbi(t, LB_DB_SURVEY_TOKENS), &k, &v, 0));
    }
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

int lb_survey_token_get(lb_txn *t, const uint8_t token_hash[32], struct lb_survey_token *out)
{
    MDB_val k = {32, (void *)token_hash}, v;
    int rc = mdb_get(t->txn, lb__dbi(t, LB_DB_SURVEY_TOKENS), &k, &v);
    if (rc)
        return lb__mdb_err(t, rc);
    rc = lb_survey_token_decode(v.mv_data, v.mv_size, out);
    if (rc == 0 && sodium_memcmp(out->token_hash, token_hash, 32) != 0)
        rc = LB_ECORRUPT;
    return rc;
}

/* Registers a follow-up's token unless its hash is known already. */
static int token_ensure(lb_txn *t, const struct lb_ctx *c, const uint8_t hash[32], lb_id fid,
                        lb_time expires_at)
{
    struct lb_survey_token tok = {0};
    int rc = lb_survey_token_get(t, hash, &tok);
    if (rc == 0)
        return tok.kind == LB_SURVEY_KIND_FOLLOWUP && tok.target_id == fid ? 0 : LB_EEXIST;
    if (rc != LB_ENOTFOUND)
        return rc;
    memcpy(tok.token_hash, hash, 32);
    tok.kind = LB_SURVEY_KIND_FOLLOWUP;
    tok.target_id = fid;
    tok.created_at = c->now;
    tok.expires_at = expires_at;
    tok.answers = 0;
    tok.max_answers = 1;
    return lb_survey_token_put(t, &tok);
}

/* --- helpers ------------------------------------------------------------------ */

static bool hash_is_zero(const uint8_t h[32])
{
    static const uint8_t zero[32];
    return memcmp(h, zero, 32) == 0;
}

/* The index of the company's contact whose address hashes to recipient, or
 * -1. */
static int contact_by_hash(const struct lb_company *co, const uint8_t recipient[32])
{
    if (hash_is_zero(recipient))
        return -1;
    for (uint32_t i = 0; i < co->ncontacts; i++) {
        uint8_t h[32];
        lb_survey_recipient_hash(co->contacts[i].email, h);
        if (!hash_is_zero(h) && sodium_memcmp(h, recipient, 32) == 0)
            return (int)i;
    }
    return -1;
}

/* Marks every contact person with the recipient's address (opt_out or
 * bounced) and stores the company when that changed something. */
static int mark_contacts(lb_txn *t, const struct lb_ctx *c, lb_id company_id,
                         const uint8_t recipient[32], bool opt_out, bool *changed)
{
    struct lb_company old = {0}, cur = {0};
    *changed = false;
    int rc = lb_company_get(t, company_id, &old);
    if (rc == 0)
        rc = lb_company_get(t, company_id, &cur);
    for (uint32_t i = 0; rc == 0 && i < cur.ncontacts && !hash_is_zero(recipient); i++) {
        uint8_t h[32];
        lb_survey_recipient_hash(cur.contacts[i].email, h);
        if (hash_is_zero(h) || sodium_memcmp(h, recipient, 32) != 0)
            continue;
        bool *flag = opt_out ? &cur.contacts[i].survey_opt_out : &cur.contacts[i].email_bounced;
        if (!*flag)
            *flag = *changed = true;
    }
    if (rc == 0 && *changed && (rc = lb__touch(&cur.meta, c, 0)) == 0)
        rc = lb__put(t, &lb__company_type, &old, &cur);
    lb_company_clear(&old);
    lb_company_clear(&cur);
    return rc;
}

struct sent_extra {
    uint32_t reminder;
    const struct lb_followup_survey *sv;
};

/* survey.sent's data beyond the call's: which mail, when, until when. */
static void sent_extra(struct lb__ev *e, const void *arg)
{
    const struct sent_extra *x = arg;
    lb__ev_uint(e, "reminder", x->reminder);
    lb__ev_time(e, "sent_at", x->sv->sent_at);
    lb__ev_time(e, "reminded_at", x->reminder ? x->sv->reminded_at : LB_TIME_NONE);
    lb__ev_date(e, "call_from", x->sv->call_from);
    lb__ev_time(e, "expires_at", x->sv->expires_at);
}

/* The survey's status in the data of survey.bounced and survey.opted_out. */
static void ended_extra(struct lb__ev *e, const void *arg)
{
    const struct lb_followup *f = arg;
    lb__ev_str(e, "survey_status", lb_survey_status_str(f->survey.status));
    lb__ev_time(e, "ended_at", f->survey.ended_at);
}

static void give(struct lb_followup *from, struct lb_followup *to)
{
    lb_followup_clear(to);
    *to = *from;
    memset(from, 0, sizeof *from);
}

/* --- issuing -------------------------------------------------------------------- */

int lb_survey_issue(lb_txn *t, const struct lb_ctx *c, const struct lb_survey_issue *in,
                    enum lb_survey_verdict *verdict, struct lb_followup *fu, struct lb_company *co,
                    uint32_t *contact)
{
    struct lb_followup old = {0}, cur = {0};
    lb_date today = lb_stockholm_date(c->now);
    *verdict = LB_SURVEY_CLOSED;
    *contact = 0;
    if (hash_is_zero(in->token_hash) || in->reminder > LB_SURVEY_REMINDERS_MAX)
        return LB_EINVAL;
    int rc = lb_followup_get(t, in->followup_id, &old);
    if (rc == 0)
        rc = lb_followup_get(t, in->followup_id, &cur);
    if (rc == 0)
        rc = lb_company_get(t, cur.company_id, co);
    if (rc != 0)
        goto out;
    struct lb_followup_survey *sv = &cur.survey;
    int who = -1;
    bool fresh = false; /* a first mail not recorded before */
    if (cur.status != LB_FOLLOWUP_SCHEDULED) {
        *verdict = LB_SURVEY_CLOSED;
    } else if (in->reminder == 0 && sv->status == LB_SURVEY_NONE) {
        if (cur.attempts > 0) {
            *verdict = LB_SURVEY_PHONE;
        } else if (in->call_from == LB_DATE_NONE || in->call_from <= today || in->valid_ms <= 0) {
            rc = LB_EINVAL;
            goto out;
        } else {
            for (uint32_t i = 0; i < co->ncontacts && who < 0; i++)
                if (lb_survey_contact_ok(&co->contacts[i]))
                    who = (int)i;
            *verdict = who < 0 ? LB_SURVEY_NO_RECIPIENT : LB_SURVEY_SEND;
            fresh = who >= 0;
        }
    } else if (sv->status != LB_SURVEY_SENT) {
        *verdict = LB_SURVEY_CLOSED;
    } else if (cur.attempts > 0) {
        *verdict = LB_SURVEY_PHONE;
    } else if (in->reminder > sv->reminders && today >= sv->call_from) {
        *verdict = LB_SURVEY_LATE;
    } else {
        who = contact_by_hash(co, sv->recipient);
        *verdict = who >= 0 && lb_survey_contact_ok(&co->contacts[who]) ? LB_SURVEY_SEND
                                                                        : LB_SURVEY_NO_RECIPIENT;
    }
    if (*verdict != LB_SURVEY_SEND)
        goto out;
    *contact = (uint32_t)who;
    if (fresh) {
        sv->status = LB_SURVEY_SENT;
        sv->sent_at = c->now;
        sv->reminders = 0;
        sv->reminded_at = LB_TIME_NONE;
        sv->call_from = in->call_from;
        sv->expires_at = c->now + in->valid_ms;
        sv->ended_at = LB_TIME_NONE;
        lb_survey_recipient_hash(co->contacts[who].email, sv->recipient);
        cur.due = in->call_from;
    }
    if ((rc = token_ensure(t, c, in->token_hash, cur.meta.id, sv->expires_at)) != 0)
        goto out;
    if (!fresh && in->reminder <= sv->reminders)
        goto out; /* recorded before: nothing to write */
    if (!fresh) {
        sv->reminders = in->reminder;
        sv->reminded_at = c->now;
    }
    struct sent_extra x = {in->reminder, sv};
    rc = lb__followup_emit(t, c, &old, &cur, "survey.sent", sent_extra, &x);
out:
    if (rc == 0)
        give(&cur, fu);
    lb_followup_clear(&old);
    lb_followup_clear(&cur);
    return rc;
}

/* --- the end of a survey ------------------------------------------------------------ */

/* Ends a waiting survey with status st and puts the call on today's list. */
static void end_survey(struct lb_followup *f, enum lb_survey_status st, const struct lb_ctx *c)
{
    lb_date today = lb_stockholm_date(c->now);
    f->survey.status = st;
    f->survey.ended_at = c->now;
    if (f->due > today)
        f->due = today;
}

int lb_survey_bounce(lb_txn *t, const struct lb_ctx *c, lb_id followup_id, bool *changed)
{
    struct lb_followup old = {0}, cur = {0};
    *changed = false;
    int rc = lb_followup_get(t, followup_id, &old);
    if (rc == 0)
        rc = lb_followup_get(t, followup_id, &cur);
    if (rc != 0 || cur.status != LB_FOLLOWUP_SCHEDULED || cur.survey.status != LB_SURVEY_SENT)
        goto out;
    bool marked;
    if ((rc = mark_contacts(t, c, cur.company_id, cur.survey.recipient, false, &marked)) != 0)
        goto out;
    end_survey(&cur, LB_SURVEY_BOUNCED, c);
    rc = lb__followup_emit(t, c, &old, &cur, "survey.bounced", ended_extra, &cur);
    *changed = rc == 0;
out:
    lb_followup_clear(&old);
    lb_followup_clear(&cur);
    return rc;
}

/* The follow-up a token answers; LB_ENOTFOUND when unknown, not a
 * follow-up's, or (unless any_age) expired. */
static int token_followup(lb_txn *t, const struct lb_ctx *c, const uint8_t hash[32], bool any_age,
                          lb_id *fid)
{
    struct lb_survey_token tok = {0};
    int rc = lb_survey_token_get(t, hash, &tok);
    if (rc != 0)
        return rc;
    if (tok.kind != LB_SURVEY_KIND_FOLLOWUP || (!any_age && c->now >= tok.expires_at))
        return LB_ENOTFOUND;
    *fid = tok.target_id;
    return 0;
}

int lb_survey_answer(lb_txn *t, const struct lb_ctx *c, const uint8_t token_hash[32],
                     const struct lb_answer *answers, uint32_t nanswers, const char *comment,
                     struct lb_followup *out)
{
    lb_id fid;
    int rc = token_followup(t, c, token_hash, false, &fid);
    if (rc != 0)
        return rc;
    struct lb_followup f = {0};
    if ((rc = lb_followup_get(t, fid, &f)) != 0)
        return rc == LB_ENOTFOUND ? LB_ECORRUPT : rc;
    if (f.status != LB_FOLLOWUP_SCHEDULED) {
        give(&f, out);
        return LB_ESTATE;
    }
    lb_followup_clear(&f);
    /* The token is not written: a follow-up's answers are its own state
     * (max_answers 1 is the call's status), and rewriting a token, whose
     * keys are random, would dirty a page of its own in every commit. The
     * answers counter is for tokens of many answers (docs/surveys.md). */
    return lb__followup_record(t, c, fid, LB_FOLLOWUP_DONE, LB_ANSWER_CHANNEL_EMAIL, answers,
                               nanswers, comment, lb_stockholm_date(c->now), "survey.answered",
                               out);
}

int lb_survey_opt_out(lb_txn *t, const struct lb_ctx *c, const uint8_t token_hash[32],
                      bool *changed)
{
    lb_id fid;
    *changed = false;
    int rc = token_followup(t, c, token_hash, true, &fid);
    if (rc != 0)
        return rc;
    struct lb_followup old = {0}, cur = {0};
    if ((rc = lb_followup_get(t, fid, &old)) == 0)
        rc = lb_followup_get(t, fid, &cur);
    if (rc == LB_ENOTFOUND)
        rc = LB_ECORRUPT;
    bool marked = false;
    if (rc == 0)
        rc = mark_contacts(t, c, cur.company_id, cur.survey.recipient, true, &marked);
    bool waiting = cur.status == LB_FOLLOWUP_SCHEDULED && cur.survey.status == LB_SURVEY_SENT;
    if (rc == 0 && (marked || waiting)) {
        if (waiting)
            end_survey(&cur, LB_SURVEY_OPTED_OUT, c);
        /* The call is unchanged when it was made already: the event then
         * records the opt-out alone (its version is bumped with it). */
        rc = lb__followup_emit(t, c, &old, &cur, "survey.opted_out", ended_extra, &cur);
        *changed = rc == 0;
    }
    lb_followup_clear(&old);
    lb_followup_clear(&cur);
    return rc;
}
