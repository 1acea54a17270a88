"""The event sockets beyond loopback need CURVE (issue 19, item 7).

`lotsd keygen --curve-keys DIR` makes the keys (0700 directory, 0600 files, never
overwriting a secret key); `lotsd serve` refuses to bind PUB or ROUTER beyond
loopback without `--curve-keys`; with it, a peer without CURVE, or with a key
lotsd does not list in DIR/clients/, gets nothing from either socket, a listed
client gets replay and live events, and lots-worker with `--curve-keys DIR`
schedules follow-ups through the encrypted sockets."""

import os
import stat
import subprocess
import sys
import time
import unittest

import msgpack
import zmq
import zmq.auth

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, LOTSD, Lotsd, free_port  # noqa: E402

WORKER = os.path.join(BUILD_DIR, "lots-worker")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Curve(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not zmq.has("curve"):
            raise unittest.SkipTest("this libzmq has no CURVE")

    def keygen(self, d, *extra):
        keys = os.path.join(d.dir, "curve")
        r = d.run("keygen", "--curve-keys", keys, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return keys

    def serve_refused(self, d, args):
        """lotsd serve with args must exit 2 at once, saying why."""
        p = subprocess.Popen([LOTSD, "serve", "--data", d.data, "--listen", "127.0.0.1:0"] + args,
                             env=d.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("lotsd serve %s kept running (it bound the sockets)" % " ".join(args))
        self.assertEqual(p.returncode, 2, err)
        return err

    def test_keygen(self):
        with Lotsd(start=False) as d:
            keys = self.keygen(d)
            self.assertEqual(mode(keys), 0o700)
            for name in ["server.key", "server.pub", "worker.key", "worker.pub",
                         "clients/worker.pub"]:
                self.assertEqual(mode(os.path.join(keys, name)), 0o600, name)
            pub, sec = zmq.auth.load_certificate(os.path.join(keys, "server.key"))
            self.assertEqual(len(pub), 40)
            self.assertEqual(zmq.curve_public(sec), pub, "the pair belongs together")
            self.assertEqual(zmq.auth.load_certificate(os.path.join(keys, "server.pub")),
                             (pub, None))
            with open(os.path.join(keys, "server.key")) as f:
                before = f.read()
            self.keygen(d)  # again: nothing is replaced
            with open(os.path.join(keys, "server.key")) as f:
                self.assertEqual(f.read(), before)
            self.keygen(d, "--client", "erp")
            self.assertTrue(os.path.exists(os.path.join(keys, "clients", "erp.pub")))
            for bad in ["server", "../evil", "Stor", ""]:
                r = d.run("keygen", "--curve-keys", keys, "--client", bad)
                self.assertEqual(r.returncode, 2, bad)
            # A secret key others may read is refused, as ssh refuses one.
            os.chmod(os.path.join(keys, "server.key"), 0o644)
            err = self.serve_refused(d, ["--curve-keys", keys])
            self.assertIn("readable by others", err)

    def test_beyond_loopback_needs_curve(self):
        with Lotsd(start=False) as d:
            for pub, replay in [("tcp://0.0.0.0:%d" % free_port(), "tcp://127.0.0.1:%d" % free_port()),
                                ("tcp://127.0.0.1:%d" % free_port(), "tcp://*:%d" % free_port()),
                                ("tcp://eth0:%d" % free_port(), "tcp://127.0.0.1:%d" % free_port())]:
                err = self.serve_refused(d, ["--pub", pub, "--replay", replay])
                self.assertIn("--curve-keys", err)
            # Loopback without keys is still the default and works.
            d.start()
            self.assertEqual(d.req("GET", "/healthz").status, 200)

    def test_only_listed_clients_get_events(self):
        with Lotsd(start=False) as d:
            keys = self.keygen(d)
            ports = (free_port(), free_port())
            d.start(["--curve-keys", keys, "--pub", "tcp://0.0.0.0:%d" % ports[0],
                     "--replay", "tcp://0.0.0.0:%d" % ports[1]])
            self.assertIn("curve=on", d.log())
            pub_ep, replay_ep = ["tcp://127.0.0.1:%d" % p for p in ports]
            admin = d.admin_token()
            d.user(admin, "lotta", "lots")
            server_pub, _ = zmq.auth.load_certificate(os.path.join(keys, "server.pub"))
            worker_pub, worker_sec = zmq.auth.load_certificate(os.path.join(keys, "worker.key"))
            ctx = zmq.Context()
            try:
                def socket(kind, pair):
                    s = ctx.socket(kind)
                    s.linger = 0
                    if pair:
                        s.curve_serverkey = server_pub
                        s.curve_publickey, s.curve_secretkey = pair
                    return s

                def replay(pair, wait_ms=2000):
                    s = socket(zmq.DEALER, pair)
                    s.connect(replay_ep)
                    s.send_multipart([b"replay", msgpack.packb({"after": 0, "limit": 100})])
                    got = s.poll(wait_ms)
                    frames = s.recv_multipart() if got else None
                    s.close()
                    return frames

                self.assertIsNone(replay(None), "a plain DEALER gets no answer")
                stranger = zmq.curve_keypair()
                self.assertIsNone(replay(stranger), "an unlisted CURVE key gets no answer")
                wait_until(lambda: "subscriber refused" in d.log(), 30, "the refusal in the log")
                # A loaded machine may take seconds over the handshake and the ZAP check.
                frames = replay((worker_pub, worker_sec), 30000)
                self.assertIsNotNone(frames, "the listed key is answered")
                self.assertEqual(frames[0], b"events")
                self.assertGreaterEqual(len(msgpack.unpackb(frames[1])), 1)

                subs = {}
                for name, pair in [("listed", (worker_pub, worker_sec)), ("plain", None),
                                   ("stranger", stranger)]:
                    s = socket(zmq.SUB, pair)
                    s.setsockopt(zmq.SUBSCRIBE, b"")
                    s.connect(pub_ep)
                    subs[name] = s
                seen = {name: 0 for name in subs}

                def live():
                    d.user(admin, "u%d" % time.monotonic_ns(), "viewer",
                           password="ljungheden-kvitto-sommar")  # one user.created
                    for name, s in subs.items():
                        while s.poll(100):
                            s.recv_multipart()
                            seen[name] += 1
                    return seen["listed"]

                wait_until(live, 60, "a live event on the listed SUB")
                for _ in range(3):
                    live()
                self.assertEqual(seen["plain"], 0, "a plain SUB gets nothing")
                self.assertEqual(seen["stranger"], 0, "an unlisted key gets nothing")
                for s in subs.values():
                    s.close()
            finally:
                # destroy, not term: after a failed assertion sockets are still open,
                # and term() would wait for them forever (CI saw a 600 s timeout).
                ctx.destroy(linger=0)

    def test_worker_over_curve(self):
        with Lotsd(start=False) as d:
            keys = self.keygen(d)
            d.start(["--curve-keys", keys])
            admin = d.admin_token()
            lots = d.user(admin, "lotta", "lots")
            company = d.company(lots)
            case = d.case(lots, company["id"])
            r = d.req("POST", "/api/v1/cases/%d/close" % case["id"], {"outcome": "resolved"},
                      token=lots)
            self.assertEqual(r.status, 200, r)
            log = open(os.path.join(d.dir, "worker.log"), "w")
            worker = subprocess.Popen(
                [WORKER, "--data", os.path.join(d.dir, "w"), "--server",
                 "http://127.0.0.1:%d" % d.port, "--token-file",
                 os.path.join(d.data, "worker.token"), "--sub", d.pub, "--replay", d.replay,
                 "--curve-keys", keys, "--no-indicators", "--heartbeat-ms", "300"],
                env=d.env, stdout=log, stderr=log)
            log.close()
            try:
                def scheduled():
                    r = d.req("GET", "/api/v1/followups", token=lots)
                    return [f for f in r.json["items"]
                            if any(i["case_id"] == case["id"] for i in f["items"])]
                wait_until(scheduled, 60, "the follow-up of the closed case")
                self.assertIn("subscriber let in\" client=worker", d.log())
            finally:
                worker.terminate()
                try:
                    code = worker.wait(30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    code = worker.wait()
            self.assertEqual(code, 0, "lots-worker exits 0 on SIGTERM")
            with open(os.path.join(d.dir, "worker.log")) as f:
                self.assertIn("curve=on", f.read())


if __name__ == "__main__":
    unittest.main()
