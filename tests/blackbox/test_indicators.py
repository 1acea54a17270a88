"""Black-box test of the quarterly and yearly indicators end to end: a real lotsd
and a real lots-worker. A small scenario (companies, cases, contacts, hand-offs
acknowledged and decided, follow-ups the worker schedules and the lots records
with answers, improvement actions), all on one fixed instant (LOTSBOK_NOW,
Monday 2 February 2026, so everything counts to 2026-Q1 and every hand-off is
handled the day it is sent: 0 working days). The worker is then restarted on
Thursday 5 February (its own LOTSBOK_NOW): 2 February is closed, so viewers see
that day's figures, and the never acknowledged hand-off's window has closed.
The snapshot the worker PUTs is checked against figures computed by hand below;
it must equal what `lots-worker recompute` rebuilds from the log (apart from
computed_at); the year's snapshot is read by every role; the report is fetched
in its three formats as a viewer and must hold none of the personal data the
scenario stored. The open quarter's rule across midnight, merged calls and
secondary suppression are in test_indicators_privacy.py."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, Lotsd, new_orgnr  # noqa: E402

WORKER = os.path.join(BUILD_DIR, "lots-worker")
NOW = "2026-02-02T09:00:00Z"
LATER = "2026-02-05T07:00:00Z"  # the worker's clock at the end: Thursday
SECRET_NAME = "Hemligbolaget Qzx"
SECRET_SUBJECT = "Hemligt etableringsärende Wqv"
SECRET_SUMMARY = "Samtal om hemlig plan Jkp"
SECRET_NOTE = "Hemlig överlämning Vbn"
SECRETS = [SECRET_NAME, SECRET_SUBJECT, SECRET_SUMMARY, SECRET_NOTE]

# Answers of the unit follow-ups, one respondent per company; the three NKI
# questions all get the same value v, so the respondent's NKI is (v-1)/5*100.
BYGGLOV = [6, 6, 5, 5, 4, 4, 3]  # 7 respondents: published
MILJO = [5, 5, 5, 5, 5, 5]       # 6 respondents: suppressed (min_answers 7)


def wait_until(pred, timeout=20.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


class IndicatorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Lotsd(env={"LOTSBOK_NOW": NOW})
        cls.worker = None
        cls.wlog = os.path.join(cls.srv.dir, "worker.log")
        try:
            cls.scenario()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.worker is not None and cls.worker.poll() is None:
            cls.worker.terminate()
            try:
                cls.worker.wait(10)
            except subprocess.TimeoutExpired:
                cls.worker.kill()
                cls.worker.wait()
        cls.srv.close()

    @classmethod
    def worker_args(cls):
        return ["--server", "http://127.0.0.1:%d" % cls.srv.port,
                "--token-file", os.path.join(cls.srv.data, "worker.token"),
                "--replay", cls.srv.replay]

    @classmethod
    def worker_env(cls, now=LATER):
        env = dict(cls.srv.env)
        env["LOTSBOK_NOW"] = now
        return env

    @classmethod
    def start_worker(cls, now=NOW):
        log = open(cls.wlog, "a")
        cls.worker = subprocess.Popen(
            [WORKER, "--data", os.path.join(cls.srv.dir, "wdata"), "--sub", cls.srv.pub,
             "--heartbeat-ms", "300", "--indicators-debounce-ms", "200"] + cls.worker_args(),
            env=cls.worker_env(now), stdout=log, stderr=log)
        log.close()

    @classmethod
    def scenario(cls):
        s = cls.srv
        admin = s.admin_token()
        cls.lots = s.user(admin, "lotsen", "lots")
        handler = cls.handler = s.user(admin, "handlaggare", "handler",
                                       units=["bygglov", "miljo"])
        cls.viewer = s.user(admin, "arbetsgrupp", "viewer")
        # The worker runs from the start: it sees the first events live...
        cls.start_worker()
        handoffs = {"bygglov": [], "miljo": []}
        companies = []
        # 14 companies: 7 with a bygglov hand-off, 7 with a miljo hand-off.
        for i in range(14):
            c = s.company(cls.lots, name="%s %d AB" % (SECRET_NAME, i), orgnr=new_orgnr())
            companies.append(c["id"])
            case = s.case(cls.lots, c["id"], subject=SECRET_SUBJECT)
            unit = "bygglov" if i < 7 else "miljo"
            handoffs[unit].append(s.handoff(cls.lots, case["id"], unit=unit, note=SECRET_NOTE))
            if i < 2:
                r = s.req("POST", "/api/v1/cases/%d/contacts" % case["id"],
                          {"channel": "phone" if i == 0 else "email", "direction": "inbound",
                           "summary": SECRET_SUMMARY}, token=cls.lots)
                assert r.status == 201, r
        # An 8th bygglov hand-off, withdrawn before anyone acknowledged it
        # (company 0 again: companies guided stays 14).
        case = s.case(cls.lots, companies[0], subject=SECRET_SUBJECT)
        h = s.handoff(cls.lots, case["id"], unit="bygglov", note=SECRET_NOTE)
        r = s.req("POST", "/api/v1/handoffs/%d/withdraw" % h["id"], {}, token=cls.lots)
        assert r.status == 200, r
        # Acknowledge and decide all bygglov ones and six miljo ones; the
        # seventh miljo hand-off is never acknowledged.
        for unit, n in (("bygglov", 7), ("miljo", 6)):
            for h in handoffs[unit][:n]:
                for step, body in (("acknowledge", {}), ("decide", {"decision": "granted"})):
                    r = s.req("POST", "/api/v1/handoffs/%d/%s" % (h["id"], step), body,
                              token=handler)
                    assert r.status == 200, (step, r)
        # ...then it is restarted: the rest is rebuilt from the log by replay.
        cls.worker.terminate()
        cls.worker.wait(10)
        cls.start_worker()
        # The worker schedules one unit call per decided hand-off (13).
        calls = wait_until(lambda: (lambda r: r.json["items"] if r.status == 200 and
                                    len(r.json["items"]) == 13 else None)(
            s.req("GET", "/api/v1/followups?status=scheduled&limit=100", token=cls.lots)),
            what="13 follow-up calls")
        by_company = {}
        for f in calls:
            by_company[f["company_id"]] = f
        for i, v in enumerate(BYGGLOV + MILJO):
            f = by_company[companies[i]]
            unit = f["items"][0]["unit"]
            answers = {unit: {"nki_overall": v, "nki_expectations": v, "nki_ideal": v,
                              "clear_and_lawful": i != 6}}
            r = s.req("POST", "/api/v1/followups/%d/result" % f["id"],
                      {"status": "done", "answers": answers}, token=cls.lots)
            assert r.status == 200, r
        r = s.req("POST", "/api/v1/improvements",
                  {"unit": "bygglov", "title": "Tydligare kompletteringsbegäran"}, token=cls.lots)
        assert r.status == 201, r
        r2 = s.req("POST", "/api/v1/improvements", {"title": "Gemensam checklista"},
                   token=cls.lots)
        assert r2.status == 201, r2
        r = s.req("PATCH", "/api/v1/improvements/%d" % r2.json["id"], {"status": "implemented"},
                  token=cls.lots)
        assert r.status == 200, r
        # The last event of the scenario (the action implemented) is reflected.
        def current(token):
            r = s.req("GET", "/api/v1/indicators?quarter=2026-Q1", token=token)
            return (r.json if r.status == 200 and r.json["improvements"]["implemented"] == 1
                    else None)
        # The same day, a viewer sees the counts but no index of the open
        # quarter yet: 2 February has not ended.
        cls.viewer_same_day = wait_until(lambda: current(cls.viewer),
                                         what="the snapshot after the last event")
        # Thursday: the worker starts again on its new clock; 2 February is closed.
        cls.worker.terminate()
        cls.worker.wait(10)
        cls.start_worker(LATER)
        # On Thursday the worker also flags the miljö hand-off nobody
        # acknowledged (its window closed Wednesday): wait for that too.
        def computed_later(token):
            doc = current(token)
            return (doc if doc and doc["computed_at"] == LATER and
                    doc["units"]["miljo"]["overdue"] == 1 else None)
        cls.snap = wait_until(lambda: computed_later(cls.lots), what="Thursday's snapshot")
        cls.viewer_snap = wait_until(lambda: computed_later(cls.viewer),
                                     what="Thursday's published snapshot")

    def test_same_day_viewer_sees_counts_only(self):
        v = self.viewer_same_day
        self.assertEqual(v["lots"]["cases_opened"], 15)
        self.assertEqual(v["units"]["bygglov"]["handoffs"], 8)
        self.assertEqual(v["units"]["bygglov"]["followups"]["done"], 7)
        self.assertEqual(v["units"]["bygglov"]["nki"],
                         {"label": "NKI", "index": None, "n": 0, "ci95": None, "grade": None,
                          "suppressed": True})
        self.assertIsNone(v["total"]["nki"]["index"])

    def test_viewer_sees_the_closed_day(self):
        v = self.viewer_snap
        # Counts are the live ones.
        for key in ("lots", "improvements"):
            self.assertEqual(v[key]["cases_opened" if key == "lots" else "identified"],
                             self.snap[key]["cases_opened" if key == "lots" else "identified"])
        self.assertEqual(v["units"]["miljo"]["followups"], self.snap["units"]["miljo"]["followups"])
        # 2 February's 7 bygglov respondents are a step of at least 7: published,
        # NKI per respondent (v-1)/5*100: 100, 100, 80, 80, 60, 60, 40; sum 520,
        # mean 520/7 = 74.2857 -> 74.3, SKR's grade: 74 -> "högt". Sample sd:
        # squared deviations 2*25.714^2 + 2*5.714^2 + 2*14.286^2 + 34.286^2 =
        # 2971.43, /6 = 495.24, s = 22.254; 1.96 * s / sqrt(7) = 16.486 ->
        # [57.8, 90.8].
        b = v["units"]["bygglov"]
        self.assertEqual(b["nki"], {"label": "NKI", "index": 74.3, "n": 7, "ci95": [57.8, 90.8],
                                    "grade": "högt", "suppressed": False})
        self.assertEqual(b["questions"]["nki_overall"]["index"], 74.3)
        # clear_and_lawful: yes from respondents 0-5, no from 6: 6/7 = 0.857 -> 0.86.
        self.assertEqual(b["clear_and_lawful"], {"value": 0.86, "n": 7, "suppressed": False})
        # Miljö's 6 are a step under 7: not published at all, so the total NKI
        # viewers see is bygglov's alone.
        self.assertEqual(v["units"]["miljo"]["nki"]["n"], 0)
        self.assertEqual(v["total"]["nki"]["n"], 7)
        self.assertEqual(v["total"]["nki"]["index"], 74.3)
        self.assertEqual(v["total"]["clear_and_lawful"], {"value": 0.86, "n": 7,
                                                          "suppressed": False})

    def test_figures(self):
        s = self.snap
        lots = s["lots"]
        self.assertEqual(s["quarter"], "2026-Q1")
        # 14 distinct companies opened a case (company 0 twice); 15 cases.
        self.assertEqual(lots["companies_guided"], 14)
        self.assertEqual(lots["companies_guided_ytd"], 14)
        self.assertEqual(lots["cases_opened"], 15)
        self.assertEqual(lots["cases_closed"], 0)
        self.assertEqual(lots["contacts"]["phone"], 1)
        self.assertEqual(lots["contacts"]["email"], 1)
        self.assertEqual(lots["contacts"]["visit"], 0)
        # 13 calls scheduled and done (one per decided hand-off).
        self.assertEqual(lots["calls"]["due"], 13)
        self.assertEqual(lots["calls"]["done"], 13)
        self.assertEqual(lots["calls"]["response_rate"], 1.0)
        b = s["units"]["bygglov"]
        # 8 sent; the withdrawn one leaves the in-time share: 7/7 acknowledged
        # the same day (0 working days <= 2) = 1.0, never suppressed.
        self.assertEqual(b["handoffs"], 8)
        self.assertEqual(b["acknowledged_in_time"], {"value": 1.0, "n": 7, "suppressed": False})
        self.assertEqual(b["decision_working_days"], {"median": 0, "p90": 0, "n": 7})
        self.assertEqual(b["followups"]["due"], 7)
        self.assertEqual(b["followups"]["done"], 7)
        self.assertEqual(b["followups"]["response_rate"], 1.0)
        # Live, miljö's 6 respondents are in SKR's total NKI (13 respondents:
        # bygglov 520 + miljö 6 x 80 = 480, 1000 / 13 = 76.92 -> 76.9) while
        # miljö's own NKI is suppressed (6 < 7). Bygglov's NKI beside the total
        # would give miljö's away (total - bygglov), so it is hidden too, the
        # cell on fewer answers (7 < 13); and since every bygglov respondent
        # answered all three NKI questions, its NKI is their mean: one of them
        # (the first, nki_overall) is hidden as well. The rest stays.
        nki = b["nki"]
        self.assertEqual(nki, {"label": "NKI", "index": None, "n": 7, "ci95": None,
                               "grade": None, "suppressed": True})
        self.assertTrue(b["questions"]["nki_overall"]["suppressed"])
        self.assertEqual(b["questions"]["nki_expectations"]["index"], 74.3)
        self.assertEqual(b["questions"]["nki_ideal"]["index"], 74.3)
        self.assertEqual(b["questions"]["information"]["n"], 0)
        # clear_and_lawful likewise: miljö's 6 (all yes) are in the total over
        # every unit, 12 of 13 = 0.92, so bygglov's 6 of 7 is hidden.
        self.assertEqual(b["clear_and_lawful"], {"value": None, "n": 7, "suppressed": True})
        self.assertEqual(s["total"]["clear_and_lawful"], {"value": 0.92, "n": 13,
                                                          "suppressed": False})
        m = s["units"]["miljo"]
        # 7 sent, 6 acknowledged in time, 1 never: 6/7 -> 0.86.
        self.assertEqual(m["handoffs"], 7)
        self.assertEqual(m["acknowledged_in_time"], {"value": 0.86, "n": 7, "suppressed": False})
        self.assertEqual(m["followups"]["done"], 6)
        # 6 respondents < 7: suppressed, no index, no grade.
        self.assertEqual(m["nki"]["n"], 6)
        self.assertTrue(m["nki"]["suppressed"])
        self.assertIsNone(m["nki"]["index"])
        self.assertIsNone(m["nki"]["grade"])
        self.assertTrue(m["clear_and_lawful"]["suppressed"])
        self.assertEqual(s["units"]["upphandling"]["nki"]["label"], "NUI")
        t = s["total"]
        self.assertEqual(t["units"], ["bygglov", "miljo", "livsmedel", "serveringstillstand"])
        self.assertEqual(t["beside"], ["raddningstjanst", "gata_park"])
        self.assertEqual(t["nki"]["label"], "NKI totalt")
        self.assertEqual(t["nki"]["n"], 13)
        self.assertEqual(t["nki"]["index"], 76.9)
        self.assertEqual(t["nki"]["grade"], "högt")
        # Two actions identified, one implemented.
        self.assertEqual(s["improvements"]["identified"], 2)
        self.assertEqual(s["improvements"]["implemented"], 1)
        self.assertEqual(s["improvements"]["identified_total"], 2)

    def test_recompute_equals_incremental(self):
        r = subprocess.run([WORKER, "recompute", "--quarter", "2026-Q1"] + self.worker_args(),
                           env=self.worker_env(), capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        again = json.loads(r.stdout.strip().splitlines()[0])
        pub = again.pop("published")
        for mine, theirs in ((self.snap, again), (self.viewer_snap, pub)):
            a, b = dict(mine), dict(theirs)
            a.pop("computed_at")
            b.pop("computed_at")
            self.assertEqual(a, b)
        # It was PUT as well: lotsd serves the recomputed documents.
        got = self.srv.req("GET", "/api/v1/indicators?quarter=2026-Q1", token=self.lots).json
        self.assertEqual(got, again)
        got = self.srv.req("GET", "/api/v1/indicators?quarter=2026-Q1", token=self.viewer).json
        self.assertEqual(got, pub)

    def test_year(self):
        # The year's snapshot: the same figures over 2026 (only Q1 has events),
        # "year" instead of "quarter", no "ytd".
        for token, q in ((self.lots, self.snap), (self.viewer, self.viewer_snap)):
            r = self.srv.req("GET", "/api/v1/indicators?year=2026", token=token)
            self.assertEqual(r.status, 200, r)
            y = r.json
            self.assertEqual(y["year"], "2026")
            self.assertNotIn("quarter", y)
            self.assertNotIn("ytd", y["lots"])
            self.assertEqual(y["lots"]["companies_guided"], 14)
            self.assertEqual(y["lots"]["calls"]["done"], 13)
            self.assertEqual(y["units"]["bygglov"]["nki"], q["units"]["bygglov"]["nki"])
            self.assertEqual(y["total"], {k: v for k, v in q["total"].items() if k != "ytd"})
        # Every role reads it; a handler sees what viewers see, admin what lots see.
        for token, want in ((self.handler, "viewer"), (self.srv.admin_token(), "lots")):
            got = self.srv.req("GET", "/api/v1/indicators?year=2026", token=token).json
            ref = self.srv.req("GET", "/api/v1/indicators?year=2026",
                               token=self.viewer if want == "viewer" else self.lots).json
            self.assertEqual(got, ref)
        self.assertNotEqual(
            self.srv.req("GET", "/api/v1/indicators?year=2026", token=self.viewer).json,
            self.srv.req("GET", "/api/v1/indicators?year=2026", token=self.lots).json)
        r = self.srv.req("GET", "/api/v1/indicators?year=2025", token=self.viewer)
        self.assertEqual((r.status, r.code), (404, "not_computed"))
        for bad in ("26", "2026-Q1", "20x6", "1899"):
            r = self.srv.req("GET", "/api/v1/indicators?year=" + bad, token=self.viewer)
            self.assertEqual(r.status, 400, bad)
        r = self.srv.req("GET", "/api/v1/indicators?year=2026&quarter=2026-Q1", token=self.lots)
        self.assertEqual(r.status, 400)

    def test_errors(self):
        s = self.srv
        r = s.req("GET", "/api/v1/indicators?quarter=2025-Q3", token=self.viewer)
        self.assertEqual((r.status, r.code), (404, "not_computed"))
        r = s.req("GET", "/api/v1/reports/quarterly?quarter=2025-Q3&format=json",
                  token=self.viewer)
        self.assertEqual((r.status, r.code), (404, "not_computed"))
        for bad in ("2026-Q5", "2026Q1", "x"):
            r = s.req("GET", "/api/v1/indicators?quarter=" + bad, token=self.viewer)
            self.assertEqual(r.status, 400, bad)
        r = s.req("GET", "/api/v1/reports/quarterly?quarter=2026-Q1&format=pdf",
                  token=self.viewer)
        self.assertEqual(r.status, 400)
        # Only the service may PUT; the body must match the path.
        body = {"quarter": "2026-Q2", "source_seq": 1}
        r = s.req("PUT", "/api/v1/indicators/2026-Q2", body, token=self.viewer)
        self.assertEqual(r.status, 403)
        wt = s.worker_token()
        r = s.req("PUT", "/api/v1/indicators/2026-Q3", body, token=wt)
        self.assertEqual(r.status, 422)
        r = s.req("PUT", "/api/v1/indicators/2026-Q2", {"quarter": "2026-Q2", "source_seq": -1},
                  token=wt)
        self.assertEqual(r.status, 422)
        r = s.req("PUT", "/api/v1/indicators/2026-Q9", body, token=wt)
        self.assertEqual(r.status, 400)
        # A year: its body names the same year; "published" must be a document too.
        r = s.req("PUT", "/api/v1/indicators/2027", {"year": "2028", "source_seq": 1}, token=wt)
        self.assertEqual((r.status, r.code), (422, "year_mismatch"))
        r = s.req("PUT", "/api/v1/indicators/2027", {"quarter": "2027", "source_seq": 1},
                  token=wt)
        self.assertEqual((r.status, r.code), (422, "year_mismatch"))
        r = s.req("PUT", "/api/v1/indicators/2027",
                  {"year": "2027", "source_seq": 1, "published": 5}, token=wt)
        self.assertEqual((r.status, r.code), (422, "invalid_field"))
        r = s.req("PUT", "/api/v1/indicators/2027",
                  {"year": "2027", "source_seq": 1, "published": {"year": "2026"}}, token=wt)
        self.assertEqual((r.status, r.code), (422, "year_mismatch"))
        r = s.req("PUT", "/api/v1/indicators/27", {"year": "27", "source_seq": 1}, token=wt)
        self.assertEqual(r.status, 400)
        r = s.req("PUT", "/api/v1/indicators/2027", {"year": "2027", "source_seq": 1},
                  token=self.lots)
        self.assertEqual(r.status, 403)
        self.assertEqual(s.req("GET", "/api/v1/indicators?year=2027", token=self.lots).status,
                         404)

    def report(self, fmt):
        r = self.srv.req("GET", "/api/v1/reports/quarterly?quarter=2026-Q1&format=" + fmt,
                         token=self.viewer)
        self.assertEqual(r.status, 200, r)
        for secret in SECRETS:
            self.assertNotIn(secret, r.raw, fmt)
        return r

    def test_report_json(self):
        r = self.report("json")
        self.assertTrue(r.headers["content-type"].startswith("application/json"))
        doc = r.json
        self.assertEqual(doc["quarter"], "2026-Q1")
        self.assertEqual(doc["indicators"]["units"]["bygglov"]["nki"]["index"], 74.3)
        self.assertEqual(len(doc["quarters"]), 8)
        titles = sorted(m["title"] for m in doc["improvements"])
        self.assertEqual(titles, ["Gemensam checklista", "Tydligare kompletteringsbegäran"])

    def test_report_csv(self):
        r = self.report("csv")
        self.assertTrue(r.headers["content-type"].startswith("text/csv"))
        self.assertIn("attachment", r.headers["content-disposition"])
        self.assertIn("2026-Q1", r.headers["content-disposition"])
        self.assertTrue(r.raw.startswith("\ufeff"))
        header = r.raw[1:].split("\r\n")[0]
        self.assertEqual(header.split(";")[0], "Kvartal")
        self.assertIn("74,3", r.raw)  # decimal comma

    def test_report_html(self):
        r = self.report("html")
        self.assertTrue(r.headers["content-type"].startswith("text/html"))
        csp = r.headers["content-security-policy"]
        self.assertIn("default-src 'none'", csp)
        self.assertIn("style-src 'sha256-", csp)
        self.assertNotIn("<script", r.raw)
        self.assertIn('lang="sv"', r.raw)
        # Per unit three charts (NKI/NUI, response rate, median handling time),
        # one of each for every configured unit; two more for the lots function.
        self.assertEqual(r.raw.count('<svg class="chart-nki"'), 7)
        self.assertEqual(r.raw.count('<svg class="chart-rate"'), 7)
        self.assertEqual(r.raw.count('<svg class="chart-days"'), 7)
        self.assertEqual(r.raw.count("<svg"), 3 * 7 + 2)

    def test_report_xlsx_equals_json(self):
        """format=xlsx read back with Debian's python3-openpyxl: three sheets, Swedish
        headers frozen, numbers stored as numbers and equal to the JSON document."""
        import io
        import openpyxl  # python3-openpyxl (scripts/deps.sh)
        doc = self.report("json").json
        c = self.srv.conn()
        try:
            c.request("GET", "/api/v1/reports/quarterly?quarter=2026-Q1&format=xlsx",
                      headers={"Authorization": "Bearer " + self.viewer})
            resp = c.getresponse()
            status, headers, raw = resp.status, dict(resp.getheaders()), resp.read()
        finally:
            c.close()
        self.assertEqual(status, 200)
        headers = {k.lower(): v for k, v in headers.items()}
        self.assertTrue(headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        self.assertIn("kvartalsrapport-2026-Q1.xlsx", headers["content-disposition"])
        for secret in SECRETS:
            self.assertNotIn(secret.encode(), raw)
        wb = openpyxl.load_workbook(io.BytesIO(raw))
        self.assertEqual(wb.sheetnames, ["Företagslotsen", "Enheter", "Trend"])
        cur = doc["indicators"]
        lots = {row[0]: row for row in wb["Företagslotsen"].iter_rows(min_row=2, values_only=True)}
        self.assertEqual([c.value for c in wb["Företagslotsen"][1]],
                         ["Indikator", "Värde", "n", "KI 95 % låg", "KI 95 % hög", "Anmärkning"])
        self.assertEqual(wb["Företagslotsen"].freeze_panes, "B2")
        self.assertEqual(lots["Företag som lotsats"][1], cur["lots"]["companies_guided"])
        self.assertIsInstance(lots["Företag som lotsats"][1], int)
        self.assertEqual(lots["Ärenden öppnade"][1], cur["lots"]["cases_opened"])
        self.assertAlmostEqual(lots["Svarsfrekvens"][1],
                               cur["lots"]["followups"]["response_rate"])
        # Units: one row per unit and indicator; bygglov's NKI with n and interval,
        # miljö's suppressed: an empty value and the reason.
        units = {}
        for row in wb["Enheter"].iter_rows(min_row=2, values_only=True):
            units[(row[0], row[1])] = row
        self.assertEqual(wb["Enheter"].freeze_panes, "C2")
        names = {u["code"]: u["name"] for u in doc["units"]}
        by = cur["units"]["bygglov"]
        nki = units[(names["bygglov"], "NKI")]
        self.assertEqual(nki[2], by["nki"]["index"])
        self.assertIsInstance(nki[2], float)
        self.assertEqual(nki[3], by["nki"]["n"])
        self.assertEqual([nki[4], nki[5]], by["nki"]["ci95"])
        self.assertEqual(units[(names["bygglov"], "Överlämningar")][2], by["handoffs"])
        mi = cur["units"]["miljo"]["nki"]
        self.assertTrue(mi["suppressed"])
        row = units[(names["miljo"], "NKI")]
        self.assertIsNone(row[2])
        self.assertIn("Redovisas inte", row[6])
        # Trend: one row per quarter of the eight, the last the quarter itself.
        trend = list(wb["Trend"].iter_rows(values_only=True))
        self.assertEqual([r[0] for r in trend[1:]], doc["quarters"])
        head = list(trend[0])
        last = dict(zip(head, trend[-1]))
        self.assertEqual(last["Företagslotsen: företag som lotsats"],
                         doc["trends"]["lots"][-1]["companies_guided"])
        self.assertEqual(last[names["bygglov"] + ": NKI"],
                         doc["trends"]["units"]["bygglov"][-1]["nki"]["index"])
        self.assertIsNone(last[names["miljo"] + ": NKI"])
        self.assertTrue(all(v is None for v in trend[1][1:]))  # 2024-Q2: nothing computed

    def test_cli_report_xlsx(self):
        import openpyxl
        out = os.path.join(self.srv.dir, "kvartal.xlsx")
        env = dict(os.environ, LOTS_SERVER="http://127.0.0.1:%d" % self.srv.port,
                   LOTS_TOKEN=self.viewer, LOTSBOK_NOW=NOW,
                   XDG_CONFIG_HOME=os.path.join(self.srv.dir, "cfg"))
        r = subprocess.run([os.path.join(BUILD_DIR, "lots"), "report", "--quarter", "2026-Q1",
                            "--format", "xlsx", "-o", out], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("kvartal.xlsx", r.stdout)
        wb = openpyxl.load_workbook(out)
        self.assertEqual(wb.sheetnames, ["Företagslotsen", "Enheter", "Trend"])


if __name__ == "__main__":
    unittest.main()
