/* api_units.c: GET /units, the configured units and their display names.
 *
 * One list of names for every screen, report and CLI table: lotsd's --units
 * (or DESIGN.md's seven defaults), in configuration order, as
 * {"items": [{"key", "name"}]}. Every role may read it; it holds no personal
 * data and does not change while lotsd runs, so clients may keep it for a
 * session. */
#include "lotsbok/api.h"
#include "lotsbok/error.h"

int api_units_list(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    const struct lb_units *u = api_units(r);
    json_t *items = json_array();
    for (size_t i = 0; items && i < u->count; i++) {
        json_t *o = json_pack("{s:s,s:s}", "key", u->unit[i].code, "name",
                              u->unit[i].name_sv[0] ? u->unit[i].name_sv : u->unit[i].code);
        if (!o || json_array_append_new(items, o) != 0) {
            json_decref(items);
            return LB_ENOMEM;
        }
    }
    if (!items)
        return LB_ENOMEM;
    json_t *j = json_pack("{s:o}", "items", items);
    return j ? api_answer(r, 200, j, NULL) : LB_ENOMEM;
}
