/* cmd_followup.c: the lots's follow-up calls: `lots followups` (today's and
 * overdue calls) and `lots followup record` (the call's result and answers).
 *
 * record first reads the call (GET /followups/{id}) to know what it covers: the
 * lots function ("lots") and/or units. With status done and stdin a terminal and
 * no --answer given, it shows whom to call (company, contact person, phone),
 * reads the survey out one question at a time, in Swedish, and accepts 1–6,
 * ja/nej or "vet ej" (an unreadable answer is asked again); then it shows the
 * answers and asks "Spara? [j/N]" before sending anything. When stdin is not a
 * terminal, done needs the answers as --answer DEL.FRÅGA=SVAR (as gh: required
 * when not running interactively): a call recorded done without answers could
 * not be told from one never asked.
 *
 * `lots followup show ID` prints one call: whom to call, what it covers, its
 * status and, once recorded, the answers and their corrections.
 *
 * `lots followup correct ID` corrects a call recorded done, the same day
 * (PATCH /followups/{id}/result with the version read as If-Match): the
 * answers given as --answer, or, at a terminal without them, each question
 * asked again with the recorded answer in brackets (an empty line keeps it).
 * At a terminal it shows what changes (before → after) and asks
 * "Spara? [j/N]"; only the changed answers are sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"
#include "lots.h"

static const struct lb_cli_optspec list_opts[] = {{"all", 0, LB_CLI_OPT_FLAG}};

/* "lots, Bygglov" for a call's items; cases numbers appended. */
static void describe_items(struct lots *l, struct lots_names *cases, const json_t *f, char *buf,
                           size_t len)
{
    size_t i, used = 0;
    json_t *it;
    buf[0] = '\0';
    json_array_foreach(json_object_get(f, "items"), i, it)
    {
        const char *kind = lots_js(it, "kind");
        const char *what = kind && strcmp(kind, "lots") == 0
                               ? "Lotsen"
                               : lb_cli_label("unit", lots_js(it, "unit"));
        int n = snprintf(buf + used, len - used, "%s%s %s", i ? ", " : "", what,
                         lots_case_number(l, cases, lots_jint(it, "case_id")));
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

/* The e-mail survey of a call (docs/surveys.md): "väntar sedan 11/12, 2 påm.",
 * "studsade", "avregistrerad", or "" when none was sent. */
static void survey_cell(const json_t *sv, char *buf, size_t len)
{
    buf[0] = '\0';
    const char *st = json_is_object(sv) ? lots_js(sv, "status") : NULL;
    if (!st)
        return;
    char sent[8] = "";
    lb_time t;
    const char *at = lots_js(sv, "sent_at");
    if (at && lb_time_parse_rfc3339(at, &t) == 0) {
        int y, m, d;
        lb_date_to_ymd(lb_stockholm_date(t), &y, &m, &d);
        snprintf(sent, sizeof sent, "%d/%d", d, m);
    }
    long long rem = lots_jint(sv, "reminders");
    if (strcmp(st, "sent") == 0 && rem > 0)
        snprintf(buf, len, "väntar sedan %s, %lld påm.", sent, rem);
    else if (strcmp(st, "sent") == 0)
        snprintf(buf, len, "väntar sedan %s", sent);
    else if (strcmp(st, "bounced") == 0)
        snprintf(buf, len, "studsade");
    else if (strcmp(st, "opted_out") == 0)
        snprintf(buf, len, "avregistrerad");
    else if (strcmp(st, "answered") == 0)
        snprintf(buf, len, "besvarad");
}

/* Today's list leaves out the calls waiting for an e-mail answer (their due
 * day is when they come on the list): says on stderr how many there are. */
static void waiting_hint(struct lots *l, const char *me)
{
    struct lots_url u;
    json_t *list = NULL;
    lots_url_init(&u, "/api/v1/followups?status=scheduled&limit=500");
    lots_url_q(&u, "assignee", me);
    if (lots_call(l, "GET", u.buf, NULL, &list) != 0)
        return;
    size_t i, n = 0;
    json_t *f;
    json_array_foreach(json_object_get(list, "items"), i, f)
    {
        n += json_is_true(json_object_get(json_object_get(f, "survey"), "waiting"));
    }
    json_decref(list);
    if (n > 0)
        fprintf(stderr, "%zu samtal väntar på svar på e-postenkäten (visa dem med --all).\n", n);
}

static int by_due(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *dx = lots_js(x, "due"), *dy = lots_js(y, "due");
    int c = strcmp(dx ? dx : "", dy ? dy : "");
    if (c != 0)
        return c;
    long long ix = lots_jint(x, "id"), iy = lots_jint(y, "id");
    return ix < iy ? -1 : ix > iy;
}

/* The items of a list ordered by due date (then id): the one to call first on top. */
static void sort_by_due(json_t *items)
{
    size_t n = json_array_size(items);
    json_t **v = n ? malloc(n * sizeof *v) : NULL;
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(items, i));
    qsort(v, n, sizeof *v, by_due);
    json_array_clear(items);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, v[i]);
    free(v);
}

int lots_cmd_followups(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, list_opts, 1, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    char me[128], today[16];
    if ((rc = lots_whoami_name(l, me, sizeof me)) != 0)
        return rc;
    lb_date_format(lb_stockholm_date(lb_time_now()), today);
    struct lots_url u;
    lots_url_init(&u, "/api/v1/followups?status=scheduled");
    lots_url_q(&u, "assignee", me);
    if (!lb_cli_has(&a, "all"))
        lots_url_q(&u, "due_before", today);
    lots_url_q(&u, "limit", "500");
    json_t *list;
    if ((rc = lots_call(l, "GET", u.buf, NULL, &list)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(list);
        return 0;
    }
    json_t *items = json_object_get(list, "items"), *f;
    if (!lb_cli_has(&a, "all"))
        waiting_hint(l, me);
    sort_by_due(items);
    if (json_array_size(items) == 0) {
        printf(lb_cli_has(&a, "all") ? "Inga planerade uppföljningssamtal.\n"
                                     : "Inga uppföljningssamtal att ringa i dag.\n");
        json_decref(list);
        return 0;
    }
    struct lb_cli_table t;
    struct lots_names companies = {0}, cases = {0};
    const char *h[] = {"ID", "Förfaller", "Företag", "Försök", "Gäller", "E-postenkät"};
    if (lb_cli_table_init(&t, 6, h, 0x4u | 0x10u | 0x20u) == 0) {
        size_t i;
        json_array_foreach(items, i, f)
        {
            char id[24], att[24], due[32], what[512];
            const char *d = lots_js(f, "due");
            snprintf(due, sizeof due, "%s%s", d ? d : "",
                     d && strcmp(d, today) < 0 ? " (sen)" : "");
            describe_items(l, &cases, f, what, sizeof what);
            char mail[96];
            survey_cell(json_object_get(f, "survey"), mail, sizeof mail);
            const char *row[] = {lots_jnum(f, "id", id, sizeof id),
                                 due,
                                 lots_company_name(l, &companies, lots_jint(f, "company_id")),
                                 lots_jnum(f, "attempts", att, sizeof att),
                                 what,
                                 mail};
            lb_cli_table_add(&t, row);
        }
        lots_print_table(&t);
        lb_cli_table_free(&t);
    }
    lots_names_free(&companies);
    lots_names_free(&cases);
    json_decref(list);
    return 0;
}

/* Asks one item's questions on the terminal into per (an object). 0, or an exit
 * code when input ended. */
static int ask_item(json_t *per, bool unit, const char *title)
{
    size_t n;
    const struct lb_cli_question *q = lb_cli_questions(unit, &n);
    printf("\n%s\n", title);
    for (size_t i = 0; i < n; i++) {
        for (;;) {
            char line[64], prompt[512];
            snprintf(prompt, sizeof prompt, "%zu. %s (%s): ", i + 1, q[i].text_sv,
                     q[i].type == LB_CLI_Q_SCALE ? "1–6, vet ej" : "ja/nej, vet ej");
            fflush(stdout);
            if (lots_read_line(prompt, false, line, sizeof line) != 0) {
                lots_error("inmatningen tog slut; inget registrerades");
                return LB_CLI_EXIT_USAGE;
            }
            json_t *v;
            if (lb_cli_answer_value(q[i].type, line, &v) == 0) {
                json_object_set_new(per, q[i].key, v);
                break;
            }
            fprintf(stderr, "Svara %s.\n",
                    q[i].type == LB_CLI_Q_SCALE ? "med en siffra 1–6 eller \"vet ej\""
                                                : "ja, nej eller \"vet ej\"");
        }
    }
    return 0;
}

/* Whom to call: the company, its contact people and their phone numbers. */
static void print_whom(struct lots *l, const json_t *f)
{
    char path[96], due[24];
    printf("Företag:     %s\n", lots_js(f, "company_name") ? lots_js(f, "company_name") : "");
    json_t *c = NULL, *p;
    snprintf(path, sizeof path, "/api/v1/companies/%lld", lots_jint(f, "company_id"));
    size_t i, shown = 0;
    if (lots_call_quiet(l, "GET", path, NULL, &c) == 0) {
        json_array_foreach(json_object_get(c, "contacts"), i, p)
        {
            const char *role = lots_js(p, "role"), *phone = lots_js(p, "phone");
            printf("%s%s%s%s%s%s%s\n", shown++ ? "             " : "Kontakt:     ",
                   lots_js(p, "name") ? lots_js(p, "name") : "", role ? " (" : "", role ? role : "",
                   role ? ")" : "", phone ? ", tel. " : "", phone ? phone : "");
        }
    }
    if (!shown)
        printf("Kontakt:     – (ingen kontaktperson registrerad)\n");
    json_decref(c);
    snprintf(due, sizeof due, "%s", lots_js(f, "due") ? lots_js(f, "due") : "");
    printf("Förfaller:   %s (tidigare försök: %lld)\n", due, lots_jint(f, "attempts"));
}

/* An answer as the lots reads it: "5", "ja", "nej", "vet ej" (also when absent). */
static void value_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, len, "%s", json_is_true(v) ? "ja" : "nej");
    else
        snprintf(buf, len, "vet ej");
}

/* The answers of one survey, question by question. */
static void print_answers(const json_t *answers)
{
    const char *key;
    json_t *per;
    json_object_foreach((json_t *)answers, key, per)
    {
        bool unit = strcmp(key, "lots") != 0;
        printf("%s\n", unit ? lb_cli_label("unit", key) : "Företagslotsen");
        const char *qk;
        json_t *v;
        json_object_foreach(per, qk, v)
        {
            const struct lb_cli_question *q = lb_cli_question_find(unit, qk);
            char val[32];
            value_text(v, val, sizeof val);
            printf("  %-6s %s\n", val, q ? q->text_sv : qk);
        }
    }
}

/* The survey for every item of the call f, asked on the terminal. */
static int ask_survey(const json_t *f, json_t *answers, char *comment, size_t comment_len)
{
    printf("Skala 1–6: 1 = mycket missnöjd, 6 = mycket nöjd. Svara \"vet ej\" när den\n"
           "tillfrågade inte vet eller inte vill svara.\n");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(f, "items"), i, it)
    {
        const char *kind = lots_js(it, "kind");
        bool unit = !(kind && strcmp(kind, "lots") == 0);
        const char *key = unit ? lots_js(it, "unit") : "lots";
        if (!key || json_object_get(answers, key))
            continue; /* two hand-offs to one unit: one set of answers */
        json_t *per = json_object();
        if (!per || json_object_set_new(answers, key, per) != 0)
            return LB_CLI_EXIT_SERVER;
        char title[256];
        if (unit)
            snprintf(title, sizeof title, "Frågor om %s:", lb_cli_label("unit", key));
        else
            snprintf(title, sizeof title, "Frågor om företagslotsen:");
        int rc = ask_item(per, unit, title);
        if (rc != 0)
            return rc;
    }
    fflush(stdout);
    if (lots_read_line("\nKommentar (tom rad för ingen): ", false, comment, comment_len) != 0)
        comment[0] = '\0';
    return 0;
}

static const struct lb_cli_optspec record_opts[] = {
    {"status", 0, LB_CLI_OPT_VALUE},
    {"answer", 0, LB_CLI_OPT_VALUE},
    {"comment", 0, LB_CLI_OPT_VALUE},
    {"channel", 0, LB_CLI_OPT_VALUE},
};

/* --channel in Swedish or as the API says it: how the answer came. */
static const char *channel_of(const char *s)
{
    static const char *const map[][2] = {
        {"telefon", "phone"}, {"phone", "phone"}, {"papper", "paper"}, {"paper", "paper"},
        {"e-post", "email"},  {"epost", "email"}, {"email", "email"}};
    for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(s, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

int lots_cmd_followup_record(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, record_opts, 4, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1 || !lb_cli_is_id(a.pos[0]))
        return lots_usage_error(cmd, "ange uppföljningens id");
    const char *channel = lb_cli_get(&a, "channel");
    if (channel && !channel_of(channel))
        return lots_usage_error(cmd, "--channel: telefon, papper eller e-post");
    const char *status = lb_cli_get(&a, "status");
    if (!status)
        return lots_usage_error(cmd, "--status krävs (done, no_answer eller declined)");
    json_t *answers = json_object();
    if (!answers)
        return LB_CLI_EXIT_SERVER;
    char err[256];
    const char *spec;
    for (size_t i = 0; (spec = lb_cli_get_nth(&a, "answer", i)); i++) {
        if ((rc = lb_cli_answers_add(answers, spec, err, sizeof err)) != 0) {
            json_decref(answers);
            return rc == LB_ENOMEM ? LB_CLI_EXIT_SERVER : lots_usage_error(cmd, "%s", err);
        }
    }
    char path[96], comment[2048] = "";
    snprintf(path, sizeof path, "/api/v1/followups/%s", a.pos[0]);
    bool done_call = strcmp(status, "done") == 0;
    bool interactive =
        done_call && json_object_size(answers) == 0 && isatty(STDIN_FILENO) && !l->json;
    if (done_call && json_object_size(answers) == 0 && !interactive) {
        json_decref(answers);
        return lots_usage_error(cmd, "--answer krävs med --status done när standard in inte är "
                                     "en terminal (frågorna ställs bara vid en terminal)");
    }
    if (interactive) {
        json_t *f;
        if ((rc = lots_call(l, "GET", path, NULL, &f)) != 0) {
            json_decref(answers);
            return rc;
        }
        print_whom(l, f);
        printf("\n");
        rc = ask_survey(f, answers, comment, sizeof comment);
        json_decref(f);
        if (rc == 0) {
            char yes[16];
            printf("\nSvaren:\n");
            print_answers(answers);
            if (comment[0])
                printf("Kommentar: %s\n", comment);
            fflush(stdout);
            if (lots_read_line("Spara? [j/N] ", false, yes, sizeof yes) != 0 ||
                (strcmp(yes, "j") != 0 && strcmp(yes, "J") != 0 && strcmp(yes, "ja") != 0)) {
                printf("Inget sparades.\n");
                rc = LB_CLI_EXIT_USAGE;
            }
        }
        if (rc != 0) {
            json_decref(answers);
            return rc;
        }
    }
    json_t *body = json_pack("{s:s}", "status", status);
    if (!body) {
        json_decref(answers);
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    }
    if (json_object_size(answers) > 0)
        json_object_set(body, "answers", answers);
    json_decref(answers);
    const char *c = lb_cli_get(&a, "comment") ? lb_cli_get(&a, "comment") : comment;
    if (c[0])
        json_object_set_new(body, "comment", json_string(c));
    if (channel)
        json_object_set_new(body, "channel", json_string(channel_of(channel)));
    snprintf(path, sizeof path, "/api/v1/followups/%s/result", a.pos[0]);
    json_t *f;
    rc = lots_call(l, "POST", path, body, &f);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
    } else {
        const char *now = lots_js(f, "status");
        printf("Uppföljning %s är registrerad: %s.", a.pos[0],
               lb_cli_label("followup_status", status));
        if (now && strcmp(now, "scheduled") == 0)
            printf(" Nytt försök %s.", lots_js(f, "due") ? lots_js(f, "due") : "");
        else if (now && strcmp(now, "unreachable") == 0)
            printf(" Företaget nåddes inte efter tre försök.");
        printf("\n");
    }
    json_decref(f);
    return 0;
}

int lots_cmd_followup_show(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1 || !lb_cli_is_id(a.pos[0]))
        return lots_usage_error(cmd, "ange uppföljningens id (ett tal)");
    char path[96];
    snprintf(path, sizeof path, "/api/v1/followups/%s", a.pos[0]);
    json_t *f;
    if ((rc = lots_call(l, "GET", path, NULL, &f)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(f);
        return 0;
    }
    printf("Uppföljning %s  %s\n", a.pos[0], lb_cli_label("followup_status", lots_js(f, "status")));
    print_whom(l, f);
    printf("Ringer:      %s\n", lots_js(f, "assignee") ? lots_js(f, "assignee") : "");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(f, "items"), i, it)
    {
        const char *kind = lots_js(it, "kind");
        printf("%s%s: %s %s\n", i ? "             " : "Gäller:      ",
               kind && strcmp(kind, "lots") == 0 ? "Lotsen"
                                                 : lb_cli_label("unit", lots_js(it, "unit")),
               lots_js(it, "case_number") ? lots_js(it, "case_number") : "",
               lots_js(it, "case_subject") ? lots_js(it, "case_subject") : "");
    }
    json_t *answers = json_object_get(f, "answers");
    if (json_object_size(answers) > 0) {
        printf("\nSvar:\n");
        print_answers(answers);
    }
    if (lots_js(f, "comment"))
        printf("Kommentar:   %s\n", lots_js(f, "comment"));
    json_t *cors = json_object_get(f, "corrections"), *k;
    if (json_array_size(cors) > 0) {
        printf("\nRättelser:\n");
        json_array_foreach(cors, i, k)
        {
            char at[64], before[32], after[32];
            lb_cli_local_time(lots_js(k, "at"), at, sizeof at);
            value_text(json_object_get(k, "before"), before, sizeof before);
            value_text(json_object_get(k, "after"), after, sizeof after);
            const char *item = lots_js(k, "item") ? lots_js(k, "item") : "";
            printf("  %s %s: %s.%s %s → %s\n", at, lots_js(k, "by") ? lots_js(k, "by") : "", item,
                   lots_js(k, "question") ? lots_js(k, "question") : "", before, after);
        }
    }
    json_decref(f);
    return 0;
}

/* --- lots followup correct ------------------------------------------------------- */

/* Asks one item's questions again into per, the recorded answers cur (may be
 * NULL) in brackets; an empty line keeps the recorded answer. */
static int ask_item_again(json_t *per, const json_t *cur, bool unit, const char *title)
{
    size_t n;
    const struct lb_cli_question *q = lb_cli_questions(unit, &n);
    printf("\n%s\n", title);
    for (size_t i = 0; i < n; i++) {
        json_t *was = json_object_get(cur, q[i].key);
        for (;;) {
            char line[64], prompt[512], val[32];
            value_text(was, val, sizeof val);
            snprintf(prompt, sizeof prompt, "%zu. %s (%s) [%s]: ", i + 1, q[i].text_sv,
                     q[i].type == LB_CLI_Q_SCALE ? "1–6, vet ej" : "ja/nej, vet ej", val);
            fflush(stdout);
            if (lots_read_line(prompt, false, line, sizeof line) != 0) {
                lots_error("inmatningen tog slut; inget rättades");
                return LB_CLI_EXIT_USAGE;
            }
            json_t *v;
            if (strspn(line, " \t") == strlen(line)) {
                json_object_set_new(per, q[i].key, was ? json_incref(was) : json_null());
                break;
            }
            if (lb_cli_answer_value(q[i].type, line, &v) == 0) {
                json_object_set_new(per, q[i].key, v);
                break;
            }
            fprintf(stderr, "Svara %s, eller tom rad för att behålla svaret.\n",
                    q[i].type == LB_CLI_Q_SCALE ? "med en siffra 1–6 eller \"vet ej\""
                                                : "ja, nej eller \"vet ej\"");
        }
    }
    return 0;
}

/* The answers of want that differ from the recorded ones cur (an answer left
 * out is "vet ej"), as a new object {item: {question: value}}. */
static json_t *answer_changes(const json_t *want, const json_t *cur)
{
    json_t *out = json_object(), *per, *v;
    const char *item, *key;
    json_object_foreach((json_t *)want, item, per)
    {
        json_t *was = json_object_get(cur, item);
        json_object_foreach(per, key, v)
        {
            json_t *w = json_object_get(was, key);
            bool same = (w == NULL || json_is_null(w)) ? json_is_null(v) : json_equal(w, v);
            if (same)
                continue;
            json_t *o = json_object_get(out, item);
            if (!o) {
                o = json_object();
                json_object_set_new(out, item, o);
            }
            json_object_set(o, key, v);
        }
    }
    return out;
}

/* Prints the changes: "Bygglov  Hur nöjd …: 2 → 5". */
static void print_changes(const json_t *changes, const json_t *cur)
{
    const char *item, *key;
    json_t *per, *v;
    json_object_foreach((json_t *)changes, item, per)
    {
        bool unit = strcmp(item, "lots") != 0;
        printf("%s\n", unit ? lb_cli_label("unit", item) : "Företagslotsen");
        json_object_foreach(per, key, v)
        {
            const struct lb_cli_question *q = lb_cli_question_find(unit, key);
            char before[32], after[32];
            value_text(json_object_get(json_object_get(cur, item), key), before, sizeof before);
            value_text(v, after, sizeof after);
            printf("  %s → %s  %s\n", before, after, q ? q->text_sv : key);
        }
    }
}

static const struct lb_cli_optspec correct_opts[] = {{"answer", 0, LB_CLI_OPT_VALUE}};

int lots_cmd_followup_correct(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, correct_opts, 1, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1 || !lb_cli_is_id(a.pos[0]))
        return lots_usage_error(cmd, "ange uppföljningens id (ett tal)");
    json_t *want = json_object();
    if (!want)
        return LB_CLI_EXIT_SERVER;
    char err[256];
    const char *spec;
    for (size_t i = 0; (spec = lb_cli_get_nth(&a, "answer", i)); i++) {
        if ((rc = lb_cli_answers_add(want, spec, err, sizeof err)) != 0) {
            json_decref(want);
            return rc == LB_ENOMEM ? LB_CLI_EXIT_SERVER : lots_usage_error(cmd, "%s", err);
        }
    }
    bool terminal = isatty(STDIN_FILENO) && !l->json;
    if (json_object_size(want) == 0 && !terminal) {
        json_decref(want);
        return lots_usage_error(cmd, "--answer krävs när standard in inte är en terminal "
                                     "(frågorna ställs bara vid en terminal)");
    }
    char path[96];
    snprintf(path, sizeof path, "/api/v1/followups/%s", a.pos[0]);
    json_t *f = NULL, *changes = NULL;
    if ((rc = lots_call(l, "GET", path, NULL, &f)) != 0) {
        json_decref(want);
        return rc;
    }
    const char *st = lots_js(f, "status");
    const json_t *cur = json_object_get(f, "answers");
    if (!st || strcmp(st, "done") != 0) {
        lots_error("uppföljning %s är %s, inte genomförd; bara ett genomfört samtals svar kan "
                   "rättas",
                   a.pos[0], st ? lb_cli_label("followup_status", st) : "okänd");
        rc = LB_CLI_EXIT_REJECTED;
        goto out;
    }
    if (json_object_size(want) == 0) {
        printf("Uppföljning %s. Inom hakparentes det registrerade svaret; tom rad behåller det.\n",
               a.pos[0]);
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(f, "items"), i, it)
        {
            const char *kind = lots_js(it, "kind");
            bool unit = !(kind && strcmp(kind, "lots") == 0);
            const char *key = unit ? lots_js(it, "unit") : "lots";
            if (!key || json_object_get(want, key))
                continue;
            json_t *per = json_object();
            if (!per || json_object_set_new(want, key, per) != 0) {
                rc = LB_CLI_EXIT_SERVER;
                goto out;
            }
            char title[256];
            if (unit)
                snprintf(title, sizeof title, "Frågor om %s:", lb_cli_label("unit", key));
            else
                snprintf(title, sizeof title, "Frågor om företagslotsen:");
            if ((rc = ask_item_again(per, json_object_get(cur, key), unit, title)) != 0)
                goto out;
        }
    }
    if (!(changes = answer_changes(want, cur))) {
        rc = LB_CLI_EXIT_SERVER;
        goto out;
    }
    if (json_object_size(changes) == 0) {
        printf("Svaren är oförändrade; inget skickades.\n");
        goto out;
    }
    if (terminal) {
        char yes[16];
        printf("\nRättelser:\n");
        print_changes(changes, cur);
        fflush(stdout);
        if (lots_read_line("Spara? [j/N] ", false, yes, sizeof yes) != 0 ||
            (strcmp(yes, "j") != 0 && strcmp(yes, "J") != 0 && strcmp(yes, "ja") != 0)) {
            printf("Inget sparades.\n");
            rc = LB_CLI_EXIT_USAGE;
            goto out;
        }
    }
    char version[32];
    snprintf(version, sizeof version, "%lld", lots_jint(f, "version"));
    json_t *body = json_pack("{s:O}", "answers", changes), *got = NULL;
    if (!body) {
        rc = LB_CLI_EXIT_SERVER;
        goto out;
    }
    snprintf(path, sizeof path, "/api/v1/followups/%s/result", a.pos[0]);
    rc = lots_call_match(l, "PATCH", path, body, version, &got);
    json_decref(body);
    if (rc == 0) {
        if (l->json) {
            lots_print_raw(l);
        } else {
            printf("Svaren på uppföljning %s är rättade:\n", a.pos[0]);
            print_changes(changes, cur);
        }
    }
    json_decref(got);
out:
    json_decref(changes);
    json_decref(want);
    json_decref(f);
    return rc;
}
