/* cmd_session.c: lots login, logout and whoami.
 *
 * login posts the username and password to /api/v1/sessions and saves the token
 * with the server it belongs to (config.c). The password never appears on the
 * command line: it is read from the terminal with echo off, from stdin's first
 * line when stdin is not a terminal, or from --password-file; the buffer is
 * wiped after use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsbok/error.h"
#include "lots.h"

static const struct lb_cli_optspec login_opts[] = {
    {"password-file", 0, LB_CLI_OPT_VALUE},
    {"user", 'u', LB_CLI_OPT_VALUE},
};

int lots_cmd_login(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, login_opts, 2, &a, &done);
    if (done)
        return rc;
    if (a.npos > 1)
        return lots_usage_error(cmd, "för många argument");
    char user[128], password[1024];
    const char *name = a.npos == 1 ? a.pos[0] : lb_cli_get(&a, "user");
    if (name) {
        snprintf(user, sizeof user, "%s", name);
    } else if (!isatty(STDIN_FILENO) ||
               lots_read_line("Användarnamn: ", false, user, sizeof user) != 0) {
        return lots_usage_error(cmd, "ange användarnamnet");
    }
    const char *file = lb_cli_get(&a, "password-file");
    if (file) {
        if (lots_read_password_file(file, password, sizeof password) != 0) {
            lots_error("kan inte läsa lösenordet från %s", file);
            return LB_CLI_EXIT_USAGE;
        }
    } else if (lots_read_line("Lösenord: ", true, password, sizeof password) != 0) {
        lots_error("inget lösenord angavs");
        return LB_CLI_EXIT_USAGE;
    }
    json_t *body = json_pack("{s:s, s:s}", "username", user, "password", password);
    memset(password, 0, sizeof password);
    if (!body) {
        lots_error("användarnamn och lösenord måste vara UTF-8");
        return LB_CLI_EXIT_USAGE;
    }
    json_t *session;
    rc = lots_call_noauth(l, "POST", "/api/v1/sessions", body, &session);
    json_t *pw = json_object_get(body, "password");
    if (pw)
        memset((char *)json_string_value(pw), 0, strlen(json_string_value(pw)));
    json_decref(body);
    if (rc != 0)
        return rc;
    const char *token = lots_js(session, "token");
    if (!token) {
        json_decref(session);
        lots_error("servern svarade utan token");
        return LB_CLI_EXIT_SERVER;
    }
    if (lots_config_save(l->server, token, lots_js(session, "expires_at")) != 0) {
        char path[4096] = "";
        lots_config_path(path, sizeof path);
        lots_error("kan inte spara token i %s", path);
        json_decref(session);
        return LB_CLI_EXIT_USAGE;
    }
    if (l->json) {
        lots_print_raw(l);
    } else {
        char until[32];
        lb_cli_local_time(lots_js(session, "expires_at"), until, sizeof until);
        printf("Inloggad som %s på %s (giltig till %s).\n", user, l->server, until);
    }
    json_decref(session);
    return 0;
}

int lots_cmd_logout(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "för många argument");
    /* Only the session of this server is ended, and only its saved token is
     * removed: a token saved for another server stays (and stays valid). */
    if (!l->token) {
        lots_error("inte inloggad på %s", l->server);
        return LB_CLI_EXIT_AUTH;
    }
    rc = lots_call_quiet(l, "DELETE", "/api/v1/sessions/current", NULL, NULL);
    /* An expired session (401) is as logged out as a deleted one. */
    if (rc == LB_CLI_EXIT_UNREACHABLE) {
        lots_error("servern %s kan inte nås; token är kvar", l->server);
        return rc;
    }
    if (rc != 0 && rc != LB_CLI_EXIT_AUTH) {
        lots_error("utloggningen misslyckades (status %ld)", l->status);
        return rc;
    }
    if (l->token_saved && lots_config_remove() != 0) {
        lots_error("kan inte ta bort den sparade token");
        return LB_CLI_EXIT_USAGE;
    }
    if (!l->json)
        printf("Utloggad.\n");
    else
        printf("{}\n");
    return 0;
}

int lots_cmd_whoami(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    json_t *me;
    if ((rc = lots_call(l, "GET", "/api/v1/me", NULL, &me)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
    } else {
        printf("Användare: %s\n", lots_js(me, "username") ? lots_js(me, "username") : "");
        printf("Roll:      %s\n", lb_cli_label("role", lots_js(me, "role")));
        json_t *units = json_object_get(me, "units"), *u;
        size_t i;
        printf("Enheter:   ");
        if (json_array_size(units) == 0)
            printf("–");
        json_array_foreach(units, i, u)
        {
            printf("%s%s", i ? ", " : "", lb_cli_label("unit", json_string_value(u)));
        }
        printf("\nServer:    %s\n", l->server);
    }
    json_decref(me);
    return 0;
}

int lots_cmd_auth_status(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "för många argument");
    if (!l->token) {
        fprintf(stderr, "Inte inloggad på %s (kör lots login).\n", l->server);
        return LB_CLI_EXIT_AUTH;
    }
    json_t *me;
    rc = lots_call_quiet(l, "GET", "/api/v1/me", NULL, &me);
    if (rc == LB_CLI_EXIT_AUTH) {
        fprintf(stderr,
                "Inte inloggad på %s: sessionen har gått ut eller avslutats (kör lots "
                "login).\n",
                l->server);
        return rc;
    }
    if (rc != 0)
        return lots_call(l, "GET", "/api/v1/me", NULL, &me); /* says why, in Swedish */
    if (l->json) {
        lots_print_raw(l);
        json_decref(me);
        return 0;
    }
    printf("Server:      %s\n", l->server);
    printf("Användare:   %s\n", lots_js(me, "username") ? lots_js(me, "username") : "");
    printf("Roll:        %s\n", lb_cli_label("role", lots_js(me, "role")));
    json_t *units = json_object_get(me, "units"), *u;
    size_t i;
    if (json_array_size(units) > 0) {
        printf("Enheter:     ");
        json_array_foreach(units, i, u)
        {
            printf("%s%s", i ? ", " : "", lb_cli_label("unit", json_string_value(u)));
        }
        printf("\n");
    }
    char *expires = l->token_saved ? lots_config_value("expires") : NULL;
    char until[32];
    lb_cli_local_time(expires, until, sizeof until);
    printf("Token:       %s\n", l->token_saved ? "sparad (lots login)" : "från LOTS_TOKEN");
    printf("Giltig till: %s\n", expires ? until : "okänt");
    free(expires);
    json_decref(me);
    return 0;
}
