#!/usr/bin/python3
"""Fault injection against the real lotsd (DESIGN.md "The bar", reliability):
a backup taken with `lotsd backup` while writers run on keep-alive connections
checks clean, opens in a second lotsd and holds every write acknowledged before
the backup began. (kill -9 under load, the full disk and 10,000 connections
are tests/blackbox/test_kill9.py, test_full_disk.py and
test_many_connections.py.)
"""
import json
import os
import shutil
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402

CONTACT = {"channel": "phone", "direction": "inbound", "summary": "Samtal om bygglov"}


def post_raw(sock, path, token, body):
    """One keep-alive POST on a connected socket; returns (status, json)."""
    data = json.dumps(body).encode()
    sock.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                 % (path.encode(), token.encode(), len(data)) + data)
    return read_answer(sock)


def read_answer(sock, buf=None):
    """Reads one answer (by Content-Length); raises OSError when cut short."""
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-answer")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    status = int(head.split()[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    body = bytearray(rest)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        body += chunk
    return status, json.loads(bytes(body)) if length else None


class Writer(threading.Thread):
    """Posts contacts to a case until told to stop or the server goes away;
    acked holds the ids answered 2xx."""

    def __init__(self, port, token, case_id, summary="Samtal om bygglov"):
        super().__init__(daemon=True)
        self.port, self.token, self.case_id = port, token, case_id
        self.body = dict(CONTACT, summary=summary)
        self.acked, self.statuses = [], {}
        self.stop = threading.Event()

    def run(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        except OSError:
            return
        try:
            while not self.stop.is_set():
                st, doc = post_raw(s, "/api/v1/cases/%d/contacts" % self.case_id, self.token,
                                   self.body)
                self.statuses[st] = self.statuses.get(st, 0) + 1
                if 200 <= st < 300:
                    self.acked.append(doc["id"])
        except (OSError, ValueError):
            pass  # killed under us: what was acknowledged is in self.acked
        finally:
            s.close()


def contact_ids(d, token, case_id):
    r = d.req("GET", "/api/v1/cases/%d" % case_id, token=token)
    assert r.status == 200, r
    return {c["id"] for c in r.json["contacts"]}


def check_clean(t, d, what, data=None):
    r = d.run("check", "--data", data or d.data)
    t.assertEqual(r.returncode, 0, "%s: lotsd check: %s %s" % (what, r.stdout, r.stderr))


class Faults(unittest.TestCase):
    def test_backup_under_load(self):
        with Lotsd(serve_args=["--quiet"]) as d:
            admin = d.admin_token()
            lots = d.user(admin, "lotta", "lots")
            company = d.company(lots)
            case_id = d.case(lots, company["id"])["id"]
            writers = [Writer(d.port, lots, case_id) for _ in range(3)]
            for w in writers:
                w.start()
            time.sleep(0.5)
            before = [i for w in writers for i in list(w.acked)]
            dest = os.path.join(d.dir, "backup")
            r = d.run("backup", "--data", d.data, "--to", dest)
            time.sleep(0.2)
            for w in writers:
                w.stop.set()
            for w in writers:
                w.join(10)
            self.assertEqual(r.returncode, 0, r.stderr)
            check_clean(self, d, "backup", data=dest)
            with Lotsd(serve_args=["--quiet"], start=False) as b:
                shutil.rmtree(b.data)
                shutil.copytree(dest, b.data)
                b.start()
                btoken = b.login("lotta", "lotta-password")
                have = contact_ids(b, btoken, case_id)
                self.assertEqual(set(before) - have, set(), "acknowledged before the backup")
                total = sum(len(w.acked) for w in writers)
                self.assertLessEqual(len(have), total)
                print("backup under load: %d of %d acknowledged writes in the copy (all %d "
                      "acknowledged before it began); check clean; opens and serves"
                      % (len(have), total, len(before)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
