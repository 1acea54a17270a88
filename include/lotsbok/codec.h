/* codec.h: msgpack encoding of records and event envelopes.
 *
 * Each record is a msgpack map with string keys and a schema version under
 * "v" (currently 1); unknown keys are skipped so records can evolve. Decoding
 * treats every byte string as untrusted, even from our own database: array
 * and map counts are checked against the bytes that remain before anything is
 * allocated, strings are bounded, types are checked, and any failure returns
 * LB_ECORRUPT with *out cleared; it never crashes or leaks.
 *
 * Encoders append to a msgpack_sbuffer the caller owns (and clears). */
#ifndef LOTSBOK_CODEC_H
#define LOTSBOK_CODEC_H

#include <msgpack.h>

#include "lotsbok/records.h"

#define LB_SCHEMA_VERSION 1

#define LB_CODEC_DECLARE(type)                                                                     \
    int lb_##type##_encode(const struct lb_##type *r, msgpack_sbuffer *out);                       \
    int lb_##type##_decode(const void *buf, size_t len, struct lb_##type *out)

LB_CODEC_DECLARE(company);
LB_CODEC_DECLARE(case);
LB_CODEC_DECLARE(contact);
LB_CODEC_DECLARE(handoff);
LB_CODEC_DECLARE(followup);
LB_CODEC_DECLARE(improvement);
LB_CODEC_DECLARE(meeting);
LB_CODEC_DECLARE(meeting_eval);
LB_CODEC_DECLARE(user);
LB_CODEC_DECLARE(session);
LB_CODEC_DECLARE(survey_token);
LB_CODEC_DECLARE(idempotency);
LB_CODEC_DECLARE(snapshot);
LB_CODEC_DECLARE(plan_header);
LB_CODEC_DECLARE(plan_action);
LB_CODEC_DECLARE(plan_followup);

/* A stored case's company id without decoding the rest: the record must be
 * a map with "v"; "co" absent or nil gives 0. For the contact write path,
 * which needs only that the case exists and whose company it is. */
int lb_case_company_id(const void *buf, size_t len, lb_id *out);

/* The event envelope of DESIGN.md "Events": a map {seq, type, at, actor, id,
 * data}. lb_event_encode writes ev->data verbatim as the value of "data" (it
 * must be one well-formed msgpack map). lb_event_decode checks the envelope's
 * shape and that data is a map, and copies data's raw bytes. */
int lb_event_encode(const struct lb_event *ev, msgpack_sbuffer *out);
int lb_event_decode(const void *buf, size_t len, struct lb_event *out);

#endif
