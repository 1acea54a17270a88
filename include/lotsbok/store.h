/* store.h: the LMDB store, the domain operations and the outbox.
 *
 * One LMDB environment per data directory holds every record, the secondary
 * indexes and the outbox of events. Every mutation is a domain operation
 * (lb_case_open, lb_handoff_acknowledge, ...) that checks the state
 * transition, bumps the version, maintains every index and appends exactly one
 * event with the next sequence number, all inside the caller's transaction.
 * Sessions and idempotency keys are bookkeeping and append no event.
 *
 * Group commit: lb_store_batch() runs many operations in one write
 * transaction with one sync. Each operation behaves as if in a nested
 * transaction: one that fails rolls back alone (store.c runs them directly
 * in the batch's transaction and reruns the batch nested only when one
 * failed). When LMDB's map is full the whole batch is
 * aborted, the map grown, and the batch run again: operations must therefore
 * be callable more than once and must write their results only through their
 * own argument. Nothing is reported committed before the sync returned.
 *
 * Nothing above this layer sees an MDB_* code: errors are lb_err values.
 * Decoded records belong to the caller (lb_<type>_clear). */
#ifndef LOTSBOK_STORE_H
#define LOTSBOK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lotsbok/records.h"
#include "lotsbok/tokenizer.h"

typedef struct lb_store lb_store;
typedef struct lb_txn lb_txn;

struct lb_store_config {
    size_t map_size;           /* initial map size in bytes; 0 = 1 GiB (address space) */
    bool no_sync;              /* tests and benchmarks of the ceiling only: MDB_NOSYNC */
    int followup_retry_days;   /* working days to the next attempt after no_answer; default 2 */
    int followup_max_attempts; /* the attempt that makes it unreachable; default 3 */
    /* Benchmarks only: writes maintain no search index, and opening the
     * store marks the index missing (the next normal start rebuilds it). */
    bool no_search_index;
    /* How long stored Idempotency-Key answers are kept (docs/api.md): a
     * user's (0 = 24 h) and the service role's (0 = 90 days; sooner once the
     * worker's reported cursor has passed their event). */
    lb_time idem_user_ms;
    lb_time idem_service_ms;
};

/* Who is acting and when: the event's actor and every timestamp written. */
struct lb_ctx {
    const char *actor; /* username */
    lb_time now;
};

/* --- environment ------------------------------------------------------- */

/* Creates a new environment in dir (the directory is created when missing).
 * LB_EEXIST when dir already holds an environment. */
int lb_store_create(const char *dir, const struct lb_store_config *cfg, lb_store **out);
/* Opens an existing environment; LB_ENOTFOUND when there is none. Clears
 * stale readers (mdb_reader_check). */
int lb_store_open(const char *dir, const struct lb_store_config *cfg, lb_store **out);
void lb_store_close(lb_store *s);

/* The data directory's format version (docs/operations.md, "Upgrades"): meta
 * key "data_version", stamped by lb_store_create and by lb_store_migrate. A
 * directory without it was written before the number existed: version 1.
 * Each record also carries its codec's LB_SCHEMA_VERSION (codec.h). */
#define LB_DATA_VERSION 3
int lb_store_data_version(lb_store *s, uint64_t *version);

/* Brings an older data directory to LB_DATA_VERSION in one write transaction:
 * every step from *from up, then the new version, or nothing at all. Step 1->2
 * files the stored Idempotency-Key answers (as lb_idempotency_upgrade) and
 * decodes every record, event and bookkeeping entry with this version's codec;
 * one that does not decode aborts it (LB_ECORRUPT, *why names it). *from is
 * the version found (LB_DATA_VERSION: nothing to do). LB_ESTATE when the
 * directory is newer than this program (a downgrade): nothing changes. */
int lb_store_migrate(lb_store *s, uint64_t *from, char *why, size_t why_len);

/* A hot, compacting copy (mdb_env_copyfd2 with MDB_CP_COMPACT) into directory
 * `to`, which must not exist or be empty. The directory is made 0700 and
 * data.mdb written 0600 whatever the umask or the directory's mode before;
 * both are synced. Safe while others write. */
int lb_store_backup(lb_store *s, const char *to);

/* Verifies every index against the records, that every record decodes, that
 * the outbox sequence runs 1..last without a gap, and that the data version is
 * LB_DATA_VERSION (an older one needs lb_store_migrate). Writes one line per
 * problem to report (may be NULL). Returns 0 when consistent, LB_ECORRUPT when
 * not, another error when the check could not run. */
int lb_store_check(lb_store *s, FILE *report);

/* The last committed event sequence number (0 for none). */
uint64_t lb_store_last_seq(lb_store *s);

/* Whether a failed map growth left the store unusable (the environment could
 * not be opened again): every transaction then fails with LB_EIO, and the
 * program should stop. A failed growth normally leaves the store working at
 * its old size (the batch that needed the room fails, LB_ENOMEM). */
bool lb_store_broken(lb_store *s);

/* --- transactions ------------------------------------------------------ */

int lb_txn_read(lb_store *s, lb_txn **out);
void lb_txn_end(lb_txn *t); /* ends a read transaction */

/* One group commit. ops[i].run is called with a write transaction (the
 * batch's, or a nested one when an op of the batch failed: see store.c);
 * returning 0 keeps its writes, anything else rolls them back alone and is
 * stored in ops[i].result. After the batch committed and synced,
 * lb_store_batch returns 0 and ops[i].result holds each operation's outcome;
 * *first_seq..*last_seq is the range of events the batch appended (first >
 * last when none). When the commit itself fails (disk full: LB_ENOSPC) every
 * op's result is set to that error, nothing is written, and it is returned. */
struct lb_op {
    int (*run)(lb_txn *t, void *arg);
    void *arg;
    int result;
};
int lb_store_batch(lb_store *s, struct lb_op *ops, size_t nops, uint64_t *first_seq,
                   uint64_t *last_seq);
/* The same, and *commit_ns (when not NULL) is set to how long the batch's
 * last mdb_txn_commit took (the page writes and both syncs; CLOCK_MONOTONIC),
 * 0 when none ran. The operations' time is the rest of the call. */
int lb_store_batch_timed(lb_store *s, struct lb_op *ops, size_t nops, uint64_t *first_seq,
                         uint64_t *last_seq, uint64_t *commit_ns);

/* Convenience: one operation in its own batch (tools, tests, demo). */
int lb_store_run(lb_store *s, int (*run)(lb_txn *t, void *arg), void *arg);

/* --- lists ------------------------------------------------------------- */

/* Every list returns ids in ascending id order (creation order), starting
 * after `after` (0 = from the start), at most `limit` of them into ids[].
 * *next is the cursor for the next page (the last id returned) or 0 when
 * there are no more. Lists that say so also walk newest first when `desc`
 * is set: ids in descending order, below `after` (0 = from the newest). */
struct lb_page {
    lb_id after;
    size_t limit;
    lb_id *ids; /* caller's array of at least limit */
    size_t count;
    lb_id next;
    bool desc; /* newest first (lb_case_list, lb_handoff_list, lb_improvement_list) */
};

/* --- companies --------------------------------------------------------- */

/* rec: orgnr (normalised), personal_orgnr, name and the optional fields.
 * Assigns meta. LB_EEXIST with *existing set when the orgnr is registered. */
int lb_company_create(lb_txn *t, const struct lb_ctx *c, struct lb_company *rec, lb_id *existing);
int lb_company_get(lb_txn *t, lb_id id, struct lb_company *out);
int lb_company_by_orgnr(lb_txn *t, const char *orgnr10, lb_id *id);
/* Replaces the editable fields (name, locality, sni, contacts; orgnr may not
 * change to one registered elsewhere: LB_EEXIST) of the record rec->meta.id.
 * if_match 0 = unconditional, else LB_ESTALE when it differs from the
 * stored version. Updates rec->meta. */
int lb_company_update(lb_txn *t, const struct lb_ctx *c, struct lb_company *rec, uint64_t if_match);
int lb_company_list(lb_txn *t, struct lb_page *p);
/* Name prefix, case- and diacritic-insensitive ("malar" finds "Mälarbåtar"). */
int lb_company_search(lb_txn *t, const char *prefix, struct lb_page *p);
/* Appends the import.completed event of an import that changed something
 * (the companies it created and updated were written by lb_company_create
 * and lb_company_update, each with its own event). */
int lb_import_completed(lb_txn *t, const struct lb_ctx *c, const char *format, uint32_t created,
                        uint32_t updated, uint32_t unchanged, uint32_t failed);
/* lb_fold_name (tokenizer.h) folds the names of this index. */
/* Anonymisation (privacy): removes the contact persons, replaces the free
 * text of the company's cases, contacts, hand-offs and follow-ups with
 * "[anonymiserad]", and for a personnummer orgnr sets `pseudonym` (10 digits)
 * and replaces the name; keeps ids, dates, enums and answers. reason is a
 * code, "retention" or "erasure_request" (LB_EINVAL otherwise); it goes into
 * the one company.anonymized event. Idempotent: when nothing is left to
 * replace, nothing is written and no event appended (the version stays).
 * LB_EHOLD when a case of the company has legal_hold; LB_EEXIST when the
 * pseudonym is another company's orgnr (nothing written). */
int lb_company_anonymize(lb_txn *t, const struct lb_ctx *c, lb_id id, const char *reason,
                         const char *pseudonym);
/* Whether reason is an anonymisation reason code. */
bool lb_anonymize_reason_ok(const char *reason);

/* --- cases ------------------------------------------------------------- */

/* rec: company_id, subject, category, description?, opened_at (LB_TIME_NONE
 * = now), owner. Assigns meta, year and serial (per Stockholm year of
 * opened_at), status open. LB_ENOTFOUND when the company does not exist. */
int lb_case_open(lb_txn *t, const struct lb_ctx *c, struct lb_case *rec);
int lb_case_get(lb_txn *t, lb_id id, struct lb_case *out);
int lb_case_by_number(lb_txn *t, uint16_t year, uint32_t serial, lb_id *id);
/* Editable: subject, category, description, legal_hold, and owner (a NULL or empty
 * rec->owner keeps the stored one; the cases-by-owner index follows). */
int lb_case_update(lb_txn *t, const struct lb_ctx *c, struct lb_case *rec, uint64_t if_match);
/* LB_ESTATE when already closed. closed_at LB_TIME_NONE = now. */
int lb_case_close(lb_txn *t, const struct lb_ctx *c, lb_id id, enum lb_outcome outcome,
                  const char *note, lb_time closed_at, struct lb_case *out);
/* LB_ESTATE when open. */
int lb_case_reopen(lb_txn *t, const struct lb_ctx *c, lb_id id, struct lb_case *out);

struct lb_case_filter {
    int status;                     /* -1 any, else enum lb_case_status */
    const char *owner;              /* NULL any */
    lb_id company_id;               /* 0 any */
    lb_date opened_from, opened_to; /* LB_DATE_NONE = unbounded; Stockholm dates, inclusive */
};
/* Newest first when p->desc. */
int lb_case_list(lb_txn *t, const struct lb_case_filter *f, struct lb_page *p);

/* --- contacts ---------------------------------------------------------- */

/* rec: case_id, at (LB_TIME_NONE = now), channel, direction, summary,
 * minutes, logged_by. LB_ENOTFOUND for no such case. */
int lb_contact_log(lb_txn *t, const struct lb_ctx *c, struct lb_contact *rec);
int lb_contact_get(lb_txn *t, lb_id id, struct lb_contact *out);
/* A contact's stored bytes (lb_contact_decode reads them), valid until the
 * transaction ends. */
int lb_contact_raw(lb_txn *t, lb_id id, const void **buf, size_t *len);
int lb_contact_list_by_case(lb_txn *t, lb_id case_id, struct lb_page *p);

/* --- hand-offs --------------------------------------------------------- */

/* rec: case_id, unit, note, sent_by. Sets company_id, sent_at, status sent.
 * LB_ESTATE when the case is closed. (Unit validity is the caller's, against
 * configuration.) */
int lb_handoff_create(lb_txn *t, const struct lb_ctx *c, struct lb_handoff *rec);
int lb_handoff_get(lb_txn *t, lb_id id, struct lb_handoff *out);
/* sent -> acknowledged; LB_ESTATE otherwise. */
int lb_handoff_acknowledge(lb_txn *t, const struct lb_ctx *c, lb_id id, const char *reference,
                           struct lb_handoff *out);
/* sent|acknowledged -> decided; LB_ESTATE otherwise. */
int lb_handoff_decide(lb_txn *t, const struct lb_ctx *c, lb_id id, enum lb_decision decision,
                      const char *note, lb_time decided_at, struct lb_handoff *out);
/* sent|acknowledged -> withdrawn; LB_ESTATE otherwise. */
int lb_handoff_withdraw(lb_txn *t, const struct lb_ctx *c, lb_id id, const char *note,
                        struct lb_handoff *out);
/* Sets overdue once (event handoff.overdue); LB_ESTATE when already flagged
 * or no longer in status sent. */
int lb_handoff_flag_overdue(lb_txn *t, const struct lb_ctx *c, lb_id id, struct lb_handoff *out);

struct lb_handoff_filter {
    const char *const *units; /* NULL = any unit; else only these (a handler's units) */
    size_t nunits;
    unsigned statuses; /* 0 any, else a bit (1u << status) per enum lb_handoff_status wanted */
    int overdue;       /* -1 any, 0 not flagged, 1 flagged */
    lb_id case_id;     /* 0 any */
    lb_id company_id;  /* 0 any */
};
/* Newest first when p->desc. */
int lb_handoff_list(lb_txn *t, const struct lb_handoff_filter *f, struct lb_page *p);

/* --- follow-ups -------------------------------------------------------- */

/* rec: company_id, assignee, due, items (>= 1). Status scheduled. */
int lb_followup_create(lb_txn *t, const struct lb_ctx *c, struct lb_followup *rec);
int lb_followup_get(lb_txn *t, lb_id id, struct lb_followup *out);
/* Merges an item into a scheduled call; LB_ESTATE unless scheduled,
 * LB_EEXIST when the same case/hand-off item is already there. */
int lb_followup_add_item(lb_txn *t, const struct lb_ctx *c, lb_id id,
                         const struct lb_followup_item *item, struct lb_followup *out);
/* Records an attempt: status done|declined ends the call (answers and comment
 * kept); no_answer counts an attempt and reschedules `followup_retry_days`
 * working days after `today`, and the attempt number followup_max_attempts
 * makes it unreachable. LB_ESTATE unless scheduled. Answers are validated by
 * the caller. */
int lb_followup_record(lb_txn *t, const struct lb_ctx *c, lb_id id, enum lb_followup_status status,
                       const struct lb_answer *answers, uint32_t nanswers, const char *comment,
                       lb_date today, struct lb_followup *out);
/* The same with the answer's channel (phone, email, paper; the event carries
 * it): lb_followup_record is this with phone. */
int lb_followup_record_via(lb_txn *t, const struct lb_ctx *c, lb_id id,
                           enum lb_followup_status status, enum lb_answer_channel channel,
                           const struct lb_answer *answers, uint32_t nanswers, const char *comment,
                           lb_date today, struct lb_followup *out);
/* Corrects a recorded call's answers (issue 26): each of changes replaces the
 * answer to its item and question (LB_ANSWER_NULL: "vet ej"), others stay.
 * Only a call recorded done on today's Stockholm date (c->now), and not
 * answered by the company itself through the e-mail survey's form: LB_ESTATE
 * otherwise; LB_ESTALE when if_match (0: none) is not the version. Every
 * answer that changes is appended to the call's corrections (who, when,
 * before, after; LB_ETOOBIG past LB_FOLLOWUP_CORRECTIONS_MAX) and one
 * followup.corrected event is written; *changed false (no event, no new
 * version) when nothing changed. The caller validated the answers. */
int lb_followup_correct(lb_txn *t, const struct lb_ctx *c, lb_id id,
                        const struct lb_answer *changes, uint32_t nchanges, uint64_t if_match,
                        bool *changed, struct lb_followup *out);
/* Cancels (status cancelled) or reschedules (due) a scheduled call;
 * event followup.updated. LB_ESTATE unless scheduled. */
int lb_followup_cancel(lb_txn *t, const struct lb_ctx *c, lb_id id, struct lb_followup *out);
int lb_followup_reschedule(lb_txn *t, const struct lb_ctx *c, lb_id id, lb_date due,
                           struct lb_followup *out);

struct lb_followup_filter {
    int status;           /* -1 any */
    const char *assignee; /* NULL any */
    lb_date due_before;   /* LB_DATE_NONE any; else due <= due_before */
    lb_id company_id;     /* 0 any */
    lb_id case_id;        /* 0 any: calls with an item for this case */
};
int lb_followup_list(lb_txn *t, const struct lb_followup_filter *f, struct lb_page *p);

/* --- e-mail surveys (store_surveys.c, docs/surveys.md) ------------------ */

/* Tokens are bookkeeping, like sessions: stored under the token's hash, no
 * event. get: LB_ENOTFOUND. */
int lb_survey_token_put(lb_txn *t, const struct lb_survey_token *rec);
int lb_survey_token_get(lb_txn *t, const uint8_t token_hash[32], struct lb_survey_token *out);

/* The worker is about to mail survey `reminder` (0 the first, 1.. the
 * reminders) of a follow-up, with the token whose hash it gives. */
struct lb_survey_issue {
    lb_id followup_id;
    uint32_t reminder;
    uint8_t token_hash[32];
    lb_date call_from; /* the first mail: the day the call goes on the list */
    lb_time valid_ms;  /* the first mail: how long the link works */
};
enum lb_survey_verdict {
    LB_SURVEY_SEND,         /* mail it (to contacts[*contact] of the company) */
    LB_SURVEY_CLOSED,       /* the call is no longer scheduled, or the survey ended */
    LB_SURVEY_PHONE,        /* the lots has started calling: no mail */
    LB_SURVEY_NO_RECIPIENT, /* no contact person may be mailed */
    LB_SURVEY_LATE,         /* a reminder on or after the day the call is due */
};
/* Decides and records it: the first mail registers the token, moves the
 * call's due date to call_from and appends survey.sent; a reminder counts
 * itself and appends survey.sent. Asking again for what was recorded changes
 * nothing and appends nothing (a worker's repeat after a crash), but registers
 * a token hash not seen before. On LB_SURVEY_SEND *fu and *co hold the call
 * and its company and *contact the recipient's index. LB_ENOTFOUND for no
 * such follow-up. */
int lb_survey_issue(lb_txn *t, const struct lb_ctx *c, const struct lb_survey_issue *in,
                    enum lb_survey_verdict *verdict, struct lb_followup *fu, struct lb_company *co,
                    uint32_t *contact);
/* The mail server refused the survey's address for good: the address is
 * marked bounced, the survey ends and the call is due today at the latest;
 * survey.bounced. Nothing changes (and *changed is false) unless the survey
 * is waiting for its answer. */
int lb_survey_bounce(lb_txn *t, const struct lb_ctx *c, lb_id followup_id, bool *changed);
/* An answer through the public form: the follow-up is recorded done with
 * channel email (survey.answered). LB_ENOTFOUND for an unknown or expired
 * token, LB_ESTATE when the call is no longer scheduled (*out then holds it,
 * so the caller can tell answered from ended). Answers validated by the
 * caller. */
int lb_survey_answer(lb_txn *t, const struct lb_ctx *c, const uint8_t token_hash[32],
                     const struct lb_answer *answers, uint32_t nanswers, const char *comment,
                     struct lb_followup *out);
/* The recipient asks for no more e-mail surveys: the contact person is
 * marked, a survey still waiting ends and its call is due today at the
 * latest; survey.opted_out. Works with an expired token too. LB_ENOTFOUND for
 * an unknown token; *changed false when it was recorded already. */
int lb_survey_opt_out(lb_txn *t, const struct lb_ctx *c, const uint8_t token_hash[32],
                      bool *changed);

/* --- improvement actions ----------------------------------------------- */

int lb_improvement_create(lb_txn *t, const struct lb_ctx *c, struct lb_improvement *rec);
int lb_improvement_get(lb_txn *t, lb_id id, struct lb_improvement *out);
/* Editable: unit, title, description, followup_id, status (implemented_at
 * set when it becomes implemented). */
int lb_improvement_update(lb_txn *t, const struct lb_ctx *c, struct lb_improvement *rec,
                          uint64_t if_match);
int lb_improvement_list(lb_txn *t, struct lb_page *p);
struct lb_improvement_filter {
    int status;               /* -1 any, else enum lb_improvement_status */
    const char *const *units; /* NULL = any; else only actions of these units (a handler's) */
    size_t nunits;
};
/* Those f accepts, filtered before the page is cut; newest first when p->desc. */
int lb_improvement_list_filtered(lb_txn *t, const struct lb_improvement_filter *f,
                                 struct lb_page *p);

/* --- meetings (store_meetings.c, docs/meetings.md) --------------------- */

struct lb_meeting_tally;
/* The evaluation link's expiry for a meeting starting at starts_at. */
lb_time lb_meeting_eval_expiry(lb_time starts_at);
/* rec carries kind, title, starts_at, the optional fields, eval_token and
 * eval_hash (a fresh token); attendance is set by lb_meeting_attendance.
 * Registers the link (a survey token of kind meeting); meeting.created. */
int lb_meeting_create(lb_txn *t, const struct lb_ctx *c, struct lb_meeting *rec);
int lb_meeting_get(lb_txn *t, lb_id id, struct lb_meeting *out);
/* Replaces kind, title, starts_at, place, unit, actions, notes and items
 * (rec is replaced by the stored meeting); the link moves with starts_at.
 * meeting.updated. */
int lb_meeting_update(lb_txn *t, const struct lb_ctx *c, struct lb_meeting *rec, uint64_t if_match);
/* Replaces the attendance. LB_ENOTFOUND with *unknown_company set for a
 * company not in the register; LB_EINVAL for a company given twice, 0
 * persons or an empty unit. meeting.attendance; out (may be NULL) receives
 * the stored meeting. */
int lb_meeting_attendance(lb_txn *t, const struct lb_ctx *c, lb_id id,
                          const struct lb_meeting_company *companies, uint32_t ncompanies,
                          const struct lb_meeting_staff *staff, uint32_t nstaff, uint64_t if_match,
                          struct lb_meeting *out, lb_id *unknown_company);
int lb_meeting_list(lb_txn *t, struct lb_page *p);
/* The meetings a company attended, in id order. */
int lb_meeting_list_company(lb_txn *t, lb_id company_id, struct lb_page *p);
/* A staff-typed or form evaluation of rec->meeting_id (LB_ENOTFOUND);
 * LB_EINVAL for values out of range or an unknown company_id.
 * meeting.evaluated. */
int lb_meeting_evaluate(lb_txn *t, const struct lb_ctx *c, struct lb_meeting_eval *rec);
/* An evaluation through the meeting's link (token hash): LB_ENOTFOUND for an
 * unknown, expired or other kind of token. */
int lb_meeting_answer(lb_txn *t, const struct lb_ctx *c, const uint8_t token_hash[32],
                      struct lb_meeting_eval *rec);
int lb_meeting_eval_get(lb_txn *t, lb_id id, struct lb_meeting_eval *out);
int lb_meeting_eval_list(lb_txn *t, lb_id meeting_id, struct lb_page *p);
/* The paper evaluations that name a company. */
int lb_meeting_eval_list_company(lb_txn *t, lb_id company_id, struct lb_page *p);
/* The tally of every evaluation of a meeting. */
int lb_meeting_eval_summary(lb_txn *t, lb_id meeting_id, struct lb_meeting_tally *out);

/* --- users and sessions ------------------------------------------------ */

int lb_user_create(lb_txn *t, const struct lb_ctx *c, struct lb_user *rec); /* LB_EEXIST */
int lb_user_get(lb_txn *t, const char *username, struct lb_user *out);
int lb_user_get_id(lb_txn *t, lb_id id, struct lb_user *out);
/* Replaces role, units, disabled, password_hash (password_changed_at set by
 * the caller when it changes). Event user.updated (no hash in it). */
int lb_user_update(lb_txn *t, const struct lb_ctx *c, struct lb_user *rec, uint64_t if_match);
int lb_user_list(lb_txn *t, struct lb_page *p);

int lb_session_put(lb_txn *t, const struct lb_session *s);
int lb_session_get(lb_txn *t, const uint8_t token_hash[32], struct lb_session *out);
int lb_session_delete(lb_txn *t, const uint8_t token_hash[32]);
/* Deletes every session of a user (disabled, password changed). */
int lb_session_delete_user(lb_txn *t, const char *username);
/* Keeps at most `keep` sessions of a user: deletes its expired ones (at now),
 * then its oldest beyond keep; the session keep_hash is never deleted. O(all
 * sessions), like lb_session_delete_user. */
int lb_session_trim_user(lb_txn *t, const char *username, size_t keep, const uint8_t keep_hash[32],
                         lb_time now);
/* A number that changes in every transaction writing a user or a session
 * (the five functions above that write): a cache of authenticated sessions
 * is current in a snapshot iff the number read in it is the one it was
 * filled under. 0 before the first such write. */
int lb_auth_generation(lb_txn *t, uint64_t *gen);

/* --- idempotency keys (per user) ---------------------------------------- */

/* Stored answers (core/store/store_idempotency.c). Each is filed by age
 * (per class), by the event of a service key "ev-<seq>-...", and under every
 * company it describes, so expiry and anonymisation find it without a scan. */

#define LB_IDEM_USER_MS_DEFAULT ((lb_time)24 * 3600 * 1000)
#define LB_IDEM_SERVICE_MS_DEFAULT ((lb_time)90 * 24 * 3600 * 1000)

/* The answer stored under (username, key); LB_ENOTFOUND when there is none
 * or when it has expired at `now` (a user's after idem_user_ms, the
 * service's after idem_service_ms). */
int lb_idempotency_get(lb_txn *t, const char *username, const char *key, lb_time now,
                       struct lb_idempotency *out);
/* Stores rec (its cls and companies; seq is taken from a service key
 * "ev-<seq>-...") under (username, key), replacing an earlier answer and its
 * index entries. LB_EINVAL for an empty or over-long key, LB_ETOOBIG for more
 * than LB_IDEM_COMPANIES_MAX companies. */
int lb_idempotency_put(lb_txn *t, const char *username, const char *key,
                       const struct lb_idempotency *rec);
/* Deletes at most `limit` expired answers, oldest first: users' older than
 * idem_user_ms, the service's older than idem_service_ms or of an event at or
 * below the worker's reported cursor. *purged counts them; *more (may be
 * NULL) says whether the limit was reached (more may be due). */
int lb_idempotency_purge(lb_txn *t, lb_time now, size_t limit, size_t *purged, bool *more);
/* Deletes every stored answer filed under company (called by
 * lb_company_anonymize, in its transaction), except the service's answers of
 * events the worker's cursor has not passed yet: the worker may still repeat
 * those requests, and they hold no personal data (docs/privacy.md). */
int lb_idempotency_forget_company(lb_txn *t, lb_id company, size_t *deleted);
/* Files answers stored before the index existed (an upgraded data
 * directory): each by its age and its user's role. Once; a no-op after. */
int lb_idempotency_upgrade(lb_store *s, size_t *filed);
/* The worker's reported cursor: every event up to it is applied in the
 * worker's state. Kept as the largest reported (0 when never reported). */
int lb_worker_cursor_get(lb_txn *t, uint64_t *seq);
int lb_worker_cursor_put(lb_txn *t, uint64_t seq);
/* Anonymisations since the data directory was last compacted (lotsd
 * compact): their text may remain in free pages of data.mdb until then. */
int lb_anonymized_since_compaction(lb_txn *t, uint64_t *n);
/* Sets that count to 0 (lotsd compact, on its copy before the swap). */
int lb_store_compacted(lb_store *s);

/* --- indicator snapshots ------------------------------------------------ */

/* Creates or replaces the snapshot of a period ("2026-Q1" or "2026": rec->quarter),
 * its live and (optional) published document; event indicators.updated with
 * "quarter" or "year". LB_EINVAL for another period string. */
int lb_snapshot_put(lb_txn *t, const struct lb_ctx *c, struct lb_snapshot *rec);
int lb_snapshot_get(lb_txn *t, const char *quarter, struct lb_snapshot *out);
/* --- the action plan (plan.h, docs/plan.md) ----------------------------- */

/* The records keep their documents as JSON text; validation is the caller's
 * (core/domain/plan.c), so these check only what their indexes need. */

/* Creates or replaces the plan's header (one record, id 1): event
 * plan.updated, unless rec->json equals the stored text (then nothing is
 * written and *changed is false). Updates rec->meta. */
int lb_plan_header_put(lb_txn *t, const struct lb_ctx *c, struct lb_plan_header *rec,
                       bool *changed);
int lb_plan_header_get(lb_txn *t, struct lb_plan_header *out); /* LB_ENOTFOUND: none loaded */

/* rec: code, area, json. LB_EEXIST when the code is taken. Event
 * plan.action.created. */
int lb_plan_action_create(lb_txn *t, const struct lb_ctx *c, struct lb_plan_action *rec);
int lb_plan_action_get(lb_txn *t, lb_id id, struct lb_plan_action *out);
int lb_plan_action_by_code(lb_txn *t, const char *code, struct lb_plan_action *out);
/* Replaces the document of action rec->code (the code never changes; the
 * area may); if_match as for every update. Event plan.action.updated. */
int lb_plan_action_update(lb_txn *t, const struct lb_ctx *c, struct lb_plan_action *rec,
                          uint64_t if_match);
int lb_plan_action_list(lb_txn *t, struct lb_page *p); /* creation order */

/* Creates or replaces the follow-up of (rec->code, rec->year); if_match 0 is
 * unconditional, else LB_ESTALE unless it is the stored version (a follow-up
 * not yet written has none). LB_ENOTFOUND when no action has the code. Event
 * plan.followup.updated (the status and the number of values in its data).
 * Updates rec->meta. */
int lb_plan_followup_put(lb_txn *t, const struct lb_ctx *c, struct lb_plan_followup *rec,
                         uint64_t if_match);
int lb_plan_followup_get(lb_txn *t, const char *code, int year, struct lb_plan_followup *out);
int lb_plan_followup_get_id(lb_txn *t, lb_id id, struct lb_plan_followup *out);
int lb_plan_followup_list(lb_txn *t, struct lb_page *p); /* every action's, creation order */

/* What lb_plan_load did. */
struct lb_plan_load_stats {
    size_t created, updated, unchanged;
    bool header_changed;
};
/* Loads a checked plan file (lb_plan_check_file: the header and its actions)
 * in t: the header replaced, each action created or, when its code exists,
 * updated with lb_plan_merge_reload's document; an action whose document is
 * already the stored one is not written, so loading the same file twice
 * appends no event. Actions in the store but not in the file stay. */
int lb_plan_load(lb_txn *t, const struct lb_ctx *c, const json_t *header, const json_t *actions,
                 struct lb_plan_load_stats *st);

/* --- search ------------------------------------------------------------ */

/* The search index (store_search.c, docs/search.md): one LMDB sub-database
 * "search", key = type byte, folded word, NUL, field byte; its MDB_DUPFIXED
 * values are the postings, 12 bytes each: the record's created_at in
 * milliseconds (big-endian, 48 bits) and its id (big-endian, 48 bits), so a
 * list runs oldest to newest. Written by lb__put for every record type listed
 * in store_search.c, in the same transaction as the record. */
enum lb_search_type {
    LB_SEARCH_COMPANY = 1,
    LB_SEARCH_CASE = 2,
    LB_SEARCH_CONTACT = 3,
    LB_SEARCH_HANDOFF = 4,
    LB_SEARCH_TYPES /* one past the last */
};
#define LB_SEARCH_ALL (((1u << LB_SEARCH_TYPES) - 1) & ~1u)
/* "company", "case", "contact", "handoff"; NULL for another value. */
const char *lb_search_type_name(int type);
/* The type named s, or 0. */
int lb_search_type_parse(const char *s);
/* The name of a type's field (1-based: "name", "summary", ...); NULL when none. */
const char *lb_search_field_name(int type, unsigned field);

/* Where a hit stands in recency order: newest first by created_at, then
 * type, then id. */
struct lb_search_pos {
    lb_time created_at;
    uint8_t type;
    lb_id id;
};
/* Where a page starts: offset hits into the window that begins after start
 * (the first window when !windowed). */
struct lb_search_cursor {
    bool windowed;
    struct lb_search_pos start;
    uint32_t offset;
};
struct lb_search_hit {
    struct lb_search_pos pos;
    unsigned fields; /* bit f-1 for each field f matched */
    unsigned score;  /* fields matched */
};
/* Hits are ranked by score, then recency, within windows of
 * LB_SEARCH_WINDOW hits in recency order (docs/search.md). */
#define LB_SEARCH_WINDOW 1000
#define LB_SEARCH_PAGE_MAX 100
struct lb_search_req {
    const struct lb_query *q;
    unsigned types; /* bits (1 << type); 0 = all */
    size_t limit;   /* 1..LB_SEARCH_PAGE_MAX */
    struct lb_search_cursor after;
    /* Data scoping: 1 when the caller may see the record, 0 when not, < 0
     * an error. NULL: everything. */
    int (*visible)(lb_txn *t, int type, lb_id id, void *arg);
    void *visible_arg;
    /* What the query touched, added to when not NULL (bench_search_query). */
    struct lb_search_stats *stats;
};
struct lb_search_stats {
    uint64_t lists;    /* (word, field) lists opened */
    uint64_t seeks;    /* cursor positionings by key (MDB_SET_KEY, GET_BOTH_RANGE, ...) */
    uint64_t postings; /* postings read */
    uint64_t hits;     /* intersection hits collected before ranking */
};
struct lb_search_res {
    struct lb_search_hit hits[LB_SEARCH_PAGE_MAX];
    size_t count;
    bool more; /* next is where the following page starts */
    struct lb_search_cursor next;
};
/* Runs a query in a read transaction. A query without words finds nothing.
 * LB_EBUSY when the index is not built (lb_search_ready). */
int lb_search(lb_txn *t, const struct lb_search_req *rq, struct lb_search_res *out);
/* Whether the index is complete (built at create or by lb_search_reindex). */
int lb_search_ready(lb_txn *t, bool *ready);
/* Rebuilds the index from the records, in transactions of a few thousand
 * records each, then marks it complete. progress (may be NULL) is called
 * after each type with its name and the records indexed. */
int lb_search_reindex(lb_store *s, void (*progress)(const char *type, uint64_t n, void *arg),
                      void *arg);
/* Bytes of text indexed and of the index's pages, for the benchmarks. */
int lb_search_sizes(lb_txn *t, uint64_t *text_bytes, uint64_t *index_bytes, uint64_t *postings);

/* --- the outbox -------------------------------------------------------- */

/* Appends one event (seq = last + 1, at = c->now, actor = c->actor) with
 * `data` the msgpack bytes of a map. Used by the domain operations; exposed
 * for operations built elsewhere. *seq receives the sequence number. */
int lb_outbox_append(lb_txn *t, const struct lb_ctx *c, const char *type, lb_id id,
                     const void *data, size_t data_len, uint64_t *seq);

/* Calls fn for each stored envelope (the exact msgpack bytes published) with
 * seq > after, in order, at most limit of them. Stops early when fn returns
 * non-zero and returns that value. */
int lb_outbox_read(lb_txn *t, uint64_t after, size_t limit,
                   int (*fn)(uint64_t seq, const void *env, size_t len, void *arg), void *arg);

#endif
