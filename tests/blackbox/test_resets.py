#!/usr/bin/python3
"""Clients that reset their connection while lotsd is still working on their request.

A request that is at the commit thread (a write waiting for its group commit) or on the
thread pool (argon2id for a login) outlives its connection when the client resets (RST,
SO_LINGER 0): the answer must then be dropped without touching the connection again
(issue 30: the answer path read the freed connection for its log line). In the plain build
these tests check that lotsd keeps serving and that the reset writes were still committed;
`make test` runs them again against the AddressSanitizer build (ctest label asan), where a
read of freed memory aborts lotsd and leaks fail its exit on SIGTERM.
"""

import json
import os
import random
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


def request_bytes(method, path, body, token=None):
    data = json.dumps(body).encode()
    head = "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           "Content-Length: %d\r\n" % (method, path, len(data))
    if token:
        head += "Authorization: Bearer %s\r\n" % token
    return head.encode() + b"\r\n" + data


def open_and_send(port, data):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.sendall(data)
    return s


class Resets(unittest.TestCase):
    def setUp(self):
        # Real argon2id (not the tests' fast limits), so a login spends ~100 ms on the pool.
        self.d = Lotsd(env={"LOTSBOK_PWHASH_FAST": "0"})

    def tearDown(self):
        d = self.d
        try:
            alive = d.proc is not None and d.proc.poll() is None
            rc = d.stop() if alive else (d.proc.returncode if d.proc else None)
            log = d.log()
            for mark in SANITIZER_MARKS:
                self.assertNotIn(mark, log, "lotsd reported a sanitizer error:\n" + log)
            self.assertTrue(alive, "lotsd died during the test:\n" + log)
            self.assertEqual(rc, 0, "lotsd exited %r on SIGTERM:\n%s" % (rc, log))
        finally:
            d.close()

    def assert_serving(self):
        self.assertIsNone(self.d.proc.poll(), "lotsd died:\n" + self.d.log())
        self.assertEqual(self.d.req("GET", "/healthz").status, 200)

    def test_reset_during_group_commit(self):
        """20 connections at a time POST a contact and reset at once, 30 rounds: every
        reset request whose bytes arrived is committed and its answer dropped."""
        d = self.d
        admin = d.admin_token()
        lots = d.user(admin, "lotta", "lots", password="lotta-password-1")
        case_id = d.case(lots, d.company(lots)["id"])["id"]
        req = request_bytes("POST", "/api/v1/cases/%d/contacts" % case_id,
                            {"channel": "phone", "direction": "inbound",
                             "summary": "Samtal som avbröts", "minutes": 3}, lots)
        for _ in range(30):
            socks = [open_and_send(d.port, req) for _ in range(20)]
            time.sleep(random.uniform(0, 0.004))
            for s in socks:
                s.close()  # SO_LINGER 0: RST
            self.assertIsNone(d.proc.poll(), "lotsd died:\n" + d.log())
        self.assert_serving()
        r = d.req("GET", "/api/v1/cases/%d" % case_id, token=lots)
        self.assertEqual(r.status, 200, r)
        # Some requests must have reached the commit: otherwise the test proved nothing.
        self.assertGreater(len(r.json["contacts"]), 0, "no reset request was ever committed")

    def test_reset_during_password_hashing(self):
        """A login reset while argon2id runs on the thread pool: right password (the
        session is then committed and its answer dropped) and wrong password."""
        d = self.d
        for password in (d.admin_password, "wrong-password-1", d.admin_password):
            s = open_and_send(d.port, request_bytes(
                "POST", "/api/v1/sessions", {"username": d.admin, "password": password}))
            time.sleep(0.02)  # the request is parsed and on the pool by now
            s.close()
            time.sleep(0.5)  # hashing ends, the answer finds the connection gone
            self.assert_serving()
        # A login that is not reset still works afterwards.
        self.assertTrue(d.login(d.admin, d.admin_password))


if __name__ == "__main__":
    unittest.main(verbosity=2)
