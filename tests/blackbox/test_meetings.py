"""Meetings, trainings and their evaluations against the real lotsd
(DESIGN.md "Meetings, trainings and their evaluations", docs/meetings.md).

Checked: every route and role (a viewer and a handler see counts and the
evaluation summary, never a company, an item's text or a comment; they cannot
write), validation errors in the contract's shape that change nothing,
attendance of registered companies with unknown ids refused, staff counts,
paper evaluations, evaluations through the meeting's public link (the HTML
form without JavaScript and the JSON API, many answers, the n >= 7 rule,
the per-address limit, kind pages for an expired link), the QR sheet whose
code zbarimg decodes back to the link (Chromium renders the printed page to
a PNG), a company's meetings, the register extract and anonymisation of a
company that attended, events without free text, and lotsd check clean.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402

NOW = "2026-03-10T08:00:00Z"


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what)


def events(d, admin, after=0):
    r = d.req("GET", "/api/v1/events?after=%d&limit=500" % after, token=admin)
    assert r.status == 200, r
    return r.json["items"]


def token_of(link):
    return link.rsplit("/", 1)[1]


def test_routes_and_roles(d, t):
    lots, admin, viewer, handler = t["lots"], t["admin"], t["viewer"], t["handler"]
    co1 = d.company(lots, name="Rimbo Snickeri AB")
    co2 = d.company(lots, name="Grisslehamns Fisk AB")
    seq0 = d.req("GET", "/healthz").json["seq"]

    body = {"kind": "business_meeting", "title": "Företagarfrukost mars",
            "starts_at": "2026-03-12T07:30:00+01:00", "place": "Kulturhuset, Norrtälje",
            "actions": ["6.2"], "notes": "Tema: kompetensförsörjning",
            "notes_items": [{"type": "need", "text": "Fler praktikplatser för elever"},
                            {"type": "proposal", "text": "Gemensam rekryteringsdag i maj"},
                            {"type": "input", "text": "Bättre busstider till Rimbo"}]}
    r = d.req("POST", "/api/v1/meetings", body, token=lots)
    check(r.status == 201 and r.headers.get("location") == "/api/v1/meetings/%d" % r.json["id"],
          "POST /meetings 201 with Location")
    m = r.json
    check(m["kind"] == "business_meeting" and m["starts_at"] == "2026-03-12T06:30:00Z" and
          m["actions"] == ["6.2"] and m["items_count"] == {"need": 1, "proposal": 1, "input": 1},
          "the meeting as given, time in UTC, items counted by type")
    check(m["evaluation_link"].startswith("http://127.0.0.1:%d/enkat/" % d.port) and
          len(token_of(m["evaluation_link"])) == 43, "an evaluation link under the public base")
    check(m["evaluation"]["n"] == 0 and m["evaluation"]["relevant"]["suppressed"],
          "no evaluations yet: the share is held back")

    for bad, code in (({"title": "x", "starts_at": "2026-03-12T07:30:00Z"}, "missing_field"),
                      ({**body, "kind": "party"}, "invalid_enum"),
                      ({**body, "starts_at": "igår"}, "invalid_time"),
                      ({**body, "actions": ["sex"]}, "invalid_action"),
                      ({**body, "unit": "nope"}, "unknown_unit"),
                      ({**body, "notes_items": [{"type": "wish", "text": "x"}]}, "invalid_enum"),
                      ({**body, "title": "x" * 201}, "too_long")):
        r = d.req("POST", "/api/v1/meetings", bad, token=lots)
        check(r.status == 422 and r.json["error"]["code"] == code, "bad meeting: 422 %s" % code)

    mid = m["id"]
    path = "/api/v1/meetings/%d" % mid
    r = d.req("PUT", path + "/attendance",
              {"companies": [{"company_id": co1["id"], "persons": 2},
                             {"company_id": co2["id"]}],
               "staff": [{"unit": "lots", "count": 2}]}, token=lots)
    check(r.status == 200 and r.json["companies_count"] == 2 and r.json["participants"] == 5,
          "attendance: two companies (2 + 1 persons) and two staff")
    check(sorted(c["name"] for c in r.json["companies"]) ==
          ["Grisslehamns Fisk AB", "Rimbo Snickeri AB"], "lots see the companies by name")
    version = r.json["version"]
    for bad, code in (({"companies": [{"company_id": 999999}]}, "unknown_company"),
                      ({"companies": [{"company_id": co1["id"]}, {"company_id": co1["id"]}]},
                       "duplicate"),
                      ({"companies": [{"company_id": co1["id"], "persons": 0}]}, "out_of_range"),
                      ({"staff": [{"unit": "nope", "count": 1}]}, "unknown_unit"),
                      ({"companies": "all"}, "invalid_type")):
        r = d.req("PUT", path + "/attendance", bad, token=lots)
        check(r.status == 422 and r.json["error"]["code"] == code,
              "bad attendance: 422 %s" % code)
    r = d.req("GET", path, token=lots)
    check(r.json["version"] == version and r.json["participants"] == 5,
          "refused attendance changed nothing")

    r = d.req("PATCH", path, {"title": "Företagarfrukost i mars"}, token=lots,
              headers={"If-Match": str(version - 1)})
    check(r.status == 412, "PATCH with a stale If-Match: 412")
    r = d.req("PATCH", path, {"title": "Företagarfrukost i mars", "place": None}, token=lots,
              headers={"If-Match": str(version)})
    check(r.status == 200 and r.json["title"] == "Företagarfrukost i mars" and
          r.json["place"] is None and r.json["participants"] == 5,
          "PATCH title, place removed, attendance kept")

    # Paper evaluations.
    r = d.req("POST", path + "/evaluations", {"relevant": 5, "comment": "Bra tema!",
                                              "company_id": co1["id"]}, token=lots)
    check(r.status == 201 and r.json["paper"], "a paper evaluation typed in: 201")
    for bad, code in (({"relevant": 7}, "out_of_range"), ({}, "no_answers"),
                      ({"knowledge": True}, "not_a_training"),
                      ({"relevant": 3, "company_id": 999999}, "unknown_company")):
        r = d.req("POST", path + "/evaluations", bad, token=lots)
        check(r.status == 422 and r.json["error"]["code"] == code,
              "bad evaluation: 422 %s" % code)

    # Roles: who may write, and what a viewer and a handler see.
    for tok, who in ((viewer, "viewer"), (handler, "handler"), (t["svc"], "service")):
        for method, p, b in (("POST", "/api/v1/meetings", body), ("PATCH", path, {"title": "x"}),
                             ("PUT", path + "/attendance", {"companies": []}),
                             ("POST", path + "/evaluations", {"relevant": 1}),
                             ("GET", path + "/sheet", None)):
            r = d.req(method, p, b, token=tok)
            check(r.status == 403 and r.json["error"]["code"] == "forbidden",
                  "%s: %s %s is 403" % (who, method, p.replace(str(mid), "{id}")))
    r = d.req("GET", path, token=t["svc"])
    check(r.status == 403, "service cannot read meetings")
    for tok, who in ((viewer, "viewer"), (handler, "handler")):
        r = d.req("GET", path, token=tok)
        check(r.status == 200 and r.json["participants"] == 5 and
              r.json["companies_count"] == 2 and r.json["evaluation"]["n"] == 1,
              "%s sees the counts and the summary" % who)
        for key in ("companies", "comments", "items", "notes", "evaluation_link"):
            check(key not in r.json, "%s does not get %s" % (who, key))
        for secret in ("Rimbo Snickeri", "Bra tema", "praktikplatser", co1["orgnr"],
                       "kompetensförsörjning", "/enkat/"):
            check(secret not in r.raw, "%s never sees %r" % (who, secret))
        r = d.req("GET", "/api/v1/meetings", token=tok)
        check(r.status == 200 and len(r.json["items"]) >= 1 and "Rimbo" not in r.raw,
              "%s lists meetings without names" % who)
        r = d.req("GET", "/api/v1/meetings?company_id=%d" % co1["id"], token=tok)
        check(r.status == 403, "%s may not ask who attended" % who)
    r = d.req("GET", path, token=admin)
    check(r.status == 200 and r.json["comments"][0]["text"] == "Bra tema!",
          "admin sees the comments")

    # Filters.
    r = d.req("POST", "/api/v1/meetings", {"kind": "company_training",
                                           "title": "Upphandlingsskola del 1",
                                           "starts_at": "2025-11-05T13:00:00Z",
                                           "unit": "upphandling", "actions": ["1.4"]},
              token=lots)
    check(r.status == 201, "a training of 2025")
    tid = r.json["id"]
    r = d.req("GET", "/api/v1/meetings?kind=company_training", token=lots)
    check([m["id"] for m in r.json["items"]] == [tid], "?kind= filters")
    r = d.req("GET", "/api/v1/meetings?year=2026", token=lots)
    check(mid in [m["id"] for m in r.json["items"]] and
          tid not in [m["id"] for m in r.json["items"]], "?year= filters by the Stockholm year")
    r = d.req("GET", "/api/v1/meetings?company_id=%d" % co1["id"], token=lots)
    check([m["id"] for m in r.json["items"]] == [mid], "?company_id= lists what it attended")
    for q in ("kind=party", "year=20x6", "company_id=abc"):
        r = d.req("GET", "/api/v1/meetings?" + q, token=lots)
        check(r.status == 400 and r.json["error"]["code"] == "bad_query", "bad query %s: 400" % q)
    r = d.req("GET", "/api/v1/meetings/999999", token=lots)
    check(r.status == 404, "unknown meeting: 404")

    # Events: kinds, dates, ids and counts, no free text.
    evs = [e for e in events(d, admin, seq0) if e["type"].startswith("meeting.")]
    types = [e["type"] for e in evs]
    check(types[:4] == ["meeting.created", "meeting.attendance", "meeting.updated",
                        "meeting.evaluated"], "events: %s" % types[:4])
    blob = json.dumps(evs, ensure_ascii=False)
    for secret in ("Företagarfrukost", "praktikplatser", "Bra tema", "Kulturhuset",
                   "kompetensförsörjning", token_of(m["evaluation_link"])):
        check(secret not in blob, "no %r in any event" % secret)
    att = [e for e in evs if e["type"] == "meeting.attendance"][0]["data"]
    check(att["companies"] == [{"company_id": co1["id"], "persons": 2},
                               {"company_id": co2["id"], "persons": 1}] and
          att["staff"] == [{"unit": "lots", "count": 2}], "meeting.attendance carries the counts")
    ev = [e for e in evs if e["type"] == "meeting.evaluated"][0]["data"]
    check(ev["relevant"] == 5 and ev["paper"] is True and ev["kind"] == "business_meeting",
          "meeting.evaluated carries the answer, its kind and paper")
    t["meeting"], t["co1"], t["co2"], t["training"] = m, co1, co2, tid


def test_public_form(d, t):
    lots = t["lots"]
    m = t["meeting"]
    tok = token_of(m["evaluation_link"])
    path = "/api/v1/meetings/%d" % m["id"]
    r = d.req("GET", "/enkat/" + tok)
    check(r.status == 200 and r.headers["content-type"].startswith("text/html"),
          "GET /enkat/TOKEN of a meeting: the form")
    html = r.raw
    check("Vad tyckte du om träffen?" in html and "Företagarfrukost i mars" in html and
          "12 mars 2026" in html, "the page names the meeting and its day")
    check('name="meeting.relevant"' in html and 'name="meeting.knowledge"' not in html,
          "a frukost asks relevant, not knowledge")
    check("avregistrera" not in html and "Rimbo" not in html and "<script" not in html,
          "no opt-out link, no company, no script")
    check(html.count("<fieldset") == 1 and html.count("<legend>") == 1,
          "one fieldset with its legend")
    # Answers as a browser without JavaScript sends them.
    for i, v in enumerate(["6", "5", "4", "vet_ej", "2"]):
        form = urllib.parse.urlencode({"meeting.relevant": v, "comment": "Svar %d" % i})
        r = d.req("POST", "/enkat/" + tok, raw=form.encode(),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        check(r.status == 200 and "Tack för dina svar" in r.raw, "form answer %s: thank-you" % v)
    r = d.req("POST", "/enkat/" + tok, raw=b"meeting.relevant=9",
              headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(r.status == 422 and "Fel:" in r.raw, "an answer out of range: the form again, 422")
    # The JSON API.
    r = d.req("GET", "/api/v1/public/surveys/" + tok)
    check(r.status == 200 and r.json["kind"] == "meeting" and
          [q["key"] for q in r.json["sections"][0]["questions"]] == ["relevant"],
          "the public API shows the meeting's question")
    r = d.req("POST", "/api/v1/public/surveys/" + tok, {"answers": {"meeting": {"relevant": 5}}})
    check(r.status == 200 and r.json == {"status": "answered"}, "a JSON answer")
    for bad, code in (({"answers": {"lots": {"usefulness": 3}}}, "unknown_item"),
                      ({"answers": {"meeting": {"knowledge": True}}}, "unknown_question"),
                      ({"answers": {"meeting": {"relevant": "6"}}}, "out_of_range")):
        r = d.req("POST", "/api/v1/public/surveys/" + tok, bad)
        check(r.status == 422 and r.json["error"]["code"] == code, "bad answer: 422 %s" % code)
    r = d.req("GET", path, token=lots)
    ev = r.json["evaluation"]
    # paper 5; form 6, 5, 4, vet ej, 2; json 5 -> 7 evaluations, 6 answered relevant.
    check(ev["n"] == 7 and ev["relevant"]["n"] == 6 and ev["relevant"].get("suppressed"),
          "six answers to relevant: held back (n < 7)")
    r = d.req("POST", "/api/v1/public/surveys/" + tok, {"answers": {"meeting": {"relevant": 1}}})
    r = d.req("GET", path, token=t["viewer"])
    ev = r.json["evaluation"]
    check(ev["n"] == 8 and ev["relevant"]["n"] == 7 and "suppressed" not in ev["relevant"] and
          abs(ev["relevant"]["share"] - 5 / 7) < 1e-9 and
          abs(ev["relevant"]["mean"] - 28 / 7) < 1e-9,
          "seven answers: share 5/7 found it relevant (4-6), mean 4.0, shown to a viewer")
    r = d.req("GET", path, token=lots)
    check(len(r.json["comments"]) == 6, "the comments are kept for the lots function")

    # A training asks whether it strengthened the knowledge.
    r = d.req("GET", "/api/v1/meetings/%d" % t["training"], token=lots)
    ttok = token_of(r.json["evaluation_link"])
    r = d.req("GET", "/enkat/" + ttok)
    check(r.status == 404 and "Länken fungerar inte" in r.raw,
          "the link of a meeting more than 30 days ago: a kind 404 page")
    r = d.req("PATCH", "/api/v1/meetings/%d" % t["training"],
              {"starts_at": "2026-03-09T13:00:00Z"}, token=lots)
    check(r.status == 200, "the training moved to yesterday")
    r = d.req("GET", "/enkat/" + ttok)
    check(r.status == 200 and 'name="meeting.knowledge"' in r.raw,
          "its link works again and asks about knowledge")
    r = d.req("POST", "/api/v1/public/surveys/" + ttok,
              {"answers": {"meeting": {"relevant": 6, "knowledge": True}}})
    check(r.status == 200, "a training's answer with knowledge")


def test_rate_limit(d, t):
    tok = token_of(t["meeting"]["evaluation_link"])
    statuses = []
    for i in range(40):
        r = d.req("POST", "/api/v1/public/surveys/" + tok,
                  {"answers": {"meeting": {"relevant": 4}}})
        statuses.append(r.status)
    check(200 in statuses and statuses[-1] == 429 and
          statuses.count(200) <= 30, "one address is limited per meeting link: %s"
          % sorted(set(statuses)))
    r = d.req("POST", "/api/v1/public/surveys/" + tok, {"answers": {"meeting": {"relevant": 4}}})
    check(r.status == 429 and int(r.headers.get("retry-after", "0")) > 0, "429 with Retry-After")


def test_sheet(d, t):
    m = t["meeting"]
    path = "/api/v1/meetings/%d/sheet" % m["id"]
    r = d.req("GET", path, token=t["lots"])
    check(r.status == 200 and r.headers["content-type"].startswith("text/html") and
          "<svg" in r.raw and m["evaluation_link"] in r.raw, "the A4 sheet with the QR and link")
    csp = r.headers.get("content-security-policy", "")
    check("default-src 'none'" in csp and "style-src 'sha256-" in csp, "the sheet's strict CSP")
    zbar = shutil.which("zbarimg")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    check(zbar and chromium, "zbarimg and chromium are installed (scripts/deps.sh)")
    tmp = tempfile.mkdtemp(prefix="lotsbok-qr-")
    try:
        html = os.path.join(tmp, "sheet.html")
        with open(html, "w") as f:
            f.write(r.raw)
        png = os.path.join(tmp, "sheet.png")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--user-data-dir=" + os.path.join(tmp, "prof"),
                        "--window-size=900,1300", "--screenshot=" + png, "file://" + html],
                       capture_output=True, timeout=120)
        check(os.path.exists(png), "chromium rendered the sheet to a PNG")
        z = subprocess.run([zbar, "--quiet", "--raw", png], capture_output=True, text=True,
                           timeout=60)
        check(z.stdout.strip() == m["evaluation_link"],
              "zbarimg decodes the QR code back to the link: %r" % z.stdout.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r = d.req("GET", path + "?format=svg", token=t["lots"])
    check(r.status == 200 and r.headers["content-type"] == "image/svg+xml" and
          r.raw.startswith("<svg"), "?format=svg: the code alone")
    r = d.req("GET", path + "?format=pdf", token=t["lots"])
    check(r.status == 400, "?format=pdf: 400")


def test_company_privacy(d, t):
    admin = t["admin"]
    co1 = t["co1"]
    r = d.req("GET", "/api/v1/companies/%d/export" % co1["id"], token=admin)
    check(r.status == 200 and [m["id"] for m in r.json["meetings"]] == [t["meeting"]["id"]] and
          r.json["meetings"][0]["persons"] == 2, "the register extract lists the attendance")
    check(r.json["meeting_evaluations"][0]["comment"] == "Bra tema!",
          "and the paper evaluation naming the company")
    r = d.req("POST", "/api/v1/companies/%d/anonymize" % co1["id"], {"reason": "erasure_request"},
              token=admin)
    check(r.status == 200, "anonymise a company that attended")
    r = d.req("GET", "/api/v1/companies/%d/export" % co1["id"], token=admin)
    check(r.json["meeting_evaluations"][0]["comment"] == "[anonymiserad]",
          "its evaluation comment is anonymised")
    r = d.req("GET", "/api/v1/meetings/%d" % t["meeting"]["id"], token=t["lots"])
    check(r.json["participants"] >= 5 and "Bra tema!" not in r.raw,
          "the meeting keeps its counts; the comment is gone")


def test_plan_sources():
    """The plan's meeting sources read lotsd's meeting records (docs/meetings.md)."""
    plan = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                        "plan-norrtalje-2025-2030.json")
    with Lotsd(start=False, env={"LOTSBOK_NOW": NOW}) as d:
        r = d.run("plan", "load", "--data", d.data, plan)
        check(r.returncode == 0, "the plan loads")
        d.start()
        admin = d.admin_token()
        lots = d.user(admin, "anna.lots", "lots")
        viewer = d.user(admin, "arbetsgrupp", "viewer")
        cos = [d.company(lots)["id"] for _ in range(3)]
        for when in ("2026-01-20T14:00:00Z", "2026-02-24T14:00:00Z", "2026-09-01T14:00:00Z"):
            r = d.req("POST", "/api/v1/meetings", {
                "kind": "theme_day", "title": "Temadag", "starts_at": when, "actions": ["2.2"],
                "notes_items": [{"type": "need", "text": "Kompetens"},
                                {"type": "need", "text": "Lokaler"}]}, token=lots)
            mid = r.json["id"]
            d.req("PUT", "/api/v1/meetings/%d/attendance" % mid,
                  {"companies": [{"company_id": c} for c in cos]}, token=lots)
            for v in (6, 5, 2, 4):
                d.req("POST", "/api/v1/meetings/%d/evaluations" % mid, {"relevant": v},
                      token=lots)

        def values(ind, period):
            r = d.req("GET", "/api/v1/plan/indicators/%s/values?from=%s&to=%s" %
                      (ind, period, period), token=viewer)
            assert r.status == 200, r
            return r.json["items"][0]
        check(values("2.2-1", "2026")["value"] == 3,
              "2.2-1 companies at the temadagar of 2026: 3 distinct (the September one "
              "is ahead)")
        v = values("2.2-3", "2026")
        check(v["value"] == 6 / 8 and v["n"] == 8,
              "2.2-3 the share who found it relevant: 6 of 8 answers")
        v = values("2.2-3", "2025")
        check(v["value"] is None and v.get("suppressed") is True and v["n"] == 0,
              "a year without answers: held back (n < 7): %s" % v)
        check(values("2.2-2", "2026")["value"] == 4, "needs expressed at the temadagar: 4")
        v = values("3.1-1", "2026")
        check(v["value"] == 0 and v["target"] == 2, "3.1-1: no infrastrukturträff yet, 0 of 2")
        v = values("3.1-1", "2027")
        check(v["value"] is None and v["reason"] == "not_computed", "a year not begun: not computed")


def main():
    with Lotsd(env={"LOTSBOK_NOW": NOW}) as d:
        admin = d.admin_token()
        t = {"admin": admin, "lots": d.user(admin, "anna.lots", "lots"),
             "viewer": d.user(admin, "arbetsgrupp", "viewer"),
             "handler": d.user(admin, "upph.handl", "handler", units=["upphandling"]),
             "svc": d.worker_token()}
        test_routes_and_roles(d, t)
        test_public_form(d, t)
        test_sheet(d, t)
        test_company_privacy(d, t)
        test_rate_limit(d, t)
        d.stop()
        r = d.run("check", "--data", d.data)
        check(r.returncode == 0, "lotsd check is clean: %s" % r.stdout[-300:])
    test_plan_sources()


if __name__ == "__main__":
    main()
