/* cmd_admin.c: the administrator's commands: user add, list, disable, and backup.
 *
 * Backup: the API has no backup route (a hot copy must be written on the
 * server's own disk, next to the LMDB environment), so `lots backup` runs
 * `lotsd backup --data DIR --to PATH` itself when it is given the data directory
 * (--data or LOTSD_DATA), i.e. when it runs on the server host; otherwise it
 * prints that command to run there and exits 1. The lotsd binary is taken from
 * LOTSD (a path) or found on PATH. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lots.h"

static const struct lb_cli_optspec add_opts[] = {
    {"role", 0, LB_CLI_OPT_VALUE},
    {"unit", 0, LB_CLI_OPT_VALUE},
    {"password-file", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_user_add(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, add_opts, 3, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange användarnamnet");
    const char *role = lb_cli_get(&a, "role"), *file = lb_cli_get(&a, "password-file");
    if (!role)
        return lots_usage_error(cmd, "--role krävs");
    char pw[1024], again[1024];
    if (file) {
        if (lots_read_password_file(file, pw, sizeof pw) != 0) {
            lots_error("kan inte läsa lösenordet från %s", file);
            return LB_CLI_EXIT_USAGE;
        }
    } else {
        if (lots_read_line("Lösenord för den nya användaren: ", true, pw, sizeof pw) != 0) {
            lots_error("inget lösenord angavs");
            return LB_CLI_EXIT_USAGE;
        }
        if (isatty(STDIN_FILENO)) {
            int r = lots_read_line("Samma lösenord igen: ", true, again, sizeof again);
            bool same = r == 0 && strcmp(pw, again) == 0;
            memset(again, 0, sizeof again);
            if (!same) {
                memset(pw, 0, sizeof pw);
                lots_error("lösenorden är inte lika");
                return LB_CLI_EXIT_USAGE;
            }
        }
    }
    json_t *body = json_pack("{s:s, s:s, s:s}", "username", a.pos[0], "password", pw, "role", role);
    memset(pw, 0, sizeof pw);
    if (!body)
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    json_t *units = json_array();
    const char *u;
    for (size_t i = 0; units && (u = lb_cli_get_nth(&a, "unit", i)); i++)
        json_array_append_new(units, json_string(u));
    if (json_array_size(units) > 0)
        json_object_set_new(body, "units", units);
    else
        json_decref(units);
    json_t *user;
    rc = lots_call(l, "POST", "/api/v1/users", body, &user);
    json_t *p = json_object_get(body, "password");
    if (p)
        memset((char *)json_string_value(p), 0, strlen(json_string_value(p)));
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json)
        lots_print_raw(l);
    else
        printf("Användaren %s är skapad (%s).\n", a.pos[0],
               lb_cli_label("role", lots_js(user, "role")));
    json_decref(user);
    return 0;
}

int lots_cmd_user_list(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    json_t *list;
    if ((rc = lots_call(l, "GET", "/api/v1/users", NULL, &list)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(list);
        return 0;
    }
    struct lb_cli_table t;
    const char *h[] = {"Användare", "Roll", "Status", "Enheter"};
    if (lb_cli_table_init(&t, 4, h, 0x1u | 0x8u) == 0) {
        size_t i, k;
        json_t *x, *unit;
        json_array_foreach(json_object_get(list, "items"), i, x)
        {
            char units[512] = "";
            size_t used = 0;
            json_array_foreach(json_object_get(x, "units"), k, unit)
            {
                int n = snprintf(units + used, sizeof units - used, "%s%s", k ? ", " : "",
                                 json_string_value(unit) ? json_string_value(unit) : "");
                if (n < 0 || (size_t)n >= sizeof units - used)
                    break;
                used += (size_t)n;
            }
            const char *row[] = {
                lots_js(x, "username"), lb_cli_label("role", lots_js(x, "role")),
                json_is_true(json_object_get(x, "disabled")) ? "avstängd" : "aktiv", units};
            lb_cli_table_add(&t, row);
        }
        lots_print_table(&t);
        lb_cli_table_free(&t);
    }
    json_decref(list);
    return 0;
}

int lots_cmd_user_disable(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange användarnamnet");
    char *esc = lb_http_client_escape(a.pos[0]);
    if (!esc)
        return LB_CLI_EXIT_SERVER;
    char path[512];
    snprintf(path, sizeof path, "/api/v1/users/%s", esc);
    free(esc);
    json_t *body = json_pack("{s:b}", "disabled", 1), *u;
    rc = lots_call(l, "PATCH", path, body, &u);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json)
        lots_print_raw(l);
    else
        printf("Användaren %s är avstängd.\n", a.pos[0]);
    json_decref(u);
    return 0;
}

static const struct lb_cli_optspec backup_opts[] = {
    {"to", 0, LB_CLI_OPT_VALUE},
    {"data", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_backup(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, backup_opts, 2, &a, &done);
    if (done)
        return rc;
    const char *to = lb_cli_get(&a, "to"), *data = lb_cli_get(&a, "data");
    if (!data)
        data = getenv("LOTSD_DATA");
    if (!to || a.npos > 0)
        return lots_usage_error(cmd, "--to krävs");
    if (!data || !data[0]) {
        fprintf(stderr,
                "Säkerhetskopian tas på serverns dator (det finns inget API-anrop för det).\n"
                "Kör där:\n  lotsd backup --data DATAKATALOG --to %s\n"
                "eller ange datakatalogen: lots backup --to %s --data DATAKATALOG\n",
                to, to);
        return LB_CLI_EXIT_USAGE;
    }
    const char *lotsd = getenv("LOTSD") ? getenv("LOTSD") : "lotsd";
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        lots_error("kan inte starta lotsd: %s", lots_errno_sv(errno));
        return LB_CLI_EXIT_SERVER;
    }
    if (pid == 0) {
        execlp(lotsd, lotsd, "backup", "--data", data, "--to", to, (char *)NULL);
        fprintf(stderr, "Fel: kan inte köra %s: %s\n", lotsd, lots_errno_sv(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            lots_error("väntan på lotsd misslyckades");
            return LB_CLI_EXIT_SERVER;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (!l->json)
            printf("Säkerhetskopian är skriven till %s.\n", to);
        else {
            json_t *o = json_pack("{s:s}", "backup", to);
            char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
            printf("%s\n", text ? text : "{}");
            free(text);
            json_decref(o);
        }
        return 0;
    }
    lots_error("lotsd backup misslyckades");
    return LB_CLI_EXIT_SERVER;
}
