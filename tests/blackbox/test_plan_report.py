#!/usr/bin/python3
"""test_plan_report: the action plan's annual report to kommunstyrelsen
(GET /reports/annual, `lots report annual`) and the `lots plan` commands,
against a real lotsd with Norrtälje's plan loaded, published year snapshots
PUT as the worker does and follow-ups written through the API.

The report is read back by real readers: the JSON against the values route,
the CSV with Python's csv module, the XLSX with Debian's python3-openpyxl
(sheets, frozen headers, numbers as numbers equal to the JSON), the HTML
printed to PDF by Debian's chromium and read with poppler's pdftotext and
pdfinfo (a chapter per action, a sane page count). No username may appear in
any format. Debian's /usr/bin/python3."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, Lotsd, SOURCE_DIR  # noqa: E402

import openpyxl  # noqa: E402  (Debian's python3-openpyxl)

PLAN = os.path.join(SOURCE_DIR, "data", "plan-norrtalje-2025-2030.json")
NOW = "2026-11-16T10:00:00Z"
LOTS = os.path.join(BUILD_DIR, "lots")
CODES = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "3.1", "4.1", "4.2", "4.3", "4.4", "5.1",
         "5.2", "6.1", "6.2", "6.3", "6.4"]


def year_snapshot(year, guided, nki_total, bygg_nki, published=None):
    doc = {"year": year, "source_seq": 1, "computed_at": NOW,
           "lots": {"companies_guided": guided, "calls": {"done": 95},
                    "easy_contact": {"value": 0.8, "n": 40, "suppressed": False},
                    "questions": {"usefulness": {"index": 70.2, "n": 30, "ci95": [65.0, 75.4],
                                                 "suppressed": False}}},
           "units": {"bygglov": {"nki": {"index": bygg_nki, "n": 40, "ci95": [55.0, 67.0],
                                         "suppressed": False, "label": "NKI"}},
                     "upphandling": {"nki": {"index": None, "n": 5, "ci95": None,
                                             "suppressed": True, "label": "NUI"}}},
           "total": {"nki": {"index": nki_total, "n": 212, "ci95": [66.1, 70.7],
                             "suppressed": False, "label": "NKI totalt"},
                     "clear_and_lawful": {"value": 0.9, "n": 50, "suppressed": False}},
           "improvements": {"identified": 4, "implemented": 2}}
    if published is not None:
        doc["published"] = dict(doc, published=None)
        del doc["published"]["published"]
        doc["published"]["lots"] = dict(doc["lots"], companies_guided=published)
        del doc["published"]["source_seq"]
    return doc


class PlanReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd(start=False, env={"LOTSBOK_NOW": NOW})
        r = cls.d.run("plan", "load", "--data", cls.d.data, PLAN)
        assert r.returncode == 0, r.stderr
        cls.d.start()
        d = cls.d
        cls.admin = d.admin_token()
        cls.lots = d.user(cls.admin, "anna.lots", "lots")
        cls.upph = d.user(cls.admin, "upph.handlaggare", "handler", units=["upphandling"])
        cls.viewer = d.user(cls.admin, "arbetsgrupp", "viewer")
        worker = d.worker_token()
        # The live 2026 document says 999 companies; the published one (what
        # viewers and reports read) 150.
        for period, doc in [("2025", year_snapshot("2025", 120, 66.0, 58.5)),
                            ("2026", year_snapshot("2026", 999, 68.4, 61.0, published=150)),
                            ("2026-Q3", {"quarter": "2026-Q3", "source_seq": 1,
                                         "lots": {"companies_guided": 41,
                                                  "calls": {"done": 22}},
                                         "units": {}})]:
            r = d.req("PUT", "/api/v1/indicators/" + period, doc, token=worker)
            assert r.status == 200, r
        fus = [
            ("4.1", 2025, {"status": "ongoing", "values": [
                {"indicator": "4.1-1", "period": "2025", "value": 300}]}),
            ("4.1", 2026, {"status": "ongoing",
                           "results": "Fler i jobb.\n<script>alert(1)</script> & mer",
                           "collaboration": ["1.1", "4.4"],
                           "adjustment": "=Behöver fler handledare; se över jobbspåren",
                           "comment": "Arbetsmarknadsenheten rapporterar månadsvis.",
                           "values": [{"indicator": "4.1-1", "period": "2026", "value": 280},
                                      {"indicator": "4.1-11", "period": "2026", "value": 412}]}),
            ("5.2", 2025, {"status": "ongoing", "values": [
                {"indicator": "5.2-1", "period": "2025", "done": "2025-12-01"}]}),
            ("5.2", 2026, {"status": "completed", "values": [
                {"indicator": "5.2-2", "period": "2026", "value": 4}]}),
            ("3.1", 2025, {"status": "ongoing", "values": [
                {"indicator": "3.1-2", "period": "2025", "value": 3.2}]}),
            ("3.1", 2026, {"status": "ongoing", "values": [
                {"indicator": "3.1-2", "period": "2026", "value": 3.4}]}),
            ("1.3", 2026, {"status": "not_started"}),
            ("1.4", 2026, {"status": "closed"}),
        ]
        for code, year, body in fus:
            r = d.req("PUT", "/api/v1/plan/actions/%s/followups/%d" % (code, year), body,
                      token=cls.lots)
            assert r.status == 201, r
        r = d.req("POST", "/api/v1/improvements",
                  {"title": "Tydligare besked om handläggningstid", "unit": "bygglov"},
                  token=cls.lots)
        assert r.status == 201, r
        cls.tmp = tempfile.mkdtemp(prefix="lotsbok-annual-")

    @classmethod
    def tearDownClass(cls):
        cls.d.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def get(self, query, token=None):
        return self.d.req("GET", "/api/v1/reports/annual" + query, token=token or self.viewer)

    def get_bytes(self, query):
        """The report's bytes (lbtest's Response decodes text), status and headers."""
        c = self.d.conn()
        try:
            c.request("GET", "/api/v1/reports/annual" + query,
                      headers={"Authorization": "Bearer " + self.viewer})
            resp = c.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            c.close()

    def doc(self):
        r = self.get("?year=2026&format=json")
        self.assertEqual(r.status, 200, r)
        return r.json

    @staticmethod
    def indicator(doc, ind_id):
        for area in doc["areas"]:
            for a in area["actions"]:
                for x in a["indicators"]:
                    if x["id"] == ind_id:
                        return x
        raise KeyError(ind_id)

    @staticmethod
    def action(doc, code):
        return [a for area in doc["areas"] for a in area["actions"] if a["code"] == code][0]

    # --- the document ------------------------------------------------------------------

    def test_document(self):
        doc = self.doc()
        self.assertEqual(doc["year"], 2026)
        self.assertEqual(doc["years"], ["2025", "2026"])
        self.assertEqual([a["code"] for area in doc["areas"] for a in area["actions"]], CODES)
        self.assertEqual([area["number"] for area in doc["areas"]], [1, 2, 3, 4, 5, 6])
        self.assertEqual(doc["summary"], {"actions": 17, "not_started": 1, "ongoing": 2,
                                          "completed": 1, "closed": 1, "not_followed_up": 12})
        # Auto values from the published year snapshots, each with its n.
        g = self.indicator(doc, "1.1-1")
        self.assertEqual([i["value"] for i in g["values"]], [120, 150])
        self.assertEqual(g["assessment"], "improved")
        self.assertEqual([i["value"] for i in g["quarters"]], [None, None, 41, None])
        nki = self.indicator(doc, "1.2-1")
        self.assertEqual(nki["values"][1]["value"], 68.4)
        self.assertEqual(nki["values"][1]["n"], 212)
        self.assertEqual(self.indicator(doc, "1.2-2")["values"][1]["value"], 95)
        self.assertEqual(self.indicator(doc, "1.2-5")["values"][1]["value"], 0.9)
        # Meeting sources: declared, not measured, never a number.
        m = self.indicator(doc, "3.1-1")
        # Meeting sources: lotsd's figures from its meeting records (none held here).
        self.assertEqual((m["values"][1]["value"], m["values"][1]["target"]), (0, 2))
        self.assertEqual(m["assessment"], "not_met")
        # Manual values, restated lines, targets and milestones.
        self.assertEqual(self.indicator(doc, "4.1-7")["assessment"], "improved")  # 300 -> 280
        self.assertEqual([i["value"] for i in self.indicator(doc, "4.1-7")["values"]], [300, 280])
        self.assertEqual(self.indicator(doc, "5.2-2")["assessment"], "met")
        self.assertEqual(self.indicator(doc, "5.2-2")["target"], 3)
        self.assertEqual(self.indicator(doc, "5.2-1")["assessment"], "met")
        self.assertEqual(self.indicator(doc, "6.1-2")["assessment"], "overdue")
        self.assertEqual(self.indicator(doc, "4.2-3")["assessment"], "pending")
        self.assertEqual(self.indicator(doc, "3.1-2")["assessment"], "improved")
        # The follow-up's template fields.
        a = self.action(doc, "4.1")
        self.assertEqual(a["status"], "ongoing")
        self.assertEqual(a["status_label"], "Pågående")
        self.assertEqual([c["code"] for c in a["collaboration"]], ["1.1", "4.4"])
        self.assertEqual(a["collaboration"][0]["title"], "Fortsatt utveckling av företagslotsen")
        self.assertTrue(a["adjustment"].startswith("=Behöver"))
        self.assertEqual(self.action(doc, "6.4")["status_label"], "Ej uppföljd")
        # The samlad analys.
        a5 = doc["areas"][4]["analysis"]
        self.assertEqual(a5["status"]["completed"], 1)
        self.assertEqual(a5["status"]["not_followed_up"], 1)
        self.assertIn("5.2-2", [x["id"] for x in a5["intended"]])
        a6 = doc["areas"][5]["analysis"]
        self.assertEqual(sorted(x["id"] for x in a6["against"]), ["6.1-2", "6.2-4"])
        bc = doc["business_climate"]
        self.assertEqual([i["value"] for i in bc["nki_total"]["values"]], [66.0, 68.4])
        units = {u["unit"]: u for u in bc["units"]}
        self.assertEqual(units["bygglov"]["values"][1]["value"], 61.0)
        self.assertEqual(units["upphandling"]["label"], "NUI")
        self.assertEqual(units["upphandling"]["values"][1]["reason"], "suppressed")
        self.assertEqual(units["upphandling"]["values"][1]["n"], 5)
        self.assertEqual(sorted(x["id"] for x in bc["ranking"]), ["3.1-2", "6.1-1"])
        self.assertEqual([x["title"] for x in doc["lessons"]["improvements"]],
                         ["Tydligare besked om handläggningstid"])
        self.assertEqual(doc["lessons"]["meeting_proposals"]["reason"], "source_not_available")
        self.assertEqual([x["code"] for x in doc["adjustments"]], ["4.1"])

    def test_values_agree_with_the_values_route(self):
        doc = self.doc()
        for ind_id in ("1.1-1", "1.2-1", "4.1-1", "3.1-1", "5.2-1"):
            r = self.d.req("GET", "/api/v1/plan/indicators/%s/values?from=2025&to=2026" % ind_id,
                           token=self.viewer)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(self.indicator(doc, ind_id)["values"], r.json["items"], ind_id)

    def test_an_earlier_year_and_the_default(self):
        r = self.get("?year=2025")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["years"], ["2025"])
        self.assertEqual(self.indicator(r.json, "5.2-1")["assessment"], "met")
        self.assertEqual(self.indicator(r.json, "6.1-2")["assessment"], "overdue")
        r = self.get("")  # LOTSBOK_NOW is in 2026; json by default
        self.assertEqual((r.status, r.json["year"]), (200, 2026))

    # --- who, and bad queries -------------------------------------------------------------

    def test_every_role_reads_it_no_one_else(self):
        for tok in (self.admin, self.lots, self.upph, self.viewer):
            self.assertEqual(self.get("?year=2026&format=csv", token=tok).status, 200)
        r = self.d.req("GET", "/api/v1/reports/annual?year=2026")
        self.assertEqual(r.status, 401, r)

    def test_bad_queries(self):
        for q, code in [("?year=2026&format=pdf", "bad_query"), ("?year=26", "bad_query"),
                        ("?year=2026-Q3", "bad_query"), ("?year=2024", "year_outside_plan"),
                        ("?year=2031&format=xlsx", "year_outside_plan")]:
            r = self.get(q)
            self.assertEqual((r.status, r.code), (400, code), q)

    def test_no_plan_loaded(self):
        d = Lotsd()
        try:
            r = d.req("GET", "/api/v1/reports/annual?year=2026", token=d.admin_token())
            self.assertEqual((r.status, r.code), (404, "plan_not_loaded"))
        finally:
            d.close()

    def test_demo_followups_load(self):
        """`lotsd plan followups` (make run's demo): checked whole, idempotent, and a
        status for every action in 2026."""
        demo = os.path.join(SOURCE_DIR, "data", "plan-demo-followups.json")
        d = Lotsd(start=False)
        try:
            self.assertEqual(d.run("plan", "load", "--data", d.data, PLAN).returncode, 0)
            with open(demo, encoding="utf-8") as f:
                doc = json.load(f)
            doc["followups"][-1]["status"] = "klar"
            bad = os.path.join(d.dir, "bad.json")
            with open(bad, "w", encoding="utf-8") as f:
                json.dump(doc, f, ensure_ascii=False)
            r = d.run("plan", "followups", "--data", d.data, bad)
            self.assertEqual(r.returncode, 1)
            self.assertIn("followups[32].status", r.stderr)
            r = d.run("plan", "followups", "--data", d.data, demo)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("33 written, 0 unchanged", r.stdout)  # the bad run wrote nothing
            r = d.run("plan", "followups", "--data", d.data, demo)
            self.assertIn("0 written, 33 unchanged", r.stdout)
            d.start()
            admin = d.admin_token()
            r = d.req("GET", "/api/v1/plan?year=2026", token=admin)
            statuses = [a["followup"]["status"] for area in r.json["areas"]
                        for a in area["actions"]]
            self.assertEqual(len(statuses), 17)
            self.assertEqual(set(statuses), {"ongoing", "completed", "closed"})
            r = d.req("GET", "/api/v1/reports/annual?year=2026", token=admin)
            self.assertEqual(r.json["summary"]["not_followed_up"], 0)
            self.assertEqual(self.indicator(r.json, "4.1-1")["values"][1]["value"], 371)
            self.assertEqual(self.indicator(r.json, "6.3-1")["values"][1]["value"], 48200)
        finally:
            d.close()

    # --- the formats, read back ---------------------------------------------------------------

    def assert_no_usernames(self, text):
        for name in ("anna.lots", "upph.handlaggare", "arbetsgrupp", "admin"):
            self.assertNotIn(name, text)

    def test_csv(self):
        status, headers, raw = self.get_bytes("?year=2026&format=csv")
        self.assertEqual(status, 200, raw[:300])
        self.assertTrue(headers["content-type"].startswith("text/csv"))
        self.assertIn("arsrapport-2026.csv", headers["content-disposition"])
        text = raw.decode("utf-8")
        self.assertTrue(text.startswith("\ufeff"))
        self.assert_no_usernames(text)
        rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
        actions = [row for row in rows if len(row) == 9 and row[0] in CODES]
        self.assertEqual([row[0] for row in actions], CODES)
        a41 = [row for row in actions if row[0] == "4.1"][0]
        self.assertEqual(a41[4], "Pågående")
        self.assertEqual(a41[6], "1.1, 4.4")
        self.assertEqual(a41[7], "'=Behöver fler handledare; se över jobbspåren")  # no formula
        ind = {(row[1], row[7]): row for row in rows if len(row) == 13}
        self.assertEqual(ind[("1.1-1", "2026")][8], "150")
        self.assertEqual(ind[("1.2-1", "2026")][8], "68,4")
        self.assertEqual(ind[("1.2-1", "2026")][9], "212")
        self.assertEqual(ind[("1.2-5", "2026")][8], "0,9")
        self.assertEqual(ind[("3.1-1", "2026")][8], "0")
        self.assertEqual(ind[("5.2-2", "2026")][12], "Målet nått")

    def test_xlsx_read_back_with_openpyxl(self):
        status, headers, raw = self.get_bytes("?year=2026&format=xlsx")
        self.assertEqual(status, 200, raw[:300])
        self.assertEqual(headers["content-type"],
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.assertIn("arsrapport-2026.xlsx", headers["content-disposition"])
        wb = openpyxl.load_workbook(io.BytesIO(raw))
        self.assertEqual(wb.sheetnames, ["Sammanfattning"] + ["Målområde %d" % i
                                                              for i in range(1, 7)])
        s = wb["Sammanfattning"]
        self.assertEqual(s.freeze_panes, "B2")
        self.assertEqual([c.value for c in s[1]][:5],
                         ["Åtgärd", "Målområde", "Titel", "Ansvar", "Status"])
        self.assertEqual([s.cell(row=i, column=1).value for i in range(2, 19)], CODES)
        self.assertIsInstance(s.cell(row=2, column=2).value, int)
        self.assertGreater(s.column_dimensions["C"].width, 20)
        doc = self.doc()
        checked = 0
        for area in doc["areas"]:
            ws = wb["Målområde %d" % area["number"]]
            self.assertEqual(ws.freeze_panes, "D2")
            head = [c.value for c in ws[1]]
            self.assertEqual(head[:3], ["Åtgärd", "Indikator-id", "Indikator"])
            self.assertEqual(head[7:9], ["2025", "2026"])
            self.assertEqual(head[9:11], ["Mål 2026", "Bedömning"])
            rows = {row[1].value: row for row in ws.iter_rows(min_row=2)}
            for a in area["actions"]:
                for x in a["indicators"]:
                    row = rows[x["id"]]
                    self.assertEqual(row[10].value, x["assessment_label"])
                    for k, item in enumerate(x["values"]):
                        cell = row[7 + k].value
                        if isinstance(item["value"], (int, float)):
                            self.assertIsInstance(cell, (int, float), x["id"])
                            self.assertAlmostEqual(cell, item["value"], places=9)
                            checked += 1
                        elif isinstance(item["value"], str):
                            self.assertEqual(cell, item["value"])
                        else:
                            self.assertIsInstance(cell, str, x["id"])
        self.assertGreater(checked, 12)
        a1 = wb["Målområde 1"]
        row = {r[1].value: r for r in a1.iter_rows(min_row=2)}["1.1-2"]
        self.assertEqual(row[8].number_format, "0%")
        up = {r[1].value: r for r in a1.iter_rows(min_row=2)}["1.2-1"]
        self.assertEqual(up[8].number_format, "0.0")
        text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                        if c.value is not None)
        self.assert_no_usernames(text)

    def test_html_printed_to_pdf(self):
        status, headers, raw = self.get_bytes("?year=2026&format=html")
        self.assertEqual(status, 200, raw[:300])
        csp = headers["content-security-policy"]
        self.assertIn("default-src 'none'", csp)
        html = raw.decode("utf-8")
        self.assert_no_usernames(html)
        self.assertNotIn("<script", html)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; &amp; mer", html)
        self.assertEqual(html.count("<article class=\"action\""), 17)
        self.assertEqual(html.count("<section class=\"area\""), 7)  # six målområden + analys
        self.assertNotRegex(html, r"(src|href)=\"(https?:)?//")
        self.assertGreater(html.count("<svg"), 20)
        path = os.path.join(self.tmp, "arsrapport.html")
        pdf = os.path.join(self.tmp, "arsrapport.pdf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(html)
        p = subprocess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                            "--no-pdf-header-footer", "--user-data-dir=" + os.path.join(
                                self.tmp, "chromium"),
                            "--print-to-pdf=" + pdf, "file://" + path],
                           capture_output=True, text=True, timeout=180)
        self.assertTrue(os.path.exists(pdf), p.stderr[-2000:])
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        self.assertIn("(A4)", re.search(r"Page size:.*", info).group(0))
        self.assertGreaterEqual(pages, 8)   # title and contents, six målområden, the analysis
        self.assertLessEqual(pages, 80)
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                              text=True, check=True).stdout
        for code in CODES:
            self.assertIn("Åtgärd %s " % code, text)
        self.assertIn("Samlad analys", text)
        self.assertIn("Näringslivsklimatet", text)
        self.assertIn("Tydligare besked om handläggningstid", text)
        self.assert_no_usernames(text)

    # --- the command line ----------------------------------------------------------------------

    def lots_cli(self, token, *args):
        env = dict(os.environ, LOTS_SERVER="http://127.0.0.1:%d" % self.d.port, LOTS_TOKEN=token, LOTSBOK_NOW=NOW,
                   XDG_CONFIG_HOME=os.path.join(self.tmp, "cfg"))
        return subprocess.run([LOTS] + list(args), env=env, capture_output=True, text=True,
                              timeout=60)

    def test_cli_report_annual(self):
        out = os.path.join(self.tmp, "årsrapport.xlsx")
        r = self.lots_cli(self.viewer, "report", "annual", "--year", "2026", "--format", "xlsx",
                          "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("årsrapport.xlsx", r.stdout)
        wb = openpyxl.load_workbook(out)
        self.assertEqual(len(wb.sheetnames), 7)
        r = self.lots_cli(self.viewer, "report", "annual", "--year", "2026", "--format", "html")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("<article class=\"action\"", r.stdout)
        r = self.lots_cli(self.viewer, "report", "annual", "--year", "2024")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("utanför handlingsplanens period", r.stderr)
        r = self.lots_cli(self.viewer, "report", "annual", "--format", "pdf")
        self.assertEqual(r.returncode, 1, r.stderr)  # a usage error
        # `lots report --quarter` still reaches the quarterly report.
        r = self.lots_cli(self.viewer, "report", "--quarter", "2026-Q3", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_cli_plan(self):
        r = self.lots_cli(self.viewer, "plan", "--year", "2026")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Målområde 4: Kompetensförsörjning och arbetsmarknad", r.stdout)
        line = [x for x in r.stdout.splitlines() if x.startswith("5.2")][0]
        self.assertIn("Genomförd", line)
        r = self.lots_cli(self.viewer, "plan", "show", "4.1", "--year", "2026")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Åtgärd 4.1", r.stdout)
        self.assertIn("2025: 300; 2026: 280", r.stdout)
        self.assertIn("Samverkan: 1.1 4.4", r.stdout)
        r = self.lots_cli(self.viewer, "plan", "show", "9.9")
        self.assertNotEqual(r.returncode, 0)

    def test_cli_followup_and_values(self):
        # A handler writes the follow-up of an action of their unit (1.4: upphandling) ...
        r = self.lots_cli(self.upph, "plan", "followup", "1.4", "--year", "2027", "--status",
                          "pågående", "--results", "Två utbildningar hölls.",
                          "--collaboration", "1.2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Pågående", r.stdout)
        # ... and a value: the follow-up is read and written back with If-Match, the
        # results kept.
        r = self.lots_cli(self.upph, "plan", "value", "1.4-2", "--year", "2027", "--value", "12")
        self.assertEqual(r.returncode, 0, r.stderr)
        f = self.d.req("GET", "/api/v1/plan/actions/1.4/followups/2027", token=self.viewer).json
        self.assertEqual(f["results"], "Två utbildningar hölls.")
        self.assertEqual(f["collaboration"], ["1.2"])
        self.assertEqual([(v["indicator"], v["value"]) for v in f["values"]], [("1.4-2", 12)])
        # ... but not one of another unit's actions.
        r = self.lots_cli(self.upph, "plan", "followup", "4.4", "--year", "2027", "--status",
                          "ongoing")
        self.assertNotEqual(r.returncode, 0)
        # A share as a percentage; a value for a year without a follow-up creates it.
        r = self.lots_cli(self.lots, "plan", "value", "1.3-2", "--year", "2027", "--value",
                          "72 %")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pågående", r.stdout)
        f = self.d.req("GET", "/api/v1/plan/actions/1.3/followups/2027", token=self.viewer).json
        self.assertEqual(f["status"], "ongoing")
        self.assertAlmostEqual(f["values"][0]["value"], 0.72)
        r = self.lots_cli(self.lots, "plan", "value", "1.3-2", "--year", "2027", "--clear")
        self.assertEqual(r.returncode, 0, r.stderr)
        f = self.d.req("GET", "/api/v1/plan/actions/1.3/followups/2027", token=self.viewer).json
        self.assertEqual(f["values"], [])
        # Bad input is refused before anything is sent, or by the server, and changes nothing.
        for args in (["plan", "followup", "1.3", "--year", "2027", "--status", "klar"],
                     ["plan", "followup", "1.3", "--year", "27", "--status", "ongoing"],
                     ["plan", "value", "1.3-2", "--year", "2027"],
                     ["plan", "value", "1.3-2", "--year", "2027", "--value", "many"],
                     ["plan", "value", "1.3-2", "--year", "2027", "--quarter", "2026-Q1",
                      "--value", "1"]):
            r = self.lots_cli(self.lots, *args)
            self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))  # usage errors
        r = self.lots_cli(self.lots, "plan", "value", "1.1-1", "--year", "2027", "--value", "5")
        self.assertNotEqual(r.returncode, 0)  # an auto indicator takes no value
        self.assertIn("auto", r.stderr)
        f2 = self.d.req("GET", "/api/v1/plan/actions/1.3/followups/2027", token=self.viewer).json
        self.assertEqual(f2["version"], f["version"])


if __name__ == "__main__":
    unittest.main()
