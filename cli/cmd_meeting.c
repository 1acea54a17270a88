/* cmd_meeting.c: lots meeting add|list|show|attend|evaluate (docs/cli.md,
 * docs/meetings.md).
 *
 * attend adds to what is recorded: it reads the meeting, merges the given
 * companies (by id or organisationsnummer, ":N" persons) and staff counts
 * ("enhet:N") into its attendance and writes it back whole (PUT
 * /meetings/{id}/attendance). --new ORGNR:NAMN[:N] registers a company that
 * is not in the register yet (lotsd checks the organisationsnummer) and adds
 * it; an orgnr registered already is simply added. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/enums.h"
#include "lots.h"

static const char *kind_label(const char *kind)
{
    enum lb_meeting_kind k;
    if (kind && lb_meeting_kind_from_str(kind, &k) == 0)
        return lb_meeting_kind_label_sv(k);
    return kind ? kind : "";
}

static int meeting_path(const struct lots_cmd *cmd, const char *arg, char *path, size_t len,
                        const char *tail)
{
    if (!arg || !lb_cli_is_id(arg))
        return lots_usage_error(cmd, "ange träffens id");
    snprintf(path, len, "/api/v1/meetings/%s%s", arg, tail);
    return 0;
}

/* --- add ---------------------------------------------------------------------------- */

static const struct lb_cli_optspec add_opts[] = {
    {"kind", 0, LB_CLI_OPT_VALUE},     {"title", 0, LB_CLI_OPT_VALUE},
    {"at", 0, LB_CLI_OPT_VALUE},       {"place", 0, LB_CLI_OPT_VALUE},
    {"unit", 0, LB_CLI_OPT_VALUE},     {"action", 0, LB_CLI_OPT_VALUE},
    {"notes", 0, LB_CLI_OPT_VALUE},    {"need", 0, LB_CLI_OPT_VALUE},
    {"proposal", 0, LB_CLI_OPT_VALUE}, {"input", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_meeting_add(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, add_opts, sizeof add_opts / sizeof *add_opts, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    const char *kind = lb_cli_get(&a, "kind"), *title = lb_cli_get(&a, "title"),
               *at = lb_cli_get(&a, "at");
    enum lb_meeting_kind k;
    if (!kind || lb_meeting_kind_from_str(kind, &k) != 0)
        return lots_usage_error(cmd, "--kind krävs: business_meeting, cluster_meeting, "
                                     "infrastructure_meeting, company_training, staff_training, "
                                     "theme_day, recruitment_fair, dialogue eller other");
    if (!title || !at)
        return lots_usage_error(cmd, "--title och --at krävs");
    json_t *body = json_pack("{s:s,s:s,s:s}", "kind", kind, "title", title, "starts_at", at);
    if (!body)
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    static const char *const opt_keys[][2] = {
        {"place", "place"}, {"unit", "unit"}, {"notes", "notes"}};
    for (size_t i = 0; i < 3; i++)
        if (lb_cli_get(&a, opt_keys[i][0]))
            json_object_set_new(body, opt_keys[i][1], json_string(lb_cli_get(&a, opt_keys[i][0])));
    json_t *acts = json_array(), *items = json_array();
    const char *v;
    for (size_t i = 0; (v = lb_cli_get_nth(&a, "action", i)); i++)
        json_array_append_new(acts, json_string(v));
    static const char *const types[] = {"need", "proposal", "input"};
    for (size_t t = 0; t < 3; t++)
        for (size_t i = 0; (v = lb_cli_get_nth(&a, types[t], i)); i++)
            json_array_append_new(items, json_pack("{s:s,s:s}", "type", types[t], "text", v));
    json_object_set_new(body, "actions", acts);
    json_object_set_new(body, "notes_items", items);
    json_t *m;
    rc = lots_call(l, "POST", "/api/v1/meetings", body, &m);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
    } else {
        char id[24];
        printf("Träff %s är registrerad: %s\n", lots_jnum(m, "id", id, sizeof id),
               lots_js(m, "title") ? lots_js(m, "title") : "");
        if (lots_js(m, "evaluation_link"))
            printf("Utvärderingslänk: %s\n(QR-blad: lots meeting show %s --sheet FIL)\n",
                   lots_js(m, "evaluation_link"), id);
    }
    json_decref(m);
    return 0;
}

/* --- list --------------------------------------------------------------------------- */

static const struct lb_cli_optspec list_opts[] = {
    {"kind", 0, LB_CLI_OPT_VALUE},    {"year", 0, LB_CLI_OPT_VALUE},
    {"company", 0, LB_CLI_OPT_VALUE}, {"limit", 0, LB_CLI_OPT_VALUE},
    {"after", 0, LB_CLI_OPT_VALUE},
};

/* Prints meetings as a table (the list, a company's history). */
void lots_print_meetings(json_t *items)
{
    struct lb_cli_table t;
    const char *h[] = {"ID", "Datum", "Typ", "Företag", "Deltagare", "Utv.", "Titel"};
    if (lb_cli_table_init(&t, 7, h, 0x40u) != 0)
        return;
    size_t i;
    json_t *m;
    json_array_foreach(items, i, m)
    {
        char id[24], when[32], cos[24], parts[24], n[24];
        lb_cli_local_time(lots_js(m, "starts_at"), when, sizeof when);
        when[10] = '\0';
        json_t *ev = json_object_get(m, "evaluation");
        const char *row[] = {lots_jnum(m, "id", id, sizeof id),
                             when,
                             kind_label(lots_js(m, "kind")),
                             lots_jnum(m, "companies_count", cos, sizeof cos),
                             lots_jnum(m, "participants", parts, sizeof parts),
                             lots_jnum(ev, "n", n, sizeof n),
                             lots_js(m, "title")};
        lb_cli_table_add(&t, row);
    }
    lots_print_table(&t);
    lb_cli_table_free(&t);
}

int lots_cmd_meeting_list(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc =
        lots_args(l, cmd, argc, argv, list_opts, sizeof list_opts / sizeof *list_opts, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    struct lots_url u;
    lots_url_init(&u, "/api/v1/meetings");
    lots_url_q(&u, "kind", lb_cli_get(&a, "kind"));
    lots_url_q(&u, "year", lb_cli_get(&a, "year"));
    if (lb_cli_get(&a, "company")) {
        long long cid;
        if ((rc = lots_company_id(l, lb_cli_get(&a, "company"), &cid)) != 0)
            return rc;
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", cid);
        lots_url_q(&u, "company_id", buf);
    }
    lots_url_q(&u, "limit", lb_cli_get(&a, "limit"));
    lots_url_q(&u, "after", lb_cli_get(&a, "after"));
    json_t *list;
    if ((rc = lots_call(l, "GET", u.buf, NULL, &list)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
    } else if (json_array_size(json_object_get(list, "items")) == 0) {
        printf("Inga träffar.\n");
    } else {
        lots_print_meetings(json_object_get(list, "items"));
    }
    json_decref(list);
    return 0;
}

/* --- show --------------------------------------------------------------------------- */

/* "72 % av 9" or "visas inte (färre än 7 svar, n = 3)". */
static void print_measure(const char *label, json_t *m)
{
    if (!m)
        return;
    long long n = lots_jint(m, "n");
    if (json_is_true(json_object_get(m, "suppressed"))) {
        printf("  %-28s visas inte (färre än 7 svar, %lld svar)\n", label, n);
        return;
    }
    printf("  %-28s %.0f %% av %lld svar", label,
           json_real_value(json_object_get(m, "share")) * 100.0, n);
    if (json_object_get(m, "mean"))
        printf(" (medel %.1f av 6)", json_real_value(json_object_get(m, "mean")));
    printf("\n");
}

static const struct lb_cli_optspec show_opts[] = {
    {"sheet", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_meeting_show(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, show_opts, 1, &a, &done);
    if (done)
        return rc;
    char path[96];
    if (a.npos != 1 || (rc = meeting_path(cmd, a.pos[0], path, sizeof path, "")) != 0)
        return a.npos != 1 ? lots_usage_error(cmd, "ange träffens id") : rc;
    if (lb_cli_get(&a, "sheet")) {
        /* The printable sheet: fetched as the API's HTML into a file. */
        char sp[112];
        snprintf(sp, sizeof sp, "%s/sheet", path);
        rc = lots_call(l, "GET", sp, NULL, NULL);
        if (rc != 0)
            return rc;
        FILE *f = fopen(lb_cli_get(&a, "sheet"), "w");
        if (!f || !l->raw || fputs(l->raw, f) < 0 || fclose(f) != 0) {
            lots_error("kunde inte skriva %s", lb_cli_get(&a, "sheet"));
            return LB_CLI_EXIT_USAGE;
        }
        printf("QR-bladet är sparat i %s: öppna det i en webbläsare och skriv ut på A4.\n",
               lb_cli_get(&a, "sheet"));
        return 0;
    }
    json_t *m;
    if ((rc = lots_call(l, "GET", path, NULL, &m)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(m);
        return 0;
    }
    char when[32], id[24];
    lb_cli_local_time(lots_js(m, "starts_at"), when, sizeof when);
    printf("Träff %s: %s\n", lots_jnum(m, "id", id, sizeof id), lots_js(m, "title"));
    printf("  Typ:       %s\n  Tid:       %s\n", kind_label(lots_js(m, "kind")), when);
    if (lots_js(m, "place"))
        printf("  Plats:     %s\n", lots_js(m, "place"));
    printf("  Arrangör:  %s\n",
           lots_js(m, "unit") ? lb_cli_label("unit", lots_js(m, "unit")) : "Näringslivsenheten");
    json_t *acts = json_object_get(m, "actions"), *v;
    size_t i;
    if (json_array_size(acts)) {
        printf("  Åtgärder:  ");
        json_array_foreach(acts, i, v) printf("%s%s", i ? ", " : "", json_string_value(v));
        printf("\n");
    }
    if (lots_js(m, "notes"))
        printf("  Anteckningar: %s\n", lots_js(m, "notes"));
    char n1[24], n2[24];
    printf("\nDeltagare: %s (från %s företag)\n", lots_jnum(m, "participants", n1, sizeof n1),
           lots_jnum(m, "companies_count", n2, sizeof n2));
    json_t *cos = json_object_get(m, "companies");
    json_array_foreach(cos, i, v) printf("  %s (%s): %lld personer\n", lots_js(v, "name"),
                                         lots_js(v, "orgnr"), lots_jint(v, "persons"));
    json_array_foreach(json_object_get(m, "staff"), i, v)
        printf("  %s: %lld medarbetare\n",
               strcmp(lots_js(v, "unit"), "lots") == 0 ? "Näringslivsenheten"
                                                       : lb_cli_label("unit", lots_js(v, "unit")),
               lots_jint(v, "count"));
    json_t *items = json_object_get(m, "items");
    if (json_array_size(items)) {
        printf("\nDokumenterat:\n");
        json_array_foreach(items, i, v)
        {
            enum lb_meeting_item_type t;
            const char *lab = lb_meeting_item_type_from_str(lots_js(v, "type"), &t) == 0
                                  ? lb_meeting_item_type_label_sv(t)
                                  : lots_js(v, "type");
            printf("  %s: %s\n", lab, lots_js(v, "text"));
        }
    }
    json_t *ev = json_object_get(m, "evaluation");
    printf("\nUtvärdering: %lld svar (%lld från papper)\n", lots_jint(ev, "n"),
           lots_jint(ev, "paper"));
    print_measure("Fann träffen relevant (4–6):", json_object_get(ev, "relevant"));
    if (lots_jint(json_object_get(ev, "knowledge"), "n") > 0 || json_object_get(ev, "knowledge"))
        print_measure("Stärkta kunskaper:", json_object_get(ev, "knowledge"));
    json_array_foreach(json_object_get(m, "comments"), i, v) printf("  ”%s”\n", lots_js(v, "text"));
    if (lots_js(m, "evaluation_link"))
        printf("\nUtvärderingslänk: %s\n", lots_js(m, "evaluation_link"));
    json_decref(m);
    return 0;
}

/* --- attend ------------------------------------------------------------------------- */

static const struct lb_cli_optspec attend_opts[] = {
    {"company", 0, LB_CLI_OPT_VALUE},
    {"new", 0, LB_CLI_OPT_VALUE},
    {"staff", 0, LB_CLI_OPT_VALUE},
    {"remove", 0, LB_CLI_OPT_VALUE},
};

/* "X" or "X:N" -> X into ref (<= len), N into *n (1 when absent); false when N is bad. */
static bool split_count(const char *s, char *ref, size_t len, long long *n)
{
    const char *colon = strrchr(s, ':');
    *n = 1;
    if (colon) {
        char *end;
        *n = strtoll(colon + 1, &end, 10);
        if (*end || *n < 1 || *n > 100000)
            return false;
    }
    size_t l = colon ? (size_t)(colon - s) : strlen(s);
    if (l == 0 || l >= len)
        return false;
    memcpy(ref, s, l);
    ref[l] = '\0';
    return true;
}

/* Sets (or adds) the company's persons in the array of {company_id, persons}. */
static void set_company(json_t *cos, long long id, long long persons)
{
    size_t i;
    json_t *v;
    json_array_foreach(cos, i, v)
    {
        if (lots_jint(v, "company_id") == id) {
            json_object_set_new(v, "persons", json_integer(persons));
            return;
        }
    }
    json_array_append_new(
        cos, json_pack("{s:I,s:I}", "company_id", (json_int_t)id, "persons", (json_int_t)persons));
}

/* --new ORGNR:NAMN[:N]: registers the company unless its orgnr is known. */
static int register_company(struct lots *l, const struct lots_cmd *cmd, const char *spec,
                            long long *id, long long *persons)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    char *c1 = strchr(buf, ':');
    if (!c1 || c1 == buf || !c1[1])
        return lots_usage_error(cmd, "--new ska vara ORGNR:NAMN eller ORGNR:NAMN:PERSONER");
    *c1 = '\0';
    char *name = c1 + 1, *c2 = strrchr(name, ':');
    *persons = 1;
    if (c2) {
        char *end;
        long long n = strtoll(c2 + 1, &end, 10);
        if (!*end && n >= 1 && n <= 100000) {
            *persons = n;
            *c2 = '\0';
        }
    }
    json_t *body = json_pack("{s:s,s:s}", "orgnr", buf, "name", name), *co = NULL;
    if (!body)
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    int rc = lots_call_quiet(l, "POST", "/api/v1/companies", body, &co);
    json_decref(body);
    if (rc == 0) {
        *id = lots_jint(co, "id");
        printf("Företaget %s (%s) är registrerat.\n", lots_js(co, "name"), lots_js(co, "orgnr"));
        json_decref(co);
        return 0;
    }
    if (l->status == 409) /* registered already: attend with the existing record */
        return lots_company_id(l, buf, id);
    /* The server's reason (an orgnr that fails the check, most often). */
    body = json_pack("{s:s,s:s}", "orgnr", buf, "name", name);
    rc = lots_call(l, "POST", "/api/v1/companies", body, NULL);
    json_decref(body);
    return rc ? rc : LB_CLI_EXIT_SERVER;
}

int lots_cmd_meeting_attend(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, attend_opts, 4, &a, &done);
    if (done)
        return rc;
    char path[96];
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange träffens id");
    if ((rc = meeting_path(cmd, a.pos[0], path, sizeof path, "")) != 0)
        return rc;
    if (!lb_cli_has(&a, "company") && !lb_cli_has(&a, "new") && !lb_cli_has(&a, "staff") &&
        !lb_cli_has(&a, "remove"))
        return lots_usage_error(cmd, "ange --company, --new, --staff eller --remove");
    json_t *m;
    if ((rc = lots_call(l, "GET", path, NULL, &m)) != 0)
        return rc;
    json_t *cos = json_array(), *staff = json_array(), *v;
    size_t i;
    json_array_foreach(json_object_get(m, "companies"), i, v)
        set_company(cos, lots_jint(v, "company_id"), lots_jint(v, "persons"));
    json_array_foreach(json_object_get(m, "staff"), i, v) json_array_append(staff, v);
    json_decref(m);
    const char *s;
    for (size_t k = 0; rc == 0 && (s = lb_cli_get_nth(&a, "company", k)); k++) {
        char ref[64];
        long long n = 1, id = 0;
        if (!split_count(s, ref, sizeof ref, &n))
            rc = lots_usage_error(cmd, "--company ska vara ID, ORGNR eller ORGNR:PERSONER");
        else if ((rc = lots_company_id(l, ref, &id)) == 0)
            set_company(cos, id, n);
    }
    for (size_t k = 0; rc == 0 && (s = lb_cli_get_nth(&a, "new", k)); k++) {
        long long id = 0, n = 1;
        if ((rc = register_company(l, cmd, s, &id, &n)) == 0)
            set_company(cos, id, n);
    }
    for (size_t k = 0; rc == 0 && (s = lb_cli_get_nth(&a, "remove", k)); k++) {
        long long id;
        if ((rc = lots_company_id(l, s, &id)) != 0)
            break;
        for (size_t j = 0; j < json_array_size(cos); j++)
            if (lots_jint(json_array_get(cos, j), "company_id") == id)
                json_array_remove(cos, j--);
    }
    for (size_t k = 0; rc == 0 && (s = lb_cli_get_nth(&a, "staff", k)); k++) {
        char unit[64];
        long long n = 1;
        if (!strchr(s, ':') || !split_count(s, unit, sizeof unit, &n)) {
            rc = lots_usage_error(cmd, "--staff ska vara ENHET:ANTAL");
            break;
        }
        bool found = false;
        json_array_foreach(staff, i, v) if (strcmp(lots_js(v, "unit"), unit) == 0)
        {
            json_object_set_new(v, "count", json_integer(n));
            found = true;
        }
        if (!found)
            json_array_append_new(staff,
                                  json_pack("{s:s,s:I}", "unit", unit, "count", (json_int_t)n));
    }
    if (rc == 0) {
        json_t *body = json_pack("{s:o,s:o}", "companies", cos, "staff", staff);
        cos = staff = NULL;
        char ap[112];
        snprintf(ap, sizeof ap, "%s/attendance", path);
        json_t *out;
        rc = lots_call(l, "PUT", ap, body, &out);
        json_decref(body);
        if (rc == 0) {
            if (l->json)
                lots_print_raw(l);
            else
                printf("Närvaron är sparad: %lld deltagare från %lld företag.\n",
                       lots_jint(out, "participants"), lots_jint(out, "companies_count"));
            json_decref(out);
        }
    }
    json_decref(cos);
    json_decref(staff);
    return rc;
}

/* --- evaluate ----------------------------------------------------------------------- */

static const struct lb_cli_optspec eval_opts[] = {
    {"relevant", 0, LB_CLI_OPT_VALUE},
    {"knowledge", 0, LB_CLI_OPT_VALUE},
    {"comment", 0, LB_CLI_OPT_VALUE},
    {"company", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_meeting_evaluate(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, eval_opts, 4, &a, &done);
    if (done)
        return rc;
    char path[96];
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange träffens id");
    if ((rc = meeting_path(cmd, a.pos[0], path, sizeof path, "/evaluations")) != 0)
        return rc;
    json_t *body = json_object();
    const char *rel = lb_cli_get(&a, "relevant"), *kn = lb_cli_get(&a, "knowledge");
    if (rel) {
        if (strlen(rel) != 1 || rel[0] < '1' || rel[0] > '6') {
            json_decref(body);
            return lots_usage_error(cmd, "--relevant ska vara 1–6");
        }
        json_object_set_new(body, "relevant", json_integer(rel[0] - '0'));
    }
    if (kn) {
        if (strcmp(kn, "ja") != 0 && strcmp(kn, "nej") != 0) {
            json_decref(body);
            return lots_usage_error(cmd, "--knowledge ska vara ja eller nej");
        }
        json_object_set_new(body, "knowledge", json_boolean(strcmp(kn, "ja") == 0));
    }
    if (lb_cli_get(&a, "comment")) {
        json_t *c = json_string(lb_cli_get(&a, "comment"));
        if (!c) {
            json_decref(body);
            return lots_usage_error(cmd, "texten måste vara UTF-8");
        }
        json_object_set_new(body, "comment", c);
    }
    if (lb_cli_get(&a, "company")) {
        long long cid;
        if ((rc = lots_company_id(l, lb_cli_get(&a, "company"), &cid)) != 0) {
            json_decref(body);
            return rc;
        }
        json_object_set_new(body, "company_id", json_integer(cid));
    }
    json_t *out;
    rc = lots_call(l, "POST", path, body, &out);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json)
        lots_print_raw(l);
    else
        printf("Utvärderingen är sparad (från papper).\n");
    json_decref(out);
    return 0;
}
