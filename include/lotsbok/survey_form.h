/* survey_form.h: the public survey form's pages, rendered on the server
 * (DESIGN.md "E-mail surveys and the public answer form", docs/surveys.md).
 *
 * Plain HTML5 in Swedish without any script: the form posts to its own URL
 * and the answer is a page, so it works with JavaScript off. Each question is
 * a fieldset whose legend is the question, with radio buttons 1–6 and "Vet
 * ej" (yes/no questions: Ja, Nej, Vet ej); a failed submit comes back with the
 * answers kept, an error summary focused at the top, "Fel:" in the title and
 * each error tied to its field (aria-describedby). One stylesheet is inlined
 * and allowed by its hash in the Content-Security-Policy (lb_form_csp), which
 * allows nothing else: no scripts, no frames, no other origins. The pages
 * show the municipality's and the company's names and nothing else about
 * anybody.
 *
 * Every function returns a malloc'd NUL-terminated page, or NULL when memory
 * ran out. Strings given are escaped; the token must be base64url (it is put
 * into URLs as it is). */
#ifndef LOTSBOK_SURVEY_FORM_H
#define LOTSBOK_SURVEY_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lotsbok/enums.h"

/* One part of the form: the questions of one item ("lots" or a unit code). */
struct lb_form_section {
    const char *item; /* the answers' key and the fields' name prefix */
    enum lb_followup_kind kind;
    const char *title; /* "Företagslotsen", a unit's display name */
    const char *cases; /* "L2026-0001" or "L2026-0001, L2026-0004" */
    /* A meeting's evaluation: its questions instead of kind's (NULL: kind's). */
    const struct lb_question *questions;
    size_t nquestions;
};

/* An error shown on a re-rendered form: field is "comment", "item.question"
 * or NULL for the form as a whole. */
struct lb_form_error {
    const char *field;
    const char *message; /* Swedish */
};

struct lb_form {
    const char *municipality;
    const char *company; /* a follow-up's survey; NULL for a meeting's evaluation */
    const char *meeting; /* a meeting's evaluation: "Frukostmöte, 12 mars 2026" */
    const char *token;
    const struct lb_form_section *sections;
    size_t nsections;
    /* A re-rendered form: what was sent ({item: {question: int|bool|null}}, may
     * be NULL), the comment as sent, and the errors. */
    const json_t *answers;
    const char *comment;
    const struct lb_form_error *errors;
    size_t nerrors;
};

/* The pages. */
char *lb_form_page(const struct lb_form *f);
char *lb_form_thanks(const char *municipality, const char *company, const char *token);
/* The thank-you page of a meeting's evaluation (no opt-out: nobody was mailed). */
char *lb_form_thanks_meeting(const char *municipality, const char *meeting);
/* The questions of a section: its own, or those of its kind. */
const struct lb_question *lb_form_section_questions(const struct lb_form_section *s, size_t *n);

enum lb_form_message {
    LB_FORM_UNKNOWN,      /* 404: unknown or expired link */
    LB_FORM_ANSWERED,     /* 409: answered already */
    LB_FORM_CLOSED,       /* 409: the call was made or ended otherwise */
    LB_FORM_RATE_LIMITED, /* 429 */
    LB_FORM_BAD_REQUEST,  /* 400/415: the form's data could not be read */
    LB_FORM_ERROR,        /* 5xx */
};
/* A short page saying what happened, kindly; retry_s for LB_FORM_RATE_LIMITED. */
char *lb_form_message(const char *municipality, enum lb_form_message which, unsigned retry_s);

/* The opt-out page: the one-button form (done false) or its receipt. */
char *lb_form_opt_out(const char *municipality, const char *token, bool done);

/* The header lines every page adds to those lotsd sends with every answer
 * (no caching, no referrer, nosniff): the Content-Security-Policy with the
 * stylesheet's hash and no framing, each ending "\r\n". */
const char *lb_form_headers(void);

#endif
