/* envelope.c: bounded msgpack checking and in-place envelope views (envelope.h).
 *
 * lb_mp_check walks the encoding without allocating: it keeps a count of
 * objects still to read and refuses any array or map header whose count is
 * larger than the bytes left (each element takes at least one byte), so a
 * hostile "array of 2^32 elements" in a 10-byte frame is rejected before
 * msgpack_unpack would try to allocate for it. */
#include "envelope.h"

#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"

/* Deepest container index the bounded walk accepts (0-based, so 32 levels):
 * msgpack-c's unpacker, which runs after the walk, has a stack of 32
 * containers (MSGPACK_EMBED_STACK_SIZE), and what the walk accepts it must be
 * able to unpack. 32 was one level too many (found by fuzz_worker_envelope). */
#define MP_MAX_DEPTH 31

static uint32_t be16(const uint8_t *p)
{
    return ((uint32_t)p[0] << 8) | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Skips one object at *pos; containers recurse up to MP_MAX_DEPTH. */
static int mp_skip(const uint8_t *b, size_t len, size_t *pos, int depth)
{
    if (depth > MP_MAX_DEPTH || *pos >= len)
        return LB_ECORRUPT;
    uint8_t t = b[(*pos)++];
    size_t left = len - *pos;
    uint64_t n = 0;     /* payload bytes to skip */
    uint64_t elems = 0; /* child objects to read */
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
        return 0;
    if ((t & 0xe0) == 0xa0) {
        n = t & 0x1f;
    } else if ((t & 0xf0) == 0x90) {
        elems = t & 0x0f;
    } else if ((t & 0xf0) == 0x80) {
        elems = 2u * (t & 0x0f);
    } else {
        switch (t) {
        case 0xcc:
        case 0xd0:
            n = 1;
            break;
        case 0xcd:
        case 0xd1:
            n = 2;
            break;
        case 0xca:
        case 0xce:
        case 0xd2:
            n = 4;
            break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
            n = 8;
            break;
        case 0xd4:
            n = 2;
            break;
        case 0xd5:
            n = 3;
            break;
        case 0xd6:
            n = 5;
            break;
        case 0xd7:
            n = 9;
            break;
        case 0xd8:
            n = 17;
            break;
        case 0xc4:
        case 0xd9:
            if (left < 1)
                return LB_ECORRUPT;
            n = b[*pos];
            *pos += 1;
            break;
        case 0xc5:
        case 0xda:
            if (left < 2)
                return LB_ECORRUPT;
            n = be16(b + *pos);
            *pos += 2;
            break;
        case 0xc6:
        case 0xdb:
            if (left < 4)
                return LB_ECORRUPT;
            n = be32(b + *pos);
            *pos += 4;
            break;
        case 0xc7:
        case 0xc8:
        case 0xc9: {
            size_t w = t == 0xc7 ? 1 : t == 0xc8 ? 2 : 4;
            if (left < w + 1)
                return LB_ECORRUPT;
            /* The payload and the type byte; in 64 bits, since an ext 32 length
             * of 0xffffffff + 1 wraps to 0 in 32 (found by fuzz_worker_envelope). */
            n = (uint64_t)(w == 1 ? b[*pos] : w == 2 ? be16(b + *pos) : be32(b + *pos)) + 1u;
            *pos += w;
            break;
        }
        case 0xdc:
        case 0xde:
            if (left < 2)
                return LB_ECORRUPT;
            elems = be16(b + *pos) * (t == 0xde ? 2u : 1u);
            *pos += 2;
            break;
        case 0xdd:
        case 0xdf:
            if (left < 4)
                return LB_ECORRUPT;
            elems = (uint64_t)be32(b + *pos) * (t == 0xdf ? 2u : 1u);
            *pos += 4;
            break;
        default: /* 0xc1 is never used */
            return LB_ECORRUPT;
        }
    }
    if (n > len - *pos)
        return LB_ECORRUPT;
    *pos += (size_t)n;
    if (elems > len - *pos)
        return LB_ECORRUPT;
    for (uint64_t i = 0; i < elems; i++) {
        int rc = mp_skip(b, len, pos, depth + 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int lb_mp_check(const void *buf, size_t len)
{
    size_t pos = 0;
    if (buf == NULL || len == 0)
        return LB_ECORRUPT;
    int rc = mp_skip(buf, len, &pos, 0);
    if (rc != 0)
        return rc;
    return pos == len ? 0 : LB_ECORRUPT;
}

int lb_mp_unpack(const void *buf, size_t len, msgpack_zone *zone, msgpack_object *out)
{
    int rc = lb_mp_check(buf, len);
    if (rc != 0)
        return rc;
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack(buf, len, &off, zone, out);
    if (r == MSGPACK_UNPACK_NOMEM_ERROR)
        return LB_ENOMEM;
    if (r != MSGPACK_UNPACK_SUCCESS || off != len)
        return LB_ECORRUPT;
    return 0;
}

const msgpack_object *lb_mp_map_get(const msgpack_object *map, const char *key)
{
    if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == klen &&
            memcmp(kv->key.via.str.ptr, key, klen) == 0)
            return kv->val.type == MSGPACK_OBJECT_NIL ? NULL : &kv->val;
    }
    return NULL;
}

bool lb_mp_as_u64(const msgpack_object *o, uint64_t *out)
{
    if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return false;
    *out = o->via.u64;
    return true;
}

bool lb_mp_as_str(const msgpack_object *o, char *buf, size_t len)
{
    if (o == NULL || o->type != MSGPACK_OBJECT_STR || o->via.str.size >= len)
        return false;
    if (memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
        return false;
    memcpy(buf, o->via.str.ptr, o->via.str.size);
    buf[o->via.str.size] = '\0';
    return true;
}

static bool as_i64(const msgpack_object *o, int64_t *out)
{
    if (o == NULL)
        return false;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return true;
    }
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
        *out = (int64_t)o->via.u64;
        return true;
    }
    return false;
}

int lb_wev_from_object(const msgpack_object *o, struct lb_wev *out)
{
    memset(out, 0, sizeof *out);
    const msgpack_object *seq = lb_mp_map_get(o, "seq");
    const msgpack_object *type = lb_mp_map_get(o, "type");
    const msgpack_object *at = lb_mp_map_get(o, "at");
    const msgpack_object *id = lb_mp_map_get(o, "id");
    const msgpack_object *data = lb_mp_map_get(o, "data");
    int64_t at_ms;
    if (!lb_mp_as_u64(seq, &out->seq) || out->seq == 0)
        return LB_ECORRUPT;
    if (type == NULL || type->type != MSGPACK_OBJECT_STR || !as_i64(at, &at_ms))
        return LB_ECORRUPT;
    if (!lb_mp_as_u64(id, &out->id) || data == NULL || data->type != MSGPACK_OBJECT_MAP)
        return LB_ECORRUPT;
    out->type = type->via.str.ptr;
    out->type_len = type->via.str.size;
    out->at = at_ms;
    out->data = data;
    const msgpack_object *actor = lb_mp_map_get(o, "actor");
    if (actor != NULL && actor->type == MSGPACK_OBJECT_STR) {
        out->actor = actor->via.str.ptr;
        out->actor_len = actor->via.str.size;
    }
    return 0;
}

bool lb_wev_is(const struct lb_wev *ev, const char *type)
{
    size_t n = strlen(type);
    return ev->type_len == n && memcmp(ev->type, type, n) == 0;
}

const msgpack_object *lb_wev_field(const struct lb_wev *ev, const char *key)
{
    return lb_mp_map_get(ev->data, key);
}

bool lb_wev_u64(const struct lb_wev *ev, const char *key, uint64_t *out)
{
    return lb_mp_as_u64(lb_wev_field(ev, key), out);
}

bool lb_wev_str(const struct lb_wev *ev, const char *key, char *buf, size_t len)
{
    return lb_mp_as_str(lb_wev_field(ev, key), buf, len);
}

bool lb_wev_time(const struct lb_wev *ev, const char *key, lb_time *out)
{
    const msgpack_object *o = lb_wev_field(ev, key);
    char buf[64];
    if (o == NULL)
        return false;
    if (o->type == MSGPACK_OBJECT_STR)
        return lb_mp_as_str(o, buf, sizeof buf) && lb_time_parse_rfc3339(buf, out) == 0;
    int64_t v;
    if (!as_i64(o, &v))
        return false;
    *out = v;
    return true;
}

bool lb_wev_date(const struct lb_wev *ev, const char *key, lb_date *out)
{
    const msgpack_object *o = lb_wev_field(ev, key);
    char buf[16];
    if (o == NULL)
        return false;
    if (o->type == MSGPACK_OBJECT_STR)
        return lb_mp_as_str(o, buf, sizeof buf) && lb_date_parse(buf, out) == 0;
    int64_t v;
    if (!as_i64(o, &v) || v < INT32_MIN + 1 || v > INT32_MAX)
        return false;
    *out = (lb_date)v;
    return true;
}
