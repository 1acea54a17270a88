/* envelope.h: event envelopes as the worker reads them off the wire.
 *
 * The envelope (DESIGN.md "Events") is a msgpack map {seq, type, at, actor,
 * id, data}. The worker reads thousands per replay answer, so instead of
 * copying each into a struct lb_event it checks the bytes once with a bounded
 * walk (lb_mp_check: every array and map count is bounded by the bytes left,
 * nesting by a depth limit), unpacks them into a msgpack zone the caller owns,
 * and reads fields in place through struct lb_wev. Nothing here allocates
 * beyond the zone; bad input is an error, never a crash. */
#ifndef LOTSBOK_WORKER_ENVELOPE_H
#define LOTSBOK_WORKER_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "lotsbok/records.h"

/* Checks that buf holds exactly one well-formed msgpack object (trailing bytes
 * are an error) with every count bounded by the bytes that remain and nesting
 * at most 32 deep. 0 or LB_ECORRUPT. */
int lb_mp_check(const void *buf, size_t len);

/* Checks and unpacks buf into zone; *out points into the zone. 0 or
 * LB_ECORRUPT (LB_ENOMEM when the zone cannot grow). */
int lb_mp_unpack(const void *buf, size_t len, msgpack_zone *zone, msgpack_object *out);

/* A view of one envelope; strings point into the unpacked object and are not
 * NUL-terminated. */
struct lb_wev {
    uint64_t seq;
    const char *type;
    size_t type_len;
    lb_time at;
    lb_id id;
    const char *actor; /* may be NULL */
    size_t actor_len;
    const msgpack_object *data; /* a map */
};

/* Reads an envelope out of o. 0, or LB_ECORRUPT when a required key (seq,
 * type, at, id, data) is missing or of the wrong type, or seq is 0. */
int lb_wev_from_object(const msgpack_object *o, struct lb_wev *out);

bool lb_wev_is(const struct lb_wev *ev, const char *type);

/* Fields of ev->data. Each returns false when the key is absent, nil or of a
 * type that cannot be read as asked. */
bool lb_wev_u64(const struct lb_wev *ev, const char *key, uint64_t *out);
/* Copies a string value into buf (len bytes, NUL-terminated); false when it
 * does not fit or contains a NUL. */
bool lb_wev_str(const struct lb_wev *ev, const char *key, char *buf, size_t len);
/* An instant: RFC 3339 string, or integer milliseconds since the epoch. */
bool lb_wev_time(const struct lb_wev *ev, const char *key, lb_time *out);
/* A calendar date: "YYYY-MM-DD", or an integer day number. */
bool lb_wev_date(const struct lb_wev *ev, const char *key, lb_date *out);
/* The raw value, or NULL. */
const msgpack_object *lb_wev_field(const struct lb_wev *ev, const char *key);
/* Same lookups on any map object. */
const msgpack_object *lb_mp_map_get(const msgpack_object *map, const char *key);
bool lb_mp_as_u64(const msgpack_object *o, uint64_t *out);
bool lb_mp_as_str(const msgpack_object *o, char *buf, size_t len);

#endif
