/* mailer.c: the e-mail survey's sending (mailer.h, docs/surveys.md).
 *
 * State, in the worker's environment:
 *   surveys    follow-up id -> struct wsurvey: a call that may get a mail
 *              (WAITING: its first mail is due on `due`) or that got one
 *              (ACTIVE: first mail on `first`, `sent` mails so far, the call
 *              due on `call_from`)
 *   survey_next  date (biased be32) ++ follow-up id -> "": the day of each
 *              survey's next mail, so a run reads only what is due
 *   mail_jobs  follow-up id -> JSON: one mail from the moment it is picked to
 *              its outcome: reminder number, token hash, then the composed
 *              mail and whether its SMTP transaction may have begun
 *   mailer     "key" -> the 32-byte token key
 * surveys and survey_next follow the events (lb_mailer_apply) and the
 * mailer's outcomes; jobs are the mailer's alone.
 *
 * One batch (lb_mailer_run), each step recorded before the next, so a crash
 * anywhere is picked up where it was:
 *   1. pick up to cfg.batch due surveys without a job; record a job for each
 *      (synced) — before lotsd records anything about the mail;
 *   2. POST /api/v1/surveys/issue for all of them (lotsd registers the
 *      tokens, records survey.sent, says whom to write and about what);
 *   3. compose each "send"; record the mails, in flight (synced: the
 *      before-record); forget the others;
 *   4. per mail: an unsynced "started" mark, the SMTP transaction, a bounce
 *      reported, the outcome (unsynced); one sync at the end.
 * Three syncs of the worker's and one commit of lotsd's per batch, so the
 * rate is SMTP's. After a crash: a job not issued is issued again (lotsd
 * answers a repeat from what it recorded); a mail in flight never started
 * is sent; one started is resent once, the same mail (Message-ID, Date,
 * text), and taken as sent if found started again. The unsynced marks
 * survive a killed process; a power cut loses them and then resends the
 * batch's mails once each. */
#include "mailer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "lotsbok/auth.h"
#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"
#include "mail.h"
#include "wlog.h"

#define WS_VERSION 1
#define JOB_VERSION 1
#define BACKOFF_MIN_MS 30000L
#define BACKOFF_MAX_MS (30L * 60 * 1000)

enum { PHASE_WAITING = 1, PHASE_ACTIVE = 2 };

struct wsurvey {
    uint8_t v;
    uint8_t phase;
    uint8_t sent; /* mails sent: 1 the first, 1 + k after reminder k */
    uint8_t pad;
    lb_date due;       /* WAITING: the first mail's day */
    lb_date first;     /* ACTIVE: the day of the first mail */
    lb_date call_from; /* ACTIVE */
    lb_date next;      /* the day it is filed under in survey_next, or NONE */
};

/* --- keys and records ------------------------------------------------------- */

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void next_key(uint8_t k[12], lb_date d, lb_id fid)
{
    uint32_t b = (uint32_t)d ^ 0x80000000u;
    k[0] = (uint8_t)(b >> 24);
    k[1] = (uint8_t)(b >> 16);
    k[2] = (uint8_t)(b >> 8);
    k[3] = (uint8_t)b;
    be64(k + 4, fid);
}

static lb_date next_key_date(const uint8_t k[12])
{
    uint32_t b = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
    return (lb_date)(b ^ 0x80000000u);
}

static int ws_get(struct lb_mailer *m, MDB_txn *t, lb_id fid, struct wsurvey *out)
{
    uint8_t kb[8];
    be64(kb, fid);
    MDB_val k = {8, kb}, v;
    int rc = mdb_get(t, m->surveys, &k, &v);
    if (rc != 0)
        return lb_wstate_err(rc);
    if (v.mv_size != sizeof *out || ((const uint8_t *)v.mv_data)[0] != WS_VERSION)
        return LB_ECORRUPT;
    memcpy(out, v.mv_data, sizeof *out);
    return 0;
}

/* Stores s, filing it under `next` (and unfiling the old day). */
static int ws_put(struct lb_mailer *m, MDB_txn *t, lb_id fid, struct wsurvey *s, lb_date next)
{
    uint8_t kb[8], nk[12];
    be64(kb, fid);
    int rc = 0;
    if (s->next != LB_DATE_NONE && s->next != next) {
        next_key(nk, s->next, fid);
        MDB_val k = {12, nk};
        rc = mdb_del(t, m->next, &k, NULL);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc == 0 && next != LB_DATE_NONE && next != s->next) {
        next_key(nk, next, fid);
        MDB_val k = {12, nk}, v = {0, ""};
        rc = mdb_put(t, m->next, &k, &v, 0);
    }
    s->next = next;
    s->v = WS_VERSION;
    s->pad = 0;
    MDB_val k = {8, kb}, v = {sizeof *s, s};
    return lb_wstate_err(rc ? rc : mdb_put(t, m->surveys, &k, &v, 0));
}

static int ws_del(struct lb_mailer *m, MDB_txn *t, lb_id fid)
{
    struct wsurvey s;
    int rc = ws_get(m, t, fid, &s);
    if (rc == LB_ENOTFOUND)
        return 0;
    if (rc != 0 && rc != LB_ECORRUPT)
        return rc;
    uint8_t kb[8], nk[12];
    if (rc == 0 && s.next != LB_DATE_NONE) {
        next_key(nk, s.next, fid);
        MDB_val k = {12, nk};
        int r = mdb_del(t, m->next, &k, NULL);
        if (r != 0 && r != MDB_NOTFOUND)
            return lb_wstate_err(r);
    }
    be64(kb, fid);
    MDB_val k = {8, kb};
    rc = mdb_del(t, m->surveys, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : lb_wstate_err(rc);
}

/* The day of an ACTIVE survey's next mail, or NONE when no reminder is left. */
static lb_date next_mail_day(const struct lb_mailer *m, const struct wsurvey *s)
{
    int k = s->sent; /* the next reminder's number */
    if (k < 1 || k > m->cfg.sched.reminders)
        return LB_DATE_NONE;
    return lb_survey_reminder_day(&m->cfg.sched, s->first, k);
}

/* --- jobs --------------------------------------------------------------------- */

struct job {
    lb_id fid;
    int n;             /* 0 the first mail, k reminder k */
    bool inflight;     /* an SMTP transaction may have begun */
    int crash;         /* resends after a crash (at most 1) */
    int attempts;      /* temporary failures so far */
    int64_t next_try;  /* wall-clock ms before which it is not retried */
    lb_date call_from; /* the call's day: no point mailing from then on */
    uint8_t th[32];
    struct lb_mail mail;
    enum lb_smtp_outcome outcome;
    bool has_mail; /* issued and composed (else: recorded, to be issued) */
    bool started;  /* its SMTP transaction began (an unsynced mark) */
    bool untried;  /* the worker stopped before this one's turn */
};

static void job_clear(struct job *j)
{
    lb_mail_clear(&j->mail);
}

static int job_put(struct lb_mailer *m, MDB_txn *t, const struct job *j)
{
    char hex[65], day[16] = "";
    sodium_bin2hex(hex, sizeof hex, j->th, 32);
    if (j->call_from != LB_DATE_NONE)
        lb_date_format(j->call_from, day);
    json_t *o = json_pack("{s:i,s:i,s:b,s:b,s:i,s:i,s:I,s:s,s:s,s:o*}", "v", JOB_VERSION, "n", j->n,
                          "inflight", j->inflight, "started", j->started, "crash", j->crash,
                          "attempts", j->attempts, "next_try", (json_int_t)j->next_try, "call_from",
                          day, "th", hex, "mail", j->has_mail ? lb_mail_to_json(&j->mail) : NULL);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return LB_ENOMEM;
    uint8_t kb[8];
    be64(kb, j->fid);
    MDB_val k = {8, kb}, v = {strlen(text), text};
    int rc = lb_wstate_err(mdb_put(t, m->jobs, &k, &v, 0));
    free(text);
    return rc;
}

static int job_decode(const MDB_val *k, const MDB_val *v, struct job *j)
{
    memset(j, 0, sizeof *j);
    if (k->mv_size != 8)
        return LB_ECORRUPT;
    j->fid = rd64(k->mv_data);
    json_t *o = json_loadb(v->mv_data, v->mv_size, 0, NULL);
    const char *hex = json_string_value(json_object_get(o, "th"));
    const char *day = json_string_value(json_object_get(o, "call_from"));
    size_t bl = 0;
    int rc = LB_ECORRUPT;
    if (o && json_integer_value(json_object_get(o, "v")) == JOB_VERSION && hex &&
        sodium_hex2bin(j->th, 32, hex, strlen(hex), NULL, &bl, NULL) == 0 && bl == 32) {
        j->n = (int)json_integer_value(json_object_get(o, "n"));
        j->inflight = json_is_true(json_object_get(o, "inflight"));
        j->started = json_is_true(json_object_get(o, "started"));
        j->crash = (int)json_integer_value(json_object_get(o, "crash"));
        j->attempts = (int)json_integer_value(json_object_get(o, "attempts"));
        j->next_try = json_integer_value(json_object_get(o, "next_try"));
        if (!day || lb_date_parse(day, &j->call_from) != 0)
            j->call_from = LB_DATE_NONE;
        const json_t *mail = json_object_get(o, "mail");
        j->has_mail = mail != NULL;
        rc = mail ? lb_mail_from_json(mail, &j->mail) : 0;
    }
    json_decref(o);
    return rc;
}

static int job_del(struct lb_mailer *m, MDB_txn *t, lb_id fid)
{
    uint8_t kb[8];
    be64(kb, fid);
    MDB_val k = {8, kb};
    int rc = mdb_del(t, m->jobs, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : lb_wstate_err(rc);
}

static bool job_exists(struct lb_mailer *m, MDB_txn *t, lb_id fid)
{
    uint8_t kb[8];
    be64(kb, fid);
    MDB_val k = {8, kb}, v;
    return mdb_get(t, m->jobs, &k, &v) == 0;
}

/* --- tokens and ids --------------------------------------------------------------- */

void lb_mailer_token(const struct lb_mailer *m, lb_id followup_id, char text[44], uint8_t hash[32])
{
    static const char ctx[] = "lotsbok survey token v1";
    uint8_t msg[sizeof ctx + 8], raw[32];
    memcpy(msg, ctx, sizeof ctx);
    be64(msg + sizeof ctx, followup_id);
    crypto_generichash(raw, sizeof raw, msg, sizeof msg, m->key, sizeof m->key);
    sodium_bin2base64(text, 44, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    lb_token_hash(text, hash);
}

/* "<lotsbok.survey.F.N.xxxxxxxxxxxxxxxx@domain>": derived, so a resend has
 * the same id; the hash part keeps installations apart. */
static void message_id(const struct lb_mailer *m, lb_id fid, int n, char *out, size_t len)
{
    static const char ctx[] = "lotsbok survey message-id v1";
    uint8_t msg[sizeof ctx + 9], h[8];
    memcpy(msg, ctx, sizeof ctx);
    be64(msg + sizeof ctx, fid);
    msg[sizeof ctx + 8] = (uint8_t)n;
    crypto_generichash(h, sizeof h, msg, sizeof msg, m->key, sizeof m->key);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, len, "<lotsbok.survey.%" PRIu64 ".%d.%s@%s>", fid, n, hex, m->domain);
}

/* --- life cycle --------------------------------------------------------------------- */

int lb_mailer_init(struct lb_mailer *m, lb_wstate *st, lb_effects *fx,
                   const struct lb_mailer_config *cfg, volatile sig_atomic_t *stop)
{
    memset(m, 0, sizeof *m);
    m->st = st;
    m->fx = fx;
    m->cfg = *cfg;
    m->stop = stop;
    if (m->cfg.batch <= 0)
        m->cfg.batch = LB_MAILER_BATCH_DEFAULT;
    if (m->cfg.retry_ms <= 0)
        m->cfg.retry_ms = BACKOFF_MIN_MS;
    if (m->cfg.batch > 100 || lb_survey_schedule_check(&m->cfg.sched) != 0)
        return LB_EINVAL;
    int rc;
    if ((rc = lb_wstate_dbi(st, "surveys", &m->surveys)) != 0 ||
        (rc = lb_wstate_dbi(st, "survey_next", &m->next)) != 0 ||
        (rc = lb_wstate_dbi(st, "mail_jobs", &m->jobs)) != 0 ||
        (rc = lb_wstate_dbi(st, "mailer", &m->meta)) != 0)
        return rc;
    MDB_txn *t;
    if ((rc = lb_wstate_begin(st, true, &t)) != 0)
        return rc;
    MDB_val k = {3, "key"}, v;
    rc = mdb_get(t, m->meta, &k, &v);
    if (rc == 0 && v.mv_size == sizeof m->key) {
        memcpy(m->key, v.mv_data, sizeof m->key);
        lb_wstate_abort(t);
    } else if (rc == MDB_NOTFOUND) {
        randombytes_buf(m->key, sizeof m->key);
        v = (MDB_val){sizeof m->key, m->key};
        rc = mdb_put(t, m->meta, &k, &v, 0);
        if (rc != 0) {
            lb_wstate_abort(t);
            return lb_wstate_err(rc);
        }
        if ((rc = lb_wstate_commit(t)) != 0)
            return rc;
    } else {
        lb_wstate_abort(t);
        return rc ? lb_wstate_err(rc) : LB_ECORRUPT;
    }
    if (!cfg->smtp_url)
        return 0;
    char addr[320];
    if (!cfg->smtp_from || !cfg->public_base ||
        lb_mail_address(cfg->smtp_from, addr, sizeof addr) != 0)
        return LB_EINVAL;
    snprintf(m->domain, sizeof m->domain, "%s", strchr(addr, '@') + 1);
    rc = lb_smtp_new(cfg->smtp_url, cfg->smtp_credentials, &m->smtp);
    if (rc == 0 && m->stop)
        lb_smtp_set_stop(m->smtp, m->stop);
    return rc;
}

void lb_mailer_free(struct lb_mailer *m)
{
    lb_smtp_free(m->smtp);
    sodium_memzero(m->key, sizeof m->key);
    m->smtp = NULL;
}

/* --- the events ---------------------------------------------------------------------- */

int lb_mailer_apply(struct lb_mailer *m, MDB_txn *t, const struct lb_wev *ev)
{
    bool fu = ev->type_len > 9 && memcmp(ev->type, "followup.", 9) == 0;
    bool sv = ev->type_len > 7 && memcmp(ev->type, "survey.", 7) == 0;
    if (!fu && !sv)
        return 0;
    struct wsurvey s;
    int rc = ws_get(m, t, ev->id, &s);
    if (rc == LB_ECORRUPT) {
        lb_wlog("warn", "survey state unreadable; dropped", "followup_id=%" PRIu64, ev->id);
        return ws_del(m, t, ev->id);
    }
    if (rc != 0 && rc != LB_ENOTFOUND)
        return rc;
    bool known = rc == 0;
    char status[16] = "";
    lb_wev_str(ev, "status", status, sizeof status);
    lb_date due = LB_DATE_NONE;
    lb_wev_date(ev, "due", &due);
    if (lb_wev_is(ev, "followup.scheduled")) {
        if (known || strcmp(status, "scheduled") != 0 || due == LB_DATE_NONE)
            return 0;
        s = (struct wsurvey){.phase = PHASE_WAITING,
                             .due = due,
                             .first = LB_DATE_NONE,
                             .call_from = LB_DATE_NONE,
                             .next = LB_DATE_NONE};
        return ws_put(m, t, ev->id, &s, due);
    }
    if (lb_wev_is(ev, "followup.updated")) {
        if (!known)
            return 0;
        if (strcmp(status, "scheduled") != 0)
            return ws_del(m, t, ev->id);
        if (s.phase == PHASE_WAITING && due != LB_DATE_NONE && due != s.due) {
            s.due = due;
            return ws_put(m, t, ev->id, &s, due);
        }
        return 0;
    }
    if (lb_wev_is(ev, "survey.sent")) {
        uint64_t n = 0;
        lb_time at;
        lb_date call_from = LB_DATE_NONE;
        lb_wev_u64(ev, "reminder", &n);
        lb_wev_date(ev, "call_from", &call_from);
        if (strcmp(status, "scheduled") != 0 || !lb_wev_time(ev, "sent_at", &at))
            return known ? ws_del(m, t, ev->id) : 0;
        if (!known)
            s = (struct wsurvey){.next = LB_DATE_NONE};
        s.phase = PHASE_ACTIVE;
        s.first = lb_stockholm_date(at);
        s.call_from = call_from;
        if (n + 1 > s.sent)
            s.sent = (uint8_t)(n + 1 > 255 ? 255 : n + 1);
        return ws_put(m, t, ev->id, &s, next_mail_day(m, &s));
    }
    /* followup.recorded (any result: the phone has taken over), the survey
     * answered, bounced or opted out: no more mail for this call. */
    return known ? ws_del(m, t, ev->id) : 0;
}

/* --- one batch ------------------------------------------------------------------------- */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes every job (the before-record, or a retry's) in one transaction. */
static int jobs_put(struct lb_mailer *m, struct job *jobs, size_t n)
{
    MDB_txn *t;
    int rc = lb_wstate_begin(m->st, true, &t);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = job_put(m, t, &jobs[i]);
    if (rc != 0) {
        lb_wstate_abort(t);
        return rc;
    }
    return lb_wstate_commit(t);
}

/* One job's outcome, in t: a temporary failure waits (backoff), a bounce
 * ends the survey, a sent mail moves the survey to its next reminder. */
static int job_outcome(struct lb_mailer *m, MDB_txn *t, struct job *j, lb_date today)
{
    if (j->outcome == LB_SMTP_TEMPORARY) {
        j->inflight = false;
        j->started = false;
        if (!j->untried) {
            long wait = (long)m->cfg.retry_ms << (j->attempts < 6 ? j->attempts : 6);
            j->attempts++;
            j->next_try = wall_ms() + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
            m->temporary++;
        }
        return job_put(m, t, j);
    }
    int rc = job_del(m, t, j->fid);
    if (rc != 0)
        return rc;
    if (j->outcome == LB_SMTP_PERMANENT) {
        m->bounced++;
        return ws_del(m, t, j->fid);
    }
    if (j->n == 0)
        m->sent++;
    else
        m->reminders++;
    struct wsurvey s;
    rc = ws_get(m, t, j->fid, &s);
    if (rc == LB_ENOTFOUND)
        return 0; /* answered or ended meanwhile */
    if (rc != 0)
        return rc;
    if (j->n == 0) {
        if (s.phase != PHASE_ACTIVE) /* else survey.sent told it already */
            s.first = today;
        s.phase = PHASE_ACTIVE;
        s.call_from = j->call_from;
    }
    if (j->n + 1 > s.sent)
        s.sent = (uint8_t)(j->n + 1);
    return ws_put(m, t, j->fid, &s, next_mail_day(m, &s));
}

/* A small unsynced transaction on one job (a progress mark): it survives
 * the worker being killed, which is what it is for. */
static int job_mark(struct lb_mailer *m, struct job *j, bool outcome, lb_date today)
{
    MDB_txn *t;
    int rc = lb_wstate_begin(m->st, true, &t);
    if (rc == 0)
        rc = outcome ? job_outcome(m, t, j, today) : job_put(m, t, j);
    if (rc != 0) {
        lb_wstate_abort(t);
        return rc;
    }
    return lb_wstate_commit(t);
}

/* Reports a bounce to lotsd; LB_EBUSY when stopped (the job stays in flight
 * and is resolved at the next start: lotsd takes a repeat as the same). */
static int report_bounce(struct lb_mailer *m, lb_id fid)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/followups/%" PRIu64 "/survey/bounce", fid);
    json_t *body = json_object(), *resp = NULL;
    long status;
    int rc = body ? lb_effects_call(m->fx, "POST", path, body, NULL, &status, &resp) : LB_ENOMEM;
    json_decref(body);
    json_decref(resp);
    if (rc == 0 && status / 100 != 2)
        lb_wlog("error", "lotsd refused a bounce", "followup_id=%" PRIu64 " status=%ld", fid,
                status);
    return rc;
}

/* The SMTP transactions of jobs whose before-record is on disk. Around each,
 * an unsynced mark: "started" just before (so a crash tells a mail never
 * tried from one that may have gone) and the outcome just after; one sync at
 * the end. A job that is in flight after a crash (crash > 1) and started
 * again is taken as sent: it had its one resend. */
static int jobs_send(struct lb_mailer *m, struct job *jobs, size_t n, lb_time now)
{
    int64_t t0 = wall_ms();
    lb_date today = lb_stockholm_date(now);
    size_t sent = 0;
    int rc = lb_wstate_nosync(m->st, true);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct job *j = &jobs[i];
        if (j->crash > 1) {
            lb_wlog("warn", "survey mail found in flight after its resend; taken as sent",
                    "followup_id=%" PRIu64 " reminder=%d", j->fid, j->n);
            j->outcome = LB_SMTP_SENT;
        } else if (*m->stop) { /* not tried: retried after the restart, not resent */
            j->outcome = LB_SMTP_TEMPORARY;
            j->untried = true;
        } else {
            j->started = true;
            if ((rc = job_mark(m, j, false, today)) != 0)
                break;
            long code = 0;
            char detail[256];
            if ((rc = lb_smtp_send(m->smtp, &j->mail, &j->outcome, &code, detail, sizeof detail)) !=
                0)
                break;
            if (j->outcome != LB_SMTP_SENT)
                lb_wlog(j->outcome == LB_SMTP_PERMANENT ? "info" : "warn",
                        j->outcome == LB_SMTP_PERMANENT ? "survey mail refused for good"
                                                        : "survey mail not accepted; will retry",
                        "followup_id=%" PRIu64 " reminder=%d code=%ld attempts=%d detail=\"%s\"",
                        j->fid, j->n, code, j->attempts + 1, detail);
            if (j->outcome == LB_SMTP_PERMANENT && (rc = report_bounce(m, j->fid)) != 0)
                break;
        }
        sent += j->outcome == LB_SMTP_SENT;
        rc = job_mark(m, j, true, today);
    }
    int r2 = lb_wstate_nosync(m->st, false);
    int r3 = lb_wstate_sync(m->st);
    if (rc == 0)
        rc = r2 ? r2 : r3;
    if (rc == 0 && n > 0)
        lb_wlog("info", "survey mails", "batch=%zu sent=%zu ms=%" PRId64, n, sent, wall_ms() - t0);
    return rc;
}

/* Reads up to cap jobs for which want() holds (it may adjust them); the
 * caller clears what it gets. *more when it stopped at cap. */
static int jobs_scan(struct lb_mailer *m, bool (*want)(struct job *j, void *arg), void *arg,
                     struct job *out, size_t cap, size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    MDB_txn *t;
    int rc = lb_wstate_begin(m->st, false, &t);
    if (rc != 0)
        return rc;
    MDB_cursor *c;
    MDB_val k, v;
    if ((rc = mdb_cursor_open(t, m->jobs, &c)) != 0) {
        lb_wstate_abort(t);
        return lb_wstate_err(rc);
    }
    int r = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    for (; r == 0; r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        struct job j;
        if (job_decode(&k, &v, &j) != 0) {
            lb_wlog("warn", "unreadable mail job skipped", NULL);
            job_clear(&j);
            continue;
        }
        if (!want(&j, arg)) {
            job_clear(&j);
            continue;
        }
        if (*n == cap) {
            job_clear(&j);
            *more = true;
            break;
        }
        out[(*n)++] = j;
    }
    mdb_cursor_close(c);
    lb_wstate_abort(t);
    return r == 0 || r == MDB_NOTFOUND ? 0 : lb_wstate_err(r);
}

/* In flight at start: interrupted between the before-record and the
 * outcome. Never started: sent as if nothing happened. Possibly gone: resent
 * once (crash counted and recorded before the resend). */
static bool want_in_flight(struct job *j, void *arg)
{
    size_t *resend = arg;
    if (!j->has_mail || !j->inflight)
        return false;
    if (j->started) {
        j->crash++;
        j->started = false;
        (*resend)++;
    }
    return true;
}

static bool want_unissued(struct job *j, void *arg)
{
    (void)arg;
    return !j->has_mail;
}

/* Waiting after a temporary failure, its time come. */
static bool want_retry(struct job *j, void *arg)
{
    int64_t wall = *(const int64_t *)arg;
    if (!j->has_mail || j->inflight || j->next_try > wall)
        return false;
    j->inflight = true;
    return true;
}

/* Issues jobs (recorded, not yet issued) to lotsd, composes the mails it
 * says to send, records them (the before-record) with the end of the others,
 * and sends. A refused request leaves the jobs for the next run. */
static int issue_and_send(struct lb_mailer *m, struct job *jobs, size_t n, lb_time now)
{
    json_t *items = json_array(), *body = json_object(), *resp = NULL;
    for (size_t i = 0; items && i < n; i++) {
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, jobs[i].th, 32);
        json_t *it = json_pack("{s:I,s:i,s:s}", "followup_id", (json_int_t)jobs[i].fid, "reminder",
                               jobs[i].n, "token_hash", hex);
        if (it && jobs[i].n == 0 && jobs[i].call_from != LB_DATE_NONE) {
            char day[16];
            lb_date_format(jobs[i].call_from, day);
            json_object_set_new(it, "call_from", json_string(day));
        }
        json_array_append_new(items, it);
    }
    long status = 0;
    json_object_set_new(body, "items", items);
    int rc =
        body ? lb_effects_call(m->fx, "POST", "/api/v1/surveys/issue", body, NULL, &status, &resp)
             : LB_ENOMEM;
    json_decref(body);
    if (rc != 0)
        return rc;
    const json_t *answers = json_object_get(resp, "items");
    if (status != 200 || json_array_size(answers) != n) {
        lb_wlog("error", "lotsd refused a survey batch; asking again later", "status=%ld mails=%zu",
                status, n);
        json_decref(resp);
        return 0;
    }
    const char *municipality = json_string_value(json_object_get(resp, "municipality"));
    bool *drop = calloc(n ? n : 1, sizeof *drop);
    if (!drop) {
        json_decref(resp);
        return LB_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct job *j = &jobs[i];
        const json_t *it = json_array_get(answers, i);
        const char *verdict = json_string_value(json_object_get(it, "verdict"));
        if (!verdict || strcmp(verdict, "send") != 0) {
            lb_wlog("info", "no survey mail", "followup_id=%" PRIu64 " reminder=%d verdict=%s",
                    j->fid, j->n, verdict ? verdict : "?");
            drop[i] = true;
            continue;
        }
        char tok[44], msgid[400];
        uint8_t th[32];
        lb_mailer_token(m, j->fid, tok, th);
        message_id(m, j->fid, j->n, msgid, sizeof msgid);
        struct lb_mail_ctx ctx = {m->cfg.smtp_from, m->cfg.public_base, tok, msgid, now};
        int c = lb_mail_compose(&ctx, municipality ? municipality : "", it, &j->mail);
        sodium_memzero(tok, sizeof tok);
        if (c == LB_ENOMEM) {
            rc = c;
        } else if (c != 0) {
            lb_wlog("error", "survey mail cannot be composed; left to the phone",
                    "followup_id=%" PRIu64, j->fid);
            drop[i] = true;
        } else {
            j->has_mail = true;
            j->inflight = true;
            const char *cf = json_string_value(json_object_get(it, "call_from"));
            if (!cf || lb_date_parse(cf, &j->call_from) != 0)
                j->call_from = LB_DATE_NONE;
        }
    }
    json_decref(resp);
    MDB_txn *t;
    if (rc == 0 && (rc = lb_wstate_begin(m->st, true, &t)) == 0) {
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (drop[i]) {
                rc = job_del(m, t, jobs[i].fid);
                if (rc == 0)
                    rc = ws_del(m, t, jobs[i].fid);
                m->dropped++;
            } else {
                rc = job_put(m, t, &jobs[i]); /* the before-record */
            }
        }
        rc = rc == 0 ? lb_wstate_commit(t) : (lb_wstate_abort(t), rc);
    }
    /* Send the rest: compact them to the front. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (drop[i]) {
            job_clear(&jobs[i]);
            continue;
        }
        if (k != i) {
            jobs[k] = jobs[i];
            memset(&jobs[i], 0, sizeof jobs[i]);
        }
        k++;
    }
    free(drop);
    if (rc == 0 && k > 0)
        rc = jobs_send(m, jobs, k, now);
    return rc;
}

/* Picks up to batch surveys due on or before today that have no job, and
 * records a job for each (not yet issued) before anything is asked of lotsd:
 * whatever lotsd records about the mail, the worker has it. Drops (from the
 * state) a first mail past its grace and a survey with no mail left. */
static int pick(struct lb_mailer *m, lb_time now, struct job *jobs, size_t *n, bool *full)
{
    lb_date today = lb_stockholm_date(now);
    MDB_txn *t;
    lb_id drop[256];
    size_t ndrop = 0;
    *n = 0;
    *full = false;
    int rc = lb_wstate_begin(m->st, false, &t);
    if (rc != 0)
        return rc;
    MDB_cursor *c;
    MDB_val k, v;
    if ((rc = mdb_cursor_open(t, m->next, &c)) != 0) {
        lb_wstate_abort(t);
        return lb_wstate_err(rc);
    }
    int r = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    for (; r == 0; r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 12)
            continue;
        if (next_key_date(k.mv_data) > today)
            break;
        if (*n == (size_t)m->cfg.batch || ndrop == 256) {
            *full = true;
            break;
        }
        lb_id fid = rd64((const uint8_t *)k.mv_data + 4);
        struct wsurvey s;
        if (ws_get(m, t, fid, &s) != 0) {
            drop[ndrop++] = fid;
            continue;
        }
        if (job_exists(m, t, fid))
            continue;
        struct job *j = &jobs[*n];
        memset(j, 0, sizeof *j);
        j->fid = fid;
        if (s.phase == PHASE_WAITING) {
            if (lb_add_working_days(s.due, LB_MAILER_GRACE_DAYS) < today) {
                drop[ndrop++] = fid; /* long past due: left to the phone */
                continue;
            }
            j->n = 0;
            j->call_from = lb_survey_call_day(&m->cfg.sched, today);
        } else {
            if (s.sent < 1 || s.sent > m->cfg.sched.reminders || today >= s.call_from) {
                drop[ndrop++] = fid; /* nothing left to mail */
                continue;
            }
            j->n = s.sent;
            j->call_from = s.call_from;
        }
        char tok[44];
        lb_mailer_token(m, fid, tok, j->th);
        sodium_memzero(tok, sizeof tok);
        (*n)++;
    }
    mdb_cursor_close(c);
    lb_wstate_abort(t);
    if (r != 0 && r != MDB_NOTFOUND)
        return lb_wstate_err(r);
    if (ndrop == 0 && *n == 0)
        return 0;
    if ((rc = lb_wstate_begin(m->st, true, &t)) != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < ndrop; i++)
        rc = ws_del(m, t, drop[i]);
    for (size_t i = 0; rc == 0 && i < *n; i++)
        rc = job_put(m, t, &jobs[i]);
    m->dropped += ndrop;
    if (ndrop == 256)
        *full = true;
    return rc == 0 ? lb_wstate_commit(t) : (lb_wstate_abort(t), rc);
}

int lb_mailer_run(struct lb_mailer *m, lb_time now, bool *more)
{
    *more = false;
    if (!m->smtp)
        return 0;
    struct job jobs[100];
    size_t n = 0;
    bool again = false;
    int rc = 0;
    if (!m->recovered) {
        size_t resend = 0;
        do {
            resend = 0;
            if ((rc = jobs_scan(m, want_in_flight, &resend, jobs, 32, &n, &again)) != 0)
                return rc;
            if (n > 0) {
                m->resent += resend;
                lb_wlog("info", "survey mails in flight at start; resending once",
                        "jobs=%zu started=%zu", n, resend);
                if ((rc = jobs_put(m, jobs, n)) == 0)
                    rc = jobs_send(m, jobs, n, now);
            }
            for (size_t i = 0; i < n; i++)
                job_clear(&jobs[i]);
            if (rc != 0)
                return rc;
            if (*m->stop)
                return LB_EBUSY;
        } while (again);
        m->recovered = true;
    }
    /* Recorded but not issued (a crash or a refused request in between). */
    if ((rc = jobs_scan(m, want_unissued, NULL, jobs, (size_t)m->cfg.batch, &n, &again)) != 0)
        return rc;
    if (n > 0)
        rc = issue_and_send(m, jobs, n, now);
    for (size_t i = 0; i < n; i++)
        job_clear(&jobs[i]);
    if (rc != 0)
        return rc;
    *more |= again;
    /* Temporary failures whose time has come. */
    int64_t wall = wall_ms();
    lb_date today = lb_stockholm_date(now);
    if ((rc = jobs_scan(m, want_retry, &wall, jobs, (size_t)m->cfg.batch, &n, &again)) != 0)
        return rc;
    size_t keep = 0;
    lb_id gone[100];
    size_t ngone = 0;
    MDB_txn *t;
    if (n > 0 && (rc = lb_wstate_begin(m->st, false, &t)) == 0) {
        for (size_t i = 0; i < n; i++) {
            struct wsurvey s;
            /* Ended meanwhile, or the call is due now: the mail is pointless. */
            if (ws_get(m, t, jobs[i].fid, &s) != 0 ||
                (jobs[i].call_from != LB_DATE_NONE && today >= jobs[i].call_from)) {
                gone[ngone++] = jobs[i].fid;
                job_clear(&jobs[i]);
            } else {
                jobs[keep++] = jobs[i];
            }
        }
        lb_wstate_abort(t);
    }
    if (rc == 0 && ngone > 0 && (rc = lb_wstate_begin(m->st, true, &t)) == 0) {
        for (size_t i = 0; rc == 0 && i < ngone; i++)
            rc = job_del(m, t, gone[i]);
        rc = rc == 0 ? lb_wstate_commit(t) : (lb_wstate_abort(t), rc);
        m->dropped += ngone;
    }
    if (rc == 0 && keep > 0 && (rc = jobs_put(m, jobs, keep)) == 0)
        rc = jobs_send(m, jobs, keep, now);
    for (size_t i = 0; i < keep; i++)
        job_clear(&jobs[i]);
    if (rc != 0)
        return rc;
    *more |= again;
    /* New mails. */
    bool full;
    if ((rc = pick(m, now, jobs, &n, &full)) != 0)
        return rc;
    *more |= full;
    if (n > 0)
        rc = issue_and_send(m, jobs, n, now);
    for (size_t i = 0; i < n; i++)
        job_clear(&jobs[i]);
    return rc;
}
