/* worker_main.c: lots-worker, the follow-up scheduler.
 *
 *   lots-worker --data DIR --server URL --token-file FILE --sub ENDPOINT --replay ENDPOINT
 *               [--followup-days 10] [--merge-window-days 30] [--overdue-days 2]
 *               [--replay-limit 10000] [--heartbeat-ms 2000] [--overdue-interval-ms 60000]
 *               [--retention-months 36] [--retention-interval-ms 86400000] [--verbose]
 *               [--smtp-url URL --smtp-from ADDR --public-base URL [--smtp-credentials FILE]
 *                [--survey-reminders 3] [--survey-reminder-days 3] [--survey-fallback-days 3]
 *                [--survey-interval-ms 60000] [--survey-batch 32]]
 *
 * The loop: subscribe first (so nothing published from now on is missed),
 * then replay from the cursor in pages until a page comes back short (caught
 * up), then follow the live stream, dropping what was already applied. A gap
 * in the sequence, or silence longer than the heartbeat interval, sends the
 * worker back to replay (a replay that finds nothing is one small request).
 * Applied events are committed in batches: one worker transaction per replay
 * page or per burst of live messages, holding the state changes and the new
 * cursor; effects inside a batch are made (and acknowledged by lotsd) before
 * the commit, so a crash loses at most the batch, whose replay repeats the
 * same idempotent requests. The overdue check runs once caught up at start
 * and then every --overdue-interval-ms; the retention run (retention.c) the
 * same way every --retention-interval-ms, and with --smtp-url the survey
 * mailer (mailer.c) every --survey-interval-ms, at once again while more is
 * due.
 *
 * SIGTERM/SIGINT set a flag: the current event is finished (or, when its
 * effect cannot be made because lotsd is away, rolled back), the batch is
 * committed, and the worker exits 0. See docs/worker.md. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>
#include <sodium.h>

#include "effects.h"
#include "envelope.h"
#include "indicators.h"
#include "lotsbok/error.h"
#include "lotsbok/followup_rules.h"
#include "lotsbok/timeutil.h"
#include "mailer.h"
#include "retention.h"
#include "scheduler.h"
#include "state.h"
#include "subscriber.h"
#include "wlog.h"

#define LIVE_BURST 10000 /* live messages applied per transaction at most */

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

struct options {
    const char *data, *server, *token_file, *sub, *replay;
    struct lb_fr_config rules;
    uint32_t replay_limit;
    int heartbeat_ms;
    int overdue_interval_ms;
    int retention_months;
    int retention_interval_ms;
    int replay_timeout_ms;
    int verbose;
    int indicators_debounce_ms;
    int no_indicators;        /* --no-indicators: neither rebuild nor write them */
    struct lb_ind_config ind; /* --units, --skr-areas, --min-answers */
    const char *curve_keys;   /* --curve-keys DIR: server.pub and worker.key */
    struct lb_mailer_config mail; /* the e-mail survey (docs/surveys.md) */
    int survey_interval_ms;
};

struct worker {
    struct options opt;
    lb_wstate *st;
    lb_wsub *sub;
    lb_effects *fx;
    struct lb_sched sched;
    struct lb_retention ret;
    struct lb_mailer mailer;
    struct lb_wind ind;
    uint64_t cursor; /* last seq committed */
    msgpack_zone zone;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
    fputs("usage: lots-worker --data DIR --server URL --token-file FILE --sub ENDPOINT\n"
          "                   --replay ENDPOINT [--followup-days N] [--merge-window-days N]\n"
          "                   [--overdue-days N] [--replay-limit N] [--heartbeat-ms MS]\n"
          "                   [--overdue-interval-ms MS] [--retention-months N]\n"
          "                   [--retention-interval-ms MS] [--indicators-debounce-ms MS]\n"
          "                   [--units SPEC] [--skr-areas SPEC] [--min-answers N]\n"
          "                   [--no-indicators] [--curve-keys DIR] [--verbose]\n"
          "                   [--smtp-url smtp://HOST:587|smtps://HOST:465 --smtp-from ADDR\n"
          "                    --public-base URL [--smtp-credentials FILE] [--survey-reminders N]\n"
          "                    [--survey-reminder-days N] [--survey-fallback-days N]\n"
          "                    [--survey-interval-ms MS] [--survey-batch N] [--survey-retry-ms MS]]\n"
          "       lots-worker recompute --help   (rebuild and rewrite stored indicator snapshots)\n"
          "\n"
          "Schedules follow-up calls, flags overdue hand-offs, runs retention and keeps\n"
          "the indicator snapshots up to date (docs/worker.md, docs/indicators.md).\n"
          "With --smtp-url it mails each call as an e-mail survey first (docs/surveys.md);\n"
          "without it every follow-up is a phone call.\n",
          f);
}

static bool parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    lb_fr_config_default(&o->rules);
    o->replay_limit = 10000;
    o->heartbeat_ms = 2000;
    o->overdue_interval_ms = 60000;
    o->replay_timeout_ms = 5000;
    o->retention_months = LB_RETENTION_MONTHS_DEFAULT;
    o->retention_interval_ms = 24 * 3600 * 1000;
    o->indicators_debounce_ms = 2000;
    lb_ind_config_default(&o->ind);
    lb_survey_schedule_default(&o->mail.sched);
    o->mail.batch = LB_MAILER_BATCH_DEFAULT;
    o->survey_interval_ms = 60000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int io = lb_wind_option(argc, argv, &i, &o->ind);
        if (io < 0)
            return LB_EINVAL;
        if (io > 0)
            continue;
        if (strcmp(a, "--no-indicators") == 0) {
            o->no_indicators = 1;
            continue;
        }
        if (strcmp(a, "--verbose") == 0) {
            o->verbose = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "lots-worker: %s needs a value\n", a);
            return LB_EINVAL;
        }
        const char *v = argv[++i];
        long n = 0;
        if (strcmp(a, "--data") == 0)
            o->data = v;
        else if (strcmp(a, "--server") == 0)
            o->server = v;
        else if (strcmp(a, "--token-file") == 0)
            o->token_file = v;
        else if (strcmp(a, "--sub") == 0)
            o->sub = v;
        else if (strcmp(a, "--replay") == 0)
            o->replay = v;
        else if (strcmp(a, "--followup-days") == 0 && parse_int(v, 0, 365, &n))
            o->rules.followup_days = (int)n;
        else if (strcmp(a, "--merge-window-days") == 0 && parse_int(v, 0, 365, &n))
            o->rules.merge_window_days = (int)n;
        else if (strcmp(a, "--overdue-days") == 0 && parse_int(v, 0, 365, &n))
            o->rules.overdue_days = (int)n;
        else if (strcmp(a, "--replay-limit") == 0 && parse_int(v, 1, 10000, &n))
            o->replay_limit = (uint32_t)n;
        else if (strcmp(a, "--heartbeat-ms") == 0 && parse_int(v, 10, 3600000, &n))
            o->heartbeat_ms = (int)n;
        else if (strcmp(a, "--overdue-interval-ms") == 0 && parse_int(v, 10, 86400000, &n))
            o->overdue_interval_ms = (int)n;
        else if (strcmp(a, "--retention-months") == 0 && parse_int(v, 1, 1200, &n))
            o->retention_months = (int)n;
        else if (strcmp(a, "--retention-interval-ms") == 0 && parse_int(v, 10, 86400000, &n))
            o->retention_interval_ms = (int)n;
        else if (strcmp(a, "--indicators-debounce-ms") == 0 && parse_int(v, 0, 3600000, &n))
            o->indicators_debounce_ms = (int)n;
        else if (strcmp(a, "--curve-keys") == 0)
            o->curve_keys = v;
        else if (strcmp(a, "--smtp-url") == 0)
            o->mail.smtp_url = v;
        else if (strcmp(a, "--smtp-from") == 0)
            o->mail.smtp_from = v;
        else if (strcmp(a, "--smtp-credentials") == 0)
            o->mail.smtp_credentials = v;
        else if (strcmp(a, "--public-base") == 0)
            o->mail.public_base = v;
        else if (strcmp(a, "--survey-reminders") == 0 && parse_int(v, 0, 3, &n))
            o->mail.sched.reminders = (int)n;
        else if (strcmp(a, "--survey-reminder-days") == 0 && parse_int(v, 1, 60, &n))
            o->mail.sched.reminder_days = (int)n;
        else if (strcmp(a, "--survey-fallback-days") == 0 && parse_int(v, 1, 60, &n))
            o->mail.sched.fallback_days = (int)n;
        else if (strcmp(a, "--survey-interval-ms") == 0 && parse_int(v, 10, 86400000, &n))
            o->survey_interval_ms = (int)n;
        else if (strcmp(a, "--survey-batch") == 0 && parse_int(v, 1, 100, &n))
            o->mail.batch = (int)n;
        else if (strcmp(a, "--survey-retry-ms") == 0 && parse_int(v, 10, 3600000, &n))
            o->mail.retry_ms = (int)n;
        else {
            fprintf(stderr, "lots-worker: bad option or value: %s %s\n", a, v);
            return LB_EINVAL;
        }
    }
    if (!o->data || !o->server || !o->token_file || !o->sub || !o->replay) {
        usage(stderr);
        return LB_EINVAL;
    }
    if (o->mail.smtp_url && (!o->mail.smtp_from || !o->mail.public_base)) {
        fprintf(stderr, "lots-worker: --smtp-url needs --smtp-from and --public-base\n");
        return LB_EINVAL;
    }
    return lb_fr_config_check(&o->rules);
}

/* Reads the token: the file's first line, surrounding white space removed. */
static int read_token(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return LB_ENOTFOUND;
    char *ok = fgets(buf, (int)len, f);
    fclose(f);
    if (ok == NULL)
        return LB_EINVAL;
    size_t n = strlen(buf);
    while (n > 0 &&
           (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    size_t start = strspn(buf, " \t");
    memmove(buf, buf + start, n - start + 1);
    return buf[0] != '\0' ? 0 : LB_EINVAL;
}

/* One batch: state changes of consecutive events and the cursor, committed
 * together. */
struct batch {
    MDB_txn *txn;
    uint64_t cursor; /* last seq applied inside the batch */
    uint64_t applied;
    bool gap;     /* an event after a missing one was seen */
    bool stopped; /* an effect was interrupted by the stop flag */
};

static int batch_begin(struct worker *w, struct batch *b)
{
    memset(b, 0, sizeof *b);
    b->cursor = w->cursor;
    return lb_wstate_begin(w->st, true, &b->txn);
}

/* Commits; on failure the in-memory cursor stays where the disk is. */
static int batch_commit(struct worker *w, struct batch *b)
{
    int rc = 0;
    if (b->cursor != w->cursor)
        rc = lb_wstate_cursor_put(w->st, b->txn, b->cursor);
    if (rc != 0) {
        lb_wstate_abort(b->txn);
        b->txn = NULL;
        return rc;
    }
    rc = lb_wstate_commit(b->txn);
    b->txn = NULL;
    if (rc == 0)
        w->cursor = b->cursor;
    return rc;
}

/* Applies one envelope object in the batch. 0 applied or skipped; an error
 * aborts the batch (storage failure). */
static int batch_apply(struct worker *w, struct batch *b, const msgpack_object *o)
{
    struct lb_wev ev;
    if (b->gap || b->stopped)
        return 0;
    if (lb_wev_from_object(o, &ev) != 0) {
        lb_wlog("warn", "malformed envelope skipped", "after=%" PRIu64, b->cursor);
        return 0;
    }
    if (ev.seq <= b->cursor)
        return 0; /* already applied */
    if (ev.seq != b->cursor + 1) {
        b->gap = true;
        return 0;
    }
    /* In memory only, and it ignores what it was fed already (indicators.h). */
    int rc = lb_wind_feed(&w->ind, &ev, mono_ms());
    if (rc != 0)
        return rc;
    if (lb_sched_has_effect(&ev)) {
        MDB_txn *nested;
        rc = lb_wstate_begin_nested(w->st, b->txn, &nested);
        if (rc != 0)
            return rc;
        rc = lb_sched_apply(&w->sched, nested, &ev);
        if (rc == 0) {
            rc = lb_wstate_commit(nested);
        } else {
            lb_wstate_abort(nested);
            if (rc == LB_EBUSY) {
                b->stopped = true;
                return 0;
            }
        }
    } else {
        rc = lb_sched_apply(&w->sched, b->txn, &ev);
    }
    if (rc == 0)
        rc = lb_retention_apply(&w->ret, b->txn, &ev);
    if (rc == 0)
        rc = lb_mailer_apply(&w->mailer, b->txn, &ev);
    if (rc != 0)
        return rc;
    b->cursor = ev.seq;
    b->applied++;
    return 0;
}

/* Ends a batch that failed: grows the map when it was full. The events are
 * applied again from the cursor by replay. */
static int batch_fail(struct worker *w, struct batch *b, int rc)
{
    if (b->txn != NULL)
        lb_wstate_abort(b->txn);
    b->txn = NULL;
    if (rc == LB_EMAPFULL) {
        int g = lb_wstate_grow(w->st);
        if (g == 0) {
            lb_wlog("info", "state map grown", NULL);
            return 0;
        }
        rc = g;
    }
    lb_wlog("error", "cannot write the worker state", "error=\"%s\"", lb_strerror(rc));
    return rc;
}

/* One replay page. *caught_up when the page was short. LB_EBUSY when the
 * replay did not answer (lotsd away). */
static int replay_page(struct worker *w, bool *caught_up, uint64_t *applied)
{
    const void *buf;
    size_t len;
    *caught_up = false;
    *applied = 0;
    int rc = lb_wsub_replay(w->sub, w->cursor, w->opt.replay_limit, w->opt.replay_timeout_ms, &buf,
                            &len);
    if (rc != 0)
        return rc == LB_ECORRUPT ? LB_EBUSY : rc;
    msgpack_object arr;
    msgpack_zone_clear(&w->zone);
    rc = lb_mp_unpack(buf, len, &w->zone, &arr);
    if (rc != 0 || arr.type != MSGPACK_OBJECT_ARRAY) {
        lb_wlog("error", "malformed replay answer", "after=%" PRIu64, w->cursor);
        return LB_EBUSY;
    }
    struct batch b;
    rc = batch_begin(w, &b);
    if (rc != 0)
        return batch_fail(w, &b, rc) == 0 ? LB_EBUSY : rc;
    for (uint32_t i = 0; i < arr.via.array.size && rc == 0; i++)
        rc = batch_apply(w, &b, &arr.via.array.ptr[i]);
    if (rc == 0)
        rc = batch_commit(w, &b);
    if (rc != 0)
        return batch_fail(w, &b, rc) == 0 ? LB_EBUSY : rc;
    *applied = b.applied;
    *caught_up = arr.via.array.size < w->opt.replay_limit && !b.stopped && !b.gap;
    return 0;
}

/* Replays until caught up; LB_EBUSY when stopped. */
static int catch_up(struct worker *w)
{
    int64_t t0 = mono_ms();
    uint64_t total = 0, start = w->cursor;
    long backoff = 100;
    for (;;) {
        if (g_stop)
            return LB_EBUSY;
        bool done;
        uint64_t n;
        int rc = replay_page(w, &done, &n);
        if (rc == LB_EBUSY) {
            if (g_stop)
                return LB_EBUSY;
            lb_wlog("warn", "replay not answered; retrying", "after=%" PRIu64 " wait_ms=%ld",
                    w->cursor, backoff);
            struct timespec ts = {backoff / 1000, (backoff % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        if (rc != 0)
            return rc;
        backoff = 100;
        total += n;
        if (done)
            break;
    }
    if (total > 0) {
        int64_t ms = mono_ms() - t0;
        lb_wlog("info", "caught up",
                "from=%" PRIu64 " cursor=%" PRIu64 " events=%" PRIu64 " ms=%" PRId64 " rate=%.0f",
                start, w->cursor, total, ms, ms > 0 ? (double)total * 1000.0 / (double)ms : 0.0);
    }
    return 0;
}

/* Applies the queued live messages. *gap when one came after a missing seq. */
static int follow_live(struct worker *w, bool *gap)
{
    struct batch b;
    *gap = false;
    int rc = batch_begin(w, &b);
    if (rc != 0)
        return batch_fail(w, &b, rc);
    msgpack_zone_clear(&w->zone);
    for (int i = 0; i < LIVE_BURST && rc == 0 && !b.gap && !b.stopped; i++) {
        const void *buf;
        size_t len;
        int r = lb_wsub_next(w->sub, &buf, &len);
        if (r == LB_ENOTFOUND)
            break;
        msgpack_object o;
        if (r != 0 || lb_mp_unpack(buf, len, &w->zone, &o) != 0) {
            lb_wlog("warn", "malformed live message skipped", NULL);
            continue;
        }
        rc = batch_apply(w, &b, &o);
    }
    if (rc == 0)
        rc = batch_commit(w, &b);
    if (rc != 0) {
        *gap = true; /* replay from the cursor on disk */
        return batch_fail(w, &b, rc);
    }
    *gap = b.gap;
    return 0;
}

static int run_overdue(struct worker *w, bool first)
{
    uint64_t n = 0;
    lb_date today = lb_stockholm_date(lb_time_now());
    int rc = lb_sched_overdue(&w->sched, today, &n);
    if (rc != 0 && rc != LB_EBUSY)
        lb_wlog("error", "overdue check failed", "error=\"%s\"", lb_strerror(rc));
    else if (n > 0 || first)
        lb_wlog("info", "overdue check", "cursor=%" PRIu64 " flagged=%" PRIu64, w->cursor, n);
    return rc;
}

/* Reports the committed cursor to lotsd (PUT /worker/cursor), which then
 * deletes the stored answers of the events up to it (the worker will not
 * repeat those requests) and other expired ones, a batch per call; logs
 * when anonymised text waits in free pages for lotsd compact. */
static int report_cursor(struct worker *w)
{
    uint64_t purged = 0, anon = 0;
    int rc = 0;
    for (int round = 0; round < 100; round++) {
        json_t *body = json_pack("{s:I}", "seq", (json_int_t)w->cursor);
        if (!body)
            return LB_ENOMEM;
        long status = 0;
        json_t *resp = NULL;
        rc = lb_effects_try(w->fx, "PUT", "/api/v1/worker/cursor", body, &status, &resp);
        json_decref(body);
        bool more = false;
        if (rc == 0 && status == 200) {
            purged += (uint64_t)json_integer_value(json_object_get(resp, "purged"));
            anon =
                (uint64_t)json_integer_value(json_object_get(resp, "anonymized_since_compaction"));
            more = json_is_true(json_object_get(resp, "more"));
        } else if (rc == 0) {
            lb_wlog("warn", "cursor report refused", "status=%ld code=%s", status,
                    lb_effects_error_code(resp));
        }
        json_decref(resp);
        if (rc != 0 || !more)
            break;
    }
    if (rc == 0)
        lb_wlog("info", "cursor reported", "cursor=%" PRIu64 " purged=%" PRIu64, w->cursor, purged);
    if (rc == 0 && anon > 0)
        lb_wlog("warn", "compaction due: anonymised text remains in free pages of data.mdb",
                "anonymized_since_compaction=%" PRIu64 " run=\"lotsd compact --data DIR\"", anon);
    return rc;
}

static int run_retention(struct worker *w)
{
    uint64_t n = 0, held = 0;
    int rc = lb_retention_run(&w->ret, lb_time_now(), &n, &held);
    if (rc != 0 && rc != LB_EBUSY)
        lb_wlog("error", "retention run failed", "error=\"%s\"", lb_strerror(rc));
    else if (rc == 0)
        lb_wlog("info", "retention run",
                "cursor=%" PRIu64 " months=%d anonymized=%" PRIu64 " held=%" PRIu64, w->cursor,
                w->opt.retention_months, n, held);
    if (rc == 0) {
        int rc2 = report_cursor(w);
        if (rc2 != 0 && rc2 != LB_EBUSY)
            lb_wlog("warn", "cursor report failed; the next retention run repeats it",
                    "error=\"%s\"", lb_strerror(rc2));
        rc = rc2 == LB_EBUSY ? rc2 : 0;
    }
    return rc;
}

static int run_mailer(struct worker *w, int64_t *next)
{
    bool more = false;
    int rc = lb_mailer_run(&w->mailer, lb_time_now(), &more);
    if (rc != 0 && rc != LB_EBUSY)
        lb_wlog("error", "survey mailing failed", "error=\"%s\"", lb_strerror(rc));
    *next = mono_ms() + (more ? 0 : w->opt.survey_interval_ms);
    return rc;
}

static int run(struct worker *w)
{
    bool need_replay = true;
    int64_t last_heard = mono_ms(), next_overdue = 0, next_retention = 0;
    int64_t next_mail = w->mailer.smtp ? 0 : INT64_MAX;
    while (!g_stop) {
        if (need_replay) {
            int rc = catch_up(w);
            if (rc == LB_EBUSY)
                break;
            if (rc != 0)
                return rc;
            need_replay = false;
            last_heard = mono_ms();
        }
        int64_t now = mono_ms();
        if (now >= next_overdue) {
            int rc = run_overdue(w, next_overdue == 0);
            if (rc == LB_EBUSY)
                break;
            next_overdue = mono_ms() + w->opt.overdue_interval_ms;
            continue;
        }
        if (!w->opt.no_indicators && lb_wind_tick(&w->ind, now) == LB_ENOMEM)
            return LB_ENOMEM;
        if (lb_wind_due(&w->ind, now, w->opt.indicators_debounce_ms)) {
            if (lb_wind_write(&w->ind, w->fx) == LB_EBUSY)
                break;
            continue;
        }
        if (now >= next_retention) {
            int rc = run_retention(w);
            if (rc == LB_EBUSY)
                break;
            next_retention = mono_ms() + w->opt.retention_interval_ms;
            continue;
        }
        /* lotsd decides each mail on its own records (POST /surveys/issue),
         * so events not yet applied here cannot make a wrong mail. */
        if (now >= next_mail) {
            if (run_mailer(w, &next_mail) == LB_EBUSY)
                break;
            continue;
        }
        int64_t wait = last_heard + w->opt.heartbeat_ms - now;
        if (next_overdue - now < wait)
            wait = next_overdue - now;
        if (next_retention - now < wait)
            wait = next_retention - now;
        if (next_mail - now < wait)
            wait = next_mail - now;
        if (w->ind.min_dirty >= 0 &&
            w->ind.dirty_since_ms + w->opt.indicators_debounce_ms - now < wait)
            wait = w->ind.dirty_since_ms + w->opt.indicators_debounce_ms - now;
        if (wait < 0)
            wait = 0;
        int r = lb_wsub_wait(w->sub, (int)wait);
        if (r == LB_EBUSY)
            continue; /* a signal: the loop condition decides */
        if (r < 0)
            return r;
        if (r == 1) {
            bool gap;
            int rc = follow_live(w, &gap);
            if (rc != 0)
                return rc;
            last_heard = mono_ms();
            if (gap) {
                lb_wlog("info", "gap in the live stream; replaying", "cursor=%" PRIu64, w->cursor);
                need_replay = true;
            }
        } else if (mono_ms() - last_heard >= w->opt.heartbeat_ms) {
            need_replay = true; /* silence: ask whether anything was missed */
        }
    }
    return 0;
}

/* lots-worker recompute ...: reads the token, then indicators.c does the rest. */
static int recompute(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            lb_wind_recompute_usage(stdout);
            return 0;
        }
    }
    const char *file = NULL;
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], "--token-file") == 0)
            file = argv[i + 1];
    char token[512];
    if (!file || read_token(file, token, sizeof token) != 0) {
        fprintf(stderr, "lots-worker recompute: cannot read --token-file\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = lb_wind_recompute_main(argc, argv, token, &g_stop);
    memset(token, 0, sizeof token);
    return rc;
}

int main(int argc, char **argv)
{
    struct worker w;
    memset(&w, 0, sizeof w);
    if (argc > 1 && strcmp(argv[1], "recompute") == 0)
        return recompute(argc, argv);
    if (parse_args(argc, argv, &w.opt) != 0)
        return 2;
    lb_wlog_set_verbose(w.opt.verbose);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char token[512];
    int rc = read_token(w.opt.token_file, token, sizeof token);
    if (rc != 0) {
        lb_wlog("error", "cannot read the token file", "path=%s", w.opt.token_file);
        return 1;
    }
    if (!msgpack_zone_init(&w.zone, 1 << 20)) {
        lb_wlog("error", "out of memory", NULL);
        return 1;
    }
    rc = lb_wstate_open(w.opt.data, 0, &w.st);
    if (rc != 0) {
        lb_wlog("error", "cannot open the worker state", "dir=%s error=\"%s\"", w.opt.data,
                lb_strerror(rc));
        msgpack_zone_destroy(&w.zone);
        return 1;
    }
    MDB_txn *t;
    rc = lb_wstate_begin(w.st, false, &t);
    if (rc == 0) {
        rc = lb_wstate_cursor_get(w.st, t, &w.cursor);
        lb_wstate_abort(t);
    }
    if (rc == 0)
        rc = lb_effects_new(w.opt.server, token, &g_stop, &w.fx);
    if (rc == 0)
        rc = lb_retention_init(&w.ret, w.st, w.fx, w.opt.retention_months);
    if (rc == 0) {
        rc = lb_mailer_init(&w.mailer, w.st, w.fx, &w.opt.mail, &g_stop);
        if (rc != 0)
            lb_wlog("error", "cannot set up the survey mailer",
                    "error=\"%s\" hint=\"check --smtp-url, --smtp-from and that the "
                    "credentials file is mode 0600\"",
                    lb_strerror(rc));
    }
    struct lb_curve_client curve;
    if (rc == 0 && w.opt.curve_keys) {
        char why[512];
        rc = lb_curve_client_load(w.opt.curve_keys, "worker", &curve, why, sizeof why);
        if (rc != 0)
            lb_wlog("error", "cannot read the CURVE keys", "dir=%s error=\"%s\"", w.opt.curve_keys,
                    why);
    }
    if (rc == 0)
        rc = lb_wsub_open(w.opt.sub, w.opt.replay, w.opt.curve_keys ? &curve : NULL, &w.sub);
    if (w.opt.curve_keys)
        sodium_memzero(&curve, sizeof curve);
    memset(token, 0, sizeof token);
    /* The indicators are rebuilt from the whole log at every start (docs/indicators.md). */
    if (rc == 0)
        rc = lb_wind_init(&w.ind, &w.opt.ind);
    if (rc == 0 && w.opt.no_indicators)
        w.ind.seq = UINT64_MAX; /* feeds nothing, so nothing is ever written */
    if (rc == 0 && !w.opt.no_indicators) {
        rc = lb_wind_rebuild(&w.ind, w.sub, w.opt.replay_limit, w.opt.replay_timeout_ms, &g_stop);
        if (rc == LB_EBUSY)
            rc = 0, g_stop = 1;
    }
    if (rc == 0) {
        w.sched = (struct lb_sched){.st = w.st, .fx = w.fx, .cfg = w.opt.rules};
        lb_wlog("info", "started",
                "cursor=%" PRIu64 " server=%s sub=%s replay=%s followup_days=%d "
                "merge_window_days=%d overdue_days=%d curve=%s surveys=%s",
                w.cursor, w.opt.server, w.opt.sub, w.opt.replay, w.opt.rules.followup_days,
                w.opt.rules.merge_window_days, w.opt.rules.overdue_days,
                w.opt.curve_keys ? "on" : "off", w.mailer.smtp ? "email" : "off");
        rc = run(&w);
    }
    lb_wlog(rc == 0 ? "info" : "error", "stopped",
            "cursor=%" PRIu64 " created=%" PRIu64 " merged=%" PRIu64 " cancelled=%" PRIu64
            " flagged=%" PRIu64 " skipped=%" PRIu64 " mails=%" PRIu64 " reminders=%" PRIu64
            " bounced=%" PRIu64 " resent=%" PRIu64 " error=\"%s\"",
            w.cursor, w.sched.created, w.sched.merged, w.sched.cancelled, w.sched.flagged,
            w.sched.skipped, w.mailer.sent, w.mailer.reminders, w.mailer.bounced, w.mailer.resent,
            rc == 0 ? "" : lb_strerror(rc));
    lb_mailer_free(&w.mailer);
    lb_wind_free(&w.ind);
    lb_wsub_close(w.sub);
    lb_effects_free(w.fx);
    lb_wstate_close(w.st);
    msgpack_zone_destroy(&w.zone);
    return rc == 0 ? 0 : 1;
}
