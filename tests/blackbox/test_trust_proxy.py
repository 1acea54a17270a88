"""lotsd serve --trust-proxy: the per-address limits see the client named by
X-Forwarded-For only when the TCP peer is a trusted proxy.

The test talks from two loopback addresses: 127.0.0.2 plays the trusted
proxy, 127.0.0.1 an untrusted client that spoofs the header. Checked: the
public survey form's failure limit (per address), failed-login throttling
(per address), connections per peer, and the request log's peer."""

import http.client
import socket
import sys

from lbtest import Lotsd

PROXY = "127.0.0.2"
OTHER = "127.0.0.1"


def get(d, src, path, xff=None, method="GET", body=None):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10, source_address=(src, 0))
    h = {"X-Forwarded-For": xff} if xff else {}
    if body is not None:
        h["Content-Type"] = "application/json"
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def failures(d, src, xff, n):
    for _ in range(n):
        st = get(d, src, "/enkat/nosuchtoken", xff)
        assert st == 404, st


def form_limits():
    with Lotsd(serve_args=["--trust-proxy", "%s,::1" % PROXY, "--public-failures", "3",
                           "--public-rate", "0"]) as d:
        # Through the proxy: counted per client named in the header.
        failures(d, PROXY, "198.51.100.1", 3)
        assert get(d, PROXY, "/enkat/nosuchtoken", "198.51.100.1") == 429
        assert get(d, PROXY, "/enkat/nosuchtoken", "198.51.100.2") == 404
        # A client cannot escape by prepending addresses: the right-most
        # untrusted one counts, trusted hops to its right are skipped.
        assert get(d, PROXY, "/enkat/nosuchtoken", "203.0.113.9, 198.51.100.1") == 429
        assert get(d, PROXY, "/enkat/nosuchtoken", "198.51.100.1, %s" % PROXY) == 429
        # Two headers are one list, the later one to the right.
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10,
                                       source_address=(PROXY, 0))
        c.putrequest("GET", "/enkat/nosuchtoken")
        c.putheader("X-Forwarded-For", "198.51.100.7")
        c.putheader("X-Forwarded-For", "198.51.100.1")
        c.endheaders()
        r = c.getresponse()
        r.read()
        c.close()
        assert r.status == 429, r.status
        # Not an address: the proxy itself is the client (not the garbage).
        assert get(d, PROXY, "/enkat/nosuchtoken", "not-an-address") == 404
        # From an untrusted peer the header is ignored: the failures count
        # against 127.0.0.1 whatever it claims.
        failures(d, OTHER, "198.51.100.10", 1)
        failures(d, OTHER, "198.51.100.11", 1)
        failures(d, OTHER, "198.51.100.12", 1)
        assert get(d, OTHER, "/enkat/nosuchtoken", "198.51.100.13") == 429
        assert get(d, OTHER, "/enkat/nosuchtoken") == 429
        # The proxy's clients are unaffected by 127.0.0.1's count.
        assert get(d, PROXY, "/enkat/nosuchtoken", "198.51.100.3") == 404
        log = d.log()
        assert "peer=198.51.100.1 " in log or 'peer=198.51.100.1\n' in log, log[-2000:]
        assert "peer=198.51.100.13" not in log


def login_limits():
    with Lotsd(serve_args=["--trust-proxy", PROXY]) as d:
        bad = b'{"username":"nobody%d","password":"wrong-password-1"}'
        # Ten failures per address in the window; different usernames so that
        # only the per-address count can refuse.
        def fails(src, xff, n, start):
            out = []
            for i in range(n):
                out.append(get(d, src, "/api/v1/sessions", xff, "POST", bad % (start + i)))
            return out
        st = fails(OTHER, "198.51.100.20", 5, 0) + fails(OTHER, "198.51.100.21", 6, 5)
        assert st[:10] == [401] * 10 and st[10] == 429, st
        # Through the proxy, each client its own count.
        st = fails(PROXY, "198.51.100.30", 11, 100)
        assert st[:10] == [401] * 10 and st[10] == 429, st
        assert fails(PROXY, "198.51.100.31", 1, 200) == [401]
        # The admin logs in through the proxy from a fresh client.
        r = get(d, PROXY, "/api/v1/sessions", "198.51.100.32", "POST",
                b'{"username":"admin","password":"admin-password-1"}')
        assert r == 201, r


def hold(d, src, xff):
    """Opens a keep-alive connection from src and sends one request with xff;
    returns (socket, status)."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10, source_address=(src, 0))
    req = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
    if xff:
        req += "X-Forwarded-For: %s\r\n" % xff
    s.sendall((req + "\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    status = int(data.split(b" ", 2)[1]) if data else 0
    return s, status


def connection_limits():
    with Lotsd(serve_args=["--trust-proxy", PROXY, "--max-conns-per-peer", "2"]) as d:
        socks = []
        try:
            # Through the proxy: two connections per client, more proxy
            # connections for other clients.
            for xff, want in [("198.51.100.40", 200), ("198.51.100.40", 200),
                              ("198.51.100.40", 503), ("198.51.100.41", 200),
                              ("198.51.100.42", 200), (None, 200), (None, 200), (None, 200)]:
                s, st = hold(d, PROXY, xff)
                socks.append(s)
                assert st == want, (xff, st, want)
            # Untrusted: counted as itself whatever the header says.
            s1, st1 = hold(d, OTHER, "198.51.100.50")
            s2, st2 = hold(d, OTHER, "198.51.100.51")
            s3, st3 = hold(d, OTHER, "198.51.100.52")
            socks += [s1, s2, s3]
            assert (st1, st2, st3) == (200, 200, 503), (st1, st2, st3)
        finally:
            for s in socks:
                s.close()


def bad_option():
    with Lotsd(start=False) as d:
        import subprocess
        from lbtest import LOTSD
        for bad in ["nonsense", "127.0.0.1,", "10.0.0.0/8", ",".join(["127.0.0.1"] * 17)]:
            r = subprocess.run([LOTSD, "serve", "--data", d.data, "--trust-proxy", bad],
                               capture_output=True, text=True, timeout=20, env=d.env)
            assert r.returncode == 2 and "--trust-proxy" in r.stderr, (bad, r)


if __name__ == "__main__":
    form_limits()
    login_limits()
    connection_limits()
    bad_option()
    print("ok")
    sys.exit(0)
