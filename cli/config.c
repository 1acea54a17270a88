/* config.c: where `lots` keeps its session token.
 *
 * `lots login` saves the server URL and the token in
 * $XDG_CONFIG_HOME/lotsbok/token (default ~/.config/lotsbok/token) as two
 * "key=value" lines. The directory is made 0700 and the file 0600, and the file
 * is replaced atomically (written to a temporary file in the same directory,
 * synced, renamed), so a crash never leaves half a token behind.
 *
 * Resolution: --server, then LOTS_SERVER, then the saved server, then
 * http://127.0.0.1:8080. LOTS_TOKEN wins over the file; the saved token is sent
 * only to the server it was issued by, so pointing lots at another server never
 * leaks it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsbok/error.h"
#include "lots.h"

int lots_config_path(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, len, "%s/lotsbok/token", xdg);
    else if (home && home[0])
        n = snprintf(buf, len, "%s/.config/lotsbok/token", home);
    else
        return LB_EINVAL;
    return n > 0 && (size_t)n < len ? 0 : LB_EINVAL;
}

int lots_config_load(char **server, char **token)
{
    char path[4096], line[4096];
    *server = *token = NULL;
    if (lots_config_path(path, sizeof path) != 0)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : LB_EIO;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char **dst = strncmp(line, "server=", 7) == 0  ? server
                     : strncmp(line, "token=", 6) == 0 ? token
                                                       : NULL;
        if (!dst || *dst)
            continue;
        *dst = strdup(strchr(line, '=') + 1);
        if (!*dst)
            rc = LB_ENOMEM;
    }
    if (ferror(f))
        rc = LB_EIO;
    fclose(f);
    if (rc != 0) {
        free(*server);
        free(*token);
        *server = *token = NULL;
    }
    return rc;
}

/* mkdir -m mode, accepting an existing directory (whose mode is then set). */
static int make_dir(const char *path, mode_t mode, bool force_mode)
{
    if (mkdir(path, mode) != 0) {
        if (errno != EEXIST)
            return LB_EIO;
        if (force_mode && chmod(path, mode) != 0)
            return LB_EIO;
    }
    return 0;
}

char *lots_config_value(const char *key)
{
    char path[4096], line[4096];
    size_t klen = strlen(key);
    if (lots_config_path(path, sizeof path) != 0)
        return NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *v = NULL;
    while (!v && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, key, klen) == 0 && line[klen] == '=')
            v = strdup(line + klen + 1);
    }
    fclose(f);
    return v;
}

int lots_config_save(const char *server, const char *token, const char *expires)
{
    char path[4096], dir[4096], tmp[4200];
    if (lots_config_path(path, sizeof path) != 0)
        return LB_EINVAL;
    if (strchr(server, '\n') || strchr(token, '\n') || (expires && strchr(expires, '\n')))
        return LB_EINVAL;
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    /* The parent (~/.config) is created 0700 when missing but never re-moded. */
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    *strrchr(parent, '/') = '\0';
    if (parent[0] && make_dir(parent, 0700, false) != 0)
        return LB_EIO;
    if (make_dir(dir, 0700, true) != 0)
        return LB_EIO;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return LB_EIO;
    FILE *f = fchmod(fd, 0600) == 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        close(fd);
        unlink(tmp);
        return LB_EIO;
    }
    int ok = fprintf(f, "server=%s\ntoken=%s\n", server, token) > 0;
    if (expires)
        ok = fprintf(f, "expires=%s\n", expires) > 0 && ok;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return LB_EIO;
    }
    return 0;
}

int lots_config_remove(void)
{
    char path[4096];
    if (lots_config_path(path, sizeof path) != 0)
        return 0;
    if (unlink(path) != 0 && errno != ENOENT)
        return LB_EIO;
    return 0;
}

/* URLs compared without a trailing slash; a saved one without a scheme as http://. */
static bool same_server(const char *a, const char *b)
{
    if (!strstr(a, "://") && strncmp(b, "http://", 7) == 0)
        b += 7;
    size_t la = strlen(a), lb = strlen(b);
    while (la > 0 && a[la - 1] == '/')
        la--;
    while (lb > 0 && b[lb - 1] == '/')
        lb--;
    return la == lb && strncmp(a, b, la) == 0;
}

int lots_config_resolve(struct lots *l)
{
    char *saved_server = NULL, *saved_token = NULL;
    int rc = lots_config_load(&saved_server, &saved_token);
    if (rc == LB_ENOMEM)
        return rc;
    const char *env_server = getenv("LOTS_SERVER"), *env_token = getenv("LOTS_TOKEN");
    const char *server = l->server_opt                 ? l->server_opt
                         : env_server && env_server[0] ? env_server
                         : saved_server                ? saved_server
                                                       : LOTS_DEFAULT_SERVER;
    free(l->server);
    free(l->token);
    l->token = NULL;
    l->token_saved = false;
    if (strstr(server, "://")) {
        l->server = strdup(server);
    } else if ((l->server = malloc(strlen(server) + 8)) != NULL) {
        strcpy(l->server, "http://");
        strcat(l->server, server);
    }
    server = l->server ? l->server : "";
    const char *tok = env_token && env_token[0] ? env_token
                      : saved_token && saved_server && same_server(saved_server, server)
                          ? saved_token
                          : NULL;
    if (tok)
        l->token = strdup(tok);
    l->token_saved = tok && tok == saved_token;
    rc = l->server && (!tok || l->token) ? 0 : LB_ENOMEM;
    if (saved_token)
        memset(saved_token, 0, strlen(saved_token));
    free(saved_server);
    free(saved_token);
    return rc;
}
