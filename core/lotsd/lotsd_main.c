/* lotsd_main.c: the lotsd program: init, serve, backup, check, admin-reset, demo, plan load.
 *
 *   lotsd init   --data DIR --admin NAME --password-file FILE
 *   lotsd admin-reset --data DIR --user NAME --password-file FILE
 *   lotsd serve  --data DIR [--listen 127.0.0.1:8080] [--pub tcp://127.0.0.1:7701]
 *                [--replay tcp://127.0.0.1:7702] [--web DIR] [--units SPEC]
 *                [--session-hours N] [--login-window SECONDS] [--curve-keys DIR]
 *                [--municipality NAME] [--survey-valid-days N] [--public-rate N]
 *                [--public-failures N] [--public-base URL] [--trust-proxy ADDR[,ADDR]]
 *                [--no-sync] [--quiet]
 *   lotsd backup --data DIR --to PATH
 *   lotsd check  --data DIR
 *   lotsd keygen --curve-keys DIR [--client NAME]
 *   lotsd demo   --data DIR --seed N [--today YYYY-MM-DD] [--companies N]
 *   lotsd plan load --data DIR [--units SPEC] FILE
 *
 * serve runs one libuv loop: the HTTP server (lb_http_server) hands requests
 * to the API (lb_api), whose group commit writes the store and publishes the
 * events (lb_publisher). SIGTERM or SIGINT stops accepting, lets requests in
 * flight finish and their batch commit, stops the publisher, closes the store
 * and exits 0. Logs are logfmt on stderr, buffered and flushed once per loop
 * iteration. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>
#ifdef LB_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <sodium.h>

#include "lotsbok/api.h"
#include "lotsbok/import.h"
#include "lotsbok/auth.h"
#include "lotsbok/calendar.h"
#include "lotsbok/curve.h"
#include "lotsbok/demo.h"
#include "lotsbok/error.h"
#include "lotsbok/http_server.h"
#include "lotsbok/logfmt.h"
#include "lotsbok/plan.h"
#include "lotsbok/publisher.h"
#include "lotsbok/store.h"
#include "lotsbok/survey.h"
#include "lotsbok/timeutil.h"

/* One log line; msg and every field escaped (lotsbok/logfmt.h). */
static void log_line(const char *level, const char *msg, const struct lb_logfmt *fields)
{
    char ts[32], line[LB_LOGFMT_MAX + 640];
    lb_time_format_rfc3339(lb_time_now(), ts);
    fwrite(line, 1, lb_logfmt_line(line, sizeof line, ts, level, msg, fields), stderr);
    fflush(stderr);
}

static void die(const char *msg, int err)
{
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    if (err)
        lb_logfmt_str(&f, "error", lb_strerror(err));
    log_line("error", msg, &f);
    exit(1);
}

/* --- init ------------------------------------------------------------------ */

static const char usage_init[] =
    "usage: lotsd init --data DIR --admin NAME --password-file FILE\n"
    "Creates a new environment in DIR (created when missing; an existing\n"
    "environment is refused), the admin user NAME with the password in FILE\n"
    "(first line), and the service user 'worker' whose session token is\n"
    "written to DIR/worker.token (mode 0600). The worker's session lasts ten\n"
    "years, since the worker has no password to log in with again.\n";

struct init_arg {
    const char *admin;
    char admin_hash[256];
    char worker_hash[256];
    uint8_t token_hash[32];
};

static int op_init(lb_txn *t, void *p)
{
    struct init_arg *a = p;
    lb_time now = lb_time_now();
    struct lb_ctx ctx = {.actor = a->admin, .now = now};
    struct lb_user admin = {.username = (char *)a->admin,
                            .password_hash = a->admin_hash,
                            .role = LB_ROLE_ADMIN,
                            .password_changed_at = now};
    struct lb_user worker = {.username = "worker",
                             .password_hash = a->worker_hash,
                             .role = LB_ROLE_SERVICE,
                             .password_changed_at = now};
    int rc = lb_user_create(t, &ctx, &admin);
    if (rc == 0 && strcmp(a->admin, "worker") != 0)
        rc = lb_user_create(t, &ctx, &worker);
    struct lb_session s = {
        .username = "worker", .created_at = now, .expires_at = now + LB_SERVICE_SESSION_MS};
    memcpy(s.token_hash, a->token_hash, 32);
    if (rc == 0)
        rc = lb_session_put(t, &s);
    return rc;
}

static int read_password(const char *file, char *buf, size_t len)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return -1;
    char *ok = fgets(buf, (int)len, f);
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf[0] ? 0 : -1;
}

/* An admin's name: 1-64 of a-z 0-9 . _ - and not the service user's. */
static bool admin_name_ok(const char *name)
{
    size_t l = strlen(name);
    bool ok = l >= 1 && l <= 64 && strcmp(name, "worker") != 0;
    for (const char *p = name; *p; p++)
        ok = ok && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                    *p == '_' || *p == '-');
    return ok;
}

static int require_current(const char *cmd, const char *data, lb_store *s);

static int cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"admin", required_argument, 0, 'a'},
                                         {"password-file", required_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *data = NULL, *admin = NULL, *pwfile = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'a':
            admin = optarg;
            break;
        case 'p':
            pwfile = optarg;
            break;
        case 'h':
            fputs(usage_init, stdout);
            return 0;
        default:
            fputs(usage_init, stderr);
            return 2;
        }
    }
    if (!data || !admin || !pwfile) {
        fputs(usage_init, stderr);
        return 2;
    }
    int rc;
    if (!admin_name_ok(admin)) {
        fprintf(stderr, "lotsd init: the admin name must be 1-64 of a-z 0-9 . _ - "
                        "(and not 'worker')\n");
        return 2;
    }
    char password[1100], why[256];
    const char *code;
    if (read_password(pwfile, password, sizeof password) != 0) {
        fprintf(stderr, "lotsd init: cannot read a password from %s\n", pwfile);
        return 2;
    }
    if ((rc = lb_password_policy(password, &code, why, sizeof why)) != 0) {
        fprintf(stderr, "lotsd init: the password in %s is refused: %s\n", pwfile, why);
        sodium_memzero(password, sizeof password);
        return rc == LB_EINVAL ? 2 : 1;
    }
    if (lb_auth_init() != 0)
        die("libsodium failed to initialise", 0);
    struct init_arg a = {.admin = admin};
    char token[LB_TOKEN_LEN + 1], worker_pw[LB_TOKEN_LEN + 1];
    uint8_t unused[32];
    if ((rc = lb_password_hash(password, a.admin_hash, sizeof a.admin_hash)) != 0 ||
        (rc = lb_token_new(worker_pw, unused)) != 0 ||
        (rc = lb_password_hash(worker_pw, a.worker_hash, sizeof a.worker_hash)) != 0 ||
        (rc = lb_token_new(token, a.token_hash)) != 0)
        die("cannot hash the passwords", rc);
    lb_store *s = NULL;
    struct lb_store_config cfg = {0};
    rc = lb_store_create(data, &cfg, &s);
    if (rc == LB_EEXIST) {
        fprintf(stderr, "lotsd init: %s already holds an environment; refusing to touch it\n",
                data);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "lotsd init: cannot create an environment in %s: %s\n", data,
                lb_strerror(rc));
        return 1;
    }
    rc = lb_store_run(s, op_init, &a);
    lb_store_close(s);
    if (rc != 0) {
        fprintf(stderr, "lotsd init: cannot create the users: %s\n", lb_strerror(rc));
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/worker.token", data);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, token, LB_TOKEN_LEN) == LB_TOKEN_LEN &&
              write(fd, "\n", 1) == 1;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok) {
        fprintf(stderr, "lotsd init: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    uint8_t pkey[32];
    if (lb_pseudonym_key(data, pkey) != 0) {
        fprintf(stderr, "lotsd init: cannot create %s/pseudonym.key\n", data);
        return 1;
    }
    sodium_memzero(pkey, sizeof pkey);
    printf("lotsd: created %s with admin '%s' and service user 'worker' (token in %s)\n", data,
           admin, path);
    return 0;
}

/* --- admin-reset ----------------------------------------------------------- */

static const char usage_admin_reset[] =
    "usage: lotsd admin-reset --data DIR --user NAME --password-file FILE\n"
    "Recovers an installation nobody can administer any more: the user NAME\n"
    "(created when missing) gets the password in FILE (first line; the password\n"
    "rules of init) and the role admin, is enabled, and loses its sessions. Meant\n"
    "for when lotsd is stopped (it is also safe while lotsd serves).\n";

struct reset_arg {
    const char *user;
    char hash[256];
    bool created;
};

static int op_admin_reset(lb_txn *t, void *p)
{
    struct reset_arg *a = p;
    lb_time now = lb_time_now();
    struct lb_ctx ctx = {.actor = "admin-reset", .now = now};
    struct lb_user u = {0};
    int rc = lb_user_get(t, a->user, &u);
    a->created = rc == LB_ENOTFOUND;
    if (a->created) {
        struct lb_user n = {.username = (char *)a->user,
                            .password_hash = a->hash,
                            .role = LB_ROLE_ADMIN,
                            .password_changed_at = now};
        return lb_user_create(t, &ctx, &n);
    }
    char *hash = rc == 0 ? strdup(a->hash) : NULL;
    if (rc == 0 && !hash)
        rc = LB_ENOMEM;
    if (rc == 0) {
        free(u.password_hash);
        u.password_hash = hash;
        u.role = LB_ROLE_ADMIN;
        u.disabled = false;
        u.password_changed_at = now;
        rc = lb_user_update(t, &ctx, &u, 0);
    }
    if (rc == 0)
        rc = lb_session_delete_user(t, a->user);
    lb_user_clear(&u);
    return rc;
}

static int cmd_admin_reset(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"user", required_argument, 0, 'u'},
                                         {"password-file", required_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *data = NULL, *pwfile = NULL;
    struct reset_arg a = {0};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'u':
            a.user = optarg;
            break;
        case 'p':
            pwfile = optarg;
            break;
        case 'h':
            fputs(usage_admin_reset, stdout);
            return 0;
        default:
            fputs(usage_admin_reset, stderr);
            return 2;
        }
    }
    if (!data || !a.user || !pwfile) {
        fputs(usage_admin_reset, stderr);
        return 2;
    }
    if (!admin_name_ok(a.user)) {
        fprintf(stderr, "lotsd admin-reset: the name must be 1-64 of a-z 0-9 . _ - "
                        "(and not 'worker')\n");
        return 2;
    }
    char password[1100], why[256];
    const char *code;
    if (read_password(pwfile, password, sizeof password) != 0) {
        fprintf(stderr, "lotsd admin-reset: cannot read a password from %s\n", pwfile);
        return 2;
    }
    int rc = lb_password_policy(password, &code, why, sizeof why);
    if (rc != 0) {
        fprintf(stderr, "lotsd admin-reset: the password in %s is refused: %s\n", pwfile, why);
        sodium_memzero(password, sizeof password);
        return rc == LB_EINVAL ? 2 : 1;
    }
    if (lb_auth_init() != 0)
        die("libsodium failed to initialise", 0);
    rc = lb_password_hash(password, a.hash, sizeof a.hash);
    sodium_memzero(password, sizeof password);
    if (rc != 0)
        die("cannot hash the password", rc);
    lb_store *s = NULL;
    if ((rc = lb_store_open(data, NULL, &s)) != 0) {
        fprintf(stderr, "lotsd admin-reset: cannot open the environment in %s: %s\n", data,
                lb_strerror(rc));
        return 1;
    }
    if (require_current("admin-reset", data, s) != 0) {
        lb_store_close(s);
        return 1;
    }
    rc = lb_store_run(s, op_admin_reset, &a);
    lb_store_close(s);
    sodium_memzero(a.hash, sizeof a.hash);
    if (rc != 0) {
        fprintf(stderr, "lotsd admin-reset: %s\n", lb_strerror(rc));
        return 1;
    }
    printf("lotsd: '%s' is %s admin with the new password; its sessions are revoked\n", a.user,
           a.created ? "a new" : "again an enabled");
    return 0;
}

/* --- serve ----------------------------------------------------------------- */

static const char usage_serve[] =
    "usage: lotsd serve --data DIR [options]\n"
    "  --listen HOST:PORT     HTTP address (default 127.0.0.1:8080; port 0 picks one)\n"
    "  --pub ENDPOINT         ZeroMQ PUB for events (default tcp://127.0.0.1:7701)\n"
    "  --replay ENDPOINT      ZeroMQ ROUTER for replay (default tcp://127.0.0.1:7702)\n"
    "  --web DIR              static files of the web interface (default: none, 404)\n"
    "  --units SPEC           configured units 'code=Name;code2=Name 2' (default: DESIGN.md's)\n"
    "  --session-hours N      login session lifetime (default 12)\n"
    "  --idempotency-hours H  keep users' Idempotency-Key answers H hours (default 24)\n"
    "  --idempotency-service-days D  keep the worker's answers until its reported\n"
    "                         cursor passed their event, at most D days (default 90)\n"
    "  --login-window SECONDS failed-login window, 10 failures each (default 60)\n"
    "  --curve-keys DIR       CURVE keys for the event sockets (lotsd keygen); required to\n"
    "                         bind --pub or --replay beyond loopback\n"
    "  --max-conns-per-peer N connections one address (IPv6: one /64) may hold\n"
    "                         (default 256; 0: no limit)\n"
    "  --trust-proxy ADDR[,ADDR]  reverse proxies (up to 16 addresses) whose\n"
    "                         X-Forwarded-For names the client: the right-most address\n"
    "                         in it that is not a trusted proxy is the client for the\n"
    "                         per-address limits and the log; from other peers the\n"
    "                         header is ignored (default: none, never read)\n"
    "  --hash-concurrency N   password hashes computed at once (default: the cores)\n"
    "  --first-byte-timeout SECONDS  close a new connection silent this long (default 10)\n"
    "  --municipality NAME    shown on the public survey form and in its mails\n"
    "                         (default " LB_MUNICIPALITY_DEFAULT ")\n"
    "  --survey-valid-days N  how long a survey link works (default 30)\n"
    "  --public-base URL      the public form's base for the links lotsd prints (a\n"
    "                         meeting's QR sheet); default http:// and the Host header\n"
    "  --public-rate N        public survey requests per address and second, 1..64;\n"
    "                         0 = no limit (default 20)\n"
    "  --public-failures N    failed public survey requests per address in 10 minutes\n"
    "                         before it is refused, 1..64; 0 = no limit (default 30)\n"
    "  --no-sync              do not sync commits (benchmarks of the ceiling only)\n"
    "  --no-search-index      writes keep no search index, which is marked missing and\n"
    "                         rebuilt at the next start (benchmarks of its cost only)\n"
    "  --quiet                no per-request log lines\n"
    "SIGTERM or SIGINT: stop accepting, finish requests in flight, commit, exit 0.\n";

struct server {
    uv_loop_t *loop;
    lb_store *store;
    lb_publisher *pub;
    lb_api *api;
    lb_http_server *http;
    uv_signal_t sigterm, sigint;
    bool stopping;
    int exit_code;
};

static void on_signal_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_pub_stopped(void *arg)
{
    struct server *sv = arg;
    uv_close((uv_handle_t *)&sv->sigterm, on_signal_closed);
    uv_close((uv_handle_t *)&sv->sigint, on_signal_closed);
}

static void on_api_closed(void *arg)
{
    struct server *sv = arg;
    sv->api = NULL;
    if (sv->pub)
        lb_publisher_stop(sv->pub, on_pub_stopped, sv);
    else
        on_pub_stopped(sv);
}

static void on_http_stopped(void *arg)
{
    struct server *sv = arg;
    sv->http = NULL;
    lb_api_close(sv->api, on_api_closed, sv);
}

static void stop_serving(struct server *sv)
{
    if (sv->stopping)
        return;
    sv->stopping = true;
    lb_http_server_stop(sv->http, on_http_stopped, sv);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct server *sv = h->data;
    if (sv->stopping)
        return;
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    lb_logfmt_int(&f, "signal", signum);
    log_line("info", "stopping", &f);
    stop_serving(sv);
}

/* The store became unusable (a failed map growth whose environment could not
 * be opened again): stop as on SIGTERM, then exit 1 so that systemd restarts. */
static void on_store_lost(void *arg)
{
    struct server *sv = arg;
    log_line("error", "stopping: the store is unusable after a failed map growth", NULL);
    sv->exit_code = 1;
    stop_serving(sv);
}

static int search_upgrade(lb_store *s);

/* --- data version ----------------------------------------------------------- */

/* Says why DIR's data version is not this lotsd's to stderr, as "lotsd CMD: ...";
 * 0 when it is, LB_ESTATE when older or newer, another error when unreadable. */
static int require_current(const char *cmd, const char *data, lb_store *s)
{
    uint64_t v;
    int rc = lb_store_data_version(s, &v);
    if (rc) {
        fprintf(stderr, "lotsd %s: cannot read the data version of %s: %s\n", cmd, data,
                lb_strerror(rc));
        return rc;
    }
    if (v < LB_DATA_VERSION) {
        fprintf(stderr,
                "lotsd %s: %s holds data version %llu, older than this lotsd's %d: run "
                "'lotsd migrate --data %s' first (lotsd serve migrates it too when it starts; "
                "docs/operations.md, Upgrades)\n",
                cmd, data, (unsigned long long)v, LB_DATA_VERSION, data);
        return LB_ESTATE;
    }
    if (v > LB_DATA_VERSION) {
        fprintf(stderr,
                "lotsd %s: %s holds data version %llu, newer than this lotsd's %d: it was "
                "written by a newer lotsd; run that version (or restore a backup made before "
                "the upgrade)\n",
                cmd, data, (unsigned long long)v, LB_DATA_VERSION);
        return LB_ESTATE;
    }
    return 0;
}

static const char usage_migrate[] =
    "usage: lotsd migrate --data DIR\n"
    "Brings a data directory written by an older lotsd to this lotsd's data version\n"
    "in one transaction (all or nothing), checking that every record reads. Refused\n"
    "while lotsd serve runs on DIR. lotsd serve does the same when it starts.\n"
    "Take a backup first (lotsd backup). docs/operations.md, Upgrades.\n";

/* Migrates sv's store when older, logging it; 0 or an exit status. */
static int migrate_or_refuse(const char *cmd, const char *data, lb_store *s, bool log)
{
    uint64_t from = 0;
    char why[256];
    int rc = lb_store_migrate(s, &from, why, sizeof why);
    if (rc == LB_ESTATE) {
        fprintf(stderr,
                "lotsd %s: %s holds data version %llu, newer than this lotsd's %d: it was "
                "written by a newer lotsd; run that version (or restore a backup made before "
                "the upgrade)\n",
                cmd, data, (unsigned long long)from, LB_DATA_VERSION);
        return 1;
    }
    if (rc) {
        fprintf(stderr,
                "lotsd %s: cannot migrate %s from data version %llu to %d: %s%s%s; nothing was "
                "changed\n",
                cmd, data, (unsigned long long)from, LB_DATA_VERSION, lb_strerror(rc),
                why[0] ? ": " : "", why);
        return 1;
    }
    if (from != LB_DATA_VERSION) {
        if (log) {
            struct lb_logfmt f;
            lb_logfmt_init(&f);
            lb_logfmt_int(&f, "from", (long long)from);
            lb_logfmt_int(&f, "to", LB_DATA_VERSION);
            lb_logfmt_str(&f, "dir", data);
            log_line("info", "migrated the data directory", &f);
        } else {
            printf("lotsd: %s migrated from data version %llu to %d\n", data,
                   (unsigned long long)from, LB_DATA_VERSION);
        }
    } else if (!log) {
        printf("lotsd: %s is at data version %d already\n", data, LB_DATA_VERSION);
    }
    return 0;
}

static int lock_data_dir(const char *dir, int *fd);

static int cmd_migrate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *data = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'h':
            fputs(usage_migrate, stdout);
            return 0;
        default:
            fputs(usage_migrate, stderr);
            return 2;
        }
    }
    if (!data || optind != argc) {
        fputs(usage_migrate, stderr);
        return 2;
    }
    int lockfd = -1;
    int rc = lock_data_dir(data, &lockfd);
    if (rc == LB_EBUSY) {
        fprintf(stderr, "lotsd migrate: %s is in use by lotsd serve or compact; stop it first\n",
                data);
        return 1;
    }
    lb_store *s = NULL;
    rc = rc ? rc : lb_store_open(data, NULL, &s);
    if (rc != 0) {
        fprintf(stderr, "lotsd migrate: cannot open the environment in %s: %s\n", data,
                lb_strerror(rc));
        if (lockfd >= 0)
            close(lockfd);
        return 1;
    }
    int status = migrate_or_refuse("migrate", data, s, false);
    lb_store_close(s);
    close(lockfd);
    return status;
}


/* Takes an exclusive lock on DIR/lotsd.lock (created 0600) for the life of the
 * process: lotsd serve holds it, and lotsd compact refuses to swap data.mdb
 * under a running server. LB_EBUSY when another process holds it; *fd stays
 * open (the lock goes with the process). */
static int lock_data_dir(const char *dir, int *fd)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/lotsd.lock", dir) >= (int)sizeof path)
        return LB_ETOOBIG;
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0)
        return errno == ENOENT ? LB_ENOTFOUND : LB_EIO;
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int busy = errno == EWOULDBLOCK;
        close(*fd);
        *fd = -1;
        return busy ? LB_EBUSY : LB_EIO;
    }
    return 0;
}

/* --trust-proxy "ADDR[,ADDR]": appends each address (whole, no prefix) to
 * trusted; 0, or LB_EINVAL for a bad address or more than 16 in all. */
static int parse_trusted(const char *arg, uint8_t trusted[16][16], size_t *n)
{
    const char *p = arg;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char text[64];
        if (len == 0 || len >= sizeof text || *n >= 16)
            return LB_EINVAL;
        memcpy(text, p, len);
        text[len] = '\0';
        if (lb_http_parse_addr(text, trusted[*n]) != 0)
            return LB_EINVAL;
        (*n)++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"listen", required_argument, 0, 'l'},
                                         {"pub", required_argument, 0, 'p'},
                                         {"replay", required_argument, 0, 'r'},
                                         {"web", required_argument, 0, 'w'},
                                         {"units", required_argument, 0, 'u'},
                                         {"session-hours", required_argument, 0, 's'},
                                         {"idempotency-hours", required_argument, 0, 'I'},
                                         {"idempotency-service-days", required_argument, 0, 'D'},
                                         {"login-window", required_argument, 0, 'L'},
                                         {"max-conns-per-peer", required_argument, 0, 'P'},
                                         {"hash-concurrency", required_argument, 0, 'H'},
                                         {"first-byte-timeout", required_argument, 0, 'F'},
                                         {"municipality", required_argument, 0, 'M'},
                                         {"survey-valid-days", required_argument, 0, 'V'},
                                         {"public-rate", required_argument, 0, 'R'},
                                         {"public-failures", required_argument, 0, 'f'},
                                         {"public-base", required_argument, 0, 'B'},
                                         {"no-sync", no_argument, 0, 'n'},
                                         {"no-search-index", no_argument, 0, 'S'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"curve-keys", required_argument, 0, 'k'},
                                         {"trust-proxy", required_argument, 0, 'T'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    static uint8_t trusted[16][16];
    size_t ntrusted = 0;
    const char *data = NULL, *listen = "127.0.0.1:8080", *pub = "tcp://127.0.0.1:7701",
               *replay = "tcp://127.0.0.1:7702", *web = NULL, *units = NULL, *curve_dir = NULL;
    long session_hours = 12, login_window = 60, per_peer = 256, hash_concurrency = 0,
         first_byte = 10, valid_days = LB_SURVEY_VALID_DAYS, public_rate = LB_PUBLIC_RATE_DEFAULT,
         public_failures = LB_PUBLIC_FAILURES_DEFAULT, idem_hours = 24, idem_days = 90;
    const char *municipality = LB_MUNICIPALITY_DEFAULT, *public_base = NULL;
    bool no_sync = false, quiet = false, no_search = false;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'p':
            pub = optarg;
            break;
        case 'r':
            replay = optarg;
            break;
        case 'w':
            web = optarg;
            break;
        case 'u':
            units = optarg;
            break;
        case 's':
            session_hours = strtol(optarg, &end, 10);
            if (*end || session_hours < 1 || session_hours > 24 * 366) {
                fprintf(stderr, "lotsd serve: --session-hours must be 1..8784\n");
                return 2;
            }
            break;
        case 'I':
            idem_hours = strtol(optarg, &end, 10);
            if (*end || idem_hours < 1 || idem_hours > 24 * 366) {
                fprintf(stderr, "lotsd serve: --idempotency-hours must be 1..8784\n");
                return 2;
            }
            break;
        case 'D':
            idem_days = strtol(optarg, &end, 10);
            if (*end || idem_days < 1 || idem_days > 3660) {
                fprintf(stderr, "lotsd serve: --idempotency-service-days must be 1..3660\n");
                return 2;
            }
            break;
        case 'L':
            login_window = strtol(optarg, &end, 10);
            if (*end || login_window < 1 || login_window > 86400) {
                fprintf(stderr, "lotsd serve: --login-window must be 1..86400 seconds\n");
                return 2;
            }
            break;
        case 'P':
            per_peer = strtol(optarg, &end, 10);
            if (*end || per_peer < 0 || per_peer > 1000000) {
                fprintf(stderr, "lotsd serve: --max-conns-per-peer must be 0..1000000\n");
                return 2;
            }
            break;
        case 'F':
            first_byte = strtol(optarg, &end, 10);
            if (*end || first_byte < 1 || first_byte > 3600) {
                fprintf(stderr, "lotsd serve: --first-byte-timeout must be 1..3600 seconds\n");
                return 2;
            }
            break;
        case 'H':
            hash_concurrency = strtol(optarg, &end, 10);
            if (*end || hash_concurrency < 1 || hash_concurrency > 64) {
                fprintf(stderr, "lotsd serve: --hash-concurrency must be 1..64\n");
                return 2;
            }
            break;
        case 'M':
            municipality = optarg;
            if (!*municipality || strlen(municipality) > 120) {
                fprintf(stderr, "lotsd serve: --municipality must be 1..120 bytes\n");
                return 2;
            }
            break;
        case 'B':
            public_base = optarg;
            if ((strncmp(public_base, "http://", 7) != 0 &&
                 strncmp(public_base, "https://", 8) != 0) ||
                strlen(public_base) > 200 || strpbrk(public_base, " \"<>'\\")) {
                fprintf(stderr, "lotsd serve: --public-base must be an http(s) URL\n");
                return 2;
            }
            break;
        case 'V':
            valid_days = strtol(optarg, &end, 10);
            if (*end || valid_days < 1 || valid_days > 365) {
                fprintf(stderr, "lotsd serve: --survey-valid-days must be 1..365\n");
                return 2;
            }
            break;
        case 'R':
        case 'f': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 64) {
                fprintf(stderr, "lotsd serve: --public-%s must be 0..64\n",
                        c == 'R' ? "rate" : "failures");
                return 2;
            }
            *(c == 'R' ? &public_rate : &public_failures) = v;
            break;
        }
        case 'n':
            no_sync = true;
            break;
        case 'S':
            no_search = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'k':
            curve_dir = optarg;
            break;
        case 'T':
            if (parse_trusted(optarg, trusted, &ntrusted) != 0) {
                fprintf(stderr, "lotsd serve: --trust-proxy takes up to 16 IPv4 or IPv6 "
                                "addresses separated by commas, e.g. 127.0.0.1,::1\n");
                return 2;
            }
            break;
        case 'h':
            fputs(usage_serve, stdout);
            return 0;
        default:
            fputs(usage_serve, stderr);
            return 2;
        }
    }
    if (!data) {
        fputs(usage_serve, stderr);
        return 2;
    }
    struct lb_api_config acfg = {0};
    if (units) {
        if (lb_units_parse(&acfg.units, units) != 0) {
            fprintf(stderr, "lotsd serve: --units: expected 'code=Name;code2=Name 2'\n");
            return 2;
        }
    } else {
        lb_units_default(&acfg.units);
    }
    static char stderr_buf[1 << 16];
    setvbuf(stderr, stderr_buf, _IOFBF, sizeof stderr_buf);
    signal(SIGPIPE, SIG_IGN);
    /* Searches run on libuv's pool (api_offload_read), each thread in a
     * malloc arena of its own; with glibc's default 128 KiB trim threshold
     * an arena went back to the kernel after nearly every search (madvise)
     * and grew again by page faults, ~10 % of a search's time at 10,000,000
     * contacts. Freed memory up to 4 MiB is kept per arena instead. */
    mallopt(M_TRIM_THRESHOLD, 4 << 20);
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    if (lb_auth_init() != 0)
        die("libsodium failed to initialise", 0);

    struct server sv = {.loop = uv_default_loop()};
    struct lb_store_config scfg = {.no_sync = no_sync,
                                   .no_search_index = no_search,
                                   .idem_user_ms = (lb_time)idem_hours * 3600 * 1000,
                                   .idem_service_ms = (lb_time)idem_days * 24 * 3600 * 1000};
    int lockfd = -1;
    int rc = lock_data_dir(data, &lockfd);
    if (rc == LB_EBUSY) {
        fprintf(stderr, "lotsd serve: %s is in use by another lotsd serve or compact\n", data);
        return 1;
    }
    rc = rc ? rc : lb_store_open(data, &scfg, &sv.store);
    if (rc != 0) {
        fprintf(stderr, "lotsd serve: cannot open the environment in %s: %s\n", data,
                lb_strerror(rc));
        return 1;
    }
    if ((rc = migrate_or_refuse("serve", data, sv.store, true)) != 0) {
        lb_store_close(sv.store);
        return rc;
    }
    size_t filed = 0;
    if ((rc = lb_idempotency_upgrade(sv.store, &filed)) != 0) {
        lb_store_close(sv.store);
        die("cannot file the stored Idempotency-Key answers", rc);
    }
    if (filed) {
        struct lb_logfmt f;
        lb_logfmt_init(&f);
        lb_logfmt_int(&f, "answers", (long long)filed);
        log_line("info", "filed stored Idempotency-Key answers for expiry", &f);
    }
    if (no_search) {
        struct lb_logfmt f;
        lb_logfmt_init(&f);
        lb_logfmt_str(&f, "why", "--no-search-index");
        lb_logfmt_str(&f, "rebuilt", "next start");
        log_line("warning", "search index off", &f);
    } else if ((rc = search_upgrade(sv.store)) != 0) {
        lb_store_close(sv.store);
        die("cannot build the search index", rc);
    }
    struct lb_curve_server curve;
    struct lb_publisher_options popt = {0};
    if (curve_dir) {
        char why[512];
        if ((rc = lb_curve_server_load(curve_dir, &curve, why, sizeof why)) != 0) {
            fprintf(stderr, "lotsd serve: --curve-keys: %s\n", why);
            lb_store_close(sv.store);
            return 2;
        }
        popt.curve = &curve;
    }
    rc = lb_publisher_start_opts(sv.loop, sv.store, pub, replay, &popt, &sv.pub);
    if (curve_dir)
        lb_curve_server_free(&curve); /* the publisher keeps its own copy */
    if (rc == LB_EPERM) {
        fprintf(stderr,
                "lotsd serve: the event sockets (--pub %s, --replay %s) may be bound beyond "
                "loopback only with CURVE keys: make them with 'lotsd keygen --curve-keys DIR' "
                "and pass --curve-keys DIR (docs/zeromq.md)\n",
                pub, replay);
        lb_store_close(sv.store);
        return 2;
    }
    if (rc != 0) {
        lb_store_close(sv.store);
        die("cannot bind the event sockets", rc);
    }
    acfg.store = sv.store;
    acfg.publisher = sv.pub;
    acfg.session_ms = (lb_time)session_hours * 3600 * 1000;
    acfg.login_window_ms = (lb_time)login_window * 1000;
    acfg.web_dir = web;
    acfg.log_requests = !quiet;
    acfg.data_dir = data;
    acfg.commit_thread = true;
    acfg.hash_concurrency = (unsigned)hash_concurrency;
    acfg.store_lost = on_store_lost;
    acfg.store_lost_arg = &sv;
    acfg.municipality = municipality;
    acfg.public_base = public_base;
    acfg.survey_valid_ms = (lb_time)valid_days * 24 * 3600 * 1000;
    acfg.public_rate = (unsigned)public_rate;
    acfg.public_failures = (unsigned)public_failures;
    if ((rc = lb_api_new(sv.loop, &acfg, &sv.api)) != 0)
        die("cannot create the API", rc);
    struct lb_http_config hcfg;
    lb_http_config_default(&hcfg);
    hcfg.max_per_peer = per_peer ? (unsigned)per_peer : UINT_MAX;
    hcfg.trusted = (const uint8_t(*)[16])trusted;
    hcfg.ntrusted = ntrusted;
    hcfg.first_byte_timeout_ms = (uint64_t)first_byte * 1000;
    hcfg.upload_path = "/api/v1/imports/companies"; /* the file is the body */
    hcfg.upload_max_body = LB_IMPORT_MAX_BYTES;
    if ((rc = lb_http_server_start(sv.loop, listen, &hcfg, lb_api_handle, sv.api, &sv.http)) != 0) {
        struct lb_logfmt f;
        lb_logfmt_init(&f);
        lb_logfmt_str(&f, "listen", listen);
        lb_logfmt_str(&f, "error", lb_strerror(rc));
        log_line("error", "cannot listen", &f);
        return 1;
    }
    lb_api_set_server(sv.api, sv.http);
    uv_signal_init(sv.loop, &sv.sigterm);
    uv_signal_init(sv.loop, &sv.sigint);
    sv.sigterm.data = sv.sigint.data = &sv;
    uv_signal_start(&sv.sigterm, on_signal, SIGTERM);
    uv_signal_start(&sv.sigint, on_signal, SIGINT);
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    lb_logfmt_int(&f, "port", lb_http_server_port(sv.http));
    lb_logfmt_str(&f, "listen", listen);
    lb_logfmt_str(&f, "pub", pub);
    lb_logfmt_str(&f, "replay", replay);
    lb_logfmt_int(&f, "seq", (long long)lb_store_last_seq(sv.store));
    lb_logfmt_str(&f, "sync", no_sync ? "off" : "on");
    lb_logfmt_str(&f, "curve", curve_dir ? "on" : "off");
    log_line("info", "listening", &f);
#ifdef LB_HAVE_SYSTEMD
    sd_notify(0, "READY=1"); /* Type=notify (debian/lotsd.service); no-op elsewhere */
#endif

    uv_run(sv.loop, UV_RUN_DEFAULT);

    lb_store_close(sv.store);
    close(lockfd); /* after the environment: compact may take over from here */
    uv_loop_close(sv.loop);
    log_line("info", "stopped", NULL);
    return sv.exit_code;
}

/* --- the search index ------------------------------------------------------------ */

static void reindex_progress(const char *type, uint64_t n, void *arg)
{
    (void)arg;
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    lb_logfmt_str(&f, "type", type);
    lb_logfmt_int(&f, "records", (long long)n);
    log_line("info", "search index built", &f);
}

/* Builds the search index when the environment has none (one written by an
 * older lotsd, or served with --no-search-index), before serving. */
static int search_upgrade(lb_store *s)
{
    lb_txn *t;
    bool ready = false;
    int rc = lb_txn_read(s, &t);
    if (rc)
        return rc;
    rc = lb_search_ready(t, &ready);
    lb_txn_end(t);
    if (rc || ready)
        return rc;
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    lb_logfmt_str(&f, "why", "missing");
    log_line("info", "building the search index", &f);
    return lb_search_reindex(s, reindex_progress, NULL);
}

static const char usage_reindex[] =
    "usage: lotsd reindex --data DIR\n"
    "Rebuilds the search index from the records (docs/search.md). lotsd serve does\n"
    "it by itself when the index is missing; safe while lotsd serves.\n";

static int cmd_reindex(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *data = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'h':
            fputs(usage_reindex, stdout);
            return 0;
        default:
            fputs(usage_reindex, stderr);
            return 2;
        }
    }
    if (!data) {
        fputs(usage_reindex, stderr);
        return 2;
    }
    lb_store *s = NULL;
    struct lb_store_config cfg = {0};
    int rc = lb_store_open(data, &cfg, &s);
    if (rc != 0) {
        fprintf(stderr, "lotsd: cannot open the environment in %s: %s\n", data, lb_strerror(rc));
        return 1;
    }
    if (require_current("reindex", data, s) != 0) {
        lb_store_close(s);
        return 1;
    }
    rc = lb_search_reindex(s, reindex_progress, NULL);
    lb_store_close(s);
    if (rc != 0) {
        fprintf(stderr, "lotsd reindex: %s\n", lb_strerror(rc));
        return 1;
    }
    printf("lotsd: the search index of %s is rebuilt\n", data);
    return 0;
}

/* --- backup and check -------------------------------------------------------- */

static const char usage_backup[] =
    "usage: lotsd backup --data DIR --to PATH\n"
    "A hot, compacting copy of the environment in DIR into PATH (a new or empty\n"
    "directory); safe while lotsd serves.\n";
static const char usage_check[] =
    "usage: lotsd check --data DIR\n"
    "Verifies every index against the records (the search index too), that every\n"
    "record decodes and that the event log has no gap. Prints one line per problem; exits 0 only "
    "when the\n"
    "environment is consistent.\n";

static int cmd_backup_check(int argc, char **argv, bool backup)
{
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"to", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *usage = backup ? usage_backup : usage_check;
    const char *data = NULL, *to = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (!data || (backup && !to) || (!backup && to)) {
        fputs(usage, stderr);
        return 2;
    }
    lb_store *s = NULL;
    struct lb_store_config cfg = {0};
    int rc = lb_store_open(data, &cfg, &s);
    if (rc != 0) {
        fprintf(stderr, "lotsd: cannot open the environment in %s: %s\n", data, lb_strerror(rc));
        return 1;
    }
    rc = backup ? lb_store_backup(s, to) : lb_store_check(s, stdout);
    lb_store_close(s);
    if (rc != 0) {
        fprintf(stderr, "lotsd %s: %s\n", backup ? "backup" : "check",
                rc == LB_ECORRUPT ? "the environment is not consistent" : lb_strerror(rc));
        return 1;
    }
    printf(backup ? "lotsd: backup of %s written to %s\n" : "lotsd: %s is consistent\n", data, to);
    return 0;
}

/* --- compact ----------------------------------------------------------------- */

static const char usage_compact[] =
    "usage: lotsd compact --data DIR\n"
    "Offline: rewrites DIR/data.mdb as a compacting copy holding only live pages, so\n"
    "text replaced by anonymisation no longer lingers in free pages. The copy is\n"
    "checked (as lotsd check) before it atomically replaces data.mdb; the old file is\n"
    "removed only after the swap. Refused while lotsd serve runs on DIR.\n";

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* lotsd compact: copy (compacting) into DIR/compact.tmp, check the copy, then
 * link data.mdb to data.mdb.old, rename the copy over data.mdb (atomic), sync
 * the directory and only then remove the old file. A failure before the rename
 * leaves DIR as it was (and removes the copy). */
static int cmd_compact(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *data = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            data = optarg;
        } else if (c == 'h') {
            fputs(usage_compact, stdout);
            return 0;
        } else {
            fputs(usage_compact, stderr);
            return 2;
        }
    }
    if (!data || optind != argc) {
        fputs(usage_compact, stderr);
        return 2;
    }
    char db[PATH_MAX], old[PATH_MAX], tmp[PATH_MAX], tmpdb[PATH_MAX], lock[PATH_MAX];
    if (snprintf(db, sizeof db, "%s/data.mdb", data) >= (int)sizeof db ||
        snprintf(old, sizeof old, "%s/data.mdb.old", data) >= (int)sizeof old ||
        snprintf(tmp, sizeof tmp, "%s/compact.tmp", data) >= (int)sizeof tmp ||
        snprintf(tmpdb, sizeof tmpdb, "%s/compact.tmp/data.mdb", data) >= (int)sizeof tmpdb ||
        snprintf(lock, sizeof lock, "%s/compact.tmp/lock.mdb", data) >= (int)sizeof lock) {
        fprintf(stderr, "lotsd compact: the path is too long\n");
        return 2;
    }
    if (file_size(db) < 0) {
        fprintf(stderr, "lotsd compact: no environment in %s\n", data);
        return 1;
    }
    int lockfd = -1;
    int rc = lock_data_dir(data, &lockfd);
    if (rc == LB_EBUSY) {
        fprintf(stderr, "lotsd compact: %s is in use by a running lotsd serve; stop it first\n",
                data);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "lotsd compact: cannot lock %s: %s\n", data, lb_strerror(rc));
        return 1;
    }
    /* A copy left by an interrupted run is stale: start again. */
    unlink(tmpdb);
    unlink(lock);
    rmdir(tmp);
    long long before = file_size(db);
    lb_store *s = NULL;
    struct lb_store_config cfg = {0};
    rc = lb_store_open(data, &cfg, &s);
    if (rc == 0 && require_current("compact", data, s) != 0) {
        lb_store_close(s);
        return 1;
    }
    if (rc == 0) {
        rc = lb_store_backup(s, tmp);
        lb_store_close(s);
    }
    const char *stage = "copy";
    if (rc == 0) {
        stage = "check of the copy";
        rc = lb_store_open(tmp, &cfg, &s);
        if (rc == 0) {
            rc = lb_store_compacted(s);
            if (rc == 0)
                rc = lb_store_check(s, stderr);
            lb_store_close(s);
        }
    }
    if (rc == 0) {
        stage = "swap";
        unlink(old);
        if (link(db, old) != 0 || rename(tmpdb, db) != 0) {
            rc = LB_EIO;
            unlink(old);
        } else {
            int dfd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
            }
            unlink(old); /* the swap is durable: the old pages may go */
            char lk[PATH_MAX];
            snprintf(lk, sizeof lk, "%s/lock.mdb", data); /* its reader table was the old file's */
            unlink(lk);
        }
    }
    unlink(tmpdb);
    unlink(lock);
    rmdir(tmp);
    close(lockfd);
    if (rc != 0) {
        fprintf(stderr, "lotsd compact: the %s failed (%s); %s is unchanged\n", stage,
                rc == LB_ECORRUPT ? "the copy is not consistent" : lb_strerror(rc), db);
        return 1;
    }
    printf("lotsd: %s compacted: %lld bytes before, %lld after\n", db, before, file_size(db));
    return 0;
}

/* --- keygen ------------------------------------------------------------------ */

static const char usage_keygen[] =
    "usage: lotsd keygen --curve-keys DIR [--client NAME]\n"
    "Makes the ZeroMQ CURVE keys of the event sockets in DIR (created 0700, every\n"
    "file 0600): lotsd's key pair server.key/server.pub unless server.key exists,\n"
    "and the key pair NAME.key/NAME.pub of a subscriber (default 'worker') unless\n"
    "NAME.key exists, whose public key goes to DIR/clients/ so lotsd lets it in.\n"
    "Run it again with --client NAME for each other subscriber. Never overwrites a\n"
    "secret key. lotsd serve --curve-keys DIR and lots-worker --curve-keys DIR read\n"
    "them (docs/zeromq.md).\n";

static int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {{"curve-keys", required_argument, 0, 'k'},
                                         {"client", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *dir = NULL, *client = "worker";
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            dir = optarg;
            break;
        case 'c':
            client = optarg;
            break;
        case 'h':
            fputs(usage_keygen, stdout);
            return 0;
        default:
            fputs(usage_keygen, stderr);
            return 2;
        }
    }
    if (!dir || optind != argc) {
        fputs(usage_keygen, stderr);
        return 2;
    }
    char why[512];
    int rc = lb_curve_keygen(dir, client, stdout, why, sizeof why);
    if (rc != 0) {
        fprintf(stderr, "lotsd keygen: %s\n", why);
        return rc == LB_EINVAL ? 2 : 1;
    }
    return 0;
}

/* --- demo ------------------------------------------------------------------ */

static const char usage_demo[] =
    "usage: lotsd demo --data DIR --seed N [--today YYYY-MM-DD] [--companies N]\n"
    "Fills an environment just created by 'lotsd init' with a year of made-up\n"
    "data ending on --today (default: today): companies in Norrtälje kommun,\n"
    "lotsärenden, contacts, hand-offs, decisions, follow-up calls and their\n"
    "answers, improvement actions, and the demo users, whose passwords are printed\n"
    "and written to DIR/demo-logins.txt (mode 0600). The same seed and day give\n"
    "the same event log. DEMO ONLY: never on an environment with real data.\n";

static int cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},  {"seed", required_argument, 0, 's'},
        {"today", required_argument, 0, 't'}, {"companies", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *data = NULL;
    struct lb_demo_config cfg = {.seed = 1, .until = LB_TIME_NONE};
    bool seeded = false;
    char *end;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 's':
            errno = 0;
            cfg.seed = strtoull(optarg, &end, 10);
            if (errno || *end || !*optarg) {
                fprintf(stderr, "lotsd demo: --seed must be a non-negative integer\n");
                return 2;
            }
            seeded = true;
            break;
        case 't': {
            lb_date day;
            if (lb_date_parse(optarg, &day) != 0) {
                fprintf(stderr, "lotsd demo: --today must be a date YYYY-MM-DD\n");
                return 2;
            }
            /* The demo's "now": 17:00 that day in Stockholm (16:00 or 15:00 UTC). */
            lb_time noon_utc = ((lb_time)day * 86400 + 12 * 3600) * 1000;
            cfg.until = ((lb_time)day * 86400 + 17 * 3600) * 1000 -
                        (lb_time)lb_stockholm_offset(noon_utc) * 1000;
            break;
        }
        case 'c': {
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 100000) {
                fprintf(stderr, "lotsd demo: --companies must be 1..100000\n");
                return 2;
            }
            cfg.companies = (size_t)n;
            break;
        }
        case 'h':
            fputs(usage_demo, stdout);
            return 0;
        default:
            fputs(usage_demo, stderr);
            return 2;
        }
    }
    if (!data || !seeded) {
        fputs(usage_demo, stderr);
        return 2;
    }
    lb_store *s = NULL;
    struct lb_store_config scfg = {0};
    int rc = lb_store_open(data, &scfg, &s);
    if (rc != 0) {
        fprintf(stderr, "lotsd demo: cannot open the environment in %s: %s\n", data,
                lb_strerror(rc));
        return 1;
    }
    if (require_current("demo", data, s) != 0) {
        lb_store_close(s);
        return 1;
    }
    struct lb_demo_stats *st = calloc(1, sizeof *st);
    if (!st) {
        lb_store_close(s);
        die("out of memory", LB_ENOMEM);
    }
    lb_time t0 = lb_time_now();
    rc = lb_demo_generate(s, &cfg, st, stderr);
    lb_store_close(s);
    if (rc != 0) {
        fprintf(stderr, "lotsd demo: %s\n",
                rc == LB_EEXIST ? "the environment is not fresh (run it right after lotsd init)"
                                : lb_strerror(rc));
        free(st);
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/demo-logins.txt", data);
    if (lb_demo_write_logins(path, st) != 0)
        fprintf(stderr, "lotsd demo: cannot write %s: %s\n", path, strerror(errno));
    printf(
        "lotsd demo: %zu companies (%zu enskilda firmor), %zu cases (%zu closed), %zu contacts,\n"
        "  %zu hand-offs (%zu decided, %zu overdue), %zu follow-up calls (%zu answered),\n"
        "  %zu improvement actions, %zu meetings (%zu evaluations); events %llu..%llu, in %.1f s\n",
        st->companies, st->companies_personal, st->cases, st->cases_closed, st->contacts,
        st->handoffs, st->handoffs_decided, st->handoffs_overdue, st->followups, st->followups_done,
        st->improvements, st->meetings, st->meeting_evaluations, (unsigned long long)st->first_seq,
        (unsigned long long)st->last_seq, (double)(lb_time_now() - t0) / 1000.0);
    printf("Demo logins (DEMO ONLY, also in %s):\n", path);
    for (size_t i = 0; i < st->nlogins; i++)
        printf("  %-18s %-16s %-8s %s\n", st->logins[i].username, st->logins[i].password,
               st->logins[i].role, st->logins[i].units);
    free(st);
    return 0;
}
/* --- plan load -------------------------------------------------------------- */

static const char usage_plan[] =
    "usage: lotsd plan load --data DIR [--units SPEC] FILE\n"
    "       lotsd plan followups --data DIR FILE   (lotsd plan followups --help)\n"
    "Loads an action plan (a JSON transcription such as\n"
    "data/plan-norrtalje-2025-2030.json; docs/plan.md) into the environment:\n"
    "the header and areas replaced, each action created or, when its code\n"
    "exists, updated (keeping its owner and the activities marked done).\n"
    "Loading the same file again changes nothing. --units must match lotsd\n"
    "serve's when it is not the default. Events name the actor 'lotsd'.\n";

struct plan_load_arg {
    const json_t *header, *actions;
    struct lb_plan_load_stats st;
};

static int op_plan_load(lb_txn *t, void *p)
{
    struct plan_load_arg *a = p;
    struct lb_ctx ctx = {.actor = "lotsd", .now = lb_time_now()};
    return lb_plan_load(t, &ctx, a->header, a->actions, &a->st);
}

static int cmd_plan_followups(int argc, char **argv);

static int cmd_plan(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"units", required_argument, 0, 'u'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    if (argc >= 2 && strcmp(argv[1], "followups") == 0)
        return cmd_plan_followups(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "load") != 0) {
        bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        fputs(usage_plan, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    argc--, argv++;
    const char *data = NULL, *units_spec = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'u':
            units_spec = optarg;
            break;
        case 'h':
            fputs(usage_plan, stdout);
            return 0;
        default:
            fputs(usage_plan, stderr);
            return 2;
        }
    }
    if (!data || optind != argc - 1) {
        fputs(usage_plan, stderr);
        return 2;
    }
    const char *file = argv[optind];
    struct lb_units units;
    if (units_spec ? lb_units_parse(&units, units_spec) != 0 : (lb_units_default(&units), 0)) {
        fprintf(stderr, "lotsd plan load: --units: expected 'code=Name;code2=Name 2'\n");
        return 2;
    }
    json_error_t jerr;
    json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        fprintf(stderr, "lotsd plan load: %s:%d:%d: %s\n", file, jerr.line, jerr.column, jerr.text);
        return 1;
    }
    json_t *actions = NULL;
    struct lb_plan_err perr = {0};
    int rc = lb_plan_check_file(doc, &units, &actions, &perr);
    if (rc != 0) {
        if (perr.code)
            fprintf(stderr, "lotsd plan load: %s: %s: %s (%s)\n", file,
                    perr.field[0] ? perr.field : "(top)", perr.message, perr.code);
        else
            fprintf(stderr, "lotsd plan load: %s\n", lb_strerror(rc));
        json_decref(doc);
        return 1;
    }
    lb_store *s = NULL;
    struct lb_store_config scfg = {0};
    rc = lb_store_open(data, &scfg, &s);
    if (rc != 0) {
        fprintf(stderr, "lotsd plan load: cannot open the environment in %s: %s\n", data,
                lb_strerror(rc));
        json_decref(doc);
        json_decref(actions);
        return 1;
    }
    if (require_current("plan load", data, s) != 0) {
        lb_store_close(s);
        json_decref(doc);
        json_decref(actions);
        return 1;
    }
    struct plan_load_arg a = {.header = doc, .actions = actions};
    rc = lb_store_run(s, op_plan_load, &a);
    lb_store_close(s);
    json_decref(doc);
    json_decref(actions);
    if (rc != 0) {
        fprintf(stderr, "lotsd plan load: %s\n", lb_strerror(rc));
        return 1;
    }
    printf("lotsd plan load: %zu actions: %zu created, %zu updated, %zu unchanged; header %s\n",
           a.st.created + a.st.updated + a.st.unchanged, a.st.created, a.st.updated, a.st.unchanged,
           a.st.header_changed ? "written" : "unchanged");
    return 0;
}

/* --- plan followups ------------------------------------------------------------ */

static const char usage_plan_followups[] =
    "usage: lotsd plan followups --data DIR FILE\n"
    "Writes yearly follow-ups of the loaded plan's actions from FILE\n"
    "({\"followups\": [{\"code\", \"year\", \"status\", ...}]}, the fields of\n"
    "PUT /plan/actions/{code}/followups/{year}; make run loads\n"
    "data/plan-demo-followups.json). Every entry is checked first; nothing is\n"
    "written when one is wrong. A follow-up equal to the stored one is not\n"
    "written again. Events name the actor 'lotsd'.\n";

struct plan_fu_arg {
    const json_t *list;
    size_t written, unchanged;
    char err[512];
};

/* The codes of the stored actions, for the collaboration check. */
static int plan_codes(lb_txn *t, json_t *codes)
{
    lb_id ids[500];
    struct lb_page pg = {.after = 0, .limit = 500, .ids = ids};
    int rc;
    do {
        pg.count = 0;
        pg.next = 0;
        if ((rc = lb_plan_action_list(t, &pg)))
            return rc;
        for (size_t i = 0; i < pg.count; i++) {
            struct lb_plan_action a = {0};
            rc = lb_plan_action_get(t, ids[i], &a);
            if (rc == 0 && json_array_append_new(codes, json_string(a.code)))
                rc = LB_ENOMEM;
            lb_plan_action_clear(&a);
            if (rc)
                return rc;
        }
        pg.after = pg.next;
    } while (pg.next);
    return 0;
}

/* One entry of the file: checked against its action, stamped, written unless unchanged. */
static int plan_fu_one(lb_txn *t, const struct lb_ctx *ctx, struct plan_fu_arg *a, size_t i,
                       const json_t *e, const json_t *header, const json_t *codes)
{
    const char *code = json_string_value(json_object_get(e, "code"));
    json_t *jy = json_object_get(e, "year");
    json_t *period = json_object_get(header, "period");
    int year = json_is_integer(jy) ? (int)json_integer_value(jy) : 0;
    if (!code || year < json_integer_value(json_object_get(period, "from")) ||
        year > json_integer_value(json_object_get(period, "to"))) {
        snprintf(a->err, sizeof a->err, "followups[%zu]: code and a year of the plan's period", i);
        return LB_EINVAL;
    }
    struct lb_plan_action act = {0};
    struct lb_plan_followup old = {0}, rec = {0};
    json_t *action = NULL, *doc = NULL, *olddoc = NULL;
    struct lb_plan_err perr = {0};
    int rc = lb_plan_action_by_code(t, code, &act);
    if (rc == LB_ENOTFOUND)
        snprintf(a->err, sizeof a->err, "followups[%zu]: no action %s", i, code);
    if (rc == 0 && !(action = json_loads(act.json, 0, NULL)))
        rc = LB_ECORRUPT;
    if (rc == 0 && !(doc = json_deep_copy(e)))
        rc = LB_ENOMEM;
    if (rc == 0) {
        json_object_del(doc, "code");
        json_object_del(doc, "year");
        if (lb_plan_check_followup(doc, action, year, codes, &perr) != 0) {
            rc = LB_EINVAL;
            snprintf(a->err, sizeof a->err, "followups[%zu].%s: %s (%s)", i,
                     perr.field[0] ? perr.field : "(top)", perr.message,
                     perr.code ? perr.code : "invalid");
        }
    }
    if (rc == 0) {
        rc = lb_plan_followup_get(t, code, year, &old);
        if (rc == 0 && !(olddoc = json_loads(old.json, 0, NULL)))
            rc = LB_ECORRUPT;
        if (rc == LB_ENOTFOUND)
            rc = 0;
    }
    if (rc == 0)
        rc = lb_plan_followup_stamp(doc, olddoc, ctx->actor, ctx->now);
    if (rc == 0 && !(rec.json = lb_plan_dump(doc)))
        rc = LB_ENOMEM;
    if (rc == 0 && old.json && strcmp(old.json, rec.json) == 0) {
        a->unchanged++;
    } else if (rc == 0) {
        snprintf(rec.code, sizeof rec.code, "%s", act.code);
        rec.year = (uint16_t)year;
        if ((rc = lb_plan_followup_put(t, ctx, &rec, 0)) == 0)
            a->written++;
    }
    json_decref(action);
    json_decref(doc);
    json_decref(olddoc);
    lb_plan_action_clear(&act);
    lb_plan_followup_clear(&old);
    lb_plan_followup_clear(&rec);
    return rc;
}

static int op_plan_followups(lb_txn *t, void *p)
{
    struct plan_fu_arg *a = p;
    struct lb_ctx ctx = {.actor = "lotsd", .now = lb_time_now()};
    a->written = a->unchanged = 0; /* the batch may run again after the map grew */
    a->err[0] = '\0';
    struct lb_plan_header h = {0};
    int rc = lb_plan_header_get(t, &h);
    if (rc == LB_ENOTFOUND)
        snprintf(a->err, sizeof a->err, "no plan is loaded (lotsd plan load first)");
    json_t *header = rc == 0 ? json_loads(h.json, 0, NULL) : NULL;
    lb_plan_header_clear(&h);
    json_t *codes = json_array();
    if (rc == 0 && (!header || !codes))
        rc = header ? LB_ENOMEM : LB_ECORRUPT;
    if (rc == 0)
        rc = plan_codes(t, codes);
    size_t i;
    json_t *e;
    json_array_foreach(a->list, i, e)
    {
        if (rc)
            break;
        rc = plan_fu_one(t, &ctx, a, i, e, header, codes);
    }
    json_decref(header);
    json_decref(codes);
    return rc;
}

static int cmd_plan_followups(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *data = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            data = optarg;
        } else {
            fputs(usage_plan_followups, c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (!data || optind != argc - 1) {
        fputs(usage_plan_followups, stderr);
        return 2;
    }
    const char *file = argv[optind];
    json_error_t jerr;
    json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        fprintf(stderr, "lotsd plan followups: %s:%d:%d: %s\n", file, jerr.line, jerr.column,
                jerr.text);
        return 1;
    }
    struct plan_fu_arg a = {.list = json_object_get(doc, "followups")};
    if (!json_is_array(a.list)) {
        fprintf(stderr, "lotsd plan followups: %s: expected {\"followups\": [...]}\n", file);
        json_decref(doc);
        return 1;
    }
    lb_store *s = NULL;
    struct lb_store_config scfg = {0};
    int rc = lb_store_open(data, &scfg, &s);
    if (rc == 0 && require_current("plan followups", data, s) != 0) {
        lb_store_close(s);
        json_decref(doc);
        return 1;
    }
    if (rc == 0) {
        rc = lb_store_run(s, op_plan_followups, &a);
        lb_store_close(s);
    }
    json_decref(doc);
    if (rc != 0) {
        fprintf(stderr, "lotsd plan followups: %s: %s\n", file, a.err[0] ? a.err : lb_strerror(rc));
        return 1;
    }
    printf("lotsd plan followups: %zu written, %zu unchanged\n", a.written, a.unchanged);
    return 0;
}

static const char usage_main[] =
    "usage: lotsd COMMAND [options]   (lotsd COMMAND --help for each)\n"
    "  init    create an environment with its admin and worker users\n"
    "  serve   run the HTTP/JSON API and the event publisher\n"
    "  backup  hot, compacting copy of an environment\n"
    "  check   verify an environment's consistency\n"
    "  compact rewrite data.mdb without free pages (offline; after anonymisations)\n"
    "  keygen  make the CURVE keys of the event sockets\n"
    "  reindex rebuild the search index\n"
    "  migrate bring a data directory of an older lotsd to this version\n"
    "  demo    fill a fresh environment with a year of demo data\n"
    "  admin-reset  give a user the role admin and a new password (locked out)\n"
    "  plan    load an action plan or follow-ups (plan load, plan followups)\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    argc--, argv++;
    if (strcmp(cmd, "init") == 0)
        return cmd_init(argc, argv);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc, argv);
    if (strcmp(cmd, "backup") == 0)
        return cmd_backup_check(argc, argv, true);
    if (strcmp(cmd, "check") == 0)
        return cmd_backup_check(argc, argv, false);
    if (strcmp(cmd, "demo") == 0)
        return cmd_demo(argc, argv);
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(argc, argv);
    if (strcmp(cmd, "compact") == 0)
        return cmd_compact(argc, argv);
    if (strcmp(cmd, "reindex") == 0)
        return cmd_reindex(argc, argv);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc, argv);
    if (strcmp(cmd, "admin-reset") == 0)
        return cmd_admin_reset(argc, argv);
    if (strcmp(cmd, "plan") == 0)
        return cmd_plan(argc, argv);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    fprintf(stderr, "lotsd: unknown command '%s'\n", cmd);
    fputs(usage_main, stderr);
    return 2;
}
