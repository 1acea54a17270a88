/* api_events.c: GET /api/v1/events, the outbox as JSON.
 *
 * The same envelopes the PUB socket publishes and the ROUTER replays, for
 * subscribers that speak HTTP rather than ZeroMQ (admin and service only):
 * each stored envelope is decoded with the bounded lb_event_decode and turned
 * into {"seq", "type", "at", "actor", "id", "data"}, data converted from
 * msgpack to JSON value by value. `after` is a sequence number (0 = from the
 * start) and `limit` 1..500 (default 50), as every list of the API.
 *
 * The answer is {"items": [...], "next": N}: N is the sequence number to pass
 * as `after` next time, that is the last one returned, or `after` itself when
 * nothing newer exists yet, so a poller never loses its place. It is never
 * null (unlike the record lists): the event log only grows. */
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "lotsbok/api.h"
#include "lotsbok/codec.h"
#include "lotsbok/error.h"

/* A msgpack value as JSON. Map keys that are not strings, binary and
 * extension values have no JSON form and do not occur in our events; they
 * become null rather than failing the whole page. */
static json_t *msgpack_to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return json_null();
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return o->via.u64 > (uint64_t)INT64_MAX ? json_null()
                                                : json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return json_real(o->via.f64);
    case MSGPACK_OBJECT_STR: {
        json_t *s = json_stringn(o->via.str.ptr, o->via.str.size);
        return s ? s : json_null(); /* invalid UTF-8 */
    }
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < o->via.array.size; i++)
            if (json_array_append_new(a, msgpack_to_json(&o->via.array.ptr[i])) != 0) {
                json_decref(a);
                return NULL;
            }
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; m && i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR)
                continue;
            char *key = strndup(kv->key.via.str.ptr, kv->key.via.str.size);
            json_t *v = key ? msgpack_to_json(&kv->val) : NULL;
            int rc = (key && v) ? json_object_set_new(m, key, v) : -1;
            free(key);
            if (rc != 0) {
                json_decref(m);
                return NULL;
            }
        }
        return m;
    }
    default:
        return json_null();
    }
}

struct page {
    json_t *items;
    uint64_t last;
    int err;
};

static int add_envelope(uint64_t seq, const void *env, size_t len, void *arg)
{
    struct page *pg = arg;
    struct lb_event ev;
    int rc = lb_event_decode(env, len, &ev);
    if (rc != 0) {
        pg->err = rc;
        return 1;
    }
    /* ev.data was checked by lb_event_decode to be one well-formed map with
     * bounded nesting, so msgpack-c's allocations follow real counts. */
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    json_t *data = NULL;
    if (msgpack_unpack_next(&u, (const char *)ev.data, ev.data_len, &off) == MSGPACK_UNPACK_SUCCESS)
        data = msgpack_to_json(&u.data);
    msgpack_unpacked_destroy(&u);
    json_t *o = data ? json_pack("{s:I, s:s, s:I, s:s, s:I, s:o}", "seq", (json_int_t)ev.seq,
                                 "type", ev.type, "at", (json_int_t)ev.at, "actor", ev.actor, "id",
                                 (json_int_t)ev.id, "data", data)
                     : NULL;
    lb_event_clear(&ev);
    if (o == NULL || json_array_append_new(pg->items, o) != 0) {
        pg->err = data ? LB_ENOMEM : LB_ECORRUPT;
        return 1;
    }
    pg->last = seq;
    return 0;
}

int api_events_list(struct lb_api_req *r, lb_txn *t)
{
    lb_id ids[1]; /* api_page wants storage; the outbox is read by seq, not by id */
    struct lb_page p;
    int rc = api_page(r, &p, ids);
    if (rc != 0)
        return rc;
    struct page pg = {json_array(), p.after, 0};
    if (pg.items == NULL)
        return LB_ENOMEM;
    rc = lb_outbox_read(t, p.after, p.limit, add_envelope, &pg);
    if (rc < 0 || pg.err != 0) {
        json_decref(pg.items);
        return rc < 0 ? rc : pg.err;
    }
    json_t *o = json_pack("{s:o, s:I}", "items", pg.items, "next", (json_int_t)pg.last);
    if (o == NULL)
        return LB_ENOMEM;
    return api_answer(r, 200, o, NULL);
}
