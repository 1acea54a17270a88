/* survey_form.c: the public survey form's pages (survey_form.h).
 *
 * Pages are written into one growing buffer; every text that comes from data
 * (names, titles, the comment, messages) goes through page_text, which escapes
 * & < > " and '. The stylesheet below is the only style: it is inlined into
 * every page and allowed by its SHA-256 in the Content-Security-Policy, so the
 * form needs no other request and the policy allows nothing else
 * (default-src 'none'). Colours meet WCAG 2.1 AA: text #1b1b1b and links
 * #0b4f8a on white, errors #8a1414; focus is a 3 px outline. The scale's six
 * choices sit in one row from 320 px up; "Vet ej" gets a row of its own.
 *
 * The answer scale reads the same way in every question: 1 "mycket missnöjd"
 * to 6 "mycket nöjd", said in the text above the questions and, for screen
 * readers, in the labels of 1 and 6 (the visible end labels are hidden from
 * them, so nothing is read twice). */
#include "lotsbok/survey_form.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lotsbok/survey.h"

static const char page_css[] =
    ":root{--ink:#1b1b1b;--muted:#4a4a4a;--line:#8a9099;--brand:#0b4f8a;--soft:#f3f5f8;"
    "--bad:#8a1414;--bad-bg:#fdecec;--focus:#c75000}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\","
    "sans-serif;color:var(--ink);background:#fff}"
    "a{color:var(--brand)}"
    ":focus-visible,a:focus,button:focus,textarea:focus,[tabindex]:focus{outline:3px solid "
    "var(--focus);outline-offset:2px}"
    ".top{background:var(--brand);color:#fff;padding:.6rem 0}"
    ".top p{font-weight:700;max-width:40rem;margin:0 auto;padding:0 1rem}"
    ".top span{font-weight:400}"
    "main{max-width:40rem;margin:0 auto;padding:1rem 1rem 2rem}"
    "h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem}"
    "h2{font-size:1.25rem;margin:2rem 0 .25rem}"
    ".about{color:var(--muted);margin:0 0 .75rem}"
    ".scale-help{background:var(--soft);border-left:4px solid var(--brand);padding:.6rem .9rem}"
    "fieldset{border:1px solid var(--line);border-radius:6px;margin:0 0 1rem;padding:.6rem .75rem"
    " .75rem;min-width:0}"
    "legend{font-weight:600;padding:0 .25rem}"
    ".opts{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:.4rem;margin-top:.4rem}"
    ".opts.yn{grid-template-columns:repeat(3,minmax(0,1fr))}"
    ".opt{display:flex;flex-direction:column;align-items:center;gap:.15rem;border:1px solid "
    "var(--line);border-radius:6px;padding:.35rem 0;min-height:2.9rem;cursor:pointer}"
    ".opt input{margin:0;width:1.2rem;height:1.2rem;accent-color:var(--brand)}"
    ".opt:has(input:checked){border:2px solid var(--brand);background:#e7f0f9}"
    ".opt.dk{grid-column:1/-1;flex-direction:row;justify-content:center;gap:.5rem}"
    ".opts.yn .opt.dk{grid-column:auto;flex-direction:column;gap:.15rem}"
    ".ends{display:flex;justify-content:space-between;color:var(--muted);font-size:.9rem;"
    "margin-top:.2rem}"
    ".sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    "white-space:nowrap;margin:-1px;padding:0;border:0}"
    "label.block{display:block;font-weight:600;margin-top:1.5rem}"
    ".hint{color:var(--muted);font-size:.95rem;margin:.1rem 0 .4rem}"
    "textarea{font:inherit;color:inherit;width:100%;padding:.5rem;border:1px solid #6b717a;"
    "border-radius:4px}"
    "button{font:inherit;font-weight:600;margin-top:1.25rem;padding:.7rem 1.4rem;border-radius:6px;"
    "border:2px solid var(--brand);background:var(--brand);color:#fff;cursor:pointer}"
    "button:hover{background:#083a66}"
    ".errors{border:3px solid var(--bad);background:var(--bad-bg);padding:.5rem 1rem;margin:0 0 "
    "1rem}"
    ".errors h2{margin:.25rem 0;color:var(--bad)}"
    ".err{color:var(--bad);font-weight:600;margin:.2rem 0}"
    "fieldset.invalid,textarea[aria-invalid=true]{border:2px solid var(--bad)}"
    ".small{color:var(--muted);font-size:.95rem}"
    "footer{max-width:40rem;margin:0 auto;padding:0 1rem 2rem;color:var(--muted);"
    "font-size:.95rem}";

/* --- the buffer --------------------------------------------------------------- */

struct page {
    char *p;
    size_t n, cap;
    bool oom;
};

static void page_put(struct page *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 8192;
        while (b->n + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void page_raw(struct page *b, const char *s)
{
    page_put(b, s, strlen(s));
}

static void page_fmt(struct page *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void page_fmt(struct page *b, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        b->oom = true; /* callers format short things only */
    else
        page_put(b, buf, (size_t)n);
}

/* Text or an attribute's value, escaped. */
static void page_text(struct page *b, const char *s)
{
    const char *run = s;
    for (; s && *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        page_put(b, run, (size_t)(s - run));
        page_raw(b, rep);
        run = s + 1;
    }
    if (s)
        page_put(b, run, (size_t)(s - run));
}

static char *page_done(struct page *b)
{
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

/* The document up to <main>: title (with "Fel: " when errors) and banner. */
static void page_head(struct page *b, const char *municipality, const char *title, bool error)
{
    page_raw(b, "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>");
    if (error)
        page_raw(b, "Fel: ");
    page_text(b, title);
    page_raw(b, " – ");
    page_text(b, municipality);
    page_raw(b, "</title>\n<style>");
    page_raw(b, page_css);
    page_raw(b, "</style>\n</head>\n<body>\n<header class=\"top\"><p>");
    page_text(b, municipality);
    page_raw(b, " <span>· Företagslotsen</span></p></header>\n<main>\n");
}

static void page_foot(struct page *b, const char *municipality)
{
    page_raw(b, "</main>\n<footer><p>");
    page_text(b, municipality);
    page_raw(b, " frågar företag om sin service för att kunna förbättra den. Svaren redovisas "
                "bara sammanställda, aldrig per företag.</p></footer>\n</body>\n</html>\n");
}

/* --- the form ----------------------------------------------------------------- */

/* A field's id: "q-<item>-<question>", from characters that need no escape
 * (item and question keys are [a-z0-9_]). */
static void field_id(char *buf, size_t len, const char *item, const char *key)
{
    snprintf(buf, len, "q-%s-%s", item, key);
}

static const struct lb_form_error *error_for(const struct lb_form *f, const char *field)
{
    for (size_t i = 0; i < f->nerrors; i++)
        if (f->errors[i].field && field && strcmp(f->errors[i].field, field) == 0)
            return &f->errors[i];
    return NULL;
}

/* What was sent for item.key on a re-rendered form: "1".."6", "ja", "nej",
 * "vet_ej", or "" for nothing. */
static const char *sent_value(const struct lb_form *f, const char *item, const char *key,
                              char buf[8])
{
    const json_t *per = f->answers ? json_object_get(f->answers, item) : NULL;
    const json_t *v = per ? json_object_get(per, key) : NULL;
    if (!v)
        return "";
    if (json_is_null(v))
        return "vet_ej";
    if (json_is_true(v))
        return "ja";
    if (json_is_false(v))
        return "nej";
    if (json_is_integer(v)) {
        snprintf(buf, 8, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return "";
}

static void radio(struct page *b, const char *id, const char *name, const char *value,
                  const char *label, const char *sr, bool checked, bool invalid, const char *cls)
{
    page_fmt(b,
             "<label class=\"opt%s\" for=\"%s-%s\"><input type=\"radio\" id=\"%s-%s\" name=\"%s\" "
             "value=\"%s\"%s%s><span>",
             cls, id, value, id, value, name, value, checked ? " checked" : "",
             invalid ? " aria-invalid=\"true\"" : "");
    page_text(b, label);
    if (sr) {
        page_raw(b, "<span class=\"sr\"> ");
        page_text(b, sr);
        page_raw(b, "</span>");
    }
    page_raw(b, "</span></label>");
}

static void question(struct page *b, const struct lb_form *f, const struct lb_form_section *s,
                     const struct lb_question *q, int n)
{
    char id[96], name[96], field[96], sent_buf[8];
    field_id(id, sizeof id, s->item, q->key);
    snprintf(name, sizeof name, "%s.%s", s->item, q->key);
    snprintf(field, sizeof field, "%s.%s", s->item, q->key);
    const struct lb_form_error *err = error_for(f, field);
    const char *sent = sent_value(f, s->item, q->key, sent_buf);
    page_fmt(b, "<fieldset id=\"%s\"%s%s%s%s>\n<legend><span class=\"sr\">Fråga %d: </span>", id,
             err ? " class=\"invalid\"" : "", err ? " aria-describedby=\"" : "", err ? id : "",
             err ? "-fel\"" : "", n);
    page_text(b, q->text_sv);
    page_raw(b, "</legend>\n");
    if (err) {
        page_fmt(b, "<p class=\"err\" id=\"%s-fel\"><span class=\"sr\">Fel: </span>", id);
        page_text(b, err->message);
        page_raw(b, "</p>\n");
    }
    if (q->type == LB_Q_SCALE) {
        /* A meeting's relevance reads "inte alls relevant" .. "mycket relevant". */
        const char *lo = f->meeting ? "inte alls relevant" : "mycket missnöjd",
                   *hi = f->meeting ? "mycket relevant" : "mycket nöjd";
        page_raw(b, "<div class=\"opts\">");
        for (int v = 1; v <= LB_SURVEY_SCALE_TOP; v++) {
            char value[8];
            snprintf(value, sizeof value, "%d", v);
            radio(b, id, name, value, value,
                  v == 1                     ? lo
                  : v == LB_SURVEY_SCALE_TOP ? hi
                                             : NULL,
                  strcmp(sent, value) == 0, err != NULL, "");
        }
        radio(b, id, name, "vet_ej", "Vet ej", NULL, strcmp(sent, "vet_ej") == 0, err != NULL,
              " dk");
        page_fmt(b,
                 "</div>\n<div class=\"ends\" aria-hidden=\"true\"><span>1 = %s</span><span>6 = "
                 "%s</span></div>\n",
                 lo, hi);
    } else {
        page_raw(b, "<div class=\"opts yn\">");
        radio(b, id, name, "ja", "Ja", NULL, strcmp(sent, "ja") == 0, err != NULL, "");
        radio(b, id, name, "nej", "Nej", NULL, strcmp(sent, "nej") == 0, err != NULL, "");
        radio(b, id, name, "vet_ej", "Vet ej", NULL, strcmp(sent, "vet_ej") == 0, err != NULL,
              " dk");
        page_raw(b, "</div>\n");
    }
    page_raw(b, "</fieldset>\n");
}

char *lb_form_page(const struct lb_form *f)
{
    struct page b = {0};
    bool errors = f->nerrors > 0;
    page_head(&b, f->municipality,
              f->meeting ? "Vad tyckte du om träffen?" : "Hur var kommunens service?", errors);
    if (errors) {
        /* Focused on load (autofocus), so a screen reader starts here. */
        page_raw(&b, "<div class=\"errors\" role=\"alert\" tabindex=\"-1\" autofocus "
                     "aria-labelledby=\"fel-rubrik\">\n<h2 id=\"fel-rubrik\">Svaren kunde inte "
                     "skickas</h2>\n<ul>\n");
        for (size_t i = 0; i < f->nerrors; i++) {
            char id[96] = "q-first";
            const char *dot = f->errors[i].field ? strchr(f->errors[i].field, '.') : NULL;
            if (f->errors[i].field && strcmp(f->errors[i].field, "comment") == 0)
                snprintf(id, sizeof id, "comment");
            else if (dot)
                snprintf(id, sizeof id, "q-%.*s-%s", (int)(dot - f->errors[i].field),
                         f->errors[i].field, dot + 1);
            else if (f->nsections > 0) {
                size_t n;
                const struct lb_question *q = lb_form_section_questions(&f->sections[0], &n);
                if (q)
                    field_id(id, sizeof id, f->sections[0].item, q[0].key);
            }
            page_raw(&b, "<li><a href=\"#");
            page_text(&b, id);
            page_raw(&b, "\">");
            page_text(&b, f->errors[i].message);
            page_raw(&b, "</a></li>\n");
        }
        page_raw(&b, "</ul>\n</div>\n");
    }
    if (f->meeting) {
        page_raw(&b, "<h1>Vad tyckte du om träffen?</h1>\n<p>Utvärderingen gäller ");
        page_text(&b, f->meeting);
        page_raw(&b, ". Den tar en minut, du är anonym och alla frågor är frivilliga.</p>\n"
                     "<p class=\"scale-help\">Svara på en skala från 1 till 6, där 1 betyder "
                     "<strong>inte alls relevant</strong> och 6 <strong>mycket relevant"
                     "</strong>. Välj ”Vet ej” om frågan inte passar.</p>\n");
    } else {
        page_raw(&b, "<h1>Hur var kommunens service?</h1>\n<p>Enkäten gäller ");
        page_text(&b, f->company);
        page_raw(&b, " och ärenden som nyligen avslutats hos kommunen. Den tar ungefär tre "
                     "minuter. Alla frågor är frivilliga.</p>\n<p class=\"scale-help\">Svara på "
                     "en skala från 1 till 6, där 1 betyder <strong>mycket missnöjd</strong> och 6 "
                     "<strong>mycket nöjd</strong>. Välj ”Vet ej” om frågan inte passar.</p>\n");
    }
    page_raw(&b, "<form method=\"post\" action=\"/enkat/");
    page_text(&b, f->token);
    page_raw(&b, "\" accept-charset=\"utf-8\">\n");
    int n = 0;
    for (size_t i = 0; i < f->nsections; i++) {
        const struct lb_form_section *s = &f->sections[i];
        size_t nq;
        const struct lb_question *qs = lb_form_section_questions(s, &nq);
        page_fmt(&b, "<section aria-labelledby=\"del-%zu\">\n<h2 id=\"del-%zu\">", i, i);
        page_text(&b, s->title);
        page_raw(&b, "</h2>\n");
        if (s->cases && s->cases[0]) {
            page_raw(&b, "<p class=\"about\">");
            page_raw(&b, strchr(s->cases, ',') ? "Gäller ärendena " : "Gäller ärende ");
            page_text(&b, s->cases);
            page_raw(&b, ".</p>\n");
        }
        for (size_t k = 0; k < nq; k++)
            question(&b, f, s, &qs[k], ++n);
        page_raw(&b, "</section>\n");
    }
    const struct lb_form_error *cerr = error_for(f, "comment");
    page_raw(&b, "<label class=\"block\" for=\"comment\">Vill du lägga till något? "
                 "(frivilligt)</label>\n<p class=\"hint\" id=\"comment-hint\">Skriv inga "
                 "personuppgifter, till exempel namn eller personnummer. Högst 2 000 "
                 "tecken.</p>\n");
    if (cerr) {
        page_raw(&b, "<p class=\"err\" id=\"comment-fel\"><span class=\"sr\">Fel: </span>");
        page_text(&b, cerr->message);
        page_raw(&b, "</p>\n");
    }
    page_fmt(&b,
             "<textarea id=\"comment\" name=\"comment\" rows=\"5\" maxlength=\"%d\" "
             "aria-describedby=\"comment-hint%s\"%s>",
             LB_SURVEY_COMMENT_MAX, cerr ? " comment-fel" : "",
             cerr ? " aria-invalid=\"true\"" : "");
    page_text(&b, f->comment);
    page_raw(&b, "</textarea>\n<button type=\"submit\">Skicka svaren</button>\n</form>\n");
    if (!f->meeting) { /* a meeting's link was not mailed to anybody */
        page_raw(&b, "<p class=\"small\">Vill du inte få fler enkäter från oss per e-post? <a "
                     "href=\"/enkat/");
        page_text(&b, f->token);
        page_raw(&b, "/avregistrera\">Avregistrera dig från enkäterna</a>.</p>\n");
    }
    page_foot(&b, f->municipality);
    return page_done(&b);
}

char *lb_form_thanks(const char *municipality, const char *company, const char *token)
{
    struct page b = {0};
    page_head(&b, municipality, "Tack för dina svar", false);
    page_raw(&b, "<h1>Tack för dina svar!</h1>\n<p>Vi har tagit emot svaren för ");
    page_text(&b, company);
    page_raw(&b, ". Du behöver inte göra något mer, och vi kommer inte att ringa om den här "
                 "enkäten.</p>\n<p>Svaren hjälper ");
    page_text(&b, municipality);
    page_raw(&b, " att bli bättre på att hjälpa företag. Du kan stänga sidan nu.</p>\n");
    page_raw(&b, "<p class=\"small\">Vill du inte få fler enkäter från oss per e-post? <a href=\""
                 "/enkat/");
    page_text(&b, token);
    page_raw(&b, "/avregistrera\">Avregistrera dig från enkäterna</a>.</p>\n");
    page_foot(&b, municipality);
    return page_done(&b);
}

char *lb_form_thanks_meeting(const char *municipality, const char *meeting)
{
    struct page b = {0};
    page_head(&b, municipality, "Tack för dina svar", false);
    page_raw(&b, "<h1>Tack för dina svar!</h1>\n<p>Vi har tagit emot din utvärdering av ");
    page_text(&b, meeting);
    page_raw(&b, ". Svaren hjälper ");
    page_text(&b, municipality);
    page_raw(&b, " att göra nästa träff bättre. Du kan stänga sidan nu.</p>\n");
    page_foot(&b, municipality);
    return page_done(&b);
}

const struct lb_question *lb_form_section_questions(const struct lb_form_section *s, size_t *n)
{
    if (s->questions) {
        *n = s->nquestions;
        return s->questions;
    }
    return lb_survey_questions(s->kind, n);
}

char *lb_form_message(const char *municipality, enum lb_form_message which, unsigned retry_s)
{
    struct page b = {0};
    const char *title, *text;
    switch (which) {
    case LB_FORM_UNKNOWN:
        title = "Länken fungerar inte";
        text = "<p>Vi hittar ingen enkät för den här länken. En länk gäller i 30 dagar, så den "
               "kan ha gått ut. Den kan också ha kommit med ofullständig – kontrollera att hela "
               "länken från e-postmeddelandet kom med.</p>\n<p>Vill du ändå berätta vad du "
               "tycker? Kontakta gärna företagslotsen i kommunen.</p>\n";
        break;
    case LB_FORM_ANSWERED:
        title = "Enkäten är redan besvarad";
        text = "<p>Vi har redan fått svar på den här enkäten – tack! Svaren går inte att ändra "
               "via länken.</p>\n";
        break;
    case LB_FORM_CLOSED:
        title = "Enkäten är avslutad";
        text = "<p>Den här enkäten går inte längre att besvara, till exempel för att vi redan "
               "har pratat med er i telefon. Tack ändå för att du ville svara!</p>\n";
        break;
    case LB_FORM_RATE_LIMITED:
        title = "För många försök";
        text = NULL;
        break;
    case LB_FORM_BAD_REQUEST:
        title = "Svaren kunde inte läsas";
        text = "<p>Det som skickades gick inte att läsa som svar på enkäten. Gå tillbaka till "
               "enkäten via länken i e-postmeddelandet och försök igen.</p>\n";
        break;
    default:
        title = "Något gick fel";
        text = "<p>Något gick fel hos oss, och inget sparades. Försök igen om en liten "
               "stund.</p>\n";
        break;
    }
    page_head(&b, municipality, title, false);
    page_raw(&b, "<h1>");
    page_text(&b, title);
    page_raw(&b, "</h1>\n");
    if (text) {
        page_raw(&b, text);
    } else {
        unsigned minutes = (retry_s + 59) / 60;
        if (retry_s < 60)
            page_fmt(&b,
                     "<p>Det har kommit väldigt många förfrågningar från din anslutning. "
                     "Vänta %u sekunder och försök sedan igen.</p>\n",
                     retry_s ? retry_s : 1);
        else
            page_fmt(&b,
                     "<p>Det har kommit väldigt många förfrågningar från din anslutning. "
                     "Vänta %u minuter och försök sedan igen.</p>\n",
                     minutes);
    }
    page_foot(&b, municipality);
    return page_done(&b);
}

char *lb_form_opt_out(const char *municipality, const char *token, bool done)
{
    struct page b = {0};
    if (done) {
        page_head(&b, municipality, "Du är avregistrerad", false);
        page_raw(&b, "<h1>Du är avregistrerad</h1>\n<p>Vi skickar inga fler enkäter per e-post "
                     "till din adress. Det kan hända att företagslotsen ringer i stället för att "
                     "fråga hur det gick.</p>\n<p>Ändrar du dig kan du säga till "
                     "företagslotsen.</p>\n");
    } else {
        page_head(&b, municipality, "Avregistrera dig från enkäterna", false);
        page_raw(&b, "<h1>Avregistrera dig från enkäterna</h1>\n<p>");
        page_text(&b, municipality);
        page_raw(&b, " skickar ibland en kort enkät per e-post när ett ärende har avslutats. Om "
                     "du avregistrerar dig skickar vi inga fler enkäter per e-post till din "
                     "adress.</p>\n<form method=\"post\" action=\"/enkat/");
        page_text(&b, token);
        page_raw(&b, "/avregistrera\">\n<button type=\"submit\">Avregistrera mig</button>\n"
                     "</form>\n");
    }
    page_foot(&b, municipality);
    return page_done(&b);
}

const char *lb_form_headers(void)
{
    /* Computed once; the loop thread is the only caller. */
    static char headers[512];
    if (headers[0])
        return headers;
    unsigned char h[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    crypto_hash_sha256(h, (const unsigned char *)page_css, sizeof page_css - 1);
    sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
    snprintf(headers, sizeof headers,
             "Content-Security-Policy: default-src 'none'; style-src 'sha256-%s'; "
             "form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
             "X-Frame-Options: DENY\r\n",
             b64);
    return headers;
}
