#!/usr/bin/python3
"""lots-worker's exactly-once effects, against a stand-in lotsd written here.

The stand-in keeps an event log, publishes it on PUB, answers replays on
ROUTER, and serves the three follow-up routes with lotsd's Idempotency-Key
contract (a repeated key with the same body returns the first answer; a
repeated key with another body is refused and counted as a defect). Events are
appended at a steady pace while the worker is killed with SIGKILL at random
moments; at the end every closed case must have exactly one lots item and
every decided hand-off exactly one unit item, and no key may have been reused
for a different request. This runs without lotsd's store, so the worker's
guarantees are checked on their own; test_worker_chaos.py repeats the check
against the real lotsd.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_worker as tw  # noqa: E402

KILLS = int(os.environ.get("LB_WORKER_KILLS", "20"))


class StandIn:
    def __init__(self):
        self.lock = threading.Lock()
        self.log = []
        self.followups = {}
        self.idem = {}
        self.key_conflicts = []
        self.first_answers = 0
        self.repeats = 0
        self.ctx = zmq.Context()
        self.pub = self.ctx.socket(zmq.PUB)
        self.router = self.ctx.socket(zmq.ROUTER)
        self.pub_ep = "tcp://127.0.0.1:%d" % tw.free_port()
        self.replay_ep = "tcp://127.0.0.1:%d" % tw.free_port()
        self.pub.bind(self.pub_ep)
        self.router.bind(self.replay_ep)
        self.stop = False
        self.last_after = -1  # the cursor of the worker's latest replay request
        self.router_thread = threading.Thread(target=self.serve_replay, daemon=True)
        self.router_thread.start()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                standin.http(self)

            def do_PATCH(self):
                standin.http(self)

            def do_PUT(self):
                # The worker's indicator snapshots: accepted and dropped (without this the
                # worker retries a 501 and its cursor lags behind the log at the end).
                h = self
                h.rfile.read(int(h.headers.get("Content-Length", 0)))
                h.send_response(200)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", "2")
                h.end_headers()
                h.wfile.write(b"{}")

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # the worker killed mid-request: a broken pipe is expected

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def append(self, type_, id_, data):
        with self.lock:
            seq = len(self.log) + 1
            env = msgpack.packb({"seq": seq, "type": type_, "at": 1775030400000 + seq,
                                 "actor": "anna", "id": id_, "data": data})
            self.log.append(env)
            self.pub.send_multipart([type_.encode(), env])
            return seq

    def serve_replay(self):
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        while not self.stop:
            if not poller.poll(50):
                continue
            frames = self.router.recv_multipart()
            ident, rest = frames[0], [f for f in frames[1:] if f]
            req = msgpack.unpackb(rest[1])
            self.last_after = req["after"]
            with self.lock:
                page = self.log[req["after"]:req["after"] + min(req["limit"], 10000)]
            body = msgpack.Packer().pack_array_header(len(page)) + b"".join(page)
            self.router.send_multipart([ident, b"events", body])

    def event_data(self, fid):
        f = self.followups[fid]
        return {"company_id": f["company_id"], "due": f["due"], "assignee": f["assignee"],
                "status": f["status"], "attempts": 0, "items": f["items"]}

    def http(self, h):
        body_raw = h.rfile.read(int(h.headers.get("Content-Length", 0)))
        body = json.loads(body_raw or b"{}")
        key = h.headers.get("Idempotency-Key")
        req = (h.command, h.path, json.dumps(body, sort_keys=True))
        with self.lock:
            if key in self.idem:
                first_req, status, answer = self.idem[key]
                if first_req != req:
                    self.key_conflicts.append((key, first_req, req))
                    status, answer = 422, {"error": {"code": "idempotency_mismatch"}}
                else:
                    self.repeats += 1
            else:
                status, answer = self.act(h.command, h.path, body)
                self.idem[key] = (req, status, answer)
                self.first_answers += 1
        data = json.dumps(answer).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def act(self, method, path, body):
        """Applies a first request; runs under self.lock, so events are
        appended with _append, which does not take it again."""
        parts = path.strip("/").split("/")  # api v1 followups [id] [items]
        if method == "POST" and len(parts) == 3:
            fid = len(self.followups) + 1
            items = [dict(i, unit="bygglov" if i["kind"] == "unit" else None,
                          handoff_id=i.get("handoff_id")) for i in body["items"]]
            self.followups[fid] = {"company_id": body["company_id"], "due": body["due"],
                                   "assignee": body["assignee"], "status": "scheduled",
                                   "items": items}
            self._append("followup.scheduled", fid, self.event_data(fid))
            return 201, dict(self.followups[fid], id=fid)
        fid = int(parts[3])
        f = self.followups.get(fid)
        if f is None:
            return 404, {"error": {"code": "not_found"}}
        if f["status"] != "scheduled":
            return 409, {"error": {"code": "invalid_transition"}}
        if method == "POST":
            if any(i["case_id"] == body["case_id"] and i["kind"] == body["kind"] and
                   i.get("handoff_id") == body.get("handoff_id") for i in f["items"]):
                return 409, {"error": {"code": "duplicate_item"}}
            f["items"].append(dict(body, unit="bygglov" if body["kind"] == "unit" else None,
                                   handoff_id=body.get("handoff_id")))
        else:
            f["status"] = "cancelled"
        self._append("followup.updated", fid, self.event_data(fid))
        return 200, dict(f, id=fid)

    def _append(self, type_, id_, data):
        seq = len(self.log) + 1
        env = msgpack.packb({"seq": seq, "type": type_, "at": 1775030400000 + seq,
                             "actor": "worker", "id": id_, "data": data})
        self.log.append(env)
        self.pub.send_multipart([type_.encode(), env])

    def close(self):
        self.stop = True
        self.router_thread.join()
        self.httpd.shutdown()
        self.pub.close(0)
        self.router.close(0)
        self.ctx.term()


def main():
    s = StandIn()
    tmp = tempfile.mkdtemp(prefix="lb-idem-")
    worker = None
    try:
        token = os.path.join(tmp, "token")
        with open(token, "w") as f:
            f.write("t\n")
        wlog = os.path.join(tmp, "worker.log")

        def start():
            out = open(wlog, "a")
            p = subprocess.Popen([tw.WORKER, "--data", os.path.join(tmp, "w"),
                                  "--server", s.url, "--token-file", token, "--sub", s.pub_ep,
                                  "--replay", s.replay_ep, "--heartbeat-ms", "200"],
                                 stdout=out, stderr=out, env=dict(os.environ,
                                                                  LOTSBOK_NOW="2026-04-01T09:00:00Z"))
            out.close()
            return p

        closed, decided = [], []

        def produce():
            rnd = random.Random(3)
            for k in range(1, 121):
                company = 1 + k % 9
                s.append("case.opened", k, {"company_id": company, "owner": "anna"})
                if k % 3 == 0:
                    s.append("handoff.created", 1000 + k, {"case_id": k, "company_id": company,
                                                           "unit": "bygglov", "owner": "anna"})
                    s.append("handoff.decided", 1000 + k,
                             {"decided_at": 1775030400000 + k * 86400000 * 3, "owner": "anna"})
                    decided.append(1000 + k)
                s.append("case.closed", k, {"closed_at": 1775030400000 + k * 86400000 * 2,
                                            "outcome": "resolved"})
                closed.append(k)
                if k % 17 == 0:  # a reopening and a new closure
                    s.append("case.reopened", k, {})
                    s.append("case.closed", k, {"closed_at": 1775030400000 + k * 86400000 * 2
                                                + 3600000, "outcome": "resolved"})
                time.sleep(rnd.uniform(0.0, 0.03))

        producer = threading.Thread(target=produce)
        worker = start()
        producer.start()
        rnd = random.Random(11)
        for _ in range(KILLS):
            time.sleep(rnd.uniform(0.02, 0.2))
            worker.kill()
            worker.wait()
            worker = start()
        s.last_after = -1  # from here on only the last worker asks
        producer.join()

        def counts():
            with s.lock:
                lots, unit = {}, {}
                for f in s.followups.values():
                    if f["status"] == "cancelled":
                        continue
                    for i in f["items"]:
                        d, k = (lots, i["case_id"]) if i["kind"] == "lots" else \
                            (unit, i["handoff_id"])
                        d[k] = d.get(k, 0) + 1
                return lots, unit

        tw.wait_until(lambda: set(counts()[0]) == set(closed) and
                      set(counts()[1]) == set(decided), 30, "every effect")
        # Every effect can be in while the last worker still replays what its
        # predecessor had not committed (answered from the keys): wait until it
        # asks for what follows the last event, i.e. its cursor is at the end
        # (which also means it is up, so SIGTERM finds its handler).
        tw.wait_until(lambda: s.last_after == len(s.log), 30, "the worker's cursor at the end")
        lots, unit = counts()
        tw.check(all(v == 1 for v in lots.values()), "lots duplicates %r" %
                 {k: v for k, v in lots.items() if v != 1})
        tw.check(all(v == 1 for v in unit.values()), "unit duplicates %r" %
                 {k: v for k, v in unit.items() if v != 1})
        tw.check(not s.key_conflicts, "a key reused for another request: %r" % s.key_conflicts[:3])
        worker.send_signal(signal.SIGTERM)
        tw.check(worker.wait(10) == 0, "exit 0")
        worker = None
        with open(wlog) as f:
            text = f.read()
        tw.check('msg="stopped" cursor=%d ' % len(s.log) in text, "cursor at the end of the log")
        print("ok %d SIGKILLs: %d closures, %d decisions, %d calls, exactly one item each; "
              "%d first answers, %d repeats answered from the key"
              % (KILLS, len(closed), len(decided), len(s.followups), s.first_answers, s.repeats))
    finally:
        if worker is not None:
            worker.kill()
            worker.wait()
        s.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
