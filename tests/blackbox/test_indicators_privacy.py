"""Black-box tests of issue 20 against a real lotsd and a real lots-worker: each
answer counts once, and the open quarter does not leak a single answer.

1. A merged call counts once per section: company X has two lotsärenden closed
   the same day (the worker merges the second lots item into the first call),
   company Y two miljö hand-offs decided the same day (two miljö items in one
   call). Each call is recorded once with one answer set per section. The
   snapshot counts one respondent and one done call in `lots` and in `miljo`,
   and two calls in `lots.calls`. A stored snapshot with the old double count is
   repaired by `lots-worker recompute --all`, with an `indicators.updated` event.
2. The open quarter across midnight (LOTSBOK_NOW, lotsd and worker restarted on
   the next days): viewers see the lots function's indices as they stood at the
   end of the previous day, and only when the day's change rests on at least 7
   new answers; lots sees the live figures.
3. A hand-off sent today is not yet counted in "acknowledged within 2 working
   days" while inside its window; the first day after it, unacknowledged, it
   counts as late."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, Lotsd  # noqa: E402

WORKER = os.path.join(BUILD_DIR, "lots-worker")

# Tuesday 10 February 2026, 22:30 in Stockholm (CET): late on day 1.
DAY1 = "2026-02-10T21:30:00Z"
# 00:30 on Wednesday 11 February in Stockholm: day 1 has ended.
AFTER1 = "2026-02-10T23:30:00Z"
DAY2 = "2026-02-11T09:00:00Z"
AFTER2 = "2026-02-11T23:30:00Z"
DAY3 = "2026-02-12T09:00:00Z"
AFTER3 = "2026-02-12T23:30:00Z"
# Tuesday 17 February: three working days after Thursday the 12th (Friday,
# Monday, Tuesday), the first day past a hand-off's 2-day window.
LATER = "2026-02-17T09:00:00Z"


def wait_until(pred, timeout=30.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


class Privacy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Lotsd(env={"LOTSBOK_NOW": DAY1})
        cls.worker = None
        cls.wlog = os.path.join(cls.srv.dir, "worker.log")
        try:
            admin = cls.srv.admin_token()
            cls.lots = cls.srv.user(admin, "lotsen", "lots")
            cls.handler = cls.srv.user(admin, "miljohandl", "handler", units=["miljo"])
            cls.viewer = cls.srv.user(admin, "arbetsgrupp", "viewer")
            cls.admin = admin
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stop_worker()
        if os.environ.get("KEEP_BB"):
            print("kept", cls.srv.dir)
            cls.srv.kill()
        else:
            cls.srv.close()

    @classmethod
    def worker_args(cls):
        return ["--server", "http://127.0.0.1:%d" % cls.srv.port,
                "--token-file", os.path.join(cls.srv.data, "worker.token"),
                "--replay", cls.srv.replay]

    @classmethod
    def start_worker(cls, now):
        env = dict(cls.srv.env)
        env["LOTSBOK_NOW"] = now
        cls.worker_now = now
        log = open(cls.wlog, "a")
        cls.wlog_offset = log.tell()
        cls.worker = subprocess.Popen(
            [WORKER, "--data", os.path.join(cls.srv.dir, "wdata"), "--sub", cls.srv.pub,
             "--heartbeat-ms", "300", "--indicators-debounce-ms", "100", "--verbose"]
            + cls.worker_args(), env=env, stdout=log, stderr=log)
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

    def at(self, lotsd_now, worker_now):
        """Both clocks moved: lotsd and the worker restarted with new instants."""
        self.stop_worker()
        self.srv.restart(env={"LOTSBOK_NOW": lotsd_now})
        self.login_all()  # sessions expire across the days
        self.start_worker(worker_now)

    @classmethod
    def login_all(cls):
        s = cls.srv
        cls.admin = s.admin_token()
        cls.lots = s.login("lotsen", "lotsen-password")
        cls.handler = s.login("miljohandl", "miljohandl-password")
        cls.viewer = s.login("arbetsgrupp", "arbetsgrupp-password")

    def written(self):
        """Whether this worker has written (or found stored) the Q1 snapshot: its
        first write after a start; documents equal to the stored ones keep
        their first computed_at, so that cannot be waited for."""
        with open(self.wlog, "rb") as f:
            f.seek(self.wlog_offset)
            text = f.read().decode("utf-8", "replace")
        return 'msg="indicators written" period=2026-Q1 ' in text

    def q1(self, token, cond=None, what="the Q1 snapshot"):
        wait_until(self.written, what="the worker's first write")
        def get():
            r = self.srv.req("GET", "/api/v1/indicators?quarter=2026-Q1", token=token)
            if r.status != 200:
                return None
            return r.json if cond is None or cond(r.json) else None
        return wait_until(get, what=what)

    def calls(self, company_id, n_items):
        def get():
            r = self.srv.req("GET", "/api/v1/followups?status=scheduled&limit=500",
                             token=self.lots)
            for f in r.json["items"]:
                if f["company_id"] == company_id and len(f["items"]) == n_items:
                    return f
            return None
        return wait_until(get, what="a call with %d items" % n_items)

    def record(self, f, answers):
        r = self.srv.req("POST", "/api/v1/followups/%d/result" % f["id"],
                         {"status": "done", "answers": answers}, token=self.lots)
        self.assertEqual(r.status, 200, r)

    def closed_case(self, company_id):
        c = self.srv.case(self.lots, company_id)
        r = self.srv.req("POST", "/api/v1/cases/%d/close" % c["id"], {"outcome": "resolved"},
                         token=self.lots)
        self.assertEqual(r.status, 200, r)
        return c

    def test_everything(self):
        # One test method: the steps share one lotsd and its clock.
        self.merged_calls()
        self.open_quarter_across_midnight()
        self.handoff_window()

    def merged_calls(self):
        s = self.srv
        self.start_worker(DAY1)
        x = s.company(self.lots)
        self.closed_case(x["id"])
        self.calls(x["id"], 1)
        self.closed_case(x["id"])
        fx = self.calls(x["id"], 2)  # the second case merged into the first call
        self.assertEqual({i["kind"] for i in fx["items"]}, {"lots"})
        y = s.company(self.lots)
        case = s.case(self.lots, y["id"])
        hs = [s.handoff(self.lots, case["id"], unit="miljo") for _ in range(2)]
        for h in hs:
            for step, body in (("acknowledge", {}), ("decide", {"decision": "granted"})):
                r = s.req("POST", "/api/v1/handoffs/%d/%s" % (h["id"], step), body,
                          token=self.handler)
                self.assertEqual(r.status, 200, r)
        fy = self.calls(y["id"], 2)
        self.assertEqual([i["unit"] for i in fy["items"]], ["miljo", "miljo"])
        self.record(fx, {"lots": {"usefulness": 5, "reached_right_person": 4,
                                  "easy_contact": True}})
        self.record(fy, {"miljo": {"nki_overall": 5, "nki_expectations": 4, "nki_ideal": 4,
                                   "clear_and_lawful": True}})
        live = self.q1(self.lots, lambda d: d["lots"]["calls"]["done"] == 2,
                       what="both calls counted")
        lots, miljo = live["lots"], live["units"]["miljo"]
        # Once per section: one respondent, one done, one due, though two items each.
        self.assertEqual(lots["followups"]["done"], 1)
        self.assertEqual(lots["followups"]["due"], 1)
        self.assertEqual(lots["questions"]["usefulness"]["n"], 1)
        self.assertEqual(lots["easy_contact"]["n"], 1)
        self.assertEqual(miljo["followups"]["done"], 1)
        self.assertEqual(miljo["followups"]["due"], 1)
        self.assertEqual(miljo["nki"]["n"], 1)
        self.assertEqual(miljo["questions"]["nki_overall"]["n"], 1)
        self.assertEqual(miljo["clear_and_lawful"]["n"], 1)
        self.assertEqual(live["total"]["nki"]["n"], 1)
        # The calls themselves: two due, two made.
        self.assertEqual(lots["calls"]["due"], 2)
        self.assertEqual(lots["calls"]["done"], 2)

        # A snapshot stored with the old double count is repaired by recompute --all.
        wt = s.worker_token()
        bad = json.loads(json.dumps(live))
        bad["lots"]["followups"]["done"] = 2
        bad["units"]["miljo"]["nki"]["n"] = 2
        bad["source_seq"] = live["source_seq"]
        r = s.req("PUT", "/api/v1/indicators/2026-Q1", bad, token=wt,
                  headers={"Idempotency-Key": "old-worker-1"})
        self.assertEqual(r.status, 200, r)
        self.stop_worker()  # only recompute writes now
        seq_before = s.req("GET", "/healthz").json["seq"]
        env = dict(s.env)
        env["LOTSBOK_NOW"] = DAY1
        rc = subprocess.run([WORKER, "recompute", "--all"] + self.worker_args(), env=env,
                            capture_output=True, text=True, timeout=60)
        self.assertEqual(rc.returncode, 0, rc.stderr)
        periods = [json.loads(line).get("quarter") or json.loads(line).get("year")
                   for line in rc.stdout.splitlines()]
        self.assertEqual(periods, ["2026-Q1", "2026"])
        fixed = s.req("GET", "/api/v1/indicators?quarter=2026-Q1", token=self.lots).json
        self.assertEqual(fixed["lots"]["followups"]["done"], 1)
        self.assertEqual(fixed["units"]["miljo"]["nki"]["n"], 1)
        ev = s.req("GET", "/api/v1/events?after=%d&limit=50" % seq_before, token=self.admin).json
        upd = [e for e in ev["items"] if e["type"] == "indicators.updated"]
        self.assertEqual([e["data"].get("quarter") or e["data"].get("year") for e in upd],
                         ["2026-Q1", "2026"])
        # recompute --help answers without a token file; the worker's --help names it.
        h = subprocess.run([WORKER, "recompute", "--help"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(h.returncode, 0, h.stderr)
        self.assertIn("--all", h.stdout)
        h = subprocess.run([WORKER, "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(h.returncode, 0)
        self.assertIn("recompute", h.stdout)

    def lots_answers(self, n, value):
        """n companies, each a closed case and its call recorded with usefulness = value."""
        for _ in range(n):
            c = self.srv.company(self.lots)
            self.closed_case(c["id"])
            self.record(self.calls(c["id"], 1), {"lots": {"usefulness": value}})

    def open_quarter_across_midnight(self):
        # Day 1 (22:30): the merged call's answer and 7 more usefulness answers of 6.
        self.start_worker(DAY1)
        self.lots_answers(7, 6)
        live = self.q1(self.lots, lambda d: d["lots"]["questions"]["usefulness"]["n"] == 8)
        # 5, then seven 6s: (80 + 7 x 100) / 8 = 97.5.
        self.assertEqual(live["lots"]["questions"]["usefulness"]["index"], 97.5)
        pub = self.q1(self.viewer, lambda d: d["lots"]["followups"]["done"] == 8)
        # Counts are live for viewers; the day has not ended, so no index yet.
        self.assertEqual(pub["lots"]["questions"]["usefulness"]["n"], 0)
        self.assertIsNone(pub["lots"]["questions"]["usefulness"]["index"])
        # The quarterly report shows what viewers see.
        rep = self.srv.req("GET", "/api/v1/reports/quarterly?quarter=2026-Q1&format=json",
                           token=self.lots).json
        self.assertEqual(rep["indicators"]["lots"]["questions"]["usefulness"]["n"], 0)

        # 00:30 the next day: day 1 is closed; its step was 8 answers.
        self.at(DAY2, AFTER1)
        pub = self.q1(self.viewer)
        self.assertEqual(pub["lots"]["questions"]["usefulness"]["n"], 8)
        self.assertEqual(pub["lots"]["questions"]["usefulness"]["index"], 97.5)

        # Day 2: three answers of 1. Live moves at once; viewers still see day 1,
        # also once day 2 has ended (a step of 3 < 7).
        self.at(DAY2, DAY2)
        self.lots_answers(3, 1)
        live = self.q1(self.lots, lambda d: d["lots"]["questions"]["usefulness"]["n"] == 11)
        self.assertEqual(live["lots"]["questions"]["usefulness"]["index"], 70.9)  # 780 / 11
        self.assertEqual(self.q1(self.viewer)["lots"]["questions"]["usefulness"]["n"], 8)
        self.at(DAY3, AFTER2)
        pub = self.q1(self.viewer)
        self.assertEqual(pub["lots"]["questions"]["usefulness"]["n"], 8)
        self.assertEqual(pub["lots"]["questions"]["usefulness"]["index"], 97.5)

        # Day 3: four more answers of 1: 7 since the last step, published after midnight.
        self.at(DAY3, DAY3)
        self.lots_answers(4, 1)
        self.q1(self.lots, lambda d: d["lots"]["questions"]["usefulness"]["n"] == 15)
        self.assertEqual(self.q1(self.viewer)["lots"]["questions"]["usefulness"]["n"], 8)
        self.at(DAY3, AFTER3)
        pub = self.q1(self.viewer)
        self.assertEqual(pub["lots"]["questions"]["usefulness"]["n"], 15)
        self.assertEqual(pub["lots"]["questions"]["usefulness"]["index"], 52.0)  # 780 / 15
        # A handler reads what viewers read; lots the live figures (the same now).
        self.assertEqual(self.q1(self.handler)["lots"]["questions"], pub["lots"]["questions"])

    def handoff_window(self):
        # Day 3 (Thursday 12 February): a bygglov hand-off sent and not acknowledged.
        self.at(DAY3, DAY3)
        c = self.srv.company(self.lots)
        case = self.srv.case(self.lots, c["id"])
        self.srv.handoff(self.lots, case["id"], unit="bygglov")
        snap = self.q1(self.lots, lambda d: d["units"]["bygglov"]["handoffs"] == 1)
        # Inside its window: not counted (it used to count as late at once).
        self.assertEqual(snap["units"]["bygglov"]["acknowledged_in_time"],
                         {"value": None, "n": 0, "suppressed": False})
        # Monday 16 February it is still inside (Friday, Monday); Tuesday it is late.
        self.stop_worker()
        self.start_worker("2026-02-16T09:00:00Z")
        snap = self.q1(self.lots)
        self.assertEqual(snap["units"]["bygglov"]["acknowledged_in_time"]["n"], 0)
        self.stop_worker()
        self.start_worker(LATER)
        snap = self.q1(self.lots)
        self.assertEqual(snap["units"]["bygglov"]["acknowledged_in_time"],
                         {"value": 0.0, "n": 1, "suppressed": False})


if __name__ == "__main__":
    unittest.main()
