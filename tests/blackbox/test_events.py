"""Black-box test of lotsd's event sockets: PUB (live) and ROUTER (replay).

Starts the real lotsd on loopback ports with a temporary data directory, makes
writes through the HTTP API while ZeroMQ subscribers listen, and checks the wire
contract of DESIGN.md "Events":

- every write produces exactly one event, seq increasing by one;
- PUB frames are [type, envelope] and the type frame is the envelope's type;
- a SUB with prefix "case." receives the case.* events only;
- replay from 0 (DEALER, paging) returns the same envelopes, byte for byte and
  after decoding, as were published, and an empty array when up to date;
- replay through a REQ socket works too;
- malformed replay requests get ["error", {"message"}] and the server goes on;
- no personal-data string used in the requests (contact person's name, phone,
  e-mail, summaries, notes, descriptions) appears in any event.

Debian's python3 with python3-zmq and python3-msgpack; standard library
otherwise. Also checks GET /api/v1/events against the replayed envelopes.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq

BUILD_DIR = os.environ.get("LB_BUILD_DIR", "build")
LOTSD = os.path.join(BUILD_DIR, "lotsd")
TIMEOUT_MS = 5000

# Personal data and free text used in the requests: none may reach an event.
PII = [
    "Greta Personsson",
    "070-1234567",
    "greta.personsson@example.se",
    "HemligBeskrivning om familjens ekonomi",
    "HemligSammanfattning av samtalet",
    "HemligAnteckning till bygglov",
    "HemligStängning med personuppgifter",
]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def luhn_digit(digits):
    total = 0
    for i, ch in enumerate(digits):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        total += v // 10 + v % 10
    return str((10 - total % 10) % 10)


def fail(msg):
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


class Server:
    """lotsd init + serve in a temp dir; always killed and removed."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lb-events-")
        self.data = os.path.join(self.dir, "data")
        self.http_port = free_port()
        self.pub = "tcp://127.0.0.1:%d" % free_port()
        self.replay = "tcp://127.0.0.1:%d" % free_port()
        self.proc = None
        self.log = open(os.path.join(self.dir, "lotsd.log"), "w+")
        self.env = dict(os.environ, LOTSBOK_PWHASH_FAST="1")

    def __enter__(self):
        pw = os.path.join(self.dir, "admin.pw")
        with open(pw, "w") as f:
            f.write("admin-lösenord-123\n")
        self.admin_password = "admin-lösenord-123"
        subprocess.run([LOTSD, "init", "--data", self.data, "--admin", "admin",
                        "--password-file", pw], check=True, env=self.env,
                       stdout=self.log, stderr=self.log, timeout=60)
        check(os.path.exists(os.path.join(self.data, "worker.token")),
              "lotsd init did not write worker.token")
        self.proc = subprocess.Popen(
            [LOTSD, "serve", "--data", self.data, "--listen", "127.0.0.1:%d" % self.http_port,
             "--pub", self.pub, "--replay", self.replay],
            env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail("lotsd exited with %s:\n%s" % (self.proc.returncode, self.logtext()))
            try:
                st, _ = self.req("GET", "/healthz")
                if st == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        fail("lotsd did not answer /healthz:\n" + self.logtext())

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if exc[0] is not None:
            sys.stderr.write("lotsd log:\n" + self.logtext())
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def logtext(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def req(self, method, path, body=None, token=None):
        c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        raw = r.read()
        c.close()
        try:
            return r.status, json.loads(raw) if raw else None
        except ValueError:
            return r.status, raw

    def login(self, user, password):
        st, body = self.req("POST", "/api/v1/sessions", {"username": user, "password": password})
        check(st == 201, "login %s: %s %s" % (user, st, body))
        return body["token"]


def recv_event(sub, timeout_ms=TIMEOUT_MS):
    """One [type, envelope] message, or None on timeout."""
    if not sub.poll(timeout_ms):
        return None
    frames = sub.recv_multipart()
    check(len(frames) == 2, "PUB message has %d frames, not 2" % len(frames))
    return frames


def replay(sock, after, limit, req_socket=False):
    sock.send_multipart([b"replay", msgpack.packb({"after": after, "limit": limit})])
    check(sock.poll(TIMEOUT_MS), "no answer to replay after=%d" % after)
    frames = sock.recv_multipart()
    check(len(frames) == 2 and frames[0] == b"events", "replay answer %r" % frames[:1])
    return frames[1]


def split_envelopes(array_bytes):
    """The raw bytes of each element of a msgpack array."""
    up = msgpack.Unpacker(raw=False, strict_map_key=False)
    up.feed(array_bytes)
    n = up.read_array_header()
    out = []
    for _ in range(n):
        start = up.tell()
        up.skip()
        out.append(array_bytes[start:up.tell()])
    check(up.tell() == len(array_bytes), "trailing bytes after the replay array")
    return out


def expect_error(sock):
    check(sock.poll(TIMEOUT_MS), "no answer to a malformed request")
    frames = sock.recv_multipart()
    check(len(frames) == 2 and frames[0] == b"error", "malformed request answered %r" % frames)
    m = msgpack.unpackb(frames[1], raw=False)
    check(isinstance(m, dict) and isinstance(m.get("message"), str) and m["message"],
          "error map %r" % m)


def main():
    check(os.path.exists(LOTSD), "%s does not exist (lotsd not built)" % LOTSD)

    ctx = zmq.Context()
    socks = []

    def sock(kind, endpoint, prefix=None):
        s = ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        if prefix is not None:
            s.setsockopt(zmq.SUBSCRIBE, prefix)
        s.connect(endpoint)
        socks.append(s)
        return s

    try:
        with Server() as srv:
            sub_all = sock(zmq.SUB, srv.pub, b"")
            sub_case = sock(zmq.SUB, srv.pub, b"case.")
            time.sleep(0.5)  # slow joiner: let both subscriptions reach lotsd

            admin = srv.login("admin", srv.admin_password)
            st, health = srv.req("GET", "/healthz")
            seq0 = health["seq"]
            published = []  # (type frame, envelope bytes) in arrival order
            last_seq = [seq0]

            def write(method, path, body, token):
                """One write; exactly one new event, seq = previous + 1."""
                st, resp = srv.req(method, path, body, token)
                check(200 <= st < 300, "%s %s -> %s %s" % (method, path, st, resp))
                ev = recv_event(sub_all)
                check(ev is not None, "no event for %s %s" % (method, path))
                env = msgpack.unpackb(ev[1], raw=False)
                check(env["seq"] == last_seq[0] + 1,
                      "%s %s: event seq %s after %s" % (method, path, env["seq"], last_seq[0]))
                check(ev[0].decode() == env["type"],
                      "type frame %r but envelope type %r" % (ev[0], env["type"]))
                last_seq[0] = env["seq"]
                published.append(ev)
                return resp

            write("POST", "/api/v1/users",
                  {"username": "lotsa", "password": "lots-lösenord-456", "role": "lots"}, admin)
            lots = srv.login("lotsa", "lots-lösenord-456")
            body = "55" + "6036079"
            company = write("POST", "/api/v1/companies", {
                "orgnr": body + luhn_digit(body), "name": "Mälarbåtar AB", "locality": "Norrtälje",
                "contacts": [{"name": PII[0], "role": "VD", "phone": PII[1], "email": PII[2]}],
            }, lots)
            case = write("POST", "/api/v1/cases", {
                "company_id": company["id"], "subject": "Etablering av varv",
                "category": "establishment", "description": PII[3]}, lots)
            cid = case["id"]
            write("POST", "/api/v1/cases/%d/contacts" % cid, {
                "channel": "phone", "direction": "inbound", "summary": PII[4], "minutes": 15}, lots)
            write("POST", "/api/v1/cases/%d/handoffs" % cid,
                  {"unit": "bygglov", "note": PII[5]}, lots)
            write("POST", "/api/v1/cases/%d/close" % cid,
                  {"outcome": "resolved", "note": PII[6]}, lots)
            write("POST", "/api/v1/cases/%d/reopen" % cid, {}, lots)
            write("POST", "/api/v1/cases/%d/close" % cid, {"outcome": "referred"}, lots)

            # nothing beyond one event per write
            check(recv_event(sub_all, 300) is None, "an extra event was published")
            st, health = srv.req("GET", "/healthz")
            check(health["seq"] == last_seq[0], "healthz seq %s, last event %s"
                  % (health["seq"], last_seq[0]))

            # the case. subscriber got exactly the case.* events, in order
            want = [ev for ev in published if ev[0].startswith(b"case.")]
            check(len(want) >= 4, "expected case events, got %r" % [e[0] for e in published])
            got = []
            while True:
                ev = recv_event(sub_case, 300)
                if ev is None:
                    break
                got.append(ev)
            check(got == want, "case. subscriber got %r, want %r"
                  % ([e[0] for e in got], [e[0] for e in want]))

            # replay from 0 with a DEALER, paging with a small limit
            dealer = sock(zmq.DEALER, srv.replay)
            replayed = []
            after = 0
            while True:
                arr = replay(dealer, after, 3)
                envs = split_envelopes(arr)
                check(len(envs) <= 3, "limit 3 answered with %d events" % len(envs))
                if not envs:
                    check(arr == b"\x90", "up to date must be an empty array, got %r" % arr)
                    break
                for e in envs:
                    replayed.append(e)
                after = msgpack.unpackb(envs[-1], raw=False)["seq"]
            seqs = [msgpack.unpackb(e, raw=False)["seq"] for e in replayed]
            check(seqs == list(range(1, last_seq[0] + 1)), "replay seqs %r" % seqs)
            by_seq = {msgpack.unpackb(e, raw=False)["seq"]: e for e in replayed}
            for t, env in published:
                s = msgpack.unpackb(env, raw=False)["seq"]
                check(by_seq[s] == env, "replayed envelope %d differs from the published one" % s)
                check(msgpack.unpackb(by_seq[s], raw=False) == msgpack.unpackb(env, raw=False),
                      "decoded envelope %d differs" % s)
            # after=N returns only later ones
            later = split_envelopes(replay(dealer, seq0 + 2, 1000))
            check(later == [ev[1] for ev in published[2:]], "after=%d returned %d events"
                  % (seq0 + 2, len(later)))

            # the same through a REQ socket
            req = sock(zmq.REQ, srv.replay)
            check(split_envelopes(replay(req, 0, 1000)) == replayed, "REQ replay differs")

            # malformed requests: an error each, and the server goes on
            bad = [
                [b"garbage"],
                [b"replay", b"\xc1"],
                [b"replay", msgpack.packb({"after": 0})],
                [b"replay", msgpack.packb({"after": "0", "limit": 10})],
                [b"replay", msgpack.packb({"after": -1, "limit": 10})],
                [b"replay", msgpack.packb({"after": 0, "limit": 0})],
                [b"replay", msgpack.packb([0, 10])],
                [b"fetch", msgpack.packb({"after": 0, "limit": 10})],
                [b"replay", msgpack.packb({"after": 0, "limit": 10}), b"x", b"y"],
            ]
            for frames in bad:
                for s in (dealer, req):
                    s.send_multipart(frames)
                    expect_error(s)
                    check(split_envelopes(replay(s, 0, 2)) == replayed[:2],
                          "a good request after %r failed" % frames[:1])
            check(srv.proc.poll() is None, "lotsd died")

            # GET /api/v1/events: the same envelopes as JSON, paged by seq
            decoded = [msgpack.unpackb(env, raw=False) for env in replayed]
            items, after = [], 0
            while True:
                st, page = srv.req("GET", "/api/v1/events?after=%d&limit=3" % after, None, admin)
                check(st == 200, "GET /events -> %s %s" % (st, page))
                check(len(page["items"]) <= 3, "limit not honoured")
                if not page["items"]:
                    check(page["next"] == after, "next moved without items: %r" % page)
                    break
                check(page["next"] == page["items"][-1]["seq"], "next is not the last seq")
                items += page["items"]
                after = page["next"]
            check(items == decoded, "GET /events differs from the replayed envelopes")
            st, resp = srv.req("GET", "/api/v1/events", None, lots)
            check(st == 403, "a lots read the event log: %s" % st)
            st, resp = srv.req("GET", "/api/v1/events?limit=0", None, admin)
            check(st == 400, "limit=0 -> %s" % st)

            # no personal data in any event
            for env in replayed:
                text = json.dumps(msgpack.unpackb(env, raw=False), ensure_ascii=False)
                for p in PII:
                    check(p.encode() not in env and p not in text,
                          "personal data %r in event %s" % (p, text))
        print("ok: %d events published, replayed and checked" % len(published))
        return 0
    finally:
        for s in socks:
            s.close(0)
        ctx.term()


if __name__ == "__main__":
    sys.exit(main())
