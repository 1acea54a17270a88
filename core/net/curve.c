/* curve.c: ZeroMQ CURVE key files and the loopback rule (see curve.h).
 *
 * Keys are made by libzmq (zmq_curve_keypair, libsodium underneath) and kept as
 * Z85 text in ZeroMQ's certificate format, so other ZeroMQ tools read them.
 * Reading is strict: a file larger than 4 KiB, a key that is not 40 Z85
 * characters, a secret key file with group or other permissions, or a key pair
 * whose public half does not follow from its secret half (zmq_curve_public) is
 * refused with a message naming the file. Files are written with O_EXCL and
 * mode 0600 (fchmod, whatever the umask) and synced. */
#include "lotsbok/curve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "lotsbok/error.h"

#define KEY_FILE_MAX 4096
#define Z85_LEN 40

bool lb_curve_available(void)
{
    return zmq_has("curve") != 0;
}

static int fail(char *why, size_t whylen, int rc, const char *fmt, const char *a, const char *b)
{
    snprintf(why, whylen, fmt, a, b ? b : "");
    return rc;
}

/* A client name: 1..64 of a-z 0-9 . _ -, not starting with '.', not "server". */
static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > LB_CURVE_NAME_MAX || s[0] == '.' || strcmp(s, "server") == 0)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
              *s == '-'))
            return false;
    return true;
}

static int errno_to_lb(int e)
{
    switch (e) {
    case ENOENT:
        return LB_ENOTFOUND;
    case EEXIST:
        return LB_EEXIST;
    case EACCES:
    case EPERM:
        return LB_EPERM;
    case ENOSPC:
    case EDQUOT:
        return LB_ENOSPC;
    case ENOMEM:
        return LB_ENOMEM;
    default:
        return LB_EIO;
    }
}

/* Finds `label = "VALUE"` in text and decodes its 40 Z85 characters into out.
 * 1 found, 0 absent, -1 malformed. */
static int find_key(const char *text, const char *label, uint8_t out[LB_CURVE_KEY])
{
    size_t ll = strlen(label);
    for (const char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, label, ll) != 0)
            continue;
        p += ll;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '=')
            return -1;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '"')
            return -1;
        const char *end = strchr(p, '"');
        const char *nl = strchr(p, '\n');
        if (!end || (nl && nl < end) || end - p != Z85_LEN)
            return -1;
        char z85[Z85_LEN + 1];
        memcpy(z85, p, Z85_LEN);
        z85[Z85_LEN] = '\0';
        return zmq_z85_decode(out, z85) ? 1 : -1;
    }
    return 0;
}

/* Reads a key file into buf (NUL-terminated). secret: refuse group/other bits. */
static int read_key_file(const char *path, bool secret, char *buf, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return fail(why, whylen, errno == ENOENT ? LB_ENOTFOUND : LB_EPERM, "cannot open %s: %s",
                    path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(why, whylen, LB_EINVAL, "%s is not a regular file%s", path, NULL);
    }
    if (secret && (st.st_mode & 077)) {
        close(fd);
        return fail(why, whylen, LB_EPERM,
                    "%s holds a secret key and is readable by others: chmod 600 it%s", path, NULL);
    }
    ssize_t n = read(fd, buf, KEY_FILE_MAX);
    close(fd);
    if (n < 0 || n >= KEY_FILE_MAX)
        return fail(why, whylen, LB_EINVAL, "cannot read %s (or it is over 4 KiB)%s", path, NULL);
    buf[n] = '\0';
    return 0;
}

/* Reads a key pair (secret) or a public key from path. */
static int load_keys(const char *path, bool secret, uint8_t pub[LB_CURVE_KEY],
                     uint8_t sec[LB_CURVE_KEY], char *why, size_t whylen)
{
    char *buf = malloc(KEY_FILE_MAX);
    if (!buf)
        return LB_ENOMEM;
    int rc = read_key_file(path, secret, buf, why, whylen);
    if (rc == 0 && find_key(buf, "public-key", pub) != 1)
        rc = fail(why, whylen, LB_EINVAL, "%s: no valid public-key = \"<40 Z85 characters>\"%s",
                  path, NULL);
    if (rc == 0 && secret) {
        if (find_key(buf, "secret-key", sec) != 1) {
            rc = fail(why, whylen, LB_EINVAL, "%s: no valid secret-key = \"<40 Z85 characters>\"%s",
                      path, NULL);
        } else {
            char zsec[Z85_LEN + 1], zpub[Z85_LEN + 1], zgot[Z85_LEN + 1];
            if (!zmq_z85_encode(zsec, sec, LB_CURVE_KEY) || zmq_curve_public(zpub, zsec) != 0 ||
                !zmq_z85_encode(zgot, pub, LB_CURVE_KEY) || strcmp(zpub, zgot) != 0)
                rc = fail(why, whylen, LB_EINVAL,
                          "%s: the public key does not belong to the secret key%s", path, NULL);
            sodium_memzero(zsec, sizeof zsec);
        }
    }
    sodium_memzero(buf, KEY_FILE_MAX);
    free(buf);
    return rc;
}

static int path_in(char *out, size_t len, const char *dir, const char *a, const char *b)
{
    int n = snprintf(out, len, "%s/%s%s", dir, a, b ? b : "");
    return n < 0 || (size_t)n >= len ? LB_ETOOBIG : 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct lb_curve_peer *)a)->name, ((const struct lb_curve_peer *)b)->name);
}

int lb_curve_server_load(const char *dir, struct lb_curve_server *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    int rc = path_in(path, sizeof path, dir, "server.key", NULL);
    if (rc == 0)
        rc = load_keys(path, true, out->pub, out->sec, why, whylen);
    if (rc != 0) {
        lb_curve_server_free(out);
        return rc;
    }
    if ((rc = path_in(path, sizeof path, dir, "clients", NULL)) != 0)
        return rc;
    DIR *d = opendir(path);
    if (!d) {
        lb_curve_server_free(out);
        return fail(why, whylen, LB_ENOTFOUND, "cannot open %s: %s", path, strerror(errno));
    }
    size_t cap = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pub") != 0)
            continue;
        char name[LB_CURVE_NAME_MAX + 8];
        snprintf(name, sizeof name, "%.*s", (int)(n - 4), e->d_name);
        if (n - 4 > LB_CURVE_NAME_MAX || !name_ok(name)) {
            rc = fail(why, whylen, LB_EINVAL, "%s/%s: a client name is 1-64 of a-z 0-9 . _ -", path,
                      e->d_name);
            break;
        }
        if (out->nclients == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct lb_curve_peer *np = realloc(out->clients, ncap * sizeof *np);
            if (!np) {
                rc = LB_ENOMEM;
                break;
            }
            out->clients = np;
            cap = ncap;
        }
        struct lb_curve_peer *c = &out->clients[out->nclients];
        snprintf(c->name, sizeof c->name, "%.*s", LB_CURVE_NAME_MAX, name);
        char file[4096 + 300];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        rc = load_keys(file, false, c->pub, NULL, why, whylen);
        if (rc == 0)
            out->nclients++;
    }
    closedir(d);
    if (rc != 0) {
        lb_curve_server_free(out);
        return rc;
    }
    if (out->nclients)
        qsort(out->clients, out->nclients, sizeof *out->clients, by_name);
    return 0;
}

void lb_curve_server_free(struct lb_curve_server *s)
{
    if (!s)
        return;
    sodium_memzero(s->sec, sizeof s->sec);
    free(s->clients);
    s->clients = NULL;
    s->nclients = 0;
}

const char *lb_curve_server_client(const struct lb_curve_server *s, const uint8_t *pub)
{
    for (size_t i = 0; i < s->nclients; i++)
        if (sodium_memcmp(s->clients[i].pub, pub, LB_CURVE_KEY) == 0)
            return s->clients[i].name;
    return NULL;
}

int lb_curve_client_load(const char *dir, const char *name, struct lb_curve_client *out, char *why,
                         size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (!name_ok(name))
        return fail(why, whylen, LB_EINVAL, "bad client name '%s'%s", name, NULL);
    char path[4096];
    int rc = path_in(path, sizeof path, dir, "server.pub", NULL);
    if (rc == 0)
        rc = load_keys(path, false, out->server_pub, NULL, why, whylen);
    if (rc == 0)
        rc = path_in(path, sizeof path, dir, name, ".key");
    if (rc == 0)
        rc = load_keys(path, true, out->pub, out->sec, why, whylen);
    if (rc != 0)
        sodium_memzero(out, sizeof *out);
    return rc;
}

/* --- keygen ----------------------------------------------------------------- */

static const char secret_head[] =
    "#   ****  Generated by lotsd keygen  ****\n"
    "#   ZeroMQ CURVE **Secret** Certificate\n"
    "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n\n";
static const char public_head[] = "#   ****  Generated by lotsd keygen  ****\n"
                                  "#   ZeroMQ CURVE Public Certificate\n\n";

/* Writes text to dirfd/name, mode 0600 whatever the umask, synced. replace:
 * through a temporary file renamed over name; else O_EXCL (EEXIST when name
 * exists). Returns 0 or an errno value. */
static int write_file(int dirfd, const char *name, const char *text, bool replace)
{
    char tmp[LB_CURVE_NAME_MAX + 16];
    snprintf(tmp, sizeof tmp, ".%s.tmp", name);
    const char *target = replace ? tmp : name;
    if (replace)
        unlinkat(dirfd, tmp, 0); /* left by an interrupted run */
    int fd = openat(dirfd, target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno;
    size_t len = strlen(text);
    int err = fchmod(fd, 0600) != 0 ? errno : 0;
    if (!err && write(fd, text, len) != (ssize_t)len)
        err = errno ? errno : EIO;
    if (!err && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && replace && renameat(dirfd, tmp, dirfd, name) != 0)
        err = errno;
    if (err)
        unlinkat(dirfd, target, 0);
    return err;
}

/* Opens (creating when missing) directory path and makes it 0700. Returns 0
 * or an errno value. */
static int private_dir_at(int parent, const char *path, int *out)
{
    if (mkdirat(parent, path, 0700) != 0 && errno != EEXIST)
        return errno;
    int fd = openat(parent, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno;
    if (fchmod(fd, 0700) != 0) {
        int err = errno;
        close(fd);
        return err;
    }
    *out = fd;
    return 0;
}

/* Makes a key pair: base.key (never over an existing one), base.pub and, for
 * a client (clientsfd >= 0), clients/base.pub; the public files replace any
 * left from an earlier pair, so a client whose key was deleted and made again
 * is let in with the new key only. */
static int make_pair(int dirfd, const char *base, int clientsfd, char *why, size_t whylen)
{
    char zpub[Z85_LEN + 1], zsec[Z85_LEN + 1];
    if (zmq_curve_keypair(zpub, zsec) != 0)
        return fail(why, whylen, LB_EINVAL, "zmq_curve_keypair failed: %s%s",
                    zmq_strerror(zmq_errno()), NULL);
    char sec_text[512], pub_text[512], name[LB_CURVE_NAME_MAX + 8];
    snprintf(sec_text, sizeof sec_text,
             "%smetadata\ncurve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n", secret_head,
             zpub, zsec);
    snprintf(pub_text, sizeof pub_text, "%smetadata\ncurve\n    public-key = \"%s\"\n", public_head,
             zpub);
    sodium_memzero(zsec, sizeof zsec);
    snprintf(name, sizeof name, "%s.key", base);
    int err = write_file(dirfd, name, sec_text, false);
    sodium_memzero(sec_text, sizeof sec_text);
    snprintf(name, sizeof name, "%s.pub", base);
    if (!err)
        err = write_file(dirfd, name, pub_text, true);
    if (!err && clientsfd >= 0)
        err = write_file(clientsfd, name, pub_text, true);
    if (err) {
        snprintf(name, sizeof name, "%s.key", base);
        if (err != EEXIST)
            unlinkat(dirfd, name, 0);
        return fail(why, whylen, errno_to_lb(err), "cannot write the keys of %s: %s", base,
                    strerror(err));
    }
    return 0;
}

int lb_curve_keygen(const char *dir, const char *client, FILE *report, char *why, size_t whylen)
{
    if (!lb_curve_available())
        return fail(why, whylen, LB_EINVAL, "this libzmq has no CURVE support%s%s", "", NULL);
    if (!name_ok(client))
        return fail(why, whylen, LB_EINVAL,
                    "bad client name '%s': 1-64 of a-z 0-9 . _ - and not 'server'%s", client, NULL);
    int dirfd = -1, clientsfd = -1;
    int err = private_dir_at(AT_FDCWD, dir, &dirfd);
    if (!err)
        err = private_dir_at(dirfd, "clients", &clientsfd);
    if (err) {
        if (dirfd >= 0)
            close(dirfd);
        return fail(why, whylen, errno_to_lb(err), "cannot make the directory %s: %s", dir,
                    strerror(err));
    }
    int rc = 0;
    const char *bases[2] = {"server", client};
    for (int i = 0; i < 2 && rc == 0; i++) {
        char name[LB_CURVE_NAME_MAX + 8];
        snprintf(name, sizeof name, "%s.key", bases[i]);
        if (faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
            if (report)
                fprintf(report, "kept %s/%s (it exists)\n", dir, name);
            continue;
        }
        rc = make_pair(dirfd, bases[i], i == 1 ? clientsfd : -1, why, whylen);
        if (rc == 0 && report)
            fprintf(report, "made %s/%s.key and %s.pub%s\n", dir, bases[i], bases[i],
                    i == 1 ? ", and clients/ lets it in" : "");
    }
    if (rc == 0 && (fsync(clientsfd) != 0 || fsync(dirfd) != 0))
        rc = fail(why, whylen, LB_EIO, "cannot sync %s: %s", dir, strerror(errno));
    close(clientsfd);
    close(dirfd);
    return rc;
}

/* --- where the sockets may be bound ------------------------------------------- */

bool lb_endpoint_is_local(const char *endpoint)
{
    if (!endpoint)
        return false;
    if (strncmp(endpoint, "ipc://", 6) == 0 || strncmp(endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    const char *colon = strrchr(host, ':');
    if (!colon || strchr(host, ';'))
        return false;
    size_t n = (size_t)(colon - host);
    if (n == 9 && strncmp(host, "localhost", 9) == 0)
        return true;
    if (n == 5 && strncmp(host, "[::1]", 5) == 0)
        return true;
    /* 127.a.b.c, each of a, b, c 0..255 */
    if (n < 9 || strncmp(host, "127.", 4) != 0)
        return false;
    int parts = 1, digits = 0, value = 0; /* parts counts a, b, c */
    for (size_t i = 4; i < n; i++) {
        char ch = host[i];
        if (ch == '.') {
            if (!digits)
                return false;
            parts++;
            digits = value = 0;
        } else if (ch >= '0' && ch <= '9') {
            value = value * 10 + (ch - '0');
            if (++digits > 3 || value > 255)
                return false;
        } else {
            return false;
        }
    }
    return parts == 3 && digits > 0;
}
