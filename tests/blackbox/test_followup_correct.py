"""Black-box test of correcting a recorded call's answers the same day (issue 26,
item 2), against a real lotsd and a real lots-worker.

Monday 2 February 2026 (LOTSBOK_NOW): a call covering the lots function and
bygglov is recorded done with low answers; the worker (--min-answers 1, so one
respondent's index is shown) publishes the quarter's snapshot. The lots then
corrects some answers with PATCH /followups/{id}/result: the record holds the
new answers and the audit trail (who, when, before, after), one
followup.corrected event carries both answer sets, and the worker's snapshot
follows (the corrected answers replace the old ones; the call still counts
once) with an indicators.updated event. A bad value is 422 and changes
nothing; a handler and a viewer get 403; a call not done is 409
invalid_transition; a stale If-Match is 412; on Tuesday (lotsd restarted on the
next day) the same correction is 409 correction_closed, and `lots followup
correct` says so in Swedish."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, Lotsd  # noqa: E402

WORKER = os.path.join(BUILD_DIR, "lots-worker")
MONDAY = "2026-02-02T09:00:00Z"
TUESDAY = "2026-02-03T08:00:00Z"  # 09:00 in Stockholm: the next day


def wait_until(pred, timeout=30.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


class FollowupCorrect(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Lotsd(env={"LOTSBOK_NOW": MONDAY})
        cls.worker = None
        try:
            s = cls.srv
            admin = cls.admin = s.admin_token()
            cls.lots = s.user(admin, "lotsen", "lots")
            cls.handler = s.user(admin, "byggare", "handler", units=["bygglov"])
            cls.viewer = s.user(admin, "arbetsgrupp", "viewer")
            cls.start_worker()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stop_worker()
        cls.srv.close()

    @classmethod
    def start_worker(cls):
        env = dict(cls.srv.env)
        env["LOTSBOK_NOW"] = MONDAY
        log = open(os.path.join(cls.srv.dir, "worker.log"), "a")
        cls.worker = subprocess.Popen(
            [WORKER, "--data", os.path.join(cls.srv.dir, "wdata"), "--sub", cls.srv.pub,
             "--heartbeat-ms", "300", "--indicators-debounce-ms", "100", "--min-answers", "1",
             "--server", "http://127.0.0.1:%d" % cls.srv.port,
             "--token-file", os.path.join(cls.srv.data, "worker.token"),
             "--replay", cls.srv.replay], env=env, stdout=log, stderr=log)
        log.close()

    @classmethod
    def stop_worker(cls):
        if cls.worker is not None and cls.worker.poll() is None:
            cls.worker.terminate()
            try:
                cls.worker.wait(10)
            except subprocess.TimeoutExpired:
                cls.worker.kill()
                cls.worker.wait()
        cls.worker = None

    def req(self, *a, **kw):
        return self.srv.req(*a, **kw)

    def call(self, record=None):
        """A call with a lots item and a bygglov item, recorded done with
        `record` answers (None: left scheduled)."""
        s = self.srv
        co = s.company(self.lots)
        case = s.case(self.lots, co["id"])
        h = s.handoff(self.lots, case["id"], "bygglov")
        body = {"company_id": co["id"], "due": "2026-02-02", "assignee": "lotsen",
                "items": [{"kind": "lots", "case_id": case["id"]},
                          {"kind": "unit", "case_id": case["id"], "handoff_id": h["id"]}]}
        r = self.req("POST", "/api/v1/followups", body, token=s.worker_token(),
                     headers={"Idempotency-Key": "fu-correct-%d" % case["id"]})
        self.assertEqual(r.status, 201, r)
        fu = r.json
        if record is not None:
            r = self.req("POST", "/api/v1/followups/%d/result" % fu["id"],
                         {"status": "done", "answers": record}, token=self.lots)
            self.assertEqual(r.status, 200, r)
            fu = r.json
        return fu

    def events(self, type_):
        r = self.req("GET", "/api/v1/events?after=0&limit=500", token=self.admin)
        self.assertEqual(r.status, 200, r)
        return [e for e in r.json["items"] if e["type"] == type_]

    def snapshot(self):
        r = self.req("GET", "/api/v1/indicators?quarter=2026-Q1", token=self.lots)
        return r.json if r.status == 200 else None

    def test_a_same_day_correction_the_next_day_closed(self):
        low = {"lots": {"usefulness": 2, "easy_contact": False},
               "bygglov": {"nki_overall": 2, "nki_expectations": 2, "nki_ideal": 2,
                           "clear_and_lawful": False}}
        fu = self.call(low)
        seq_recorded = max(e["seq"] for e in self.events("followup.recorded"))
        # The worker counts the recorded answers: one respondent, NKI (2-1)/5*100 = 20.
        snap = wait_until(lambda: (lambda d: d if d and d["source_seq"] >= seq_recorded else None)(
            self.snapshot()), what="the snapshot with the recorded call")
        b = snap["units"]["bygglov"]
        self.assertEqual(b["nki"]["index"], 20.0)
        self.assertEqual(b["clear_and_lawful"]["value"], 0.0)
        self.assertEqual(snap["lots"]["questions"]["usefulness"]["index"], 20.0)

        path = "/api/v1/followups/%d/result" % fu["id"]
        fix = {"bygglov": {"nki_overall": 5, "nki_expectations": 5, "nki_ideal": 5,
                           "clear_and_lawful": True},
               "lots": {"usefulness": 6, "treatment": 4}}

        # Refused, and nothing changes: a bad value (422), another role (403),
        # unknown fields (422), a stale version (412).
        for body, field in (({"answers": {"bygglov": {"nki_overall": 7}}},
                             "answers.bygglov.nki_overall"),
                            ({"answers": {"miljo": {"nki_overall": 3}}}, "answers.miljo"),
                            ({"answers": {"lots": {"easy_contact": "ja"}}},
                             "answers.lots.easy_contact"),
                            ({"answers": {}}, "answers"),
                            ({"answers": fix, "status": "declined"}, "status"),
                            ({"answers": fix, "comment": "x"}, "comment")):
            r = self.req("PATCH", path, body, token=self.lots)
            self.assertEqual(r.status, 422, (body, r))
            self.assertEqual(r.json["error"]["field"], field, r)
        for tok in (self.handler, self.viewer):
            r = self.req("PATCH", path, {"answers": fix}, token=tok)
            self.assertEqual(r.status, 403, r)
            self.assertEqual(r.code, "forbidden")
        r = self.req("PATCH", path, {"answers": fix}, token=self.lots,
                     headers={"If-Match": str(fu["version"] + 5)})
        self.assertEqual(r.status, 412, r)
        got = self.req("GET", "/api/v1/followups/%d" % fu["id"], token=self.lots).json
        self.assertEqual(got["answers"], fu["answers"])
        self.assertEqual(got["version"], fu["version"])
        self.assertEqual(got["corrections"], [])
        self.assertEqual(self.events("followup.corrected"), [])

        # A call not recorded done has nothing to correct.
        other = self.call()
        r = self.req("PATCH", "/api/v1/followups/%d/result" % other["id"], {"answers": fix},
                     token=self.lots)
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.code, "invalid_transition")

        # The same day: corrected, with If-Match.
        r = self.req("PATCH", path, {"answers": fix}, token=self.lots,
                     headers={"If-Match": str(fu["version"])})
        self.assertEqual(r.status, 200, r)
        c = r.json
        self.assertEqual(c["status"], "done")
        self.assertEqual(c["version"], fu["version"] + 1)
        self.assertEqual(c["answers"]["bygglov"]["nki_overall"], 5)
        self.assertIs(c["answers"]["bygglov"]["clear_and_lawful"], True)
        self.assertEqual(c["answers"]["lots"]["usefulness"], 6)
        self.assertEqual(c["answers"]["lots"]["treatment"], 4)
        self.assertIs(c["answers"]["lots"]["easy_contact"], False)  # not named: stays
        trail = {(k["item"], k["question"]): (k["before"], k["after"]) for k in c["corrections"]}
        self.assertEqual(trail, {("bygglov", "nki_overall"): (2, 5),
                                 ("bygglov", "nki_expectations"): (2, 5),
                                 ("bygglov", "nki_ideal"): (2, 5),
                                 ("bygglov", "clear_and_lawful"): (False, True),
                                 ("lots", "usefulness"): (2, 6),
                                 ("lots", "treatment"): (None, 4)})
        self.assertTrue(all(k["by"] == "lotsen" and k["at"].startswith("2026-02-02T09:00")
                            for k in c["corrections"]))
        self.assertEqual(self.req("GET", "/api/v1/followups/%d" % fu["id"],
                                  token=self.lots).json["answers"], c["answers"])

        # One event with both answer sets, and no free text.
        evs = self.events("followup.corrected")
        self.assertEqual(len(evs), 1, evs)
        ev = evs[0]
        self.assertEqual(ev["id"], fu["id"])
        self.assertEqual(ev["actor"], "lotsen")
        d = ev["data"]
        self.assertEqual(d["result"], "done")
        self.assertEqual(d["status"], "done")
        self.assertEqual(d["answers"]["bygglov"]["nki_overall"], 5)
        self.assertEqual(d["answers"]["lots"]["treatment"], 4)
        self.assertEqual(d["previous_answers"]["bygglov"]["nki_overall"], 2)
        self.assertNotIn("treatment", d["previous_answers"]["lots"])
        self.assertIn("recorded_at", d)

        # The same answers again: 200, nothing new (no version, no event).
        r = self.req("PATCH", path, {"answers": {"lots": {"usefulness": 6}}}, token=self.lots)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["version"], c["version"])
        self.assertEqual(len(self.events("followup.corrected")), 1)

        # The worker follows: the corrected answers replace the old ones, the
        # call still counts once; the snapshot comes with indicators.updated.
        seq = ev["seq"]
        snap = wait_until(lambda: (lambda d: d if d and d["source_seq"] >= seq else None)(
            self.snapshot()), what="the snapshot after the correction")
        b = snap["units"]["bygglov"]
        self.assertEqual(b["nki"]["index"], 80.0)  # (5-1)/5*100
        self.assertEqual(b["nki"]["n"], 1)
        self.assertEqual(b["clear_and_lawful"]["value"], 1.0)
        self.assertEqual(b["followups"]["done"], 1)
        q = snap["lots"]["questions"]
        self.assertEqual(q["usefulness"]["index"], 100.0)
        self.assertEqual(q["usefulness"]["n"], 1)
        self.assertEqual(q["treatment"]["n"], 1)
        self.assertEqual(snap["lots"]["calls"]["done"], 1)
        upd = [e for e in self.events("indicators.updated")
               if e["data"].get("quarter") == "2026-Q1" and e["data"]["source_seq"] >= seq]
        self.assertTrue(upd, "no indicators.updated after the correction")
        # lots-worker recompute rebuilds the same figures from the log.
        env = dict(self.srv.env)
        env["LOTSBOK_NOW"] = MONDAY
        rc = subprocess.run([WORKER, "recompute", "--all", "--min-answers", "1",
                             "--server", "http://127.0.0.1:%d" % self.srv.port,
                             "--token-file", os.path.join(self.srv.data, "worker.token"),
                             "--replay", self.srv.replay],
                            env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(rc.returncode, 0, rc.stderr)
        again = self.snapshot()
        self.assertEqual(again["units"]["bygglov"]["nki"]["index"], 80.0)
        self.assertEqual(again["lots"]["questions"]["usefulness"]["index"], 100.0)

        # Tuesday: the day has ended, the answers stand.
        self.stop_worker()
        self.srv.restart(env={"LOTSBOK_NOW": TUESDAY})
        lots = self.srv.login("lotsen", "lotsen-password")
        r = self.req("PATCH", path, {"answers": {"lots": {"usefulness": 1}}}, token=lots)
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.code, "correction_closed")
        # `lots followup correct` says why in Swedish (exit 2, rejected).
        env = dict(os.environ)
        env.update({"LOTS_SERVER": "http://127.0.0.1:%d" % self.srv.port, "LOTS_TOKEN": lots,
                    "XDG_CONFIG_HOME": os.path.join(self.srv.dir, "cfg")})
        cli = subprocess.run([os.path.join(BUILD_DIR, "lots"), "followup", "correct",
                              str(fu["id"]), "--answer", "lots.usefulness=1"],
                             env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(cli.returncode, 2, cli.stdout + cli.stderr)
        self.assertIn("samma dag", cli.stderr)
        got = self.req("GET", "/api/v1/followups/%d" % fu["id"], token=lots).json
        self.assertEqual(got["answers"]["lots"]["usefulness"], 6)
        self.assertEqual(got["version"], c["version"])


if __name__ == "__main__":
    unittest.main()
