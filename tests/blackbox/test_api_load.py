"""Black-box tests of lotsd under concurrency: pipelining, slow and
non-reading clients, concurrent writers with group commit, and SIGTERM in the
middle of a write load losing no acknowledged write."""

import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd, raw_exchange, statuses  # noqa: E402

CONTACT = {"channel": "phone", "direction": "inbound", "summary": "Samtal om bygglov"}


class Load(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd()
        cls.admin = cls.d.admin_token()
        cls.lots = cls.d.user(cls.admin, "lotta", "lots")
        cls.company = cls.d.company(cls.lots)

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def contacts_of(self, case_id):
        r = self.d.req("GET", "/api/v1/cases/%d" % case_id, token=self.lots)
        self.assertEqual(r.status, 200, r)
        return {c["id"] for c in r.json["contacts"]}

    def test_pipelined_in_order(self):
        case = self.d.case(self.lots, self.company["id"])
        body = json.dumps(CONTACT).encode()
        auth = b"Authorization: Bearer " + self.lots.encode() + b"\r\n"
        post = (b"POST /api/v1/cases/%d/contacts HTTP/1.1\r\nHost: x\r\n" % case["id"] + auth +
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) +
                body)
        get = b"GET /api/v1/cases/%d HTTP/1.1\r\nHost: x\r\n" % case["id"] + auth + b"\r\n"
        data = (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + post +
                b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n\r\n" + get)
        buf = raw_exchange(self.d.port, data, expect=4)
        self.assertEqual(statuses(buf), [200, 201, 401, 200])
        last = buf[buf.rfind(b"HTTP/1.1 "):]
        doc = json.loads(last[last.find(b"\r\n\r\n") + 4:])
        self.assertEqual(len(doc["contacts"]), 1)  # the read after the write sees it

    def test_slow_client_does_not_block_others(self):
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=10)
        try:
            req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            for i, b in enumerate(req):
                s.sendall(bytes([b]))
                if i % 8 == 0:
                    t0 = time.time()
                    r = self.d.req("GET", "/healthz")
                    self.assertEqual(r.status, 200)
                    self.assertLess(time.time() - t0, 1.0)
                time.sleep(0.02)
            data = s.recv(4096)
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), data)
        finally:
            s.close()

    def test_non_reading_client(self):
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=10)
        try:
            s.setblocking(False)
            req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 200
            sent = 0
            t_end = time.time() + 2
            while time.time() < t_end:
                try:
                    sent += s.send(req)
                except BlockingIOError:
                    time.sleep(0.01)
                t0 = time.time()
                r = self.d.req("GET", "/healthz")
                self.assertEqual(r.status, 200)
                self.assertLess(time.time() - t0, 1.0)
            self.assertGreater(sent, 0)
        finally:
            s.close()
        self.assertEqual(self.d.req("GET", "/healthz").status, 200)

    def writers(self, case_id, nthreads, per_thread=None, stop=None):
        """Writer threads on keep-alive connections; returns (acked ids, statuses)."""
        acked, stats, lock = [], [], threading.Lock()
        body = json.dumps(CONTACT)
        headers = {"Authorization": "Bearer " + self.lots, "Content-Type": "application/json"}

        def run():
            c = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=20)
            n = 0
            while (per_thread is None or n < per_thread) and not (stop and stop.is_set()):
                n += 1
                try:
                    c.request("POST", "/api/v1/cases/%d/contacts" % case_id, body, headers)
                    resp = c.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException):
                    break
                with lock:
                    stats.append(resp.status)
                    if resp.status == 201:
                        acked.append(json.loads(data)["id"])
            c.close()
        threads = [threading.Thread(target=run) for _ in range(nthreads)]
        for t in threads:
            t.start()
        return threads, acked, stats

    def test_concurrent_writers(self):
        case = self.d.case(self.lots, self.company["id"])
        threads, acked, stats = self.writers(case["id"], 32, per_thread=15)
        for t in threads:
            t.join()
        self.assertEqual(set(stats), {201})
        self.assertEqual(len(acked), 32 * 15)
        self.assertEqual(self.contacts_of(case["id"]), set(acked))
        m = self.d.req("GET", "/metrics").raw
        # group commit happened: some batch held more than one request
        count = [l for l in m.splitlines() if l.startswith("lotsd_commit_batch_size_count")]
        total = [l for l in m.splitlines() if l.startswith("lotsd_commit_batch_size_sum")]
        self.assertLess(int(count[0].split()[1]), int(total[0].split()[1]))

    def test_zz_sigterm_mid_load(self):
        case = self.d.case(self.lots, self.company["id"])
        stop = threading.Event()
        threads, acked, stats = self.writers(case["id"], 16, stop=stop)
        time.sleep(0.7)
        rc = self.d.stop(signal.SIGTERM)
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(rc, 0, self.d.log())
        self.assertGreater(len(acked), 0)
        self.d.start()
        self.assertTrue(set(acked) <= self.contacts_of(case["id"]))
        r = self.d.run("check", "--data", self.d.data)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
