"""lbtest: shared helpers for Lotsbok's black-box tests.

Starts the real lotsd on a loopback port with a temporary data directory,
talks HTTP/JSON to it with http.client, and always cleans up (the process is
killed by its own pid, the directory removed). Debian's python3 standard
library only.

    from lbtest import Lotsd
    with Lotsd() as d:                 # init + serve, LOTSBOK_PWHASH_FAST=1
        tok = d.login("admin", d.admin_password)
        st, body, hdr = d.req("GET", "/api/v1/me", token=tok)

Environment: LB_BUILD_DIR (where lotsd is), LB_SOURCE_DIR.
"""

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("LB_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
BUILD_DIR = os.environ.get("LB_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
LOTSD = os.path.join(BUILD_DIR, "lotsd")


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def luhn_digit(digits):
    """The Luhn check digit for a string of 9 digits (weights 2,1,2,...)."""
    total = 0
    for i, ch in enumerate(digits):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        total += v // 10 + v % 10
    return str((10 - total % 10) % 10)


_orgnr_counter = [random.randrange(2000000, 8000000)]


def new_orgnr(formatted=False):
    """A fresh valid organisationsnummer of an aktiebolag (55xxxxx-xxxx)."""
    _orgnr_counter[0] += 1
    body = "55" + str(_orgnr_counter[0])[:7]
    nr = body + luhn_digit(body)
    return nr[:6] + "-" + nr[6:] if formatted else nr


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.header_names = [k.lower() for k, _ in headers]  # in order, repeats kept
        self.raw = raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    @property
    def code(self):
        """error.code of an error answer, else None."""
        if isinstance(self.json, dict) and isinstance(self.json.get("error"), dict):
            return self.json["error"].get("code")
        return None

    def __repr__(self):
        return "<Response %d %s>" % (self.status, self.raw[:300])


class Lotsd:
    """One lotsd environment and (when started) its serve process."""

    def __init__(self, admin="admin", admin_password="admin-password-1", serve_args=(), env=None,
                 start=True):
        self.dir = tempfile.mkdtemp(prefix="lotsbok-bb-")
        self.data = os.path.join(self.dir, "data")
        self.admin = admin
        self.admin_password = admin_password
        self.serve_args = list(serve_args)
        self.env = dict(os.environ)
        self.env["LOTSBOK_PWHASH_FAST"] = "1"
        if env:
            self.env.update(env)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "lotsd.log")
        self._log = None
        self.init()
        if start:
            self.start()

    # --- processes ------------------------------------------------------

    def init(self):
        pwfile = os.path.join(self.dir, "admin.pw")
        with open(pwfile, "w") as f:
            f.write(self.admin_password + "\n")
        r = subprocess.run([LOTSD, "init", "--data", self.data, "--admin", self.admin,
                            "--password-file", pwfile], env=self.env, capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("lotsd init failed: %s" % r.stderr)
        return r

    def start(self, extra_args=(), env=None, wrapper=()):
        """Starts lotsd serve on a free port; waits until it listens.
        wrapper: a command to run lotsd under (valgrind ...)."""
        assert self.proc is None
        e = dict(self.env)
        if env:
            e.update(env)
        self.pub = "tcp://127.0.0.1:%d" % free_port()
        self.replay = "tcp://127.0.0.1:%d" % free_port()
        args = list(wrapper) + [LOTSD, "serve", "--data", self.data, "--listen", "127.0.0.1:0",
                "--pub", self.pub, "--replay", self.replay] + self.serve_args + list(extra_args)
        self._log = open(self.log_path, "ab")
        start_offset = self._log.tell()
        self.proc = subprocess.Popen(args, env=e, stdout=self._log, stderr=self._log)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(start_offset)
                for line in f.read().decode("utf-8", "replace").splitlines():
                    if 'msg="listening"' in line:
                        for kv in line.split():
                            if kv.startswith("port="):
                                self.port = int(kv[5:])
                                return self
            if self.proc.poll() is not None:
                raise RuntimeError("lotsd exited %d:\n%s" % (self.proc.returncode, self.log()))
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("lotsd did not start listening:\n" + self.log())

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Signals lotsd and waits; returns its exit code."""
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "timeout"
        self.proc = None
        self._log.close()
        return rc

    def restart(self, extra_args=(), env=None):
        rc = self.stop()
        assert rc == 0, "lotsd exited %r on SIGTERM:\n%s" % (rc, self.log())
        return self.start(extra_args, env)

    def kill(self):
        if self.proc is not None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None
        if self._log:
            self._log.close()

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-6000:]
        except OSError:
            return ""

    def close(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, *args):
        """Runs `lotsd ARGS` (backup, check, ...) and returns the CompletedProcess."""
        return subprocess.run([LOTSD] + list(args), env=self.env, capture_output=True,
                              text=True, timeout=60)

    # --- HTTP -------------------------------------------------------------

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def req(self, method, path, body=None, token=None, headers=None, conn=None, raw=None):
        """One request; body is JSON-encoded unless raw (bytes) is given.
        Returns a Response (status, headers, raw, json, code)."""
        h = {}
        if token:
            h["Authorization"] = "Bearer " + token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        own = conn is None
        c = conn or self.conn()
        try:
            c.request(method, path, body=data, headers=h)
            resp = c.getresponse()
            out = Response(resp.status, resp.getheaders(), resp.read().decode("utf-8", "replace"))
        finally:
            if own:
                c.close()
        return out

    def login(self, username, password):
        r = self.req("POST", "/api/v1/sessions", {"username": username, "password": password})
        assert r.status == 201, r
        return r.json["token"]

    def admin_token(self):
        return self.login(self.admin, self.admin_password)

    def worker_token(self):
        with open(os.path.join(self.data, "worker.token")) as f:
            return f.read().strip()

    def user(self, admin_token, username, role, units=None, password=None):
        """Creates a user and returns its token."""
        password = password or (username + "-password")
        body = {"username": username, "password": password, "role": role}
        if units is not None:
            body["units"] = units
        r = self.req("POST", "/api/v1/users", body, token=admin_token)
        assert r.status == 201, r
        return self.login(username, password)

    # --- fixtures -----------------------------------------------------------

    def company(self, token, **kw):
        body = {"orgnr": new_orgnr(), "name": "Testbolaget %d AB" % random.randrange(10**6)}
        body.update(kw)
        r = self.req("POST", "/api/v1/companies", body, token=token)
        assert r.status == 201, r
        return r.json

    def case(self, token, company_id, **kw):
        body = {"company_id": company_id, "subject": "Etablering av lager",
                "category": "establishment"}
        body.update(kw)
        r = self.req("POST", "/api/v1/cases", body, token=token)
        assert r.status == 201, r
        return r.json

    def handoff(self, token, case_id, unit="bygglov", note="Bygglov för lagerhall"):
        r = self.req("POST", "/api/v1/cases/%d/handoffs" % case_id,
                     {"unit": unit, "note": note}, token=token)
        assert r.status == 201, r
        return r.json


def raw_exchange(port, data, timeout=5.0, expect=1):
    """Sends raw bytes on one socket and reads until `expect` HTTP answers
    arrived (counted by status lines) or the peer closed. Returns the bytes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        buf = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if buf.count(b"HTTP/1.1 ") >= expect and _complete(buf, expect):
                break
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
        return buf
    finally:
        s.close()


def _complete(buf, expect):
    """Whether buf holds `expect` complete answers (by Content-Length)."""
    pos = 0
    for _ in range(expect):
        head_end = buf.find(b"\r\n\r\n", pos)
        if head_end < 0:
            return False
        head = buf[pos:head_end].decode("latin-1").lower()
        length = 0
        for line in head.split("\r\n"):
            if line.startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        pos = head_end + 4 + length
        if len(buf) < pos:
            return False
    return True


def statuses(buf):
    """The status codes of the raw HTTP answers in buf, in order (walked by
    Content-Length, so bodies are skipped)."""
    out, pos = [], 0
    while True:
        head_end = buf.find(b"\r\n\r\n", pos)
        if head_end < 0 or not buf.startswith(b"HTTP/1.1 ", pos):
            return out
        head = buf[pos:head_end].decode("latin-1")
        out.append(int(head.split()[1]))
        length = 0
        for line in head.lower().split("\r\n"):
            if line.startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        pos = head_end + 4 + length
