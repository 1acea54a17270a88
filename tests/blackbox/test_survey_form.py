"""The public survey form and its API against the real lotsd (docs/surveys.md).

The worker's side is played by this test through the service routes (the
mailing itself is test_survey_mail.py): a follow-up is scheduled, the survey
issued with a token made here, and then the company answers through
/enkat/TOKEN (the HTML form, as a browser without JavaScript sends it) or
/api/v1/public/surveys/TOKEN. Checked: what the pages show (the company's
name, nothing about any person), the security headers, kind pages for
unknown, answered and closed links, the answer recorded as done by e-mail
with its event, opt-out in one click recorded on the contact person and kept
across an edit of the company, a bounce, the rate limits per address, that no
token or address reaches the log or an event, and a fuzz of tokens and bodies
that must never get a 5xx or change anything.
"""

import base64
import hashlib
import json
import os
import random
import secrets
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402

NOW = "2026-12-01T09:00:00Z"  # a Tuesday
CALL_FROM = "2026-12-17"
EMAIL = "karin.lind@example.se"


def new_token():
    tok = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return tok, hashlib.blake2b(tok.encode(), digest_size=32).hexdigest()


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what)


class World:
    """A lots, a service token, and helpers to make surveyed follow-ups."""

    def __init__(self, d):
        self.d = d
        admin = d.admin_token()
        self.lots = d.user(admin, "anna.lots", "lots")
        self.admin = admin
        self.svc = d.worker_token()
        self.tokens = []

    def company(self, email=EMAIL, name="Kvarnbackens Bageri AB"):
        return self.d.company(self.lots, name=name, contacts=[
            {"name": "Karin Lind", "role": "VD", "phone": "0176-22 33 44", "email": email}])

    def followup(self, company, units=()):
        """A closed case (and decided hand-offs to units) with a scheduled call."""
        case = self.d.case(self.lots, company["id"], subject="Ny bageributik vid torget")
        items = [{"kind": "lots", "case_id": case["id"]}]
        for u in units:
            h = self.d.handoff(self.lots, case["id"], unit=u)
            items.append({"kind": "unit", "case_id": case["id"], "handoff_id": h["id"]})
        r = self.d.req("POST", "/api/v1/cases/%d/close" % case["id"], {"outcome": "resolved"},
                       token=self.lots)
        assert r.status == 200, r
        r = self.d.req("POST", "/api/v1/followups", {
            "company_id": company["id"], "due": "2026-12-01", "assignee": "anna.lots",
            "items": items}, token=self.svc,
            headers={"Idempotency-Key": "t-%d" % random.randrange(10**12)})
        assert r.status == 201, r
        return r.json, case

    def issue(self, fid, token_hash, reminder=0, call_from=CALL_FROM):
        item = {"followup_id": fid, "reminder": reminder, "token_hash": token_hash}
        if call_from:
            item["call_from"] = call_from
        r = self.d.req("POST", "/api/v1/surveys/issue", {"items": [item]}, token=self.svc)
        assert r.status == 200, r
        return r.json["items"][0]

    def surveyed(self, units=("bygglov",), email=EMAIL):
        co = self.company(email=email)
        f, case = self.followup(co, units)
        tok, h = new_token()
        self.tokens.append(tok)
        it = self.issue(f["id"], h)
        assert it["verdict"] == "send", it
        return co, f, case, tok, it

    def fu(self, fid):
        r = self.d.req("GET", "/api/v1/followups/%d" % fid, token=self.lots)
        assert r.status == 200, r
        return r.json

    def events(self, after=0):
        out = []
        while True:
            r = self.d.req("GET", "/api/v1/events?after=%d&limit=500" % after, token=self.svc)
            assert r.status == 200, r
            out += r.json["items"]
            if len(r.json["items"]) < 500:
                return out
            after = out[-1]["seq"]


def form_post(d, path, fields, ctype="application/x-www-form-urlencoded"):
    body = urllib.parse.urlencode(fields).encode() if isinstance(fields, (list, dict)) else fields
    return d.req("POST", path, raw=body, headers={"Content-Type": ctype})


def test_issue_and_answer_by_form(d, w):
    co, f, case, tok, it = w.surveyed(units=("bygglov", "miljo"))
    check(it["recipient"] == {"name": "Karin Lind", "email": EMAIL}, "issue names the recipient")
    check(it["company"] == co["name"] and it["call_from"] == CALL_FROM, "issue: company, call day")
    titles = [x["title"] for x in it["items"]]
    check(titles == ["Företagslotsen", "Bygglov", "Miljö- och hälsoskydd"],
          "issue: the mail's items with their unit names: %s" % titles)
    check(all(x["case_subject"] == "Ny bageributik vid torget" for x in it["items"]),
          "issue: the case's subject for the mail")
    fu = w.fu(f["id"])
    check(fu["due"] == CALL_FROM, "the call moved to the day it goes on the list")
    check(fu["survey"]["status"] == "sent" and fu["survey"]["waiting"] is True
          and fu["survey"]["reminders"] == 0, "the follow-up shows the waiting survey")
    # The same issue again (a worker's repeat after a crash) changes nothing.
    before = len(w.events())
    again = w.issue(f["id"], hashlib.blake2b(tok.encode(), digest_size=32).hexdigest())
    check(again["verdict"] == "send" and len(w.events()) == before and
          w.fu(f["id"])["version"] == fu["version"], "a repeated issue writes nothing")

    # The API's view of the questions.
    r = d.req("GET", "/api/v1/public/surveys/" + tok)
    check(r.status == 200, "GET public survey 200")
    repeated = sorted({h for h in r.header_names if r.header_names.count(h) > 1})
    check(not repeated, "no header sent twice on the public API: %s" % repeated)
    check(r.headers.get("cache-control") == "no-store" and
          r.headers.get("referrer-policy") == "no-referrer", "public API: no-store, no-referrer")
    secs = r.json["sections"]
    check([s["item"] for s in secs] == ["lots", "bygglov", "miljo"], "three parts, lots first")
    check(len(secs[1]["questions"]) == 10 and secs[1]["questions"][0]["key"] == "nki_overall",
          "unit part: ten questions")
    check(r.json["company"] == {"name": co["name"]}, "the company's name and nothing else of it")
    for leak in (EMAIL, "Karin", "0176", "bageributik"):
        check(leak not in r.raw, "the public API does not show %r" % leak)

    # The form as a browser gets it.
    r = d.req("GET", "/enkat/" + tok)
    check(r.status == 200 and r.headers["content-type"].startswith("text/html"), "GET form 200")
    csp = r.headers.get("content-security-policy", "")
    check("default-src 'none'" in csp and "frame-ancestors 'none'" in csp and
          "style-src 'sha256-" in csp and "script" not in csp, "strict CSP: %s" % csp)
    check(r.headers.get("x-content-type-options") == "nosniff", "nosniff")
    repeated = sorted({h for h in r.header_names if r.header_names.count(h) > 1})
    check(not repeated, "no header sent twice on the form: %s" % repeated)
    html = r.raw
    check("<script" not in html, "no script on the form")
    check(co["name"] in html and case["number"] in html, "company name and case number shown")
    for leak in (EMAIL, "Karin", "0176", "bageributik"):
        check(leak not in html, "the form does not show %r" % leak)
    check(html.count("<fieldset") == 5 + 10 + 10 and html.count("<legend>") == 25,
          "one fieldset with a legend per question")
    check('name="bygglov.nki_overall" value="vet_ej"' in html, "vet ej on every question")

    # A submit with nothing chosen comes back with the error announced.
    r = form_post(d, "/enkat/" + tok, {"comment": ""})
    check(r.status == 422 and "<title>Fel:" in r.raw and 'role="alert"' in r.raw and
          "autofocus" in r.raw, "empty submit: 422 page, error summary focused")
    check(w.fu(f["id"])["status"] == "scheduled", "the empty submit recorded nothing")
    # A tampered value: the page names the question and keeps the other answers.
    r = form_post(d, "/enkat/" + tok, [("lots.usefulness", "5"), ("bygglov.nki_overall", "9")])
    check(r.status == 422 and 'id="q-bygglov-nki_overall-fel"' in r.raw and
          'aria-describedby="q-bygglov-nki_overall-fel"' in r.raw, "bad value tied to its field")
    check('name="lots.usefulness" value="5" checked' in r.raw, "the other answer is kept")
    # Too long a comment.
    r = form_post(d, "/enkat/" + tok, [("lots.usefulness", "5"), ("comment", "å" * 2001)])
    check(r.status == 422 and 'aria-invalid="true"' in r.raw and "2 000 tecken" in r.raw,
          "an over-long comment is refused on its field")

    seq = w.events()[-1]["seq"]
    fields = [("lots.reached_right_person", "5"), ("lots.easy_contact", "ja"),
              ("lots.usefulness", "6"), ("lots.treatment", "vet_ej"),
              ("bygglov.nki_overall", "4"), ("bygglov.clear_and_lawful", "nej"),
              ("miljo.nki_overall", "3"), ("comment", "Snabbt och vänligt")]
    r = form_post(d, "/enkat/" + tok, fields)
    check(r.status == 200 and "Tack för dina svar" in r.raw, "the thank-you page")
    check("default-src 'none'" in r.headers.get("content-security-policy", ""), "thanks: CSP")
    fu = w.fu(f["id"])
    check(fu["status"] == "done" and fu["channel"] == "email", "recorded done, channel email")
    check(fu["survey"]["status"] == "answered" and fu["survey"]["waiting"] is False,
          "the survey is answered")
    check(fu["answers"]["lots"] == {"reached_right_person": 5, "easy_contact": True,
                                    "usefulness": 6, "treatment": None}, "lots answers stored")
    check(fu["answers"]["bygglov"] == {"nki_overall": 4, "clear_and_lawful": False},
          "bygglov answers stored")
    check(fu["comment"] == "Snabbt och vänligt", "comment stored")
    evs = [e for e in w.events(seq) if e["id"] == f["id"]]
    check([e["type"] for e in evs] == ["survey.answered"], "one event: survey.answered")
    ev = evs[0]
    check(ev["actor"] == "public" and ev["data"]["channel"] == "email" and
          ev["data"]["result"] == "done" and ev["data"]["answers"]["miljo"] == {"nki_overall": 3},
          "survey.answered carries result, channel and answers")

    # Twice: kind 409 page; the API says already_answered.
    r = form_post(d, "/enkat/" + tok, fields)
    check(r.status == 409 and "redan besvarad" in r.raw, "a second submit: 409 kind page")
    r = d.req("POST", "/api/v1/public/surveys/" + tok, {"answers": {"lots": {"usefulness": 1}}})
    check(r.status == 409 and r.code == "already_answered", "API: 409 already_answered")
    r = d.req("GET", "/enkat/" + tok)
    check(r.status == 409 and "redan besvarad" in r.raw, "the link afterwards: answered page")
    check(w.fu(f["id"])["answers"]["lots"]["usefulness"] == 6, "the first answer stands")
    return seq


def test_answer_by_api_and_call_stops_link(d, w):
    co, f, case, tok, it = w.surveyed(units=())
    r = d.req("POST", "/api/v1/public/surveys/" + tok, {"answers": {}})
    check(r.status == 422 and r.code == "no_answers", "API: nothing answered is 422")
    r = d.req("POST", "/api/v1/public/surveys/" + tok, {"answers": {"bygglov": {"nki_overall": 3}}})
    check(r.status == 422 and r.code == "unknown_item", "API: an item not of this call is 422")
    r = d.req("POST", "/api/v1/public/surveys/" + tok, {"answers": {"lots": {"usefulness": 7}}})
    check(r.status == 422 and r.json["error"]["field"] == "answers.lots.usefulness",
          "API: out of range names the field")
    r = d.req("POST", "/api/v1/public/surveys/" + tok, {"answers": {"lots": {"usefulness": 4}}})
    check(r.status == 200 and r.json == {"status": "answered"}, "API answer 200")
    check(w.fu(f["id"])["channel"] == "email", "API answer is channel email")

    # The lots calls while the mail waits: the link stops working.
    co, f, case, tok, it = w.surveyed(units=())
    r = d.req("POST", "/api/v1/followups/%d/result" % f["id"],
              {"status": "declined", "channel": "phone"}, token=w.lots)
    check(r.status == 200 and r.json["channel"] == "phone", "the lots records the call by phone")
    r = d.req("GET", "/enkat/" + tok)
    check(r.status == 409 and "avslutad" in r.raw, "the link then says the survey is closed")
    r = d.req("POST", "/api/v1/public/surveys/" + tok, {"answers": {"lots": {"usefulness": 4}}})
    check(r.status == 409 and r.code == "survey_closed", "API: 409 survey_closed")
    # A paper form typed in by staff carries its channel.
    co2 = w.company(email="")
    f2, _ = w.followup(co2)
    r = d.req("POST", "/api/v1/followups/%d/result" % f2["id"],
              {"status": "done", "channel": "paper", "answers": {"lots": {"usefulness": 5}}},
              token=w.lots)
    check(r.status == 200 and r.json["channel"] == "paper", "a paper answer: channel paper")
    r = d.req("POST", "/api/v1/followups/%d/result" % f2["id"],
              {"status": "done", "channel": "fax"}, token=w.lots)
    check(r.status == 422 and r.json["error"]["field"] == "channel", "unknown channel is 422")


def test_unknown_links(d, w):
    tok, _ = new_token()
    for path in ("/enkat/" + tok, "/enkat/kort", "/enkat/" + "A" * 90,
                 "/enkat/" + tok + "/avregistrera"):
        r = d.req("GET", path)
        check(r.status == 404 and "Länken fungerar inte" in r.raw and
              r.headers["content-type"].startswith("text/html") and
              "default-src 'none'" in r.headers.get("content-security-policy", ""),
              "unknown link %s...: kind 404 page" % path[:20])
    r = d.req("GET", "/api/v1/public/surveys/" + tok)
    check(r.status == 404 and r.code == "not_found", "API: unknown token 404")
    # Expired: lotsd a year later.
    co, f, case, tok, it = w.surveyed(units=())
    d.restart(env={"LOTSBOK_NOW": "2027-12-01T09:00:00Z"})
    r = d.req("GET", "/enkat/" + tok)
    check(r.status == 404 and "30 dagar" in r.raw, "expired link: 404 that says links expire")
    d.restart(env={"LOTSBOK_NOW": NOW})
    r = d.req("GET", "/enkat/" + tok)
    check(r.status == 200, "the same link before it expired works")


def test_opt_out_and_bounce(d, w):
    co, f, case, tok, it = w.surveyed(units=())
    r = d.req("GET", "/enkat/%s/avregistrera" % tok)
    check(r.status == 200 and "Avregistrera mig" in r.raw and "<form" in r.raw,
          "opt-out page: one button")
    check(w.fu(f["id"])["survey"]["status"] == "sent", "GET changes nothing")
    seq = w.events()[-1]["seq"]
    # RFC 8058 one-click, as a mail program sends it.
    r = form_post(d, "/enkat/%s/avregistrera" % tok, "List-Unsubscribe=One-Click".encode())
    check(r.status == 200 and "Du är avregistrerad" in r.raw, "one-click opt-out")
    comp = d.req("GET", "/api/v1/companies/%d" % co["id"], token=w.lots).json
    check(comp["contacts"][0]["survey_opt_out"] is True, "recorded on the contact person")
    fu = w.fu(f["id"])
    check(fu["survey"]["status"] == "opted_out" and fu["due"] == "2026-12-01" and
          fu["status"] == "scheduled", "the survey ends and the call is due today")
    evs = [e for e in w.events(seq)]
    check([e["type"] for e in evs] == ["survey.opted_out"], "event survey.opted_out")
    r = form_post(d, "/enkat/%s/avregistrera" % tok, b"")
    check(r.status == 200 and len(w.events(seq)) == 1, "opting out again writes nothing")
    # The company is edited: the mark stays with the address.
    contacts = [{"name": "Karin Lind", "email": EMAIL.upper()}, {"name": "Ola", "email": "o@x.se"}]
    r = d.req("PATCH", "/api/v1/companies/%d" % co["id"], {"contacts": contacts}, token=w.lots)
    check(r.status == 200 and r.json["contacts"][0]["survey_opt_out"] is True and
          r.json["contacts"][1]["survey_opt_out"] is False, "an edit keeps the opt-out by address")
    f2, _ = w.followup(co)
    _, h = new_token()
    it = w.issue(f2["id"], h)
    check(it["verdict"] == "send" and it["recipient"]["email"] == "o@x.se",
          "the next survey goes to the contact who did not opt out")

    # A bounce.
    co, f, case, tok, it = w.surveyed(units=(), email="gone@example.se")
    r = d.req("POST", "/api/v1/followups/%d/survey/bounce" % f["id"], {}, token=w.svc)
    check(r.status == 200 and r.json["changed"] is True, "bounce recorded")
    fu = w.fu(f["id"])
    check(fu["survey"]["status"] == "bounced" and fu["due"] == "2026-12-01", "bounced: call today")
    comp = d.req("GET", "/api/v1/companies/%d" % co["id"], token=w.lots).json
    check(comp["contacts"][0]["email_bounced"] is True, "the address is marked bounced")
    r = d.req("POST", "/api/v1/followups/%d/survey/bounce" % f["id"], {}, token=w.svc)
    check(r.status == 200 and r.json["changed"] is False, "a second bounce changes nothing")
    f3, _ = w.followup(co)
    _, h = new_token()
    check(w.issue(f3["id"], h)["verdict"] == "no_recipient", "a bounced address gets no survey")
    r = d.req("POST", "/api/v1/followups/%d/survey/bounce" % f["id"], {}, token=w.lots)
    check(r.status == 403, "only the service may report a bounce")
    # Reminders: counted once each, refused on the day the call is due.
    co, f, case, tok, it = w.surveyed(units=())
    h = hashlib.blake2b(tok.encode(), digest_size=32).hexdigest()
    check(w.issue(f["id"], h, reminder=1, call_from=None)["verdict"] == "send", "reminder 1")
    check(w.fu(f["id"])["survey"]["reminders"] == 1, "reminders counted")
    n = len(w.events())
    w.issue(f["id"], h, reminder=1, call_from=None)
    check(len(w.events()) == n, "reminder 1 again writes nothing")
    d.restart(env={"LOTSBOK_NOW": CALL_FROM + "T08:00:00Z"})
    check(w.issue(f["id"], h, reminder=2, call_from=None)["verdict"] == "late",
          "no reminder on the day the call goes on the list")
    d.restart(env={"LOTSBOK_NOW": NOW})


def test_no_secrets_logged(d, w, tokens):
    with open(d.log_path, "rb") as fh:
        log = fh.read().decode("utf-8", "replace")
    for s in tokens + [EMAIL, "gone@example.se"]:
        check(s not in log, "the log holds no token or address (%s...)" % s[:6])
    evs = json.dumps(w.events())
    for s in tokens + [EMAIL, "gone@example.se"]:
        check(s not in evs, "no event holds a token or address (%s...)" % s[:6])


def test_rate_limits():
    with Lotsd(env={"LOTSBOK_NOW": NOW}, serve_args=["--public-rate", "0"]) as d:
        statuses = []
        for _ in range(35):
            tok, _ = new_token()
            statuses.append(d.req("GET", "/enkat/" + tok).status)
        check(statuses[:30] == [404] * 30 and statuses[-1] == 429,
              "30 unknown tokens from one address, then 429")
        r = d.req("GET", "/enkat/" + new_token()[0])
        check(r.status == 429 and "För många försök" in r.raw and "retry-after" in r.headers,
              "the 429 page is kind and says when")
        check(d.req("GET", "/healthz").status == 200, "staff routes are not limited by it")
    with Lotsd(env={"LOTSBOK_NOW": NOW}) as d:
        c = d.conn()
        sts = [d.req("GET", "/enkat/x", conn=c).status for _ in range(60)]
        c.close()
        check(sts[0] == 404 and 429 in sts, "the default rate (20/s per address) holds a burst")
    with Lotsd(env={"LOTSBOK_NOW": NOW}, serve_args=["--public-rate", "5",
                                                    "--public-failures", "0"]) as d:
        c = d.conn()
        sts = [d.req("GET", "/api/v1/public/surveys/x", conn=c).status for _ in range(12)]
        c.close()
        check(sts.count(429) >= 5 and sts[0] == 404, "--public-rate 5: a burst of 12 is limited")


def fuzz(d, w, rnd):
    """Random tokens, paths and bodies: never a 5xx, nothing changes. Form
    fields are fuzzed on a second survey, which a valid combination may
    answer; the first must stay as it is."""
    co, f, case, tok, it = w.surveyed(units=("bygglov",))
    _, f2, _, tok2, _ = w.surveyed(units=("bygglov",))
    version = w.fu(f["id"])["version"]
    seq = w.events()[-1]["seq"]
    alphabet = "abcXYZ019-_.%~+/;=&?#\x7f"
    bad_status = []
    for i in range(600):
        kind = i % 6
        if kind == 0:
            t = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 120)))
            path = "/enkat/" + urllib.parse.quote(t, safe="%")
            r = d.req(rnd.choice(["GET", "POST"]), path, raw=b"x=1",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        elif kind == 1:
            body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 400)))
            r = d.req("POST", "/enkat/" + tok, raw=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        elif kind == 2:
            keys = ["lots.usefulness", "bygglov.nki_overall", "comment", "lots.", ".x",
                    "bygglov.clear_and_lawful", "miljo.nki_overall", "lots.usefulness%00",
                    "%ff%fe", "a" * 300]
            vals = ["1", "6", "7", "0", "ja", "nej", "vet_ej", "", "%", "%zz", "%00", "1.5",
                    "-1", "å" * 50]
            parts = ["%s=%s" % (rnd.choice(keys), rnd.choice(vals))
                     for _ in range(rnd.randrange(0, 8))]
            r = d.req("POST", "/enkat/" + tok2, raw="&".join(parts).encode("utf-8"),
                      headers={"Content-Type": rnd.choice(
                          ["application/x-www-form-urlencoded", "text/plain",
                           "application/x-www-form-urlencoded; charset=utf-8", ""])})
        elif kind == 3:
            docs = [b"{", b"[]", b"null", b'{"answers": 5}', b'{"answers": {"lots": []}}',
                    b'{"answers": {"lots": {"usefulness": "5"}}}', b'{"answers": {"\\u0000": {}}}',
                    b'{"answers": {"lots": {"usefulness": 1e99}}}', b'{"comment": 7}',
                    bytes(rnd.randrange(256) for _ in range(50))]
            r = d.req("POST", "/api/v1/public/surveys/" + tok, raw=rnd.choice(docs),
                      headers={"Content-Type": "application/json"})
        elif kind == 4:
            r = d.req("POST", "/api/v1/public/surveys/%s/opt-out" % rnd.choice(
                ["x", new_token()[0], tok[:-1] + "!"]), raw=b"")
        else:
            r = d.req(rnd.choice(["PUT", "DELETE", "PATCH"]), "/enkat/" + tok, raw=b"")
        if r.status >= 500:
            bad_status.append((i, r.status, r.raw[:200]))
    check(not bad_status, "600 fuzzed requests, no 5xx: %s" % bad_status[:3])
    check(d.req("GET", "/healthz").status == 200, "lotsd alive after the fuzz")
    fu = w.fu(f["id"])
    check(fu["status"] == "scheduled" and fu["version"] == version, "the call is unchanged")
    check(all(e["type"] != "survey.answered" or e["id"] == f2["id"] for e in w.events(seq)),
          "nothing else was answered")


def main():
    with Lotsd(env={"LOTSBOK_NOW": NOW}) as d:
        w = World(d)
        test_issue_and_answer_by_form(d, w)
        test_answer_by_api_and_call_stops_link(d, w)
        test_unknown_links(d, w)
        test_opt_out_and_bounce(d, w)
        test_no_secrets_logged(d, w, w.tokens)
        d.stop()
        r = d.run("check", "--data", d.data)
        check(r.returncode == 0, "lotsd check is clean: %s" % r.stdout[-300:])
    with Lotsd(env={"LOTSBOK_NOW": NOW}, serve_args=["--public-rate", "0",
                                                    "--public-failures", "0"]) as d:
        w = World(d)
        fuzz(d, w, random.Random(22))
        test_no_secrets_logged(d, w, w.tokens)
    test_rate_limits()
    print("all ok")


if __name__ == "__main__":
    main()
