#!/usr/bin/python3
"""test_plan_api: the action plan through lotsd: `lotsd plan load`, every /plan
route for every role, If-Match, validation that changes nothing, the events,
and indicator values (auto from PUT snapshots, manual, restated lines,
milestones). Real lotsd on a loopback port, temp data directory; Debian's
/usr/bin/python3."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd, SOURCE_DIR  # noqa: E402

PLAN = os.path.join(SOURCE_DIR, "data", "plan-norrtalje-2025-2030.json")
NOW = "2026-11-16T10:00:00Z"


class PlanApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd(start=False, env={"LOTSBOK_NOW": NOW})
        cls.load_out = [cls.d.run("plan", "load", "--data", cls.d.data, PLAN) for _ in range(2)]
        cls.d.start()
        d = cls.d
        cls.admin = d.admin_token()
        cls.lots = d.user(cls.admin, "anna.lots", "lots")
        cls.bygg = d.user(cls.admin, "bygg.h", "handler", units=["bygglov"])
        cls.upph = d.user(cls.admin, "upph.h", "handler", units=["upphandling"])
        cls.viewer = d.user(cls.admin, "arbetsgrupp", "viewer")
        cls.worker = d.worker_token()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def req(self, *a, **kw):
        return self.d.req(*a, **kw)

    def put_fu(self, code, year, body, token=None, if_match=None):
        h = {"If-Match": str(if_match)} if if_match is not None else None
        return self.req("PUT", "/api/v1/plan/actions/%s/followups/%s" % (code, year), body,
                        token=token or self.lots, headers=h)

    def events(self, prefix):
        r = self.req("GET", "/api/v1/events?after=0&limit=500", token=self.admin)
        self.assertEqual(r.status, 200, r)
        return [e for e in r.json["items"] if e["type"].startswith(prefix)]

    # --- loading ----------------------------------------------------------------

    def test_load_is_idempotent(self):
        first, second = self.load_out
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("17 created", first.stdout)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("0 created, 0 updated, 17 unchanged; header unchanged", second.stdout)
        created = self.events("plan.action.created")
        self.assertEqual(len([e for e in created if e["actor"] == "lotsd"]), 17)
        self.assertEqual(len(self.events("plan.updated")), 1)
        e = [x for x in created if x["data"]["code"] == "1.2"][0]
        self.assertEqual(e["data"]["area"], 1)
        self.assertIn("bygglov", e["data"]["units"])
        self.assertEqual(e["data"]["indicators"], 5)

    def test_load_refuses_a_bad_file(self):
        with open(PLAN, encoding="utf-8") as f:
            doc = json.load(f)
        doc["areas"][0]["actions"][1]["indicators"][0]["kind"] = "guess"
        path = os.path.join(self.d.dir, "bad.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        r = self.d.run("plan", "load", "--data", self.d.data, path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("actions[1].indicators[0].kind", r.stderr)
        r = self.d.run("plan", "load", "--data", self.d.data, os.path.join(self.d.dir, "none.json"))
        self.assertEqual(r.returncode, 1)

    # --- reading --------------------------------------------------------------------

    def test_every_role_reads_the_plan(self):
        for tok in (self.admin, self.lots, self.bygg, self.viewer, self.worker):
            r = self.req("GET", "/api/v1/plan", token=tok)
            self.assertEqual(r.status, 200, r)
            p = r.json
            self.assertEqual(p["year"], 2026)
            self.assertEqual([a["number"] for a in p["areas"]], [1, 2, 3, 4, 5, 6])
            codes = [a["code"] for area in p["areas"] for a in area["actions"]]
            self.assertGreaterEqual(len(codes), 17)
            ind = p["areas"][0]["actions"][0]["indicators"][0]
            for k in ("id", "name", "kind", "source", "unit", "direction", "target", "due"):
                self.assertIn(k, ind)
        self.assertEqual(self.req("GET", "/api/v1/plan").status, 401)
        self.assertEqual(self.req("GET", "/api/v1/plan?year=20x6", token=self.lots).code,
                         "bad_query")
        r = self.req("GET", "/api/v1/plan?year=2025", token=self.viewer)
        self.assertEqual(r.json["year"], 2025)

    def test_action_page(self):
        r = self.req("GET", "/api/v1/plan/actions/1.2", token=self.viewer)
        self.assertEqual(r.status, 200, r)
        a = r.json
        self.assertEqual(a["code"], "1.2")
        self.assertEqual(a["area_title"], "Effektiv service och myndighetsutövning")
        self.assertIn("upphandling", a["units"])
        self.assertEqual(a["period"], {"from": 2025, "to": 2030})
        self.assertEqual(sorted(a["values"]), ["1.2-1", "1.2-2", "1.2-3", "1.2-4", "1.2-5"])
        self.assertEqual([i["period"] for i in a["values"]["1.2-1"]],
                         ["2025", "2026", "2027", "2028", "2029", "2030"])
        self.assertEqual(self.req("GET", "/api/v1/plan/actions/9.9", token=self.lots).status, 404)
        self.assertEqual(self.req("GET", "/api/v1/plan/actions/1.2/followups/2026",
                                  token=self.lots).status, 404)

    # --- follow-ups -------------------------------------------------------------------

    def test_followup_write_if_match_and_events(self):
        body = {"status": "ongoing", "results": "Utbildning genomförd för 46 medarbetare.",
                "values": [{"indicator": "1.3-2", "period": "2026", "value": 0.42}],
                "collaboration": ["1.1", "1.2"], "adjustment": None,
                "comment": "Digital utbildning lanseras i januari."}
        r = self.put_fu("1.3", 2026, body)
        self.assertEqual(r.status, 201, r)
        f = r.json
        self.assertEqual((f["version"], f["status"], f["status_label"]), (1, "ongoing", "Pågående"))
        self.assertEqual(f["updated_by"], "anna.lots")
        self.assertEqual(f["values"][0]["by"], "anna.lots")
        self.assertEqual(f["values"][0]["at"], NOW)
        self.assertEqual(r.headers["location"], "/api/v1/plan/actions/1.3/followups/2026")
        ev = [e for e in self.events("plan.followup.updated") if e["data"]["code"] == "1.3"]
        self.assertEqual(ev[-1]["data"], {"code": "1.3", "year": 2026, "status": "ongoing",
                                          "values": 1})
        self.assertNotIn("medarbetare", json.dumps(ev))

        body["status"] = "completed"
        r = self.put_fu("1.3", 2026, body, token=self.admin, if_match=1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["version"], 2)
        # The value did not change: its stamp is still the lots's.
        self.assertEqual(r.json["values"][0]["by"], "anna.lots")
        self.assertEqual(r.json["updated_by"], "admin")
        r = self.put_fu("1.3", 2026, body, if_match=1)
        self.assertEqual((r.status, r.code), (412, "stale"))
        r = self.req("GET", "/api/v1/plan/actions/1.3/followups/2026", token=self.viewer)
        self.assertEqual((r.status, r.json["version"], r.json["status"]), (200, 2, "completed"))
        # A follow-up not yet written has no version to match.
        self.assertEqual(self.put_fu("1.3", 2027, {"status": "ongoing"}, if_match=1).status, 412)

    def test_followup_refusals_change_nothing(self):
        self.assertEqual(self.put_fu("2.1", 2026, {"status": "ongoing"}).status, 201)
        bad = [
            ({"status": "half_done"}, 422, "invalid_enum", "status"),
            ({}, 422, "missing_field", "status"),
            ({"status": "ongoing", "values": [{"indicator": "2.1-1", "period": "2026",
                                               "value": -3}]}, 422, "invalid_field",
             "values[0].value"),
            ({"status": "ongoing", "values": [{"indicator": "2.1-9", "period": "2026",
                                               "value": 3}]}, 422, "unknown_indicator",
             "values[0].indicator"),
            ({"status": "ongoing", "values": [{"indicator": "2.1-1", "period": "2026-Q3",
                                               "value": 3}]}, 422, "invalid_field",
             "values[0].period"),
            ({"status": "ongoing", "values": [{"indicator": "2.1-1", "period": "2025",
                                               "value": 3}]}, 422, "invalid_field",
             "values[0].period"),
            ({"status": "ongoing", "values": [{"indicator": "2.1-1", "period": "2026", "value": 3},
                                              {"indicator": "2.1-1", "period": "2026", "value": 4}]},
             422, "duplicate", "values[1]"),
            ({"status": "ongoing", "collaboration": ["7.7"]}, 422, "unknown_action",
             "collaboration[0]"),
            ({"status": "ongoing", "collaboration": ["2.1"]}, 422, "invalid_field",
             "collaboration[0]"),
            ({"status": "ongoing", "mood": "good"}, 422, "unknown_field", "mood"),
            ({"status": "ongoing", "comment": "x" * 10001}, 422, "too_long", "comment"),
        ]
        for body, status, code, field in bad:
            r = self.put_fu("2.1", 2026, body)
            self.assertEqual((r.status, r.code), (status, code), (body, r))
            self.assertEqual(r.json["error"].get("field"), field, body)
        r = self.put_fu("1.1", 2026, {"status": "ongoing", "values": [
            {"indicator": "1.1-1", "period": "2026", "value": 40}]})
        self.assertEqual((r.status, r.code), (422, "auto_indicator"))
        r = self.put_fu("4.1", 2026, {"status": "ongoing", "values": [
            {"indicator": "4.1-7", "period": "2026", "value": 40}]})
        self.assertEqual((r.status, r.code), (422, "recorded_elsewhere"))
        self.assertEqual(self.put_fu("2.1", 2031, {"status": "ongoing"}).code, "year_outside_plan")
        self.assertEqual(self.put_fu("2.1", "20x6", {"status": "ongoing"}).status, 404)
        self.assertEqual(self.put_fu("9.9", 2026, {"status": "ongoing"}).status, 404)
        r = self.req("PUT", "/api/v1/plan/actions/2.1/followups/2026", raw=b"{no json",
                     token=self.lots, headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        r = self.req("GET", "/api/v1/plan/actions/2.1/followups/2026", token=self.lots)
        self.assertEqual((r.json["version"], r.json["values"]), (1, []))

    def test_who_may_follow_up(self):
        body = {"status": "ongoing"}
        self.assertEqual(self.put_fu("1.4", 2026, body, token=self.viewer).status, 403)
        self.assertEqual(self.put_fu("1.4", 2026, body, token=self.worker).status, 403)
        # 1.4's unit is upphandling: its handler may, bygglov's may not.
        r = self.put_fu("1.4", 2026, body, token=self.bygg)
        self.assertEqual((r.status, r.code), (403, "forbidden"))
        self.assertEqual(self.put_fu("1.4", 2026, body, token=self.upph).status, 201)
        # 1.2 names bygglov among its units.
        self.assertEqual(self.put_fu("1.2", 2026, body, token=self.bygg).status, 201)
        self.assertEqual(self.put_fu("6.4", 2026, body, token=self.bygg).status, 403)

    # --- actions ----------------------------------------------------------------------

    def test_patch_action(self):
        r = self.req("GET", "/api/v1/plan/actions/6.2", token=self.lots)
        acts = r.json["activities"]
        v = r.json["version"]
        acts[0]["done"] = True
        r = self.req("PATCH", "/api/v1/plan/actions/6.2", {"activities": acts, "owner": "anna.lots"},
                     token=self.lots, headers={"If-Match": str(v)})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["version"], r.json["owner"]), (v + 1, "anna.lots"))
        self.assertTrue(r.json["activities"][0]["done"])
        self.assertEqual(len(r.json["indicators"]), 4)
        r = self.req("PATCH", "/api/v1/plan/actions/6.2", {"comment": "x"}, token=self.lots,
                     headers={"If-Match": str(v)})
        self.assertEqual(r.status, 412)
        for body, code, field in [({"code": "6.9"}, "invalid_field", "code"),
                                  ({"colour": "red"}, "unknown_field", "colour"),
                                  ({"owner": "nobody"}, "unknown_user", "owner"),
                                  ({"units": ["bygglovet"]}, "unknown_unit", "units[0]"),
                                  ({"indicators": [{"name": "X", "kind": "auto", "unit": "count",
                                                    "source": "weather"}]},
                                   "invalid_enum", "indicators[0].source")]:
            r = self.req("PATCH", "/api/v1/plan/actions/6.2", body, token=self.admin)
            self.assertEqual((r.status, r.code), (422, code), (body, r))
            self.assertEqual(r.json["error"]["field"], field)
        for tok in (self.bygg, self.viewer, self.worker):
            self.assertEqual(self.req("PATCH", "/api/v1/plan/actions/6.2", {"comment": "x"},
                                      token=tok).status, 403)
        self.assertEqual(self.req("PATCH", "/api/v1/plan/actions/9.9", {"comment": "x"},
                                  token=self.lots).status, 404)
        r = self.req("GET", "/api/v1/plan/actions/6.2", token=self.viewer)
        self.assertEqual(r.json["version"], v + 1)
        ev = [e for e in self.events("plan.action.updated") if e["data"]["code"] == "6.2"]
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["actor"], "anna.lots")

        # Reloading the file keeps the owner and the activity marked done.
        out = self.d.run("plan", "load", "--data", self.d.data, PLAN)
        self.assertEqual(out.returncode, 0, out.stderr)
        r = self.req("GET", "/api/v1/plan/actions/6.2", token=self.viewer)
        self.assertEqual(r.json["owner"], "anna.lots")
        self.assertTrue(r.json["activities"][0]["done"])

    def test_post_action_and_quarterly_values(self):
        body = {"code": "6.5", "area": 6, "title": "Företagsbesök med kommunledningen",
                "followup_frequency": "quarterly",
                "indicators": [{"name": "Antal företagsbesök", "kind": "manual", "unit": "count",
                                "direction": "at_least", "target": {"2026": 12}}]}
        self.assertEqual(self.req("POST", "/api/v1/plan/actions", body, token=self.lots).status, 403)
        r = self.req("POST", "/api/v1/plan/actions", body, token=self.admin)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["indicators"][0]["id"], "6.5-1")
        self.assertEqual(r.headers["location"], "/api/v1/plan/actions/6.5")
        self.assertEqual(self.req("POST", "/api/v1/plan/actions", body, token=self.admin).status, 409)
        bad = dict(body, code="9.1", area=9)
        self.assertEqual(self.req("POST", "/api/v1/plan/actions", bad, token=self.admin).code,
                         "unknown_area")
        bad = dict(body, code="5.9")
        self.assertEqual(self.req("POST", "/api/v1/plan/actions", bad, token=self.admin).json
                         ["error"]["field"], "code")
        r = self.put_fu("6.5", 2026, {"status": "ongoing", "values": [
            {"indicator": "6.5-1", "period": "2026-Q3", "value": 4},
            {"indicator": "6.5-1", "period": "2026", "value": 13}]})
        self.assertEqual(r.status, 201, r)
        r = self.req("GET", "/api/v1/plan/indicators/6.5-1/values?from=2026-Q2&to=2026-Q4",
                     token=self.viewer)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(i["period"], i["value"]) for i in r.json["items"]],
                         [("2026-Q2", None), ("2026-Q3", 4), ("2026-Q4", None)])
        r = self.req("GET", "/api/v1/plan/indicators/6.5-1/values?from=2026&to=2026",
                     token=self.viewer)
        self.assertEqual(r.json["items"], [{"period": "2026", "value": 13, "origin": "manual",
                                            "target": 12}])

    def test_values(self):
        r = self.put_fu("4.1", 2026, {"status": "ongoing", "values": [
            {"indicator": "4.1-1", "period": "2026", "value": 412},
            {"indicator": "4.1-11", "period": "2026", "value": 380}]})
        self.assertEqual(r.status, 201, r)
        r = self.req("GET", "/api/v1/plan/indicators/4.1-7/values", token=self.viewer)
        self.assertEqual(r.status, 200, r)
        items = {i["period"]: i for i in r.json["items"]}
        self.assertEqual(sorted(items), ["2025", "2026", "2027", "2028", "2029", "2030"])
        self.assertEqual(items["2026"]["value"], 412)  # restates 4.1-1
        self.assertEqual((items["2025"]["value"], items["2025"]["reason"]), (None, "not_recorded"))
        self.assertEqual(r.json["indicator"]["direction"], "decrease")

        r = self.put_fu("6.1", 2025, {"status": "completed", "values": [
            {"indicator": "6.1-2", "period": "2025", "done": "2025-12-10"}]})
        self.assertEqual(r.status, 201, r)
        r = self.req("GET", "/api/v1/plan/indicators/6.1-2/values?from=2025&to=2026",
                     token=self.lots)
        self.assertEqual([i["value"] for i in r.json["items"]], ["2025-12-10", None])
        r = self.put_fu("6.1", 2024, {"status": "completed"})
        self.assertEqual(r.code, "year_outside_plan")

        snap = {"quarter": "2026-Q3", "source_seq": 1, "computed_at": NOW,
                "lots": {"companies_guided": 37,
                         "questions": {"usefulness": {"index": None, "n": 5, "ci95": None,
                                                      "suppressed": True},
                                       "website_information": {"index": 71.5, "n": 22,
                                                               "ci95": [66.0, 77.0],
                                                               "suppressed": False}}},
                "units": {}}
        r = self.req("PUT", "/api/v1/indicators/2026-Q3", snap, token=self.worker)
        self.assertEqual(r.status, 200, r)
        r = self.req("GET", "/api/v1/plan/indicators/1.1-1/values?from=2026-Q2&to=2026-Q3",
                     token=self.viewer)
        self.assertEqual(r.json["items"], [
            {"period": "2026-Q2", "value": None, "origin": "auto", "reason": "not_computed"},
            {"period": "2026-Q3", "value": 37, "origin": "auto"}])
        r = self.req("GET", "/api/v1/plan/indicators/1.1-3/values?from=2026-Q3&to=2026-Q3",
                     token=self.viewer)
        self.assertEqual(r.json["items"], [{"period": "2026-Q3", "value": None, "origin": "auto",
                                            "n": 5, "suppressed": True, "reason": "suppressed"}])
        r = self.req("GET", "/api/v1/plan/indicators/6.4-1/values?from=2026-Q3&to=2026-Q3",
                     token=self.viewer)
        self.assertEqual(r.json["items"], [{"period": "2026-Q3", "value": 71.5, "origin": "auto",
                                            "n": 22, "ci95": [66.0, 77.0], "suppressed": False}])
        # The published document when there is one (json_public), for every role:
        # the plan and its report read what viewers read.
        live = {"quarter": "2026-Q4", "source_seq": 2, "computed_at": NOW,
                "lots": {"companies_guided": 50}, "units": {},
                "published": {"quarter": "2026-Q4", "lots": {"companies_guided": 44},
                              "units": {}}}
        r = self.req("PUT", "/api/v1/indicators/2026-Q4", live, token=self.worker)
        self.assertEqual(r.status, 200, r)
        for tok in (self.viewer, self.lots):
            r = self.req("GET", "/api/v1/plan/indicators/1.1-1/values?from=2026-Q4&to=2026-Q4",
                         token=tok)
            self.assertEqual(r.json["items"], [{"period": "2026-Q4", "value": 44,
                                                "origin": "auto"}])
        # Meetings come from lotsd's meeting records (docs/meetings.md): none
        # held in 2026 here, so 0; a year not begun is not computed.
        r = self.req("GET", "/api/v1/plan/indicators/3.1-1/values?from=2026&to=2027",
                     token=self.viewer)
        self.assertEqual(r.json["items"], [{"period": "2026", "value": 0, "origin": "auto",
                                            "target": 2},
                                           {"period": "2027", "value": None, "origin": "auto",
                                            "reason": "not_computed", "target": 2}])
        for q, code in [("?from=2026&to=2026-Q2", "bad_query"), ("?from=2026-Q5", "bad_query"),
                        ("?from=2027&to=2026", "bad_query"), ("?from=2000&to=2099", "bad_query")]:
            r = self.req("GET", "/api/v1/plan/indicators/1.1-1/values" + q, token=self.viewer)
            self.assertEqual((r.status, r.code), (400, code), q)
        for bad in ("1.1-99", "9.9-1", "nonsense"):
            r = self.req("GET", "/api/v1/plan/indicators/%s/values" % bad, token=self.viewer)
            self.assertEqual(r.status, 404, bad)

    def test_zz_persists_and_checks(self):
        self.d.restart(env={"LOTSBOK_NOW": NOW})
        r = self.req("GET", "/api/v1/plan", token=self.lots)
        self.assertEqual(r.status, 200)
        self.d.stop()
        out = self.d.run("check", "--data", self.d.data)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.d.start(env={"LOTSBOK_NOW": NOW})


class NoPlan(unittest.TestCase):
    def test_no_plan_loaded(self):
        with Lotsd() as d:
            tok = d.admin_token()
            r = d.req("GET", "/api/v1/plan", token=tok)
            self.assertEqual((r.status, r.code), (404, "plan_not_loaded"))
            r = d.req("POST", "/api/v1/plan/actions", {"code": "1.1", "area": 1, "title": "X"},
                      token=tok)
            self.assertEqual((r.status, r.code), (404, "plan_not_loaded"))
            self.assertEqual(d.req("GET", "/api/v1/plan/actions/1.1", token=tok).status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
