"""Black-box test of personal data handling: retention, anonymisation, legal
hold, the register extract, the export, and that no personal data leaks.

Starts the real lotsd and lots-worker on loopback ports with temp dirs. The
worker's clock is set with LOTSBOK_NOW across the end of the retention period
(36 months after the last close, Stockholm calendar):

- cases closed 2022-03-14: the period's last day is 2025-03-14; on 2025-03-13
  and 2025-03-14 nothing is anonymised, on 2025-03-15 the company is;
- a company whose case was reopened (still open), or reopened and closed
  again later, is untouched;
- a company with a case under legal hold stays as it is (409 for an erasure
  request too) and is anonymised by the next run once the hold is lifted; its
  personnummer becomes a pseudonym (10 digits, wrong Luhn digit) and its name
  the marker;
- anonymisation changes no id, date, enum or answer, appends exactly one
  company.anonymized event (actor worker, reason retention) and changes no
  earlier event (so every event-derived figure stays); repeating it is 200
  with no event;
- GET /persons finds a person by e-mail (any case), phone (any format) and
  name across two companies; GET /companies/{id}/export holds every record;
- no marker string (names, e-mails, phones, summaries, notes, comments) is in
  any event (replayed over ZeroMQ), any lotsd or worker log line, or any
  answer of a route a viewer may call.
"""

import json
import os
import signal
import subprocess
import sys
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lbtest  # noqa: E402

WORKER = os.path.join(lbtest.BUILD_DIR, "lots-worker")

# Unique markers: none may leak where it must not be.
PERSON = "Sven Markörsson-XQ1"
EMAIL = "Sven.Markorsson.XQ1@Example.se"
PHONE = "+46 70-111 22 33"
OWNER = "Karin Enskildsdotter-XQ2"
MARKERS = [
    "Markörsson-XQ1", "Markorsson.XQ1", "111 22 33", "1112233", "Enskildsdotter-XQ2",
    "SUMMARY-XQ3", "DESCRIPTION-XQ4", "CLOSENOTE-XQ5", "HANDOFFNOTE-XQ6", "DECISION-XQ7",
    "COMMENT-XQ8", "SUBJECT-XQ9", "Other Persson-XQ10",
]
ANON = "[anonymiserad]"


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def personnummer(nine):
    return nine + lbtest.luhn_digit(nine)


def luhn_ok(d):
    return d[9] == lbtest.luhn_digit(d[:9])


class World:
    def __init__(self):
        self.srv = lbtest.Lotsd()
        self.wdir = os.path.join(self.srv.dir, "worker")
        self.worker = None
        self.worker_logs = []
        self.admin = self.srv.admin_token()
        self.lots = self.srv.user(self.admin, "anna", "lots")
        self.handler = self.srv.user(self.admin, "bo", "handler", units=["bygglov"],
                                    password="bo-password-1")
        self.viewer = self.srv.user(self.admin, "vera", "viewer")

    def req(self, method, path, body=None, token=None, ok=(200, 201), headers=None):
        r = self.srv.req(method, path, body, token=token or self.admin, headers=headers)
        if ok:
            check(r.status in ok, "%s %s -> %d %s" % (method, path, r.status, r.raw[:300]))
        return r

    def run_worker(self, now, extra=()):
        """Starts the worker at `now`, waits for its first retention run, stops it."""
        path = os.path.join(self.srv.dir, "worker-%d.log" % len(self.worker_logs))
        self.worker_logs.append(path)
        env = dict(self.srv.env)
        env["LOTSBOK_NOW"] = now
        with open(path, "w") as log:
            self.worker = subprocess.Popen(
                [WORKER, "--data", self.wdir, "--server", "http://127.0.0.1:%d" % self.srv.port,
                 "--token-file", os.path.join(self.srv.data, "worker.token"), "--sub",
                 self.srv.pub, "--replay", self.srv.replay, "--heartbeat-ms", "300",
                 "--no-indicators"] + list(extra),
                env=env, stdout=log, stderr=log)
        deadline = time.time() + 30
        line = None
        while time.time() < deadline and line is None:
            with open(path) as f:
                for ln in f:
                    if 'msg="retention run"' in ln:
                        line = ln
            check(self.worker.poll() is None, "worker exited:\n" + open(path).read())
            time.sleep(0.05)
        self.worker.send_signal(signal.SIGTERM)
        rc = self.worker.wait(timeout=20)
        self.worker = None
        check(rc == 0, "worker exit %r:\n%s" % (rc, open(path).read()))
        check(line is not None, "no retention run logged:\n" + open(path).read())
        kv = dict(p.split("=", 1) for p in line.split() if "=" in p and not p.startswith('"'))
        return int(kv["anonymized"]), int(kv["held"])

    def close(self):
        if self.worker is not None and self.worker.poll() is None:
            os.kill(self.worker.pid, signal.SIGKILL)
            self.worker.wait()
        self.srv.close()

    # --- fixtures ---------------------------------------------------------

    def company(self, name, contacts=(), orgnr=None):
        body = {"orgnr": orgnr or lbtest.new_orgnr(), "name": name, "contacts": list(contacts)}
        return self.req("POST", "/api/v1/companies", body, token=self.lots).json

    def closed_case(self, company_id, closed_at="2022-03-14T10:00:00Z", text=True):
        body = {"company_id": company_id, "category": "permit",
                "subject": "Bygglov SUBJECT-XQ9" if text else "Bygglov",
                "opened_at": "2022-03-01T09:00:00Z"}
        if text:
            body["description"] = "DESCRIPTION-XQ4 om Sven Markörsson-XQ1"
        k = self.req("POST", "/api/v1/cases", body, token=self.lots).json
        if text:
            self.req("POST", "/api/v1/cases/%d/contacts" % k["id"],
                     {"at": "2022-03-02T09:00:00Z", "channel": "phone", "direction": "inbound",
                      "summary": "SUMMARY-XQ3 samtal med Sven Markörsson-XQ1", "minutes": 12},
                     token=self.lots)
            h = self.req("POST", "/api/v1/cases/%d/handoffs" % k["id"],
                         {"unit": "bygglov", "note": "HANDOFFNOTE-XQ6"}, token=self.lots).json
            self.req("POST", "/api/v1/handoffs/%d/acknowledge" % h["id"],
                     {"reference": "BN 2022-17"}, token=self.handler)
            self.req("POST", "/api/v1/handoffs/%d/decide" % h["id"],
                     {"decision": "granted", "note": "DECISION-XQ7",
                      "decided_at": "2022-03-10T10:00:00Z"}, token=self.handler)
        self.req("POST", "/api/v1/cases/%d/close" % k["id"],
                 {"outcome": "resolved", "note": "CLOSENOTE-XQ5", "closed_at": closed_at},
                 token=self.lots)
        return k["id"]

    def events(self):
        ctx = zmq.Context()
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(self.srv.replay)
        out, after = [], 0
        try:
            while True:
                s.send_multipart([b"replay", msgpack.packb({"after": after, "limit": 1000})])
                check(s.poll(5000), "no replay answer")
                frames = s.recv_multipart()
                check(frames[0] == b"events", "replay answer %r" % frames[:1])
                page = msgpack.unpackb(frames[1], raw=False)
                if not page:
                    return out
                out += [msgpack.packb(e) for e in page]
                after = page[-1]["seq"]
        finally:
            s.close(0)
            ctx.term()


def stable(doc):
    """A record without what anonymisation may change: free text, persons,
    versions and update times."""
    drop = {"version", "updated_at", "subject", "description", "close_note", "summary", "note",
            "decision_note", "withdraw_note", "comment", "contacts", "name", "anonymized_at"}
    if isinstance(doc, dict):
        return {k: stable(v) for k, v in doc.items() if k not in drop}
    if isinstance(doc, list):
        return [stable(v) for v in doc]
    return doc


def scenario(w):
    person = {"name": PERSON, "role": "VD", "phone": PHONE, "email": EMAIL}
    other = {"name": "Other Persson-XQ10", "phone": "08-555 000 00"}
    a = w.company("Alfa Bygg AB", [person, other])
    e = w.company("Epsilon Fastigheter AB",
                  [{"name": "sven markörsson-xq1", "phone": "0701112233"}])
    pnr = personnummer("811218987")
    b = w.company(OWNER, [], orgnr=pnr)
    c = w.company("Gamma Handel AB")
    d = w.company("Delta Service AB")
    check(b["personal_orgnr"], "personnummer not recognised: %r" % b)

    ka = w.closed_case(a["id"])
    kb = w.closed_case(b["id"])
    kc = w.closed_case(c["id"], text=False)
    kd = w.closed_case(d["id"], text=False)
    w.req("POST", "/api/v1/cases", {"company_id": e["id"], "category": "other",
                                    "subject": "Lokal"}, token=w.lots)
    w.req("POST", "/api/v1/cases/%d/reopen" % kc, {}, token=w.lots)
    w.req("POST", "/api/v1/cases/%d/reopen" % kd, {}, token=w.lots)
    w.req("POST", "/api/v1/cases/%d/close" % kd,
          {"outcome": "resolved", "closed_at": "2024-06-01T10:00:00Z"}, token=w.lots)

    # legal hold: admin only, and admin changes nothing else
    r = w.req("PATCH", "/api/v1/cases/%d" % kb, {"legal_hold": True}, token=w.lots, ok=None)
    check(r.status == 403, "lots set legal_hold: %d" % r.status)
    r = w.req("PATCH", "/api/v1/cases/%d" % kb, {"subject": "x"}, ok=None)
    check(r.status == 403, "admin changed a subject: %d" % r.status)
    w.req("PATCH", "/api/v1/cases/%d" % kb, {"legal_hold": True})
    r = w.req("POST", "/api/v1/companies/%d/anonymize" % b["id"], {"reason": "erasure_request"},
              ok=None)
    check(r.status == 409 and r.code == "legal_hold", "erasure under hold: %r" % r)
    r = w.req("POST", "/api/v1/companies/%d/anonymize" % a["id"], {"reason": "because"}, ok=None)
    check(r.status == 422, "free-text reason accepted: %r" % r)

    # Run 1, the day before the period ends: schedules follow-ups, anonymises nothing.
    check(w.run_worker("2025-03-13T12:00:00Z") == (0, 0), "anonymised a day early")

    # the lots records the follow-up call of A with a comment; an improvement from it
    case_a = w.req("GET", "/api/v1/cases/%d" % ka, token=w.lots).json
    check(case_a["followups"], "no follow-up scheduled for the closed case")
    fid = case_a["followups"][0]["id"]
    w.req("POST", "/api/v1/followups/%d/result" % fid,
          {"status": "declined", "comment": "COMMENT-XQ8 Sven Markörsson-XQ1 ville inte"},
          token=w.lots)
    imp = w.req("POST", "/api/v1/improvements",
                {"title": "Tydligare besked om handläggningstid", "followup_id": fid,
                 "status": "identified"}, token=w.lots).json

    # register extract: one person across two companies, by each key
    for q in ("email=" + EMAIL.lower().replace("@", "%40"),
              "phone=070-111%2022%2033",
              "name=MARKORSSON-xq1"):
        r = w.req("GET", "/api/v1/persons?" + q)
        ids = sorted(i["company_id"] for i in r.json["items"])
        want = [a["id"]] if q.startswith("email") else sorted([a["id"], e["id"]])
        check(ids == want, "persons?%s found %r, want %r" % (q, ids, want))
    r = w.req("GET", "/api/v1/persons?name=markorsson-xq1")
    hit = [i for i in r.json["items"] if i["company_id"] == a["id"]][0]
    fields = {(m["record"], m["field"]) for m in hit["mentions"]}
    for f in [("case", "description"), ("contact", "summary"), ("followup", "comment")]:
        check(f in fields, "free-text mention %r not found: %r" % (f, fields))
    r = w.req("GET", "/api/v1/persons?email=nobody%40example.se")
    check(r.json["items"] == [], "found someone for an unknown e-mail")
    r = w.req("GET", "/api/v1/persons", ok=None)
    check(r.status == 400, "persons without a query: %d" % r.status)
    for tok in (w.lots, w.viewer, w.handler):
        check(w.req("GET", "/api/v1/persons?name=sven", token=tok, ok=None).status == 403,
              "persons open to a non-admin")
        check(w.req("GET", "/api/v1/companies/%d/export" % a["id"], token=tok,
                    ok=None).status == 403, "export open to a non-admin")

    # export: every record of A
    x = w.req("GET", "/api/v1/companies/%d/export" % a["id"]).json
    check(x["company"]["id"] == a["id"] and len(x["company"]["contacts"]) == 2,
          "export company %r" % x["company"])
    check([k["id"] for k in x["cases"]] == [ka], "export cases")
    check(len(x["cases"][0]["contacts"]) == 1 and len(x["cases"][0]["handoffs"]) == 1,
          "export contacts/hand-offs")
    check(x["cases"][0]["contacts"][0]["id"] == case_a["contacts"][0]["id"] and
          x["cases"][0]["handoffs"][0]["id"] == case_a["handoffs"][0]["id"], "export ids")
    check(sorted(f["id"] for f in x["followups"]) == sorted(f["id"] for f in case_a["followups"]),
          "export follow-ups")
    check([m["id"] for m in x["improvements"]] == [imp["id"]], "export improvements")
    check("COMMENT-XQ8" in json.dumps(x, ensure_ascii=False), "export lacks the comment")

    before_events = w.events()
    before = {"company": w.req("GET", "/api/v1/companies/%d" % a["id"], token=w.lots).json,
              "case": w.req("GET", "/api/v1/cases/%d" % ka, token=w.lots).json}

    def hits(q, typ):
        r = w.req("GET", "/api/v1/search?q=%s&type=%s&limit=100" % (q, typ), token=w.lots)
        check(r.status == 200, "search %s: %r" % (q, r))
        return {i["id"] for i in r.json["items"]}

    # The search index finds A's free text until retention replaces it (issue 24).
    text_hits = (("summary+xq3", "contact", case_a["contacts"][0]["id"]),
                 ("description+xq4", "case", ka), ("handoffnote+xq6", "handoff",
                                                   case_a["handoffs"][0]["id"]))
    for q, typ, rid in text_hits:
        check(rid in hits(q, typ), "%s not found before retention" % q)

    # Run 2, the last day of the period: still nothing.
    check(w.run_worker("2025-03-14T22:30:00Z") == (0, 0), "anonymised on the last day")
    check(w.events() == before_events, "a run that anonymised nothing wrote events")

    # Run 3, the day after: A anonymised; B held; C (open) and D (closed later) untouched.
    check(w.run_worker("2025-03-15T12:00:00Z") == (1, 1), "run 3 did not anonymise A alone")
    after_events = w.events()
    check(after_events[:len(before_events)] == before_events, "an earlier event changed")
    new = [msgpack.unpackb(ev, raw=False) for ev in after_events[len(before_events):]]
    check([(n["type"], n["id"], n["actor"], n["data"].get("reason")) for n in new] ==
          [("company.anonymized", a["id"], "worker", "retention")], "new events %r" % new)

    ca = w.req("GET", "/api/v1/companies/%d" % a["id"], token=w.lots).json
    check(ca["contacts"] == [] and ca["anonymized_at"] and ca["name"] == "Alfa Bygg AB" and
          ca["orgnr"] == a["orgnr"], "company A after: %r" % ca)
    kaa = w.req("GET", "/api/v1/cases/%d" % ka, token=w.lots).json
    check(stable({"company": ca, "case": kaa}) == stable(before), "non-text fields changed")
    for t in (kaa["subject"], kaa["description"], kaa["close_note"],
              kaa["contacts"][0]["summary"], kaa["handoffs"][0]["note"],
              kaa["handoffs"][0]["decision_note"], kaa["followups"][0]["comment"]):
        check(t == ANON, "free text left: %r" % t)
    check(kaa["handoffs"][0]["reference"] == "BN 2022-17", "diarienummer lost")
    for q, typ, rid in text_hits:
        check(rid not in hits(q, typ), "%s still found after retention" % q)
    check(ka in hits("alfa", "case"), "the kept company name no longer finds A's case")
    for k in (kb, kc, kd):
        kk = w.req("GET", "/api/v1/cases/%d" % k, token=w.lots).json
        check(kk["subject"] != ANON, "case %d anonymised" % k)
    check(w.req("GET", "/api/v1/companies/%d" % e["id"], token=w.lots).json["contacts"],
          "E lost its contacts")

    # the register extract no longer finds the person at A
    r = w.req("GET", "/api/v1/persons?name=markorsson-xq1")
    check([i["company_id"] for i in r.json["items"]] == [e["id"]], "A still found")

    # idempotent: a second anonymisation is 200, changes nothing, appends nothing
    seq = w.req("GET", "/healthz", token=None).json["seq"]
    r = w.req("POST", "/api/v1/companies/%d/anonymize" % a["id"], {"reason": "erasure_request"})
    check(r.json["version"] == ca["version"], "second anonymisation changed the company")
    check(w.req("GET", "/healthz", token=None).json["seq"] == seq, "second anonymisation event")

    # hold lifted: the next run anonymises B, pseudonymising the personnummer
    w.req("PATCH", "/api/v1/cases/%d" % kb, {"legal_hold": False})
    check(w.run_worker("2025-03-16T12:00:00Z") == (1, 0), "B not anonymised after the hold")
    cb = w.req("GET", "/api/v1/companies/%d" % b["id"], token=w.lots).json
    check(cb["name"] == ANON and cb["orgnr"] != pnr and len(cb["orgnr"]) == 10 and
          cb["orgnr"].isdigit() and not luhn_ok(cb["orgnr"]), "company B after: %r" % cb)
    r = w.req("GET", "/api/v1/companies?orgnr=" + pnr, token=w.lots, ok=None)
    check(r.status == 404 or r.json["items"] == [], "the personnummer still finds the company")
    # the pseudonym is stable: the same key and number give the same digits
    r = w.req("POST", "/api/v1/companies/%d/anonymize" % b["id"], {"reason": "erasure_request"})
    check(r.json["orgnr"] == cb["orgnr"], "pseudonym not stable")
    key = os.path.join(w.srv.data, "pseudonym.key")
    check(os.stat(key).st_mode & 0o777 == 0o600 and os.path.getsize(key) == 32,
          "pseudonym.key mode/size")
    return [a["id"], b["id"], c["id"], d["id"], e["id"]]


def no_leaks(w, companies):
    # viewer-readable routes (lb_authz_allowed: improvements, indicators,
    # reports, me): no marker, whatever they answer
    paths = ["/api/v1/improvements", "/api/v1/me", "/api/v1/indicators?quarter=2022-Q1",
             "/api/v1/reports/quarterly?quarter=2022-Q1",
             "/api/v1/reports/quarterly?quarter=2022-Q1&format=csv"]
    for p in paths:
        r = w.req("GET", p, token=w.viewer, ok=None)
        for m in MARKERS:
            check(m not in r.raw, "viewer route %s shows %r" % (p, m))
    for cid in companies:
        r = w.req("GET", "/api/v1/companies/%d" % cid, token=w.viewer, ok=None)
        check(r.status == 403, "viewer reads a company: %d" % r.status)
    # every event, every log line
    for ev in w.events():
        text = json.dumps(msgpack.unpackb(ev, raw=False), ensure_ascii=False)
        for m in MARKERS + [OWNER]:
            check(m not in text and m.encode() not in ev, "event carries %r: %s" % (m, text))
    logs = [w.srv.log_path] + w.worker_logs
    nlines = 0
    for path in logs:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                nlines += 1
                for m in MARKERS + [OWNER, "811218"]:
                    check(m not in line, "log %s carries %r: %s" % (path, m, line))
    return nlines


def main():
    if not os.path.exists(WORKER):
        print("SKIP: %s not built" % WORKER)
        return 0
    w = World()
    try:
        companies = scenario(w)
        n = no_leaks(w, companies)
        print("ok: retention boundary, hold, reopen, extract, export, idempotency; "
              "%d log lines and %d events free of personal data" % (n, len(w.events())))
        return 0
    finally:
        w.close()


if __name__ == "__main__":
    sys.exit(main())
