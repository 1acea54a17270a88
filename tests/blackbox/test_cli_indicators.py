"""Black-box tests of `lots indicators` and `lots report`.

lotsd does not serve /indicators and /reports yet, so these run the real `lots`
against a small stand-in HTTP server on loopback that answers exactly as
DESIGN.md specifies (the snapshot of "Indicators", the error shape). It checks
the Swedish rendering of a snapshot (80 columns, suppressed indices, NKI/NUI
with SKR's grade), the not_computed error, and that the report is saved
unchanged with the requested format."""

import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR  # noqa: E402

LOTS = os.path.join(BUILD_DIR, "lots")

SNAPSHOT = {
    "quarter": "2026-Q1", "computed_at": "2026-04-01T02:00:00Z", "source_seq": 1234,
    "min_answers": 7,
    "lots": {"companies_guided": 41, "companies_guided_ytd": 41, "cases_opened": 52,
             "cases_closed": 47,
             "contacts": {"phone": 80, "email": 40, "visit": 6, "meeting": 9, "video": 3},
             "followups": {"due": 30, "done": 22, "no_answer": 3, "declined": 2,
                           "unreachable": 1, "response_rate": 0.88},
             "questions": {
                 "reached_right_person": {"index": 74.3, "n": 22, "ci95": [68.1, 80.5],
                                          "suppressed": False},
                 "usefulness": {"index": None, "n": 5, "ci95": None, "suppressed": True},
                 # hidden to protect another (secondary suppression): n >= min_answers
                 "treatment": {"index": None, "n": 9, "ci95": None, "suppressed": True}},
             "easy_contact": {"value": 0.86, "n": 22, "suppressed": False}},
    "units": {
        "bygglov": {"handoffs": 12,
                    "acknowledged_in_time": {"value": 0.92, "n": 12, "suppressed": False},
                    "decision_working_days": {"median": 14, "p90": 31, "n": 10}, "overdue": 1,
                    "followups": {"due": 10, "done": 9, "no_answer": 1, "declined": 0,
                                  "unreachable": 0, "response_rate": 1.0},
                    "nki": {"label": "NKI", "index": 71.2, "n": 9, "ci95": [64.0, 78.4],
                            "grade": "högt", "suppressed": False},
                    "questions": {"information": {"index": 70.0, "n": 9, "ci95": [61.2, 78.8],
                                                  "suppressed": False}},
                    "clear_and_lawful": {"value": 0.89, "n": 9, "suppressed": False}},
        "upphandling": {"handoffs": 2,
                        "acknowledged_in_time": {"value": None, "n": 2, "suppressed": True},
                        "decision_working_days": {"median": None, "p90": None, "n": 0},
                        "overdue": 0,
                        "nki": {"label": "NUI", "index": None, "n": 2, "ci95": None,
                                "grade": None, "suppressed": True}}},
    "total": {"units": ["bygglov", "miljo", "livsmedel", "serveringstillstand"],
              "beside": ["raddningstjanst", "gata_park"],
              "nki": {"label": "NKI totalt", "index": 68.4, "n": 31, "ci95": [63.0, 73.8],
                      "grade": "godkänt", "suppressed": False},
              "clear_and_lawful": {"value": 0.84, "n": 31, "suppressed": False}},
    "improvements": {"identified": 5, "implemented": 3, "identified_total": 12,
                     "implemented_total": 7},
}


class Handler(http.server.BaseHTTPRequestHandler):
    seen = []

    def log_message(self, *a):
        pass

    def answer(self, status, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        Handler.seen.append((url.path, q, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "Bearer tok":
            return self.answer(401, json.dumps({"error": {"code": "unauthorized",
                                                          "message": "no token"}}))
        if url.path == "/api/v1/indicators":
            if q.get("quarter") == "2026-Q1":
                return self.answer(200, json.dumps(SNAPSHOT, ensure_ascii=False))
            return self.answer(404, json.dumps({"error": {
                "code": "not_computed", "message": "no snapshot for this quarter",
                "field": "quarter"}}))
        if url.path == "/api/v1/reports/quarterly":
            if q.get("format") == "csv":
                return self.answer(200, "enhet;index\nbygglov;71.2\n", "text/csv")
            return self.answer(200, "<html><body>Kvartalsrapport</body></html>", "text/html")
        self.answer(404, json.dumps({"error": {"code": "not_found", "message": "no route"}}))


class IndicatorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        cls.thread = threading.Thread(target=cls.httpd.serve_forever, daemon=True)
        cls.thread.start()
        cls.home = tempfile.mkdtemp(prefix="lots-cli-ind-")
        cls.env = dict(os.environ, XDG_CONFIG_HOME=cls.home, LOTS_TOKEN="tok",
                       LOTS_SERVER="http://127.0.0.1:%d" % cls.httpd.server_address[1])
        cls.env.pop("COLUMNS", None)

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()
        cls.httpd.server_close()
        shutil.rmtree(cls.home, ignore_errors=True)

    def run_lots(self, *args):
        return subprocess.run([LOTS] + list(args), env=self.env, capture_output=True, text=True,
                              timeout=30)

    def test_snapshot_in_swedish_within_80_columns(self):
        r = self.run_lots("indicators", "--quarter", "2026-Q1")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        for line in out.splitlines():
            self.assertLessEqual(len(line), 80, line)
        for text in ("Företag guidade: 41", "52 öppnade, 47 avslutade", "Telefon 80",
                     "svarsfrekvens 88 %", "74.3 (n=22, 68.1–80.5)", "– (n=5, för få svar)",
                     "– (n=9, dold)",
                     "Bygglov", "NKI 71.2 högt (n=9)", "NUI – (n=2)", "92 % (n=12)",
                     "5 identifierade och 3 genomförda",
                     # SKR's total NKI beside the units (issue 21).
                     "NKI totalt 68.4 godkänt (n=31)"):
            self.assertIn(text, out)
        # The question's Swedish text, not its key.
        self.assertIn("rätt person", out)
        self.assertNotIn("reached_right_person", out)

    def test_json_unchanged(self):
        r = self.run_lots("--json", "indicators", "--quarter", "2026-Q1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), SNAPSHOT)

    def test_not_computed(self):
        r = self.run_lots("indicators", "--quarter", "2025-Q4")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.strip(),
                         "Fel: indikatorerna för 2025-Q4 är inte beräknade ännu")
        self.assertEqual(self.run_lots("indicators", "--quarter", "Q4").returncode, 1)

    def test_report_saved_unchanged(self):
        path = os.path.join(self.home, "rapport.csv")
        r = self.run_lots("report", "--quarter", "2026-Q1", "--format", "csv", "-o", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(path) as f:
            self.assertEqual(f.read(), "enhet;index\nbygglov;71.2\n")
        self.assertEqual(Handler.seen[-1][1], {"quarter": "2026-Q1", "format": "csv"})
        r = self.run_lots("report", "--quarter", "2026-Q1")
        self.assertEqual(r.stdout, "<html><body>Kvartalsrapport</body></html>")
        self.assertEqual(Handler.seen[-1][1]["format"], "html")
        self.assertEqual(self.run_lots("report", "--quarter", "2026-Q1", "--format",
                                       "pdf").returncode, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
