"""Black-box tests of what the web interface's screens need from the API
(issue 25, docs/api.md): GET /units, display names and the staff directory,
the menu counts of GET /me, the row fields of the case and call lists, a
case's owner changed, and improvement actions readable by handlers for
their own units. Against the real lotsd on a loopback port."""

import datetime
import os
import sys
import unittest
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402


def stockholm_today():
    return datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Stockholm")).date()


class ApiWeb(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd(serve_args=["--units", "bygglov=Bygglov;miljo=Miljö- och hälsoskydd;"
                                  "livsmedel=Livsmedelskontroll"])
        d = cls.d
        cls.admin = d.admin_token()
        r = d.req("POST", "/api/v1/users", {"username": "lotta", "password": "lotta-password",
                                            "role": "lots", "display_name": "Lotta Ek"},
                  token=cls.admin)
        assert r.status == 201, r
        cls.lots = d.login("lotta", "lotta-password")
        cls.lots2 = d.user(cls.admin, "olle", "lots")
        cls.handler = d.user(cls.admin, "bengt", "handler", units=["bygglov"])
        cls.miljo = d.user(cls.admin, "maja", "handler", units=["miljo"])
        cls.viewer = d.user(cls.admin, "vera", "viewer")
        cls.service = d.worker_token()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def req(self, *a, **kw):
        return self.d.req(*a, **kw)

    # --- GET /units ------------------------------------------------------------

    def test_units_are_the_configured_list_for_every_role(self):
        want = [{"key": "bygglov", "name": "Bygglov"},
                {"key": "miljo", "name": "Miljö- och hälsoskydd"},
                {"key": "livsmedel", "name": "Livsmedelskontroll"}]
        for tok in (self.admin, self.lots, self.handler, self.viewer, self.service):
            r = self.req("GET", "/api/v1/units", token=tok)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json, {"items": want})
        self.assertEqual(self.req("GET", "/api/v1/units").status, 401)

    def test_report_names_units_as_units_does(self):
        q = "2026-Q1"
        snap = {"quarter": q, "computed_at": "2026-04-01T02:00:00Z", "source_seq": 1,
                "lots": {}, "units": {"livsmedel": {"handoffs": 2}}, "improvements": {}}
        r = self.req("PUT", "/api/v1/indicators/" + q, snap, token=self.service)
        self.assertIn(r.status, (200, 201), r)
        units = {u["key"]: u["name"] for u in
                 self.req("GET", "/api/v1/units", token=self.viewer).json["items"]}
        r = self.req("GET", "/api/v1/reports/quarterly?quarter=" + q, token=self.viewer)
        self.assertEqual(r.status, 200, r)
        self.assertEqual({u["code"]: u["name"] for u in r.json["units"]}, units)
        html = self.req("GET", "/api/v1/reports/quarterly?format=html&quarter=" + q,
                        token=self.viewer).raw
        self.assertIn("Livsmedelskontroll", html)

    # --- display names and the directory -----------------------------------------

    def test_display_name_set_changed_cleared_and_validated(self):
        r = self.req("POST", "/api/v1/users", {"username": "nina", "password": "nina-password",
                                               "role": "lots", "display_name": "Nina Öst"},
                     token=self.admin)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["display_name"], "Nina Öst")
        r = self.req("PATCH", "/api/v1/users/nina", {"display_name": "Nina Öst-Berg"},
                     token=self.admin, headers={"If-Match": "1"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["display_name"], r.json["role"]), ("Nina Öst-Berg", "lots"))
        r = self.req("PATCH", "/api/v1/users/nina", {"role": "viewer"}, token=self.admin)
        self.assertEqual(r.json["display_name"], "Nina Öst-Berg", "absent keeps it")
        r = self.req("PATCH", "/api/v1/users/nina", {"display_name": None}, token=self.admin)
        self.assertIsNone(r.json["display_name"])
        for bad, code in (("", "missing_field"), ("x" * 201, "too_long"), (5, "invalid_type")):
            r = self.req("PATCH", "/api/v1/users/nina", {"display_name": bad}, token=self.admin)
            self.assertEqual((r.status, r.code, r.json["error"].get("field")),
                             (422, code, "display_name"), r)
        # the name is personal data: it goes into no event
        ev = self.req("GET", "/api/v1/events?after=0&limit=500", token=self.admin).json["items"]
        self.assertFalse([e for e in ev if "Nina" in str(e)], "display name in an event")

    def test_me_carries_the_display_name(self):
        r = self.req("GET", "/api/v1/me", token=self.lots)
        self.assertEqual((r.json["username"], r.json["display_name"]), ("lotta", "Lotta Ek"))

    def test_directory_for_lots_and_handlers_only(self):
        for tok in (self.lots, self.handler):
            r = self.req("GET", "/api/v1/users", token=tok)
            self.assertEqual(r.status, 200, r)
            lotta = [u for u in r.json["items"] if u["username"] == "lotta"]
            self.assertEqual(lotta, [{"username": "lotta", "display_name": "Lotta Ek",
                                      "role": "lots", "units": [], "disabled": False}])
            self.assertFalse([u for u in r.json["items"] if u["role"] == "service"])
            bengt = [u for u in r.json["items"] if u["username"] == "bengt"][0]
            self.assertEqual(bengt["units"], ["bygglov"])
        self.assertEqual(self.req("GET", "/api/v1/users", token=self.viewer).status, 403)
        r = self.req("GET", "/api/v1/users", token=self.admin)
        self.assertTrue(all("version" in u for u in r.json["items"]), "the admin's full records")

    # --- the menu counts of GET /me -------------------------------------------------

    def test_me_counts(self):
        d = self.d
        today = stockholm_today()
        company = d.company(self.lots)
        case = d.case(self.lots, company["id"])
        before = self.req("GET", "/api/v1/me", token=self.lots).json["counts"]
        bygg_before = self.req("GET", "/api/v1/me", token=self.handler).json["counts"]
        for due, who, key in ((today, "lotta", "c1"), (today - datetime.timedelta(days=3), "lotta", "c2"),
                              (today + datetime.timedelta(days=1), "lotta", "c3"),
                              (today, "olle", "c4")):
            r = self.req("POST", "/api/v1/followups",
                         {"company_id": company["id"], "due": due.isoformat(), "assignee": who,
                          "items": [{"kind": "lots", "case_id": case["id"]}]},
                         token=self.service, headers={"Idempotency-Key": "counts-" + key})
            self.assertEqual(r.status, 201, r)
        d.handoff(self.lots, case["id"], "bygglov")
        acked = d.handoff(self.lots, case["id"], "bygglov")
        self.assertEqual(self.req("POST", "/api/v1/handoffs/%d/acknowledge" % acked["id"], {},
                                  token=self.handler).status, 200)
        d.handoff(self.lots, case["id"], "miljo")
        me = self.req("GET", "/api/v1/me", token=self.lots).json["counts"]
        self.assertEqual(me["followups_due"] - before["followups_due"], 2, "due today and earlier")
        self.assertEqual(me["handoffs_new"] - before["handoffs_new"], 2, "every unit, sent only")
        h = self.req("GET", "/api/v1/me", token=self.handler).json["counts"]
        self.assertEqual(set(h), {"handoffs_new"})
        self.assertEqual(h["handoffs_new"] - bygg_before["handoffs_new"], 1, "own units, sent only")
        self.assertEqual(self.req("GET", "/api/v1/me", token=self.viewer).json["counts"], {})

    # --- the rows of the lists -----------------------------------------------------

    def test_case_list_rows_carry_the_company_name(self):
        a = self.d.company(self.lots, name="Radarbolaget AB")
        b = self.d.company(self.lots, name="Ö-bolaget HB")
        ka = self.d.case(self.lots, a["id"])
        kb = self.d.case(self.lots, b["id"])
        items = self.req("GET", "/api/v1/cases?limit=500", token=self.lots).json["items"]
        names = {k["id"]: k["company_name"] for k in items}
        self.assertEqual((names[ka["id"]], names[kb["id"]]), ("Radarbolaget AB", "Ö-bolaget HB"))

    def test_call_rows_carry_company_and_cases(self):
        c = self.d.company(self.lots, name="Båtvarvet i Grisslehamn AB")
        k = self.d.case(self.lots, c["id"], subject="Strandskydd för ny brygga")
        r = self.req("POST", "/api/v1/followups",
                     {"company_id": c["id"], "due": "2026-06-01", "assignee": "lotta",
                      "items": [{"kind": "lots", "case_id": k["id"]}]},
                     token=self.service, headers={"Idempotency-Key": "rows-1"})
        self.assertEqual(r.status, 201, r)
        # the worker's answer is kept for its idempotency and holds no names
        self.assertNotIn("company_name", r.json)
        self.assertNotIn("case_subject", r.json["items"][0])
        fid = r.json["id"]
        g = self.req("GET", "/api/v1/followups/%d" % fid, token=self.lots).json
        self.assertEqual(g["company_name"], "Båtvarvet i Grisslehamn AB")
        self.assertEqual((g["items"][0]["case_number"], g["items"][0]["case_subject"]),
                         (k["number"], "Strandskydd för ny brygga"))
        rows = self.req("GET", "/api/v1/followups?assignee=lotta&limit=500", token=self.lots).json
        row = [x for x in rows["items"] if x["id"] == fid][0]
        self.assertEqual((row["company_name"], row["items"][0]["case_number"]),
                         ("Båtvarvet i Grisslehamn AB", k["number"]))

    # --- a case's owner ---------------------------------------------------------------

    def test_case_owner_changed_to_another_lots(self):
        c = self.d.company(self.lots)
        k = self.d.case(self.lots, c["id"])
        url = "/api/v1/cases/%d" % k["id"]
        for bad, code in (("bengt", "unknown_user"), ("nobody", "unknown_user"),
                          (None, "missing_field"), (7, "invalid_type")):
            r = self.req("PATCH", url, {"owner": bad}, token=self.lots)
            self.assertEqual((r.status, r.code, r.json["error"].get("field")), (422, code, "owner"), r)
        self.assertEqual(self.req("GET", url, token=self.lots).json["version"], 1, "nothing changed")
        r = self.req("PATCH", url, {"owner": "olle"}, token=self.lots, headers={"If-Match": "1"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["owner"], r.json["version"]), ("olle", 2))
        mine = self.req("GET", "/api/v1/cases?owner=olle&limit=500", token=self.lots).json["items"]
        self.assertIn(k["id"], [x["id"] for x in mine])
        hers = self.req("GET", "/api/v1/cases?owner=lotta&limit=500", token=self.lots).json["items"]
        self.assertNotIn(k["id"], [x["id"] for x in hers])
        ev = self.req("GET", "/api/v1/events?after=0&limit=500", token=self.admin).json["items"]
        upd = [e for e in ev if e["type"] == "case.updated" and e["id"] == k["id"]]
        self.assertEqual(upd[-1]["data"]["owner"], "olle")
        # a disabled lots cannot take a case
        self.req("PATCH", "/api/v1/users/olle", {"disabled": True}, token=self.admin)
        r = self.req("PATCH", url, {"owner": "olle"}, token=self.lots)
        self.assertEqual((r.status, r.code), (422, "unknown_user"))
        self.req("PATCH", "/api/v1/users/olle", {"disabled": False}, token=self.admin)
        self.__class__.lots2 = self.d.login("olle", "olle-password")
        # the administrator still sets legal_hold only
        r = self.req("PATCH", url, {"owner": "lotta"}, token=self.admin)
        self.assertEqual(r.status, 403, r)

    # --- improvement actions for handlers -------------------------------------------------

    def test_handlers_read_their_units_improvements(self):
        ids = {}
        for unit in ("bygglov", "miljo", None):
            body = {"title": "Åtgärd för %s" % unit}
            if unit:
                body["unit"] = unit
            r = self.req("POST", "/api/v1/improvements", body, token=self.lots)
            self.assertEqual(r.status, 201, r)
            ids[unit] = r.json["id"]
        seen = {x["id"] for x in self.req("GET", "/api/v1/improvements?limit=500",
                                          token=self.handler).json["items"]}
        self.assertIn(ids["bygglov"], seen)
        self.assertNotIn(ids["miljo"], seen)
        self.assertNotIn(ids[None], seen)
        seen = {x["id"] for x in self.req("GET", "/api/v1/improvements?limit=500",
                                          token=self.viewer).json["items"]}
        self.assertTrue(set(ids.values()) <= seen)
        r = self.req("POST", "/api/v1/improvements", {"title": "x", "unit": "bygglov"},
                     token=self.handler)
        self.assertEqual(r.status, 403)


if __name__ == "__main__":
    unittest.main(verbosity=2)
