"""Black-box test of GET /api/v1/cases?…&format=xlsx and `lots case list --xlsx FILE`
against the real lotsd, read back with Debian's python3-openpyxl:

- the workbook holds every case the filters select, across more than one page of
  the JSON list (505 cases: no silent cut at 500), in the JSON list's order;
- its cells equal the JSON list's fields (number, company name, subject, owner,
  status, the company id as a number, dates as Excel dates);
- the same filters (status, owner) and roles (admin, lots; a handler is 403);
- a bad format is 400 in the contract's error shape;
- the CLI saves the same workbook.
"""

import datetime
import io
import os
import subprocess
import sys
import unittest

import openpyxl  # python3-openpyxl (scripts/deps.sh)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, Lotsd  # noqa: E402

N = 505


def get_bytes(d, path, token):
    c = d.conn(timeout=60)
    try:
        c.request("GET", path, headers={"Authorization": "Bearer " + token})
        resp = c.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        c.close()


def json_all(d, query, token):
    items, after = [], None
    while True:
        r = d.req("GET", "/api/v1/cases?limit=500" + query + ("&after=%s" % after if after else ""),
                  token=token)
        assert r.status == 200, r
        items += r.json["items"]
        after = r.json.get("next")
        if not after:
            return items


class CasesXlsxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd()
        cls.d.__enter__()
        admin = cls.d.admin_token()
        cls.admin = admin
        cls.lots = cls.d.user(admin, "lotta", "lots")
        cls.lots2 = cls.d.user(admin, "lars", "lots")
        cls.handler = cls.d.user(admin, "bo.bygg", "handler", units=["bygglov"])
        cos = [cls.d.company(cls.lots, name="Åkeri %d AB" % i) for i in range(3)]
        for i in range(N):
            tok = cls.lots if i % 5 else cls.lots2
            c = cls.d.case(tok, cos[i % 3]["id"], subject="Ärende %d om lokal" % i)
            if i % 7 == 0:
                r = cls.d.req("POST", "/api/v1/cases/%d/close" % c["id"], {"outcome": "resolved"},
                              token=tok)
                assert r.status == 200, r

    @classmethod
    def tearDownClass(cls):
        cls.d.__exit__(None, None, None)

    def workbook(self, query, token=None):
        status, headers, raw = get_bytes(self.d, "/api/v1/cases?format=xlsx" + query,
                                         token or self.lots)
        self.assertEqual(status, 200, raw[:300])
        self.assertTrue(headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        self.assertIn("attachment", headers["content-disposition"])
        return openpyxl.load_workbook(io.BytesIO(raw))

    def check_equal(self, wb, items):
        ws = wb["Ärenden"]
        self.assertEqual(wb.sheetnames, ["Ärenden"])
        self.assertEqual(ws.freeze_panes, "B2")
        rows = list(ws.iter_rows(values_only=True))
        self.assertEqual(list(rows[0]), ["Ärendenummer", "Öppnat", "Status", "Ansvarig", "Företag",
                                         "Företags-id", "Rubrik", "Kategori", "Utfall",
                                         "Avslutat"])
        self.assertEqual(len(rows) - 1, len(items))
        for row, it in zip(rows[1:], items):
            self.assertEqual(row[0], it["number"])
            self.assertIsInstance(row[1], datetime.datetime)  # a date, not text
            self.assertEqual(row[2], "Öppet" if it["status"] == "open" else "Avslutat")
            self.assertEqual(row[3], it["owner"])
            self.assertEqual(row[4], it["company_name"])
            self.assertEqual(row[5], it["company_id"])
            self.assertIsInstance(row[5], int)
            self.assertEqual(row[6], it["subject"])
            self.assertEqual(row[8] is None, it["status"] == "open")
            self.assertEqual(row[9] is None, it["closed_at"] is None)

    def test_whole_list_equals_json(self):
        items = json_all(self.d, "", self.lots)
        self.assertEqual(len(items), N)
        self.check_equal(self.workbook(""), items)
        # admin too, oldest first
        self.check_equal(self.workbook("&order=oldest", self.admin),
                         json_all(self.d, "&order=oldest", self.admin))

    def test_filters(self):
        for q in ("&status=closed", "&owner=lars", "&status=open&owner=lotta"):
            items = json_all(self.d, q, self.lots)
            self.assertGreater(len(items), 0, q)
            self.assertLess(len(items), N, q)
            self.check_equal(self.workbook(q), items)

    def test_refusals(self):
        status, _, _ = get_bytes(self.d, "/api/v1/cases?format=xlsx", self.handler)
        self.assertEqual(status, 403)
        r = self.d.req("GET", "/api/v1/cases?format=pdf", token=self.lots)
        self.assertEqual((r.status, r.code), (400, "bad_query"))
        r = self.d.req("GET", "/api/v1/cases?format=xlsx&status=x", token=self.lots)
        self.assertEqual(r.status, 400)

    def test_cli(self):
        out = os.path.join(self.d.dir, "ärenden.xlsx")
        env = dict(os.environ, LOTS_SERVER="http://127.0.0.1:%d" % self.d.port,
                   LOTS_TOKEN=self.lots, XDG_CONFIG_HOME=os.path.join(self.d.dir, "cfg"))
        r = subprocess.run([os.path.join(BUILD_DIR, "lots"), "case", "list", "--status", "closed",
                            "--xlsx", out], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ärenden.xlsx", r.stdout)
        self.check_equal(openpyxl.load_workbook(out), json_all(self.d, "&status=closed", self.lots))
        r = subprocess.run([os.path.join(BUILD_DIR, "lots"), "case", "list", "--limit", "5",
                            "--xlsx", out], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
