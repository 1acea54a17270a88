/* records.c: ownership of the records of records.h.
 *
 * Every record owns its strings and arrays; the clear functions free them and
 * zero the record, so clearing twice (or clearing a zeroed record) is safe.
 * Also the case number, "L" year "-" four-digit serial, in both directions. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/error.h"
#include "lotsbok/records.h"

static void free_persons(struct lb_person *p, uint32_t n)
{
    for (uint32_t i = 0; p != NULL && i < n; i++) {
        free(p[i].name);
        free(p[i].role);
        free(p[i].phone);
        free(p[i].email);
    }
    free(p);
}

void lb_company_clear(struct lb_company *r)
{
    free(r->name);
    free(r->locality);
    free(r->sni);
    free_persons(r->contacts, r->ncontacts);
    memset(r, 0, sizeof *r);
}

void lb_case_clear(struct lb_case *r)
{
    free(r->subject);
    free(r->description);
    free(r->owner);
    free(r->close_note);
    memset(r, 0, sizeof *r);
}

void lb_contact_clear(struct lb_contact *r)
{
    free(r->summary);
    free(r->logged_by);
    memset(r, 0, sizeof *r);
}

void lb_handoff_clear(struct lb_handoff *r)
{
    free(r->unit);
    free(r->note);
    free(r->sent_by);
    free(r->reference);
    free(r->decision_note);
    free(r->withdraw_note);
    memset(r, 0, sizeof *r);
}

void lb_followup_clear(struct lb_followup *r)
{
    for (uint32_t i = 0; r->items != NULL && i < r->nitems; i++)
        free(r->items[i].unit);
    free(r->items);
    for (uint32_t i = 0; r->answers != NULL && i < r->nanswers; i++) {
        free(r->answers[i].item);
        free(r->answers[i].question);
    }
    free(r->answers);
    free(r->assignee);
    free(r->comment);
    memset(r, 0, sizeof *r);
}

void lb_improvement_clear(struct lb_improvement *r)
{
    free(r->unit);
    free(r->title);
    free(r->description);
    memset(r, 0, sizeof *r);
}

void lb_user_clear(struct lb_user *r)
{
    for (uint32_t i = 0; r->units != NULL && i < r->nunits; i++)
        free(r->units[i]);
    free(r->units);
    free(r->username);
    if (r->password_hash != NULL) {
        memset(r->password_hash, 0, strlen(r->password_hash));
        free(r->password_hash);
    }
    memset(r, 0, sizeof *r);
}

void lb_session_clear(struct lb_session *r)
{
    free(r->username);
    memset(r, 0, sizeof *r);
}

void lb_idempotency_clear(struct lb_idempotency *r)
{
    free(r->location);
    free(r->body);
    memset(r, 0, sizeof *r);
}

void lb_snapshot_clear(struct lb_snapshot *r)
{
    free(r->json);
    memset(r, 0, sizeof *r);
}

void lb_event_clear(struct lb_event *r)
{
    free(r->type);
    free(r->actor);
    free(r->data);
    memset(r, 0, sizeof *r);
}

void lb_case_number(const struct lb_case *c, char *buf, size_t len)
{
    snprintf(buf, len, "L%04u-%04" PRIu32, (unsigned)c->year, c->serial);
}

/* "L2026-0042": L, four-digit year, '-', at least four digits of serial (the
 * serial grows past 9999 in a busy year: "L2026-10000"). Serial 0 is invalid. */
int lb_case_number_parse(const char *s, uint16_t *year, uint32_t *serial)
{
    if (s == NULL || (s[0] != 'L' && s[0] != 'l'))
        return LB_EINVAL;
    unsigned y = 0;
    for (int i = 1; i <= 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return LB_EINVAL;
        y = y * 10 + (unsigned)(s[i] - '0');
    }
    if (s[5] != '-' || y < 1900)
        return LB_EINVAL;
    uint64_t n = 0;
    size_t digits = 0;
    for (const char *p = s + 6; *p != '\0'; p++, digits++) {
        if (*p < '0' || *p > '9' || digits >= 9)
            return LB_EINVAL;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    if (digits < 4 || n == 0)
        return LB_EINVAL;
    *year = (uint16_t)y;
    *serial = (uint32_t)n;
    return 0;
}
