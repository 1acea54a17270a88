/* api_privacy.c: personal data routes (GDPR): anonymisation, the register
 * extract and a company's export.
 *
 *   POST /api/v1/companies/{id}/anonymize {reason}   admin, service
 *   GET  /api/v1/companies/{id}/export               admin
 *   GET  /api/v1/persons?email=&phone=&name=         admin
 *
 * Anonymisation is lb_company_anonymize (store_companies.c) behind a queued
 * write. A personnummer orgnr becomes a pseudonym: a keyed BLAKE2b hash
 * (libsodium crypto_generichash) of the number under the 32-byte secret in
 * DIR/pseudonym.key, mapped to 9 digits and a deliberately wrong Luhn digit,
 * so the same person always gets the same pseudonym, distinct companies stay
 * distinct, and no pseudonym can be mistaken for (or collide with) a real
 * orgnr or personnummer. A pseudonym already in place is kept (its Luhn
 * digit is wrong), so anonymising twice never hashes a hash. The idempotent
 * repeat answers 200 with the unchanged company and appends no event.
 *
 * The register extract scans every company (O(companies); an admin's rare
 * request) for contact persons matching the e-mail (case-insensitive, exact),
 * the phone number (digits only, +46 as 0) or the name (case- and
 * diacritic-insensitive substring, also the name of an enskild firma), then
 * looks for the name in the free text of the matching companies' records.
 * What it searches is documented in docs/privacy.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "lotsbok/api.h"
#include "lotsbok/error.h"

#define PAGE 500

/* --- pseudonyms ------------------------------------------------------------ */

static int read_key(const char *path, uint8_t key[32])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? LB_ENOTFOUND : LB_EIO;
    uint8_t buf[33];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n != 32)
        return LB_ECORRUPT;
    memcpy(key, buf, 32);
    sodium_memzero(buf, sizeof buf);
    return 0;
}

int lb_pseudonym_key(const char *dir, uint8_t key[32])
{
    char path[4200];
    if (!dir)
        return LB_EINVAL;
    snprintf(path, sizeof path, "%s/pseudonym.key", dir);
    int rc = read_key(path, key);
    if (rc != LB_ENOTFOUND)
        return rc;
    /* Create it: O_EXCL so that two creators cannot both win; the loser
     * reads the winner's key. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? read_key(path, key) : LB_EIO;
    randombytes_buf(key, 32);
    ssize_t n = write(fd, key, 32);
    int synced = fsync(fd);
    if (close(fd) != 0 || n != 32 || synced != 0) {
        unlink(path);
        return LB_EIO;
    }
    return 0;
}

static int luhn_digit(const char *d9)
{
    int sum = 0;
    for (int i = 0; i < 9; i++) {
        int v = (d9[i] - '0') * (i % 2 == 0 ? 2 : 1);
        sum += v > 9 ? v - 9 : v;
    }
    return (10 - sum % 10) % 10;
}

bool lb_luhn_ok(const char *digits10)
{
    for (int i = 0; i < 10; i++)
        if (digits10[i] < '0' || digits10[i] > '9')
            return false;
    return digits10[9] - '0' == luhn_digit(digits10);
}

void lb_pseudonym(const uint8_t key[32], const char *orgnr10, unsigned attempt, char out[11])
{
    uint8_t in[14], h[16];
    memcpy(in, orgnr10, 10);
    in[10] = (uint8_t)(attempt >> 24);
    in[11] = (uint8_t)(attempt >> 16);
    in[12] = (uint8_t)(attempt >> 8);
    in[13] = (uint8_t)attempt;
    /* Cannot fail with these sizes (16-byte output, 32-byte key). */
    crypto_generichash(h, sizeof h, in, sizeof in, key, 32);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | h[i];
    v %= 1000000000u; /* bias of 2^64 mod 1e9 is negligible */
    for (int i = 8; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    out[9] = (char)('0' + (luhn_digit(out) + 5) % 10); /* always the wrong digit */
    out[10] = '\0';
}

/* --- POST /companies/{id}/anonymize ----------------------------------------- */

struct anon_arg {
    lb_id id;
    char reason[32];
    uint8_t key[32];
    bool has_key;
};

static void anon_free(void *p)
{
    sodium_memzero(p, sizeof(struct anon_arg));
    free(p);
}

static int op_anonymize(lb_txn *t, struct lb_api_req *r)
{
    struct anon_arg *a = r->arg;
    struct lb_company c = {0};
    int rc = lb_company_get(t, a->id, &c);
    char pseudonym[11] = "";
    /* A handful of attempts: a collision among 10^9 pseudonyms is rare, and
     * each retry is refused before anything is written. */
    for (unsigned attempt = 0; rc == 0 && attempt < 8; attempt++) {
        if (c.personal_orgnr) {
            if (!lb_luhn_ok(c.orgnr))
                memcpy(pseudonym, c.orgnr, 11); /* already a pseudonym */
            else if (a->has_key)
                lb_pseudonym(a->key, c.orgnr, attempt, pseudonym);
            else
                return api_fail(r, 500, "internal", NULL, "no pseudonym key");
        }
        rc = lb_company_anonymize(t, &r->ctx, a->id, a->reason, pseudonym[0] ? pseudonym : NULL);
        if (rc != LB_EEXIST || !lb_luhn_ok(c.orgnr))
            break;
        rc = 0;
    }
    lb_company_clear(&c);
    if (rc == LB_EEXIST)
        return api_fail(r, 409, "duplicate", NULL, "no free pseudonym found");
    if (rc == 0)
        rc = lb_company_get(t, a->id, &c);
    if (rc == 0)
        rc = api_idem_company(r, a->id);
    if (rc != 0)
        return rc;
    json_t *o = api_company_json(&c);
    lb_company_clear(&c);
    return o ? api_answer(r, 200, o, NULL) : LB_ENOMEM;
}

int api_company_anonymize(struct lb_api_req *r, lb_txn *t)
{
    struct anon_arg *a = calloc(1, sizeof *a);
    const char *reason = NULL;
    if (!a)
        return LB_ENOMEM;
    int rc = api_path_id(r, 0, &a->id);
    struct lb_company c = {0};
    if (rc == 0)
        rc = lb_company_get(t, a->id, &c);
    if (rc == 0)
        rc = api_str(r, r->body, "reason", true, 32, &reason);
    if (rc == 0 && !lb_anonymize_reason_ok(reason))
        rc = api_fail(r, 422, "invalid_enum", "reason",
                      "reason must be retention or erasure_request");
    if (rc == 0) {
        snprintf(a->reason, sizeof a->reason, "%s", reason);
        /* The key is needed only for a personnummer; read it here, outside
         * the write transaction, so file trouble is a clean 500. */
        if (c.personal_orgnr && lb_luhn_ok(c.orgnr)) {
            rc = lb_pseudonym_key(api_data_dir(r), a->key);
            if (rc != 0)
                rc = api_fail(r, 500, "internal", NULL, "cannot read the pseudonym key");
            else
                a->has_key = true;
        }
    }
    lb_company_clear(&c);
    if (rc != 0) {
        anon_free(a);
        return rc;
    }
    return api_queue(r, op_anonymize, a, anon_free);
}

/* --- GET /companies/{id}/export ---------------------------------------------- */

/* Appends every record of a list to arr: list fills a page, get+json turn
 * each id into JSON. */
typedef int (*list_fn)(lb_txn *t, const void *filter, struct lb_page *p);

static int cases_of(lb_txn *t, const void *f, struct lb_page *p)
{
    return lb_case_list(t, f, p);
}

static int handoffs_of(lb_txn *t, const void *f, struct lb_page *p)
{
    return lb_handoff_list(t, f, p);
}

static int followups_of(lb_txn *t, const void *f, struct lb_page *p)
{
    return lb_followup_list(t, f, p);
}

static int contacts_of(lb_txn *t, const void *f, struct lb_page *p)
{
    return lb_contact_list_by_case(t, *(const lb_id *)f, p);
}

static int improvements_all(lb_txn *t, const void *f, struct lb_page *p)
{
    (void)f;
    return lb_improvement_list(t, p);
}

/* Collects every id of a list into a malloc'd array. */
static int collect(lb_txn *t, list_fn fn, const void *filter, lb_id **out, size_t *n)
{
    lb_id page[PAGE], *ids = NULL;
    size_t cnt = 0;
    struct lb_page p = {.after = 0, .limit = PAGE, .ids = page};
    *out = NULL;
    *n = 0;
    for (;;) {
        int rc = fn(t, filter, &p);
        if (rc != 0) {
            free(ids);
            return rc;
        }
        if (p.count) {
            lb_id *nids = realloc(ids, (cnt + p.count) * sizeof *ids);
            if (!nids) {
                free(ids);
                return LB_ENOMEM;
            }
            ids = nids;
            memcpy(ids + cnt, page, p.count * sizeof *ids);
            cnt += p.count;
        }
        if (!p.next)
            break;
        p.after = p.next;
    }
    *out = ids;
    *n = cnt;
    return 0;
}

#define JSON_RECORDS(name, type)                                                                   \
    static int name##_json_all(lb_txn *t, const lb_id *ids, size_t n, json_t *arr)                 \
    {                                                                                              \
        for (size_t i = 0; i < n; i++) {                                                           \
            struct lb_##type x = {0};                                                              \
            int rc = lb_##type##_get(t, ids[i], &x);                                               \
            if (rc == LB_ENOTFOUND)                                                                \
                continue;                                                                          \
            if (rc != 0)                                                                           \
                return rc;                                                                         \
            json_t *j = api_##type##_json(&x);                                                     \
            lb_##type##_clear(&x);                                                                 \
            if (!j || json_array_append_new(arr, j) != 0)                                          \
                return LB_ENOMEM;                                                                  \
        }                                                                                          \
        return 0;                                                                                  \
    }
JSON_RECORDS(contacts, contact)
JSON_RECORDS(handoffs, handoff)
JSON_RECORDS(followups, followup)

/* The export of one case: the case with "contacts" and "handoffs". */
static int export_case(lb_txn *t, lb_id id, json_t *cases)
{
    struct lb_case k = {0};
    int rc = lb_case_get(t, id, &k);
    if (rc != 0)
        return rc == LB_ENOTFOUND ? 0 : rc;
    json_t *o = api_case_json(&k), *contacts = json_array(), *handoffs = json_array();
    lb_case_clear(&k);
    lb_id *ids = NULL;
    size_t n = 0;
    struct lb_handoff_filter hf = {.overdue = -1, .case_id = id};
    if (!o || !contacts || !handoffs)
        rc = LB_ENOMEM;
    if (rc == 0 && (rc = collect(t, contacts_of, &id, &ids, &n)) == 0) {
        rc = contacts_json_all(t, ids, n, contacts);
        free(ids);
    }
    if (rc == 0 && (rc = collect(t, handoffs_of, &hf, &ids, &n)) == 0) {
        rc = handoffs_json_all(t, ids, n, handoffs);
        free(ids);
    }
    if (rc == 0) {
        json_object_set_new(o, "contacts", contacts);
        json_object_set_new(o, "handoffs", handoffs);
        return json_array_append_new(cases, o) == 0 ? 0 : LB_ENOMEM;
    }
    json_decref(o);
    json_decref(contacts);
    json_decref(handoffs);
    return rc;
}

/* Improvement actions whose follow-up is one of fids (sorted ascending). */
static int export_improvements(lb_txn *t, const lb_id *fids, size_t nf, json_t *arr)
{
    lb_id *ids = NULL;
    size_t n = 0;
    if (nf == 0)
        return 0;
    int rc = collect(t, improvements_all, NULL, &ids, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct lb_improvement m = {0};
        if ((rc = lb_improvement_get(t, ids[i], &m)) != 0)
            break;
        bool mine = false;
        for (size_t j = 0; j < nf && !mine; j++)
            mine = fids[j] == m.followup_id;
        if (mine) {
            json_t *j = api_improvement_json(&m);
            if (!j || json_array_append_new(arr, j) != 0)
                rc = LB_ENOMEM;
        }
        lb_improvement_clear(&m);
    }
    free(ids);
    return rc;
}

/* The meetings the company attended (with its persons count) and the paper
 * evaluations that name it (docs/meetings.md). */
static int export_meetings(lb_txn *t, lb_id company, json_t *meetings, json_t *evals)
{
    lb_id ids[256];
    struct lb_page p = {.after = 0, .limit = 256, .ids = ids};
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        p.after = 0;
        do {
            rc = pass == 0 ? lb_meeting_list_company(t, company, &p)
                           : lb_meeting_eval_list_company(t, company, &p);
            for (size_t i = 0; rc == 0 && i < p.count; i++) {
                if (pass == 0) {
                    struct lb_meeting m = {0};
                    if ((rc = lb_meeting_get(t, ids[i], &m)) != 0)
                        break;
                    uint32_t persons = 0;
                    for (uint32_t k = 0; k < m.ncompanies; k++)
                        if (m.companies[k].company_id == company)
                            persons = m.companies[k].persons;
                    json_t *o = json_object();
                    json_object_set_new(o, "id", json_integer((json_int_t)m.meta.id));
                    json_object_set_new(o, "kind", json_string(lb_meeting_kind_str(m.kind)));
                    api_json_str(o, "title", m.title);
                    api_json_time(o, "starts_at", m.starts_at);
                    json_object_set_new(o, "persons", json_integer(persons));
                    json_array_append_new(meetings, o);
                    lb_meeting_clear(&m);
                } else {
                    struct lb_meeting_eval e = {0};
                    if ((rc = lb_meeting_eval_get(t, ids[i], &e)) != 0)
                        break;
                    json_t *o = json_object();
                    api_json_meta(o, &e.meta);
                    json_object_set_new(o, "meeting_id", json_integer((json_int_t)e.meeting_id));
                    json_object_set_new(o, "relevant",
                                        e.relevant ? json_integer(e.relevant) : json_null());
                    json_object_set_new(o, "knowledge",
                                        e.knowledge ? json_boolean(e.knowledge == 2) : json_null());
                    api_json_str(o, "comment", e.comment);
                    json_array_append_new(evals, o);
                    lb_meeting_eval_clear(&e);
                }
            }
            p.after = p.next;
        } while (rc == 0 && p.next);
    }
    return rc;
}

int api_company_export(struct lb_api_req *r, lb_txn *t)
{
    lb_id id, *cids = NULL, *fids = NULL;
    size_t nc = 0, nf = 0;
    int rc = api_path_id(r, 0, &id);
    if (rc != 0)
        return rc;
    struct lb_company c = {0};
    if ((rc = lb_company_get(t, id, &c)) != 0)
        return rc;
    json_t *doc = json_object(), *company = api_company_json(&c), *cases = json_array(),
           *followups = json_array(), *improvements = json_array();
    lb_company_clear(&c);
    struct lb_case_filter cf = {
        .status = -1, .company_id = id, .opened_from = LB_DATE_NONE, .opened_to = LB_DATE_NONE};
    struct lb_followup_filter ff = {.status = -1, .due_before = LB_DATE_NONE, .company_id = id};
    if (!doc || !company || !cases || !followups || !improvements)
        rc = LB_ENOMEM;
    if (rc == 0)
        rc = collect(t, cases_of, &cf, &cids, &nc);
    for (size_t i = 0; rc == 0 && i < nc; i++)
        rc = export_case(t, cids[i], cases);
    if (rc == 0)
        rc = collect(t, followups_of, &ff, &fids, &nf);
    if (rc == 0)
        rc = followups_json_all(t, fids, nf, followups);
    if (rc == 0)
        rc = export_improvements(t, fids, nf, improvements);
    json_t *meetings = json_array(), *mevals = json_array();
    if (rc == 0 && (!meetings || !mevals))
        rc = LB_ENOMEM;
    if (rc == 0)
        rc = export_meetings(t, id, meetings, mevals);
    free(cids);
    free(fids);
    if (rc != 0) {
        json_decref(meetings);
        json_decref(mevals);
        json_decref(doc);
        json_decref(company);
        json_decref(cases);
        json_decref(followups);
        json_decref(improvements);
        return rc;
    }
    api_json_time(doc, "exported_at", r->ctx.now);
    json_object_set_new(doc, "company", company);
    json_object_set_new(doc, "cases", cases);
    json_object_set_new(doc, "followups", followups);
    json_object_set_new(doc, "improvements", improvements);
    json_object_set_new(doc, "meetings", meetings);
    json_object_set_new(doc, "meeting_evaluations", mevals);
    return api_answer(r, 200, doc, NULL);
}

/* --- GET /persons ------------------------------------------------------------ */

void lb_phone_normalize(const char *in, char *out, size_t len)
{
    size_t o = 0;
    if (len == 0)
        return;
    bool plus = false;
    for (const char *p = in ? in : ""; *p && o + 1 < len; p++) {
        if (*p == '+' && o == 0)
            plus = true;
        if (*p >= '0' && *p <= '9')
            out[o++] = *p;
    }
    out[o] = '\0';
    /* International Swedish forms: "+46 70..." and "0046 70..." are "070...". */
    const char *rest = NULL;
    if (plus && strncmp(out, "46", 2) == 0)
        rest = out + 2;
    else if (strncmp(out, "0046", 4) == 0)
        rest = out + 4;
    if (rest) {
        size_t rl = strlen(rest);
        memmove(out + 1, rest, rl + 1);
        out[0] = '0';
    }
}

struct person_query {
    char email[256];
    char phone[64]; /* normalised */
    char name[256]; /* folded */
    bool has_email, has_phone, has_name;
};

/* Folded substring match of the query name in s. */
static bool name_in(const struct person_query *q, const char *s)
{
    char f[LB_LIMIT_TEXT * 2 + 1];
    if (!q->has_name || !s)
        return false;
    lb_fold_name(s, f, sizeof f);
    return strstr(f, q->name) != NULL;
}

static bool person_matches(const struct person_query *q, const struct lb_person *p, json_t *how)
{
    bool hit = false;
    if (q->has_email && p->email && strcasecmp(p->email, q->email) == 0) {
        json_array_append_new(how, json_string("contact_email"));
        hit = true;
    }
    if (q->has_phone && p->phone) {
        char ph[64];
        lb_phone_normalize(p->phone, ph, sizeof ph);
        if (ph[0] && strcmp(ph, q->phone) == 0) {
            json_array_append_new(how, json_string("contact_phone"));
            hit = true;
        }
    }
    if (name_in(q, p->name)) {
        json_array_append_new(how, json_string("contact_name"));
        hit = true;
    }
    return hit;
}

static int mention(json_t *arr, const char *record, lb_id id, const char *field)
{
    json_t *m = json_object();
    if (!m)
        return LB_ENOMEM;
    json_object_set_new(m, "record", json_string(record));
    json_object_set_new(m, "id", json_integer((json_int_t)id));
    json_object_set_new(m, "field", json_string(field));
    return json_array_append_new(arr, m) == 0 ? 0 : LB_ENOMEM;
}

/* Free text of one case and its contacts, hand-offs and follow-ups that
 * mentions the name. */
static int case_mentions(lb_txn *t, const struct person_query *q, lb_id cid, json_t *arr)
{
    struct lb_case k = {0};
    int rc = lb_case_get(t, cid, &k);
    if (rc != 0)
        return rc == LB_ENOTFOUND ? 0 : rc;
    if (name_in(q, k.subject))
        rc = mention(arr, "case", cid, "subject");
    if (rc == 0 && name_in(q, k.description))
        rc = mention(arr, "case", cid, "description");
    if (rc == 0 && name_in(q, k.close_note))
        rc = mention(arr, "case", cid, "close_note");
    lb_case_clear(&k);
    lb_id *ids = NULL;
    size_t n = 0;
    if (rc == 0 && (rc = collect(t, contacts_of, &cid, &ids, &n)) == 0) {
        for (size_t i = 0; rc == 0 && i < n; i++) {
            struct lb_contact x = {0};
            if ((rc = lb_contact_get(t, ids[i], &x)) == 0 && name_in(q, x.summary))
                rc = mention(arr, "contact", ids[i], "summary");
            lb_contact_clear(&x);
        }
        free(ids);
    }
    struct lb_handoff_filter hf = {.overdue = -1, .case_id = cid};
    if (rc == 0 && (rc = collect(t, handoffs_of, &hf, &ids, &n)) == 0) {
        for (size_t i = 0; rc == 0 && i < n; i++) {
            struct lb_handoff x = {0};
            if ((rc = lb_handoff_get(t, ids[i], &x)) == 0) {
                if (name_in(q, x.note))
                    rc = mention(arr, "handoff", ids[i], "note");
                if (rc == 0 && name_in(q, x.decision_note))
                    rc = mention(arr, "handoff", ids[i], "decision_note");
                if (rc == 0 && name_in(q, x.withdraw_note))
                    rc = mention(arr, "handoff", ids[i], "withdraw_note");
            }
            lb_handoff_clear(&x);
        }
        free(ids);
    }
    return rc;
}

static int company_mentions(lb_txn *t, const struct person_query *q, lb_id company, json_t *arr)
{
    lb_id *ids = NULL;
    size_t n = 0;
    struct lb_case_filter cf = {.status = -1,
                                .company_id = company,
                                .opened_from = LB_DATE_NONE,
                                .opened_to = LB_DATE_NONE};
    int rc = collect(t, cases_of, &cf, &ids, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = case_mentions(t, q, ids[i], arr);
    free(ids);
    struct lb_followup_filter ff = {
        .status = -1, .due_before = LB_DATE_NONE, .company_id = company};
    if (rc == 0 && (rc = collect(t, followups_of, &ff, &ids, &n)) == 0) {
        for (size_t i = 0; rc == 0 && i < n; i++) {
            struct lb_followup x = {0};
            if ((rc = lb_followup_get(t, ids[i], &x)) == 0 && name_in(q, x.comment))
                rc = mention(arr, "followup", ids[i], "comment");
            lb_followup_clear(&x);
        }
        free(ids);
    }
    return rc;
}

/* The register extract entry of one company, or NULL (*err set on error)
 * when it does not mention the person. */
static json_t *person_company(lb_txn *t, const struct person_query *q, const struct lb_company *c,
                              int *err)
{
    json_t *how = json_array(), *persons = json_array(), *mentions = json_array();
    *err = 0;
    if (!how || !persons || !mentions) {
        *err = LB_ENOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < c->ncontacts; i++) {
        json_t *h = json_array();
        if (!h) {
            *err = LB_ENOMEM;
            goto fail;
        }
        if (person_matches(q, &c->contacts[i], h)) {
            json_t *p = json_object();
            if (!p) {
                json_decref(h);
                *err = LB_ENOMEM;
                goto fail;
            }
            json_object_set_new(p, "index", json_integer(i));
            api_json_str(p, "name", c->contacts[i].name);
            api_json_str(p, "role", c->contacts[i].role);
            api_json_str(p, "phone", c->contacts[i].phone);
            api_json_str(p, "email", c->contacts[i].email);
            json_object_set_new(p, "matched", h);
            json_array_append_new(persons, p);
        } else {
            json_decref(h);
        }
    }
    bool own_name = c->personal_orgnr && name_in(q, c->name);
    if (own_name)
        json_array_append_new(how, json_string("company_name"));
    if (json_array_size(persons) == 0 && !own_name)
        goto fail; /* no structured match: not this company */
    if ((*err = company_mentions(t, q, c->meta.id, mentions)) != 0)
        goto fail;
    json_t *o = json_object();
    if (!o) {
        *err = LB_ENOMEM;
        goto fail;
    }
    json_object_set_new(o, "company_id", json_integer((json_int_t)c->meta.id));
    json_object_set_new(o, "orgnr", json_string(c->orgnr));
    json_object_set_new(o, "personal_orgnr", json_boolean(c->personal_orgnr));
    api_json_str(o, "name", c->name);
    json_object_set_new(o, "matched", how);
    json_object_set_new(o, "contacts", persons);
    json_object_set_new(o, "mentions", mentions);
    return o;
fail:
    json_decref(how);
    json_decref(persons);
    json_decref(mentions);
    return NULL;
}

int api_persons(struct lb_api_req *r, lb_txn *t)
{
    struct person_query q;
    char raw[256];
    memset(&q, 0, sizeof q);
    int rc = api_query(r, "email", q.email, sizeof q.email);
    if (rc < 0)
        return rc;
    q.has_email = rc == 1 && q.email[0];
    if ((rc = api_query(r, "phone", raw, sizeof raw)) < 0)
        return rc;
    if (rc == 1) {
        lb_phone_normalize(raw, q.phone, sizeof q.phone);
        q.has_phone = q.phone[0] != '\0';
    }
    if ((rc = api_query(r, "name", raw, sizeof raw)) < 0)
        return rc;
    if (rc == 1) {
        lb_fold_name(raw, q.name, sizeof q.name);
        q.has_name = strlen(q.name) >= 2;
        if (!q.has_name)
            return api_fail(r, 400, "bad_query", "name", "name needs at least 2 letters");
    }
    if (!q.has_email && !q.has_phone && !q.has_name)
        return api_fail(r, 400, "bad_query", NULL, "give email, phone or name");
    json_t *items = json_array();
    lb_id page[PAGE];
    struct lb_page p = {.after = 0, .limit = PAGE, .ids = page};
    rc = items ? 0 : LB_ENOMEM;
    while (rc == 0) {
        if ((rc = lb_company_list(t, &p)) != 0)
            break;
        for (size_t i = 0; rc == 0 && i < p.count; i++) {
            struct lb_company c = {0};
            if ((rc = lb_company_get(t, page[i], &c)) == LB_ENOTFOUND) {
                rc = 0;
                continue;
            }
            json_t *o = rc == 0 ? person_company(t, &q, &c, &rc) : NULL;
            if (o && json_array_append_new(items, o) != 0)
                rc = LB_ENOMEM;
            lb_company_clear(&c);
        }
        if (!p.next)
            break;
        p.after = p.next;
    }
    if (rc != 0) {
        json_decref(items);
        return rc;
    }
    json_t *doc = json_object(), *query = json_object();
    if (!doc || !query) {
        json_decref(doc);
        json_decref(query);
        json_decref(items);
        return LB_ENOMEM;
    }
    if (q.has_email)
        json_object_set_new(query, "email", json_string(q.email));
    if (q.has_phone)
        json_object_set_new(query, "phone", json_string(q.phone));
    if (q.has_name)
        json_object_set_new(query, "name", json_string(q.name));
    json_object_set_new(doc, "query", query);
    json_object_set_new(doc, "searched",
                        json_string("contact persons (email, phone, name) and enskild firma names "
                                    "of every company; the name also in the free text of the "
                                    "matching companies' records"));
    json_object_set_new(doc, "items", items);
    return api_answer(r, 200, doc, NULL);
}
