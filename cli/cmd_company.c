/* cmd_company.c: lots company add, show and find.
 *
 * A company argument is an id or an organisationsnummer in any accepted form;
 * the orgnr is validated locally with lb_orgnr_parse (so a typo is reported
 * before any request) and resolved with GET /companies?orgnr=. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/orgnr.h"
#include "lots.h"

/* "Namn;roll;telefon;e-post" -> {"name", "role"?, "phone"?, "email"?}; NULL when the
 * name is empty. */
static json_t *parse_contact(const char *spec)
{
    const char *keys[] = {"name", "role", "phone", "email"};
    json_t *o = json_object();
    const char *p = spec;
    for (size_t k = 0; o && k < 4 && p; k++) {
        const char *end = k < 3 ? strchr(p, ';') : NULL;
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && *p == ' ')
            p++, n--;
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (n > 0 && json_object_set_new(o, keys[k], json_stringn(p, n)) != 0) {
            json_decref(o);
            return NULL;
        }
        p = end ? end + 1 : NULL;
    }
    if (o && !json_object_get(o, "name")) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void print_company(const json_t *c)
{
    char id[24];
    printf("Företag %s: %s\n", lots_jnum(c, "id", id, sizeof id),
           lots_js(c, "name") ? lots_js(c, "name") : "");
    const char *f =
        lots_js(c, "orgnr_formatted") ? lots_js(c, "orgnr_formatted") : lots_js(c, "orgnr");
    printf("Org.nr:   %s%s\n", f ? f : "",
           json_is_true(json_object_get(c, "personal_orgnr")) ? " (enskild firma, personnummer)"
                                                              : "");
    if (lots_js(c, "locality"))
        printf("Ort:      %s\n", lots_js(c, "locality"));
    if (lots_js(c, "sni"))
        printf("SNI:      %s\n", lots_js(c, "sni"));
    if (lots_js(c, "anonymized_at")) {
        char when[32];
        lb_cli_local_time(lots_js(c, "anonymized_at"), when, sizeof when);
        printf("Anonymiserat: %s\n", when);
    }
    json_t *contacts = json_object_get(c, "contacts");
    if (json_array_size(contacts) > 0) {
        printf("\nKontaktpersoner:\n");
        struct lb_cli_table t;
        const char *h[] = {"Namn", "Roll", "Telefon", "E-post"};
        if (lb_cli_table_init(&t, 4, h, 0x1u | 0x2u | 0x8u) != 0)
            return;
        size_t i;
        json_t *p;
        json_array_foreach(contacts, i, p)
        {
            const char *row[] = {lots_js(p, "name"), lots_js(p, "role"), lots_js(p, "phone"),
                                 lots_js(p, "email")};
            lb_cli_table_add(&t, row);
        }
        lots_print_table(&t);
        lb_cli_table_free(&t);
    }
}

static const struct lb_cli_optspec add_opts[] = {
    {"orgnr", 0, LB_CLI_OPT_VALUE},    {"name", 0, LB_CLI_OPT_VALUE},
    {"locality", 0, LB_CLI_OPT_VALUE}, {"sni", 0, LB_CLI_OPT_VALUE},
    {"contact", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_company_add(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, add_opts, 5, &a, &done);
    if (done)
        return rc;
    const char *orgnr = lb_cli_get(&a, "orgnr"), *name = lb_cli_get(&a, "name");
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    if (!orgnr || !name)
        return lots_usage_error(cmd, "--orgnr och --name krävs");
    json_t *body = json_pack("{s:s, s:s}", "orgnr", orgnr, "name", name);
    if (!body)
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    const char *opt[] = {"locality", "sni"};
    for (size_t i = 0; i < 2; i++)
        if (lb_cli_get(&a, opt[i]))
            json_object_set_new(body, opt[i], json_string(lb_cli_get(&a, opt[i])));
    json_t *contacts = json_array();
    const char *spec;
    for (size_t i = 0; contacts && (spec = lb_cli_get_nth(&a, "contact", i)); i++) {
        json_t *p = parse_contact(spec);
        if (!p) {
            json_decref(contacts);
            json_decref(body);
            return lots_usage_error(cmd, "--contact: väntade \"Namn;roll;telefon;e-post\"");
        }
        json_array_append_new(contacts, p);
    }
    if (json_array_size(contacts) > 0)
        json_object_set_new(body, "contacts", contacts);
    else
        json_decref(contacts);
    json_t *c;
    rc = lots_call(l, "POST", "/api/v1/companies", body, &c);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
    } else {
        char id[24];
        printf("Företaget är registrerat: %s %s (id %s).\n",
               lots_js(c, "orgnr_formatted") ? lots_js(c, "orgnr_formatted") : "",
               lots_js(c, "name") ? lots_js(c, "name") : "", lots_jnum(c, "id", id, sizeof id));
    }
    json_decref(c);
    return 0;
}

int lots_cmd_company_show(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange ett företag (id eller organisationsnummer)");
    long long id = 0;
    if ((rc = lots_company_id(l, a.pos[0], &id)) != 0)
        return rc;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/companies/%lld", id);
    json_t *c;
    if ((rc = lots_call(l, "GET", path, NULL, &c)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(c);
        return 0;
    }
    print_company(c);
    json_decref(c);
    /* The company's cases, when the role may list them (a handler may not). */
    struct lots_url u;
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", id);
    lots_url_init(&u, "/api/v1/cases");
    lots_url_q(&u, "company_id", cid);
    json_t *list;
    if (lots_call_quiet(l, "GET", u.buf, NULL, &list) == 0) {
        json_t *items = json_object_get(list, "items");
        if (json_array_size(items) > 0) {
            printf("\nÄrenden:\n");
            struct lb_cli_table t;
            const char *h[] = {"Nummer", "Öppnat", "Status", "Ägare", "Rubrik"};
            if (lb_cli_table_init(&t, 5, h, 0x10u) == 0) {
                size_t i;
                json_t *k;
                json_array_foreach(items, i, k)
                {
                    char opened[32];
                    lb_cli_local_time(lots_js(k, "opened_at"), opened, sizeof opened);
                    opened[10] = '\0';
                    const char *row[] = {lots_js(k, "number"), opened,
                                         lb_cli_label("case_status", lots_js(k, "status")),
                                         lots_js(k, "owner"), lots_js(k, "subject")};
                    lb_cli_table_add(&t, row);
                }
                lots_print_table(&t);
                lb_cli_table_free(&t);
            }
        }
        json_decref(list);
    }
    /* The meetings it attended (docs/meetings.md), when the role may ask. */
    lots_url_init(&u, "/api/v1/meetings");
    lots_url_q(&u, "company_id", cid);
    if (lots_call_quiet(l, "GET", u.buf, NULL, &list) == 0) {
        json_t *items = json_object_get(list, "items");
        if (json_array_size(items) > 0) {
            printf("\nTräffar:\n");
            lots_print_meetings(items);
        }
        json_decref(list);
    }
    return 0;
}

int lots_cmd_company_find(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1 || !a.pos[0][0])
        return lots_usage_error(cmd, "ange en söktext eller ett organisationsnummer");
    struct lots_url u;
    struct lb_orgnr o;
    lots_url_init(&u, "/api/v1/companies");
    if (lb_orgnr_parse(a.pos[0], &o) == LB_ORGNR_OK)
        lots_url_q(&u, "orgnr", o.digits);
    else
        lots_url_q(&u, "q", a.pos[0]);
    if (u.overflow)
        return lots_usage_error(cmd, "söktexten är för lång");
    json_t *list;
    if ((rc = lots_call(l, "GET", u.buf, NULL, &list)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(list);
        return 0;
    }
    json_t *items = json_object_get(list, "items");
    if (json_array_size(items) == 0) {
        printf("Inga företag hittades.\n");
    } else {
        struct lb_cli_table t;
        const char *h[] = {"ID", "Org.nr", "Namn", "Ort"};
        if (lb_cli_table_init(&t, 4, h, 0x4u | 0x8u) == 0) {
            size_t i;
            json_t *c;
            json_array_foreach(items, i, c)
            {
                char id[24];
                const char *row[] = {lots_jnum(c, "id", id, sizeof id),
                                     lots_js(c, "orgnr_formatted"), lots_js(c, "name"),
                                     lots_js(c, "locality")};
                lb_cli_table_add(&t, row);
            }
            lots_print_table(&t);
            lb_cli_table_free(&t);
        }
    }
    json_decref(list);
    return 0;
}
