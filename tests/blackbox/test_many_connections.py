#!/usr/bin/python3
"""10,000 concurrent connections are served or refused with 503; the loop never hangs.

Opens 10,000 idle connections to lotsd (its default limit), then 200 more,
each of which must get 503 `overloaded` and be closed, while a /healthz on a
connection of its own is answered within a second throughout; then the
first 10,000 are each still served. Needs RLIMIT_NOFILE above 10,400 for the
test and for lotsd (each); the test raises it as far as the hard limit allows and says
why it skipped when that is too low.
"""

import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402

N = 10000
EXTRA = 200


def healthz_within(port, seconds):
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = s.recv(4096)
    return data.startswith(b"HTTP/1.1 200") and time.time() - t0 < seconds


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = N + EXTRA + 200  # per process: the test's sockets, and lotsd's (inherited)
    if hard != resource.RLIM_INFINITY and hard < need:
        print("SKIP: RLIMIT_NOFILE hard limit %d is below %d" % (hard, need))
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    socks = []
    # One client holds them all, idle: no per-address limit, and more than
    # the default 10 s before a silent connection is closed.
    with Lotsd(serve_args=["--quiet", "--max-conns-per-peer", "0",
                           "--first-byte-timeout", "600"]) as d:
        try:
            t0 = time.time()
            for i in range(N):
                socks.append(socket.create_connection(("127.0.0.1", d.port), timeout=5))
                if i % 2500 == 2499 and i < N - 1:
                    assert healthz_within(d.port, 1.0), \
                        "/healthz slow or refused at %d connections" % (i + 1)
            opened = time.time() - t0
            time.sleep(0.5)  # let lotsd accept them all
            refused = 0
            for _ in range(EXTRA):
                with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
                    s.settimeout(5)
                    data = s.recv(4096)
                    if data.startswith(b"HTTP/1.1 503") and b"overloaded" in data:
                        refused += 1
            assert refused == EXTRA, "%d of %d connections over the limit got 503" % (
                refused, EXTRA)
            # The 10,000 held ones are still served, each in turn.
            served = 0
            for s in socks:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            for s in socks:
                s.settimeout(10)
                if s.recv(4096).startswith(b"HTTP/1.1 200"):
                    served += 1
            assert served == N, "only %d of %d held connections were served" % (served, N)
        finally:
            for s in socks:
                s.close()
        # With them gone, a new connection is served at once.
        deadline = time.time() + 5
        while not healthz_within(d.port, 1.0):
            assert time.time() < deadline, "lotsd did not recover after the connections closed"
            time.sleep(0.1)
    print("ok: %d connections held (opened in %.1f s) and served, %d over the limit refused "
          "with 503" % (N, opened, EXTRA))


if __name__ == "__main__":
    main()
