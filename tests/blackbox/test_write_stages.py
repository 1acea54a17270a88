"""Black-box test of the durable write's time breakdown on /metrics
(lotsd_write_stage_seconds_total, lotsd_commit_seconds_total; docs/api.md,
"Metrics"): present, counting exactly the queued writes, and consistent with
the commit thread's own totals and the request latency histogram."""

import os
import re
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402

STAGES = ("parse", "queue", "ops", "commit", "wake", "answer")
BODY = {"channel": "phone", "direction": "inbound", "summary": "Frågade om bygglov"}


def counters(d):
    text = d.req("GET", "/metrics").raw
    v = {}
    for st in STAGES:
        m = re.search(r'^lotsd_write_stage_seconds_total\{stage="%s"\} ([\d.]+)$' % st, text,
                      re.M)
        v[st] = float(m.group(1)) if m else None
    for part in ("ops", "commit"):
        m = re.search(r'^lotsd_commit_seconds_total\{part="%s"\} ([\d.]+)$' % part, text, re.M)
        v["batch_" + part] = float(m.group(1)) if m else None
    for name in ("lotsd_write_stage_writes_total", "lotsd_commit_batch_size_sum",
                 "lotsd_commit_batch_size_count"):
        m = re.search(r"^%s (\d+)$" % name, text, re.M)
        v[name] = int(m.group(1)) if m else None
    m = re.search(r"^lotsd_http_request_duration_seconds_sum ([\d.]+)$", text, re.M)
    v["lat_sum"] = float(m.group(1)) if m else None
    return v


def delta(a, b):
    return {k: b[k] - a[k] for k in a}


class WriteStages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd()
        d = cls.d
        admin = d.admin_token()
        cls.lots = d.user(admin, "lotta", "lots")
        cls.case = d.case(cls.lots, d.company(cls.lots)["id"])["id"]

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def post(self):
        return self.d.req("POST", "/api/v1/cases/%d/contacts" % self.case, BODY, token=self.lots)

    def test_a_sequential_writes_add_up(self):
        """One write at a time: every batch holds one write, so the writes'
        ops and commit stages equal the batches' own totals, and every stage
        together is the writes' time in the server (at most the latency
        histogram's sum over the same interval, which also holds the GET
        /metrics between)."""
        c0 = counters(self.d)
        for k, v in c0.items():
            self.assertIsNotNone(v, "%s missing on /metrics" % k)
        n = 12
        for _ in range(n):
            self.assertEqual(self.post().status, 201)
        dd = delta(c0, counters(self.d))
        self.assertEqual(dd["lotsd_write_stage_writes_total"], n)
        self.assertEqual(dd["lotsd_commit_batch_size_count"], n)
        for st in STAGES:
            self.assertGreaterEqual(dd[st], 0, st)
        # A durable commit takes time; each batch's is each write's here.
        self.assertGreater(dd["commit"], 0)
        self.assertGreater(dd["parse"], 0)
        self.assertAlmostEqual(dd["commit"], dd["batch_commit"], delta=n * 2e-9)
        self.assertAlmostEqual(dd["ops"], dd["batch_ops"], delta=n * 2e-9)
        total = sum(dd[st] for st in STAGES)
        # The histogram counts whole µs, truncated: up to 1 µs a request less.
        self.assertLessEqual(total, dd["lat_sum"] + (n + 1) * 1e-6 + 1e-5)
        self.assertGreater(total, dd["commit"])

    def test_b_concurrent_writes_counted_once(self):
        """Writes from several connections share commits: each is counted
        once, and each waits out its whole batch's commit (so the writes'
        commit stage is at least the batches' commit time)."""
        c0 = counters(self.d)
        statuses = []
        lock = threading.Lock()

        def client():
            for _ in range(10):
                s = self.post().status
                with lock:
                    statuses.append(s)

        ts = [threading.Thread(target=client) for _ in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(statuses, [201] * 60)
        dd = delta(c0, counters(self.d))
        self.assertEqual(dd["lotsd_write_stage_writes_total"], 60)
        self.assertEqual(dd["lotsd_commit_batch_size_sum"], 60)
        self.assertGreaterEqual(dd["commit"] + 60 * 2e-9, dd["batch_commit"])
        self.assertGreater(dd["batch_commit"], 0)

    def test_c_refused_write_not_counted(self):
        """A write refused before it is queued (malformed) is no queued write."""
        c0 = counters(self.d)
        r = self.d.req("POST", "/api/v1/cases/%d/contacts" % self.case, {"channel": "brev"},
                       token=self.lots)
        self.assertEqual(r.status, 422, r)
        dd = delta(c0, counters(self.d))
        self.assertEqual(dd["lotsd_write_stage_writes_total"], 0)


if __name__ == "__main__":
    unittest.main()
