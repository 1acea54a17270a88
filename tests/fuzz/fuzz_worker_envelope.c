/* fuzz_worker_envelope.c: libFuzzer target for the worker's envelope reader
 * (worker/envelope.c).
 *
 * lots-worker unpacks every envelope it receives, live or replayed, with
 * lb_mp_unpack (a bounded walk, then msgpack_unpack into a zone) and reads
 * its fields in place. Bytes off the wire must give an error, never a crash
 * or an allocation sized by a hostile count. Both the live form (one
 * envelope) and the replay form (an array of envelopes) are read, and every
 * field accessor the scheduler uses is called on what decodes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

static void read_fields(const msgpack_object *o)
{
    struct lb_wev ev;
    if (lb_wev_from_object(o, &ev) != 0)
        return;
    char buf[64];
    uint64_t u;
    lb_time t;
    lb_date d;
    (void)lb_wev_is(&ev, "case.closed");
    (void)lb_wev_u64(&ev, "case_id", &u);
    (void)lb_wev_u64(&ev, "company_id", &u);
    (void)lb_wev_str(&ev, "unit", buf, sizeof buf);
    (void)lb_wev_str(&ev, "status", buf, 4);
    (void)lb_wev_time(&ev, "closed_at", &t);
    (void)lb_wev_time(&ev, "decided_at", &t);
    (void)lb_wev_date(&ev, "due", &d);
    const msgpack_object *items = lb_wev_field(&ev, "items");
    if (items && items->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < items->via.array.size; i++) {
            const msgpack_object *k = lb_mp_map_get(&items->via.array.ptr[i], "kind");
            if (k)
                (void)lb_mp_as_str(k, buf, sizeof buf);
            const msgpack_object *c = lb_mp_map_get(&items->via.array.ptr[i], "case_id");
            if (c)
                (void)lb_mp_as_u64(c, &u);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *frame = malloc(size ? size : 1);
    if (!frame)
        return 0;
    memcpy(frame, data, size);
    msgpack_zone zone;
    if (!msgpack_zone_init(&zone, 2048)) {
        free(frame);
        return 0;
    }
    msgpack_object o;
    if (lb_mp_unpack(frame, size, &zone, &o) == 0) {
        if (o.type == MSGPACK_OBJECT_ARRAY)
            for (uint32_t i = 0; i < o.via.array.size; i++)
                read_fields(&o.via.array.ptr[i]);
        else
            read_fields(&o);
    } else if (lb_mp_check(frame, size) == 0 && size > 0) {
        /* The check passed, so only unpacking itself may have failed: out of
         * memory is the one acceptable reason, and a zone of a small frame
         * cannot run out. */
        if (size < 4096) {
            fprintf(stderr, "fuzz_worker_envelope: checked bytes failed to unpack\n");
            abort();
        }
    }
    msgpack_zone_destroy(&zone);
    free(frame);
    return 0;
}
