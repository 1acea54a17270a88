#!/usr/bin/python3
"""lotsd serve tells systemd it is ready (lotsd.service is Type=notify, issue 28).

systemd hands a Type=notify service NOTIFY_SOCKET, a datagram socket, and
starts its dependents (lots-worker) only once READY=1 arrives there. Here the
test is systemd: it binds the socket, starts lotsd with NOTIFY_SOCKET set and
expects READY=1 once lotsd listens (and answers /healthz), not before; without
NOTIFY_SOCKET lotsd starts as always.
"""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402


class SdNotify(unittest.TestCase):
    def test_ready_once_listening(self):
        with Lotsd(start=False) as d:
            path = os.path.join(d.dir, "notify.sock")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(path)
            s.settimeout(10)
            try:
                d.start(env={"NOTIFY_SOCKET": path})
                msg = s.recv(4096).decode()
                self.assertIn("READY=1", msg.split("\n"))
                with open(d.log_path, encoding="utf-8", errors="replace") as f:
                    self.assertIn('msg="listening"', f.read())
                r = d.req("GET", "/healthz")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(d.stop(), 0)
            finally:
                s.close()

    def test_without_notify_socket(self):
        with Lotsd() as d:
            self.assertEqual(d.req("GET", "/healthz").status, 200)


if __name__ == "__main__":
    unittest.main()
