/* records.c: ownership of the record structs of records.h, and case numbers.
 *
 * Every record owns its strings and arrays (malloc'd). lb_<type>_clear() frees
 * what the record owns and zeroes the whole struct, so clearing a cleared or
 * zero-initialised record is harmless; the codec relies on that to clean up a
 * half-decoded record. Case numbers are "L" + 4-digit year + "-" + serial of at
 * least 4 digits ("L2026-0042", "L2026-12345"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/error.h"
#include "lotsbok/records.h"

/* Frees an array of count strings and the array itself. */
static void free_strv(char **v, uint32_t count)
{
    if (v == NULL)
        return;
    for (uint32_t i = 0; i < count; i++)
        free(v[i]);
    free(v);
}

static void person_clear(struct lb_person *p)
{
    free(p->name);
    free(p->role);
    free(p->phone);
    free(p->email);
    memset(p, 0, sizeof(*p));
}

void lb_company_clear(struct lb_company *r)
{
    if (r == NULL)
        return;
    free(r->name);
    free(r->locality);
    free(r->sni);
    if (r->contacts != NULL) {
        for (uint32_t i = 0; i < r->ncontacts; i++)
            person_clear(&r->contacts[i]);
        free(r->contacts);
    }
    memset(r, 0, sizeof(*r));
}

void lb_case_clear(struct lb_case *r)
{
    if (r == NULL)
        return;
    free(r->subject);
    free(r->description);
    free(r->owner);
    free(r->close_note);
    memset(r, 0, sizeof(*r));
}

void lb_contact_clear(struct lb_contact *r)
{
    if (r == NULL)
        return;
    free(r->summary);
    free(r->logged_by);
    memset(r, 0, sizeof(*r));
}

void lb_handoff_clear(struct lb_handoff *r)
{
    if (r == NULL)
        return;
    free(r->unit);
    free(r->note);
    free(r->sent_by);
    free(r->reference);
    free(r->decision_note);
    free(r->withdraw_note);
    memset(r, 0, sizeof(*r));
}

void lb_followup_clear(struct lb_followup *r)
{
    if (r == NULL)
        return;
    free(r->assignee);
    if (r->items != NULL) {
        for (uint32_t i = 0; i < r->nitems; i++)
            free(r->items[i].unit);
        free(r->items);
    }
    if (r->answers != NULL) {
        for (uint32_t i = 0; i < r->nanswers; i++) {
            free(r->answers[i].item);
            free(r->answers[i].question);
        }
        free(r->answers);
    }
    free(r->comment);
    if (r->corrections != NULL) {
        for (uint32_t i = 0; i < r->ncorrections; i++) {
            free(r->corrections[i].by);
            free(r->corrections[i].item);
            free(r->corrections[i].question);
        }
        free(r->corrections);
    }
    memset(r, 0, sizeof(*r));
}

void lb_improvement_clear(struct lb_improvement *r)
{
    if (r == NULL)
        return;
    free(r->unit);
    free(r->title);
    free(r->description);
    memset(r, 0, sizeof(*r));
}

void lb_meeting_clear(struct lb_meeting *r)
{
    if (r == NULL)
        return;
    free(r->title);
    free(r->place);
    free(r->unit);
    free_strv(r->actions, r->nactions);
    free(r->notes);
    for (uint32_t i = 0; r->items && i < r->nitems; i++)
        free(r->items[i].text);
    free(r->items);
    free(r->companies);
    for (uint32_t i = 0; r->staff && i < r->nstaff; i++)
        free(r->staff[i].unit);
    free(r->staff);
    free(r->eval_token);
    memset(r, 0, sizeof(*r));
}

void lb_meeting_eval_clear(struct lb_meeting_eval *r)
{
    if (r == NULL)
        return;
    free(r->comment);
    memset(r, 0, sizeof(*r));
}

void lb_user_clear(struct lb_user *r)
{
    if (r == NULL)
        return;
    free(r->username);
    free(r->display_name);
    if (r->password_hash != NULL) {
        /* Not a secret by itself, but there is no reason to leave it in freed memory. */
        memset(r->password_hash, 0, strlen(r->password_hash));
        free(r->password_hash);
    }
    free_strv(r->units, r->nunits);
    memset(r, 0, sizeof(*r));
}

void lb_session_clear(struct lb_session *r)
{
    if (r == NULL)
        return;
    free(r->username);
    memset(r, 0, sizeof(*r));
}

void lb_survey_token_clear(struct lb_survey_token *r)
{
    if (r != NULL)
        memset(r, 0, sizeof(*r));
}

void lb_idempotency_clear(struct lb_idempotency *r)
{
    if (r == NULL)
        return;
    free(r->location);
    free(r->body);
    free(r->companies);
    memset(r, 0, sizeof(*r));
}

void lb_snapshot_clear(struct lb_snapshot *r)
{
    if (r == NULL)
        return;
    free(r->json);
    free(r->json_public);
    memset(r, 0, sizeof(*r));
}

void lb_plan_header_clear(struct lb_plan_header *r)
{
    if (r == NULL)
        return;
    free(r->json);
    memset(r, 0, sizeof(*r));
}

void lb_plan_action_clear(struct lb_plan_action *r)
{
    if (r == NULL)
        return;
    free(r->json);
    memset(r, 0, sizeof(*r));
}

void lb_plan_followup_clear(struct lb_plan_followup *r)
{
    if (r == NULL)
        return;
    free(r->json);
    memset(r, 0, sizeof(*r));
}

void lb_event_clear(struct lb_event *r)
{
    if (r == NULL)
        return;
    free(r->type);
    free(r->actor);
    free(r->data);
    memset(r, 0, sizeof(*r));
}

/* Writes "L%04u-%04u" into buf; truncates (always NUL-terminated) when len is
 * too small, and writes nothing when buf is NULL or len is 0. */
void lb_case_number(const struct lb_case *c, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return;
    if (c == NULL) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, len, "L%04u-%04u", (unsigned)c->year, (unsigned)c->serial);
}

/* Accepts exactly what lb_case_number writes: "L", four digits (year 1..9999),
 * "-", and a serial in 1..UINT32_MAX written with at least four digits and no
 * leading zero beyond those four ("L2026-0042", "L2026-12345", not "L2026-42"
 * or "L2026-00042"); nothing before or after. On LB_EINVAL *year and *serial
 * are left untouched. */
int lb_case_number_parse(const char *s, uint16_t *year, uint32_t *serial)
{
    if (s == NULL || year == NULL || serial == NULL || s[0] != 'L')
        return LB_EINVAL;
    unsigned y = 0;
    for (int i = 1; i <= 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return LB_EINVAL;
        y = y * 10 + (unsigned)(s[i] - '0');
    }
    if (s[5] != '-' || y == 0)
        return LB_EINVAL;
    uint64_t n = 0;
    size_t digits = 0;
    const char *p = s + 6;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 10)
            return LB_EINVAL;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    if (*p != '\0' || digits < 4 || n == 0 || n > UINT32_MAX)
        return LB_EINVAL;
    if (digits > 4 && s[6] == '0')
        return LB_EINVAL;
    *year = (uint16_t)y;
    *serial = (uint32_t)n;
    return 0;
}
