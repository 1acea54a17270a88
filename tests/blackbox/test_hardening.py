#!/usr/bin/python3
"""What an outside security probe found (issue 19), each against the real lotsd.

- item 2: log values are escaped: a username cannot forge a line or a field, and a
  failed login's username is logged only when such a user exists;
- item 5: connections are limited per peer address (256 by default; the rest 503,
  the refusal logged) and a connection that sends nothing is closed after 10 s;
- item 6: failures from other addresses never lock a user out of a clean address;
  failures from one address lock only that (username, address);
- item 8: security headers, X-Content-Type-Options once;
- item 10: a handler gets one answer for a case that does not exist and one outside
  its units;
- item 11: the last enabled admin cannot be disabled or demoted (409 last_admin), and
  `lotsd admin-reset` recovers a locked-out installation;
- item 12: at most --hash-concurrency argon2id hashes at once (memory), and a user
  keeps at most 20 sessions (the oldest revoked);
- item 13: /metrics has no duplicate series (GET and PATCH share a pattern);
- item 14: contact, close, open and decision times are 2000-01-01 .. now + 1 day;
- item 15: `lotsd init` creates missing parents of the data directory.
"""

import datetime
import http.client
import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import LOTSD, Lotsd, Response, new_orgnr  # noqa: E402


def req_from(port, source, method, path, body=None, token=None):
    """One request on a connection from source address `source` (127.0.0.x)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    h = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        h["Authorization"] = "Bearer " + token
    try:
        c.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                  headers=h)
        r = c.getresponse()
        return Response(r.status, r.getheaders(), r.read().decode("utf-8", "replace"))
    finally:
        c.close()


LOGFMT_FIELD = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "=]+)(?: |$)')


def parse_logfmt(line):
    """The fields of one logfmt line, or None when it is not well-formed."""
    fields, pos = {}, 0
    while pos < len(line):
        m = LOGFMT_FIELD.match(line, pos)
        if not m:
            return None
        fields[m.group(1)] = m.group(2)
        pos = m.end()
    return fields


def rfc3339(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Hardening(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        web = os.path.join(os.environ.get("LB_SOURCE_DIR", os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__))))), "web")
        cls.d = Lotsd(serve_args=["--web", web])
        d = cls.d
        cls.admin = d.admin_token()
        cls.lots = d.user(cls.admin, "lotta", "lots")
        cls.handler = d.user(cls.admin, "bengt", "handler", units=["bygglov"])

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    # --- item 2 ---------------------------------------------------------------

    def test_log_values_escaped(self):
        d = self.d
        forged = 'x\nts=2026-01-01T00:00:00Z level=info msg="login" user=admin'
        secret = "Hemligt-Losen-4711"  # a password typed into the username field
        for name in (forged, "x user=admin", secret, "lotta"):
            r = d.req("POST", "/api/v1/sessions", {"username": name, "password": "wrong-pass"})
            self.assertEqual(r.status, 401, r)
        time.sleep(0.3)  # lines are flushed once per loop iteration
        log = d.log()
        self.assertNotIn(secret, log, "an unknown username was logged")
        failed = []
        for line in log.splitlines():
            if not line.startswith("ts="):
                continue
            f = parse_logfmt(line)
            self.assertIsNotNone(f, "not one logfmt line: %r" % line)
            self.assertNotEqual(f["ts"], "2026-01-01T00:00:00Z", "a forged line: %r" % line)
            if f.get("msg") == '"login failed"':
                failed.append(f)
        self.assertEqual(len(failed), 4, log)
        self.assertEqual([f.get("user_known") for f in failed[:3]], ["false"] * 3)
        self.assertNotIn("user", failed[0])
        self.assertEqual(failed[3].get("user"), "lotta")

    # --- item 8 ---------------------------------------------------------------

    def test_security_headers(self):
        c = self.d.conn()
        c.request("GET", "/api/v1/me", headers={"Authorization": "Bearer " + self.lots})
        r = c.getresponse()
        r.read()
        hdrs = [(k.lower(), v) for k, v in r.getheaders()]
        c.close()
        self.assertEqual(r.status, 200)
        self.assertIn(("cache-control", "no-store"), hdrs)
        self.assertIn(("referrer-policy", "no-referrer"), hdrs)
        self.assertEqual([k for k, _ in hdrs].count("x-content-type-options"), 1)
        c = self.d.conn()
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        hdrs = [(k.lower(), v) for k, v in r.getheaders()]
        c.close()
        self.assertEqual(r.status, 200)
        csp = dict(hdrs).get("content-security-policy", "")
        self.assertIn("default-src 'self'", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertIn(("referrer-policy", "no-referrer"), hdrs)
        self.assertEqual([k for k, _ in hdrs].count("x-content-type-options"), 1)
        # The server's own answers (a malformed request) carry no-store too.
        with socket.create_connection(("127.0.0.1", self.d.port), timeout=10) as s:
            s.sendall(b"GARBAGE\r\n\r\n")
            raw = s.recv(65536).decode("latin-1").lower()
        self.assertTrue(raw.startswith("http/1.1 400"), raw)
        self.assertIn("cache-control: no-store\r\n", raw)

    # --- item 10 --------------------------------------------------------------

    def test_one_answer_outside_the_units(self):
        d = self.d
        k = d.case(self.lots, d.company(self.lots)["id"])  # no hand-off to bygglov
        year = k["number"][1:5]
        pairs = [("/api/v1/cases/" + k["number"], "/api/v1/cases/L%s-9999" % year),
                 ("/api/v1/cases/%d" % k["id"], "/api/v1/cases/999999")]
        for hidden, missing in pairs:
            a = d.req("GET", hidden, token=self.handler)
            b = d.req("GET", missing, token=self.handler)
            self.assertEqual((a.status, a.raw), (b.status, b.raw))
            self.assertEqual(a.status, 404)

    # --- item 13 --------------------------------------------------------------

    def test_metrics_without_duplicates(self):
        d = self.d
        k = d.case(self.lots, d.company(self.lots)["id"])
        self.assertEqual(d.req("GET", "/api/v1/cases/%d" % k["id"], token=self.lots).status, 200)
        r = d.req("PATCH", "/api/v1/cases/%d" % k["id"], {"subject": "Ny rubrik"}, token=self.lots)
        self.assertEqual(r.status, 200, r)
        m = d.req("GET", "/metrics").raw
        series = [line.rsplit(" ", 1)[0] for line in m.splitlines()
                  if line and not line.startswith("#")]
        dups = sorted({s for s in series if series.count(s) > 1})
        self.assertEqual(dups, [], "duplicate series")
        self.assertIn('lotsd_http_requests_total{method="PATCH",route="/api/v1/cases/{id}",'
                      'status="200"}', m)
        self.assertIn('lotsd_http_requests_total{method="GET",route="/api/v1/cases/{id}",'
                      'status="200"}', m)

    # --- item 14 --------------------------------------------------------------

    def test_time_bounds(self):
        d = self.d
        k = d.case(self.lots, d.company(self.lots)["id"])
        path = "/api/v1/cases/%d/contacts" % k["id"]
        now = datetime.datetime.now(datetime.timezone.utc)
        contact = {"channel": "phone", "direction": "inbound", "summary": "Samtal"}
        for at in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1999-12-31T23:59:59Z",
                   rfc3339(now + datetime.timedelta(days=2))):
            r = d.req("POST", path, dict(contact, at=at), token=self.lots)
            self.assertEqual((r.status, r.code, r.json["error"].get("field")),
                             (422, "out_of_range", "at"), (at, r))
        for at in ("2000-01-01T00:00:00Z", rfc3339(now + datetime.timedelta(hours=12))):
            r = d.req("POST", path, dict(contact, at=at), token=self.lots)
            self.assertEqual(r.status, 201, (at, r))
        r = d.req("POST", "/api/v1/cases/%d/close" % k["id"],
                  {"outcome": "resolved", "closed_at": "0001-01-01T00:00:00Z"}, token=self.lots)
        self.assertEqual((r.status, r.code), (422, "out_of_range"), r)
        r = d.req("POST", "/api/v1/cases", {"company_id": k["company_id"], "subject": "X",
                                             "category": "other",
                                             "opened_at": "9999-01-01T00:00:00Z"},
                  token=self.lots)
        self.assertEqual((r.status, r.code), (422, "out_of_range"), r)


class PerPeer(unittest.TestCase):
    """Item 5, with the defaults (256 per address, 10 s to the first byte)."""

    def test_per_peer_limit_and_silent_connections(self):
        with Lotsd(serve_args=["--quiet"]) as d:
            held, refused = [], 0
            try:
                for _ in range(260):
                    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
                    held.append(s)
                time.sleep(0.5)
                for s in held[256:]:
                    s.settimeout(10)
                    data = s.recv(4096)
                    if data.startswith(b"HTTP/1.1 503") and b"overloaded" in data:
                        refused += 1
                self.assertEqual(refused, 4, "connections over 256 from one address")
                # Another address is served meanwhile.
                r = req_from(d.port, "127.0.0.2", "GET", "/healthz")
                self.assertEqual(r.status, 200)
                # The held ones never sent a byte: closed about 10 s after they opened.
                t0 = time.time()
                s = held[0]
                s.settimeout(30)
                self.assertEqual(s.recv(4096), b"", "a silent connection was answered")
                self.assertLess(time.time() - t0, 20, "a silent connection was held too long")
                deadline = time.time() + 10
                while req_from(d.port, "127.0.0.1", "GET", "/healthz").status != 200:
                    self.assertLess(time.time(), deadline)
                    time.sleep(0.2)
            finally:
                for s in held:
                    s.close()
            time.sleep(0.2)
            lines = [ln for ln in d.log().splitlines() if 'msg="connection refused"' in ln]
            self.assertEqual(len(lines), 1, "refusals logged once per 10 s: %r" % lines)
            self.assertIn("reason=max_per_peer", lines[0])
            self.assertIn("peer=127.0.0.1", lines[0])


class Logins(unittest.TestCase):
    """Item 6 and item 12."""

    def test_strangers_cannot_lock_a_user_out(self):
        with Lotsd() as d:
            admin = d.admin_token()
            d.user(admin, "tora", "lots", password="tora-password-1")
            for i in range(2, 12):  # ten wrong passwords from ten addresses
                r = req_from(d.port, "127.0.0.%d" % i, "POST", "/api/v1/sessions",
                             {"username": "tora", "password": "wrong-%d" % i})
                self.assertEqual(r.status, 401, r)
            t0 = time.time()
            r = req_from(d.port, "127.0.0.20", "POST", "/api/v1/sessions",
                         {"username": "tora", "password": "tora-password-1"})
            self.assertEqual(r.status, 201, r)
            self.assertGreaterEqual(time.time() - t0, 0.9, "the username was not slowed down")
            # Ten failures from one address lock that (username, address) only.
            for _ in range(10):
                r = req_from(d.port, "127.0.0.30", "POST", "/api/v1/sessions",
                             {"username": "tora", "password": "wrong"})
                self.assertEqual(r.status, 401, r)
            r = req_from(d.port, "127.0.0.30", "POST", "/api/v1/sessions",
                         {"username": "tora", "password": "tora-password-1"})
            self.assertEqual((r.status, r.code), (429, "too_many_attempts"), r)
            self.assertGreaterEqual(int(r.headers["retry-after"]), 1)
            r = req_from(d.port, "127.0.0.21", "POST", "/api/v1/sessions",
                         {"username": "tora", "password": "tora-password-1"})
            self.assertEqual(r.status, 201, r)

    def test_sessions_per_user_capped(self):
        with Lotsd() as d:
            admin = d.admin_token()
            d.user(admin, "sara", "lots", password="sara-password-1")
            tokens = [d.login("sara", "sara-password-1") for _ in range(22)]
            alive = [d.req("GET", "/api/v1/me", token=t).status for t in tokens]
            self.assertEqual(alive, [401] * 2 + [200] * 20)

    def test_hashing_bounded(self):
        """32 parallel logins with real argon2id (64 MiB each) and --hash-concurrency 2:
        lotsd's peak resident memory grows by about 2 x 64 MiB, not one per pool thread."""
        with Lotsd(env={"LOTSBOK_PWHASH_FAST": "0"}, serve_args=["--hash-concurrency", "2",
                                                                  "--quiet"]) as d:
            admin = d.admin_token()
            d.user(admin, "hugo", "lots", password="hugo-password-1")

            def hwm():
                with open("/proc/%d/status" % d.proc.pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            return int(line.split()[1]) * 1024
            base = hwm()
            results = []

            def login():  # each waits its turn: 16 rounds of two hashes on a busy machine
                c = d.conn(timeout=300)
                results.append(d.req("POST", "/api/v1/sessions",
                                     {"username": "hugo", "password": "hugo-password-1"},
                                     conn=c).status)
                c.close()
            threads = [threading.Thread(target=login) for _ in range(32)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
            self.assertEqual(results, [201] * 32)
            grown = hwm() - base
            print("peak RSS grew by %.0f MiB for 32 parallel logins" % (grown / 2**20))
            self.assertLess(grown, 2 * 64 * 2**20 + 48 * 2**20,
                            "more than two hashes' memory at once")


class Admins(unittest.TestCase):
    """Item 11."""

    def test_last_admin_and_admin_reset(self):
        with Lotsd() as d:
            admin = d.admin_token()
            for body in ({"disabled": True}, {"role": "viewer"}):
                r = d.req("PATCH", "/api/v1/users/admin", body, token=admin)
                self.assertEqual((r.status, r.code), (409, "last_admin"), r)
            d.user(admin, "ada", "admin", password="ada-password-1")
            r = d.req("PATCH", "/api/v1/users/admin", {"disabled": True}, token=admin)
            self.assertEqual(r.status, 200, r)
            ada = d.login("ada", "ada-password-1")
            r = d.req("PATCH", "/api/v1/users/ada", {"role": "lots"}, token=ada)
            self.assertEqual((r.status, r.code), (409, "last_admin"), r)
            # Locked out (ada's password lost): admin-reset, offline.
            self.assertEqual(d.stop(), 0)
            pw = os.path.join(d.dir, "new.pw")
            with open(pw, "w") as f:
                f.write("brand-new-password-1\n")
            r = d.run("admin-reset", "--data", d.data, "--user", "admin", "--password-file", pw)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = d.run("admin-reset", "--data", d.data, "--user", "nyadmin", "--password-file", pw)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = d.run("admin-reset", "--data", d.data, "--user", "Bad Name", "--password-file", pw)
            self.assertEqual(r.returncode, 2, r.stderr)
            d.start()
            tok = d.login("admin", "brand-new-password-1")
            me = d.req("GET", "/api/v1/me", token=tok).json
            self.assertEqual((me["role"], me["disabled"]), ("admin", False))
            r = d.req("POST", "/api/v1/sessions", {"username": "admin",
                                                    "password": d.admin_password})
            self.assertEqual(r.status, 401, r)
            me = d.req("GET", "/api/v1/me", token=d.login("nyadmin", "brand-new-password-1")).json
            self.assertEqual(me["role"], "admin")
            self.assertEqual(d.run("check", "--data", d.data).returncode, 0)


class Init(unittest.TestCase):
    """Item 15."""

    def test_init_creates_parents(self):
        with Lotsd(start=False) as d:
            deep = os.path.join(d.dir, "a", "b", "data")
            pw = os.path.join(d.dir, "admin.pw")
            r = subprocess.run([LOTSD, "init", "--data", deep, "--admin", "admin",
                                "--password-file", pw], env=d.env, capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(os.path.exists(os.path.join(deep, "data.mdb")))
            for p in (os.path.join(d.dir, "a"), os.path.join(d.dir, "a", "b"), deep):
                self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o700, p)
            self.assertEqual(d.run("check", "--data", deep).returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
