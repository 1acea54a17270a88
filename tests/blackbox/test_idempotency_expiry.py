#!/usr/bin/python3
"""Stored Idempotency-Key answers expire, and anonymisation deletes them
(issue 19, item 1).

- After POST /companies/{id}/anonymize, repeating the original requests with
  their keys (company, case, contact, hand-off, follow-up result) never returns
  the first answer: each is processed anew (a new record, or the refusal a new
  request gets). A compacting backup taken after the anonymisation holds none of
  the answers' text (`strings`-like search of data.mdb).
- A user's answer is replayed for 24 hours (--idempotency-hours) and then the
  key is free again; --idempotency-hours 2 shortens that. The clock is
  LOTSBOK_NOW, lotsd restarted at each instant.
- The worker SIGKILLed right after lotsd answered 201 to its follow-up (a proxy
  between them kills it before the answer reaches it), restarted 25 hours later
  (past the users' expiry): it repeats the request with the same ev-<seq>-lots
  key and gets the stored answer back; exactly one follow-up exists.
"""

import http.client
import http.server
import json
import os
import re
import signal
import socketserver
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, LOTSD, Lotsd, new_orgnr  # noqa: E402

WORKER = os.path.join(BUILD_DIR, "lots-worker")
T0 = "2026-04-08T08:00:00Z"


def at(hours):
    """T0 + hours as RFC 3339 (hours may be fractional)."""
    base = time.mktime(time.strptime(T0, "%Y-%m-%dT%H:%M:%SZ"))
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.localtime(base + hours * 3600))


def strings(path, minlen=4):
    """The printable runs of a file, as `strings` prints them."""
    with open(path, "rb") as f:
        data = f.read()
    return [m.group().decode("ascii", "replace")
            for m in re.finditer(rb"[\x20-\x7e]{%d,}" % minlen, data)]


class Expiry(unittest.TestCase):
    def setUp(self):
        os.environ["TZ"] = "UTC"
        time.tzset()

    def restart(self, d, hours, extra=()):
        d.stop()
        d.start(extra_args=["--session-hours", "1000"] + list(extra),
                env={"LOTSBOK_NOW": at(hours)})

    def test_replay_after_anonymisation_and_backup(self):
        with Lotsd(env={"LOTSBOK_NOW": T0}) as d:
            admin = d.admin_token()
            lots = d.user(admin, "lotsa", "lots")
            key = iter("k-%d" % i for i in range(100))
            sent = []  # (path, body, key, first answer)

            def post(path, body, token=lots):
                k = next(key)
                r = d.req("POST", path, body, token=token, headers={"Idempotency-Key": k})
                self.assertIn(r.status, (200, 201), r)
                sent.append((path, body, k, r, token))
                return r.json

            co = post("/api/v1/companies", {
                "orgnr": new_orgnr(), "name": "Kvarnholmens Plåt AB",
                "contacts": [{"name": "Gunvor Zylbersztajn", "phone": "070-111 22 33",
                              "email": "gunvor.zylbersztajn@example.se"}]})
            case = post("/api/v1/cases", {"company_id": co["id"], "subject": "Lager i Rimbo",
                                          "category": "establishment",
                                          "description": "Zylbersztajn vill bygga ut lagret"})
            post("/api/v1/cases/%d/contacts" % case["id"],
                 {"channel": "phone", "direction": "inbound",
                  "summary": "Samtal med Zylbersztajn om bygglovet"})
            post("/api/v1/cases/%d/handoffs" % case["id"],
                 {"unit": "bygglov", "note": "Zylbersztajn behöver förhandsbesked"})
            wtok = d.worker_token()
            fu = d.req("POST", "/api/v1/followups",
                       {"company_id": co["id"], "due": "2026-04-20", "assignee": "lotsa",
                        "items": [{"kind": "lots", "case_id": case["id"]}]},
                       token=wtok, headers={"Idempotency-Key": "ev-999999-lots"})
            self.assertEqual(fu.status, 201, fu)
            post("/api/v1/followups/%d/result" % fu.json["id"],
                 {"status": "declined", "comment": "Zylbersztajn avböjde uppföljningen"})
            for _, _, _, r, _ in sent:
                self.assertIn("Zylbersztajn", r.raw)

            r = d.req("POST", "/api/v1/companies/%d/anonymize" % co["id"],
                      {"reason": "erasure_request"}, token=admin)
            self.assertEqual(r.status, 200, r)

            # A backup after the anonymisation holds none of the answers.
            dest = os.path.join(d.dir, "backup")
            b = d.run("backup", "--data", d.data, "--to", dest)
            self.assertEqual(b.returncode, 0, b.stderr)
            hits = [s for s in strings(os.path.join(dest, "data.mdb")) if "Zylbersztajn" in s]
            self.assertEqual(hits, [], "the backup still holds stored answers")

            # Every key answers anew: never the first answer's body.
            for path, body, k, first, token in sent:
                again = d.req("POST", path, body, token=token, headers={"Idempotency-Key": k})
                self.assertNotEqual(again.raw, first.raw,
                                    "%s replayed the answer stored before anonymisation" % path)
                if again.status in (200, 201) and "id" in (again.json or {}):
                    self.assertNotEqual(again.json["id"], first.json["id"], path)
            self.assertEqual(d.run("check", "--data", d.data).returncode, 0)

    def test_user_key_expires_after_24_hours(self):
        with Lotsd(env={"LOTSBOK_NOW": T0}, serve_args=["--session-hours", "1000"]) as d:
            admin = d.admin_token()
            d.user(admin, "lotsa", "lots")
            lots = d.login("lotsa", "lotsa-password")
            co = d.company(lots)
            case = d.case(lots, co["id"])
            body = {"channel": "phone", "direction": "outbound", "summary": "Ringde om lokalen",
                    "at": T0}
            path = "/api/v1/cases/%d/contacts" % case["id"]
            hdr = {"Idempotency-Key": "contact-1"}
            first = d.req("POST", path, body, token=lots, headers=hdr)
            self.assertEqual(first.status, 201, first)

            self.restart(d, 23.9)
            again = d.req("POST", path, body, token=lots, headers=hdr)
            self.assertEqual((again.status, again.raw), (first.status, first.raw),
                             "within 24 h the first answer")

            self.restart(d, 24.01)
            fresh = d.req("POST", path, body, token=lots, headers=hdr)
            self.assertEqual(fresh.status, 201, fresh)
            self.assertNotEqual(fresh.json["id"], first.json["id"], "after 24 h a new contact")
            # ...and that new answer is the one replayed now.
            self.assertEqual(d.req("POST", path, body, token=lots, headers=hdr).raw, fresh.raw)

            # --idempotency-hours 2: a key used at 24.01 h is free at 26.1 h.
            self.restart(d, 26.1, ["--idempotency-hours", "2"])
            third = d.req("POST", path, body, token=lots, headers=hdr)
            self.assertEqual(third.status, 201, third)
            self.assertNotEqual(third.json["id"], fresh.json["id"])
            bad = d.run("serve", "--data", d.data, "--idempotency-hours", "0")
            self.assertEqual(bad.returncode, 2, bad.stderr)

    def test_worker_killed_after_2xx_restarted_after_expiry(self):
        with Lotsd(env={"LOTSBOK_NOW": T0},
                   serve_args=["--session-hours", "1000", "--idempotency-hours", "24"]) as d:
            admin = d.admin_token()
            d.user(admin, "lotsa", "lots")
            lots = d.login("lotsa", "lotsa-password")
            wdata = os.path.join(d.dir, "worker")
            killed = threading.Event()
            state = {"proc": None, "followup_posts": 0}

            class Proxy(http.server.BaseHTTPRequestHandler):
                """Forwards to lotsd; SIGKILLs the worker once lotsd has
                answered its first POST /followups, before it gets the answer."""
                protocol_version = "HTTP/1.1"

                def log_message(self, *a):
                    pass

                def handle_one(self):
                    n = int(self.headers.get("Content-Length") or 0)
                    data = self.rfile.read(n) if n else None
                    hdr = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "content-length")}
                    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
                    c.request(self.command, self.path, body=data, headers=hdr)
                    resp = c.getresponse()
                    out = resp.read()
                    c.close()
                    if (self.command == "POST" and self.path == "/api/v1/followups"
                            and not killed.is_set()):
                        state["followup_posts"] += 1
                        if resp.status == 201:
                            os.kill(state["proc"].pid, signal.SIGKILL)
                            killed.set()
                            self.close_connection = True
                            return
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() not in ("connection", "content-length", "transfer-encoding"):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)

                do_GET = do_POST = do_PATCH = do_PUT = handle_one

            class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
                daemon_threads = True

            proxy = Server(("127.0.0.1", 0), Proxy)
            threading.Thread(target=proxy.serve_forever, daemon=True).start()
            logs = []

            def start_worker(url, hours):
                path = os.path.join(d.dir, "worker-%d.log" % len(logs))
                logs.append(path)
                env = dict(d.env)
                env["LOTSBOK_NOW"] = at(hours)
                with open(path, "w") as log:
                    return subprocess.Popen(
                        [WORKER, "--data", wdata, "--server", url, "--token-file",
                         os.path.join(d.data, "worker.token"), "--sub", d.pub, "--replay",
                         d.replay, "--heartbeat-ms", "300", "--no-indicators"],
                        env=env, stdout=log, stderr=log)

            try:
                state["proc"] = start_worker("http://127.0.0.1:%d" % proxy.server_port, 0)
                co = d.company(lots)
                case = d.case(lots, co["id"])
                r = d.req("POST", "/api/v1/cases/%d/close" % case["id"],
                          {"outcome": "resolved", "closed_at": T0}, token=lots)
                self.assertEqual(r.status, 200, r)
                self.assertTrue(killed.wait(20), "the worker never made its follow-up:\n" +
                                open(logs[-1]).read())
                state["proc"].wait(10)

                def calls():
                    fs = d.req("GET", "/api/v1/followups?limit=500", token=admin).json["items"]
                    return [f for f in fs if any(i["case_id"] == case["id"]
                                                 for i in f["items"])]
                self.assertEqual(len(calls()), 1, "lotsd made the call before the kill")

                # 25 hours later: users' answers have expired, the worker's not.
                d.stop()
                d.start(env={"LOTSBOK_NOW": at(25)})
                state["proc"] = start_worker("http://127.0.0.1:%d" % d.port, 25)
                deadline = time.time() + 20
                while time.time() < deadline:
                    with open(logs[-1]) as f:
                        if 'msg="cursor reported"' in f.read():
                            break
                    time.sleep(0.1)
                with open(logs[-1]) as f:
                    text = f.read()
                self.assertIn('msg="cursor reported"', text)
                got = calls()
                self.assertEqual(len(got), 1, "a duplicate follow-up after the restart: %r" % got)
                self.assertEqual(state["followup_posts"], 1)
            finally:
                p = state["proc"]
                if p is not None and p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    try:
                        p.wait(15)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
                proxy.shutdown()


if __name__ == "__main__":
    unittest.main(verbosity=2)
