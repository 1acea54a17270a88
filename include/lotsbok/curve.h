/* curve.h: ZeroMQ CURVE keys for the event sockets, and where they may be bound.
 *
 * lotsd's PUB and ROUTER sockets are CURVE servers when `lotsd serve` is given
 * `--curve-keys DIR`: the traffic is encrypted, and only subscribers whose public
 * key is listed in DIR/clients/ get through the ZAP handler (core/net/publisher.c).
 * Without keys the sockets may only be bound to loopback (lb_endpoint_is_local).
 *
 * A key directory (made by `lotsd keygen --curve-keys DIR [--client NAME]`, mode 0700,
 * every file 0600):
 *
 *   server.key          lotsd's key pair (secret)
 *   server.pub          lotsd's public key: every subscriber needs it
 *   clients/NAME.pub    the public keys lotsd lets in, one per subscriber
 *   NAME.key, NAME.pub  a subscriber's key pair (keygen makes NAME "worker" by
 *                       default); lots-worker --curve-keys DIR reads server.pub and
 *                       worker.key, so one directory serves both on one host
 *
 * Files are in the ZeroMQ certificate format (ZPL, as czmq's zcert writes and pyzmq's
 * zmq.auth.load_certificate reads): lines `public-key = "Z85"` and `secret-key = "Z85"`,
 * 40 characters of Z85 each. A secret key file readable by group or others is refused,
 * as ssh refuses such a private key. */
#ifndef LOTSBOK_CURVE_H
#define LOTSBOK_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LB_CURVE_KEY 32      /* bytes of a binary key */
#define LB_CURVE_NAME_MAX 64 /* a client name: 1..64 of a-z 0-9 . _ - */

/* What a server needs: its key pair and the clients it accepts. */
struct lb_curve_peer {
    char name[LB_CURVE_NAME_MAX + 1];
    uint8_t pub[LB_CURVE_KEY];
};
struct lb_curve_server {
    uint8_t pub[LB_CURVE_KEY];
    uint8_t sec[LB_CURVE_KEY];
    struct lb_curve_peer *clients; /* sorted by name */
    size_t nclients;
};
/* What a client needs: the server's public key and its own key pair. */
struct lb_curve_client {
    uint8_t server_pub[LB_CURVE_KEY];
    uint8_t pub[LB_CURVE_KEY];
    uint8_t sec[LB_CURVE_KEY];
};

/* Whether this libzmq was built with CURVE (zmq_has("curve")). */
bool lb_curve_available(void);

/* Makes the key directory: DIR (0700, created when missing), the server's key
 * pair unless DIR/server.key exists, and client `client`'s key pair (NAME.key,
 * NAME.pub, clients/NAME.pub) unless DIR/NAME.key exists. Never overwrites a
 * file. Writes one line per file made or kept to report (may be NULL).
 * 0, LB_EINVAL (bad name, no CURVE) or an I/O error; why holds a message. */
int lb_curve_keygen(const char *dir, const char *client, FILE *report, char *why, size_t whylen);

/* Loads DIR/server.key and every DIR/clients/ *.pub. 0, or an lb_err with a
 * message in why (a missing or malformed file, a secret key readable by others,
 * a public key that does not belong to its secret key). Free with
 * lb_curve_server_free, which also zeroes the secret key. */
int lb_curve_server_load(const char *dir, struct lb_curve_server *out, char *why, size_t whylen);
void lb_curve_server_free(struct lb_curve_server *s);
/* The name of the client whose public key is pub, or NULL. */
const char *lb_curve_server_client(const struct lb_curve_server *s, const uint8_t *pub);

/* Loads DIR/server.pub and DIR/NAME.key for a client. Same errors as above.
 * The caller zeroes out->sec when done (sodium_memzero). */
int lb_curve_client_load(const char *dir, const char *name, struct lb_curve_client *out, char *why,
                         size_t whylen);

/* Whether a ZeroMQ endpoint to bind stays on this host: tcp:// on 127.0.0.0/8,
 * [::1] or localhost; ipc:// and inproc://. Anything else (0.0.0.0, *, an
 * interface name, another address or transport) is not, and needs CURVE. */
bool lb_endpoint_is_local(const char *endpoint);

#endif
