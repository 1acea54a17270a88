#!/usr/bin/python3
"""Soak run (`make soak`, docs/reliability.md): SOAK_SECONDS (600) of mixed
load on a real lotsd and lots-worker, with the worker killed (SIGKILL) every
20-60 s and lotsd killed (SIGKILL) once a minute, each restarted at once.

Load, from threads that ride through the restarts:
- writers post contacts and log every id answered 2xx;
- a closer opens cases, hands a third of them to bygglov, has the handler
  acknowledge and decide, and closes the case, logging the closed cases and
  decided hand-offs it got an answer for (a retried close or decision that
  finds its first try committed, 409, counts as done);
- readers fetch cases, lists and /healthz.

At the end (lotsd and the worker left running until the worker has caught up):
every acknowledged contact is there, every closed case has exactly one lots
follow-up item and every decided hand-off exactly one unit item, lotsd stops
with exit 0 on SIGTERM and `lotsd check` is clean, and within each lotsd
incarnation that ran long enough its heap (RssAnon of /proc/PID/status; LMDB's
file-backed mapped pages grow with the data and are not the process's heap)
grew at most 10 % from warm-up (WARMUP_SECONDS, 15) to its end. Exits 1 on any
failure; prints the figures.
"""
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "blackbox"))
import test_worker as tw  # noqa: E402
from test_worker_chaos import count_items  # noqa: E402

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
WARMUP = float(os.environ.get("WARMUP_SECONDS", "15"))
WRITERS = int(os.environ.get("SOAK_WRITERS", "3"))
READERS = int(os.environ.get("SOAK_READERS", "2"))


def rss_kb(pid):
    """(RssAnon, RssFile) of a process in KiB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            v = {}
            for line in f:
                k, _, rest = line.partition(":")
                if k in ("RssAnon", "RssFile"):
                    v[k] = int(rest.split()[0])
            return v.get("RssAnon"), v.get("RssFile")
    except OSError:
        return None


class Client:
    """A keep-alive HTTP client that reconnects after lotsd went away."""

    def __init__(self, lb, user):
        self.lb, self.user, self.conn = lb, user, None

    def call(self, method, path, body=None):
        """(status, json) or raises OSError when lotsd cannot be reached."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.lb.http_port, timeout=10)
        h = {"Authorization": "Bearer " + self.lb.token(self.user)}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
            text = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = None
            raise OSError(str(e))
        return r.status, (json.loads(text) if text else None)

    def robust(self, method, path, body=None, ok=(200, 201), stop=None):
        """Retries through a lotsd restart; returns (status, json) for an
        answer in ok, else raises."""
        for _ in range(600):
            if stop is not None and stop.is_set():
                return None, None
            try:
                st, doc = self.call(method, path, body)
            except OSError:
                time.sleep(0.05)
                continue
            if st in ok:
                return st, doc
            if st == 503:
                time.sleep(0.05)
                continue
            raise AssertionError("%s %s -> %d %r" % (method, path, st, doc))
        raise AssertionError("lotsd did not come back")


class Load:
    def __init__(self, lb, companies):
        self.lb, self.companies = lb, companies
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}  # case id -> contact ids answered 2xx
        self.closed, self.decided = [], []
        self.requests, self.errors = 0, []
        self.threads = [threading.Thread(target=self.guard, args=(self.writer, i), daemon=True)
                        for i in range(WRITERS)]
        self.threads.append(threading.Thread(target=self.guard, args=(self.closer, 0), daemon=True))
        self.threads += [threading.Thread(target=self.guard, args=(self.reader, i), daemon=True)
                         for i in range(READERS)]

    def guard(self, fn, i):
        try:
            fn(i)
        except Exception as e:  # reported by main
            self.errors.append("%s: %r" % (fn.__name__, e))

    def count(self):
        with self.lock:
            self.requests += 1

    def writer(self, i):
        c = Client(self.lb, "anna")
        rnd = random.Random(i)
        case_id, n = None, 0
        while not self.stop.is_set():
            if case_id is None or n >= 300:
                _, doc = c.robust("POST", "/api/v1/cases",
                                  {"company_id": rnd.choice(self.companies), "subject": "Kontakter",
                                   "category": "other"}, stop=self.stop)
                if doc is None:
                    return
                case_id, n = doc["id"], 0
                with self.lock:
                    self.acked[case_id] = []
            try:
                st, doc = c.call("POST", "/api/v1/cases/%d/contacts" % case_id,
                                 {"channel": rnd.choice(["phone", "email", "visit"]),
                                  "direction": "inbound", "summary": "Samtal %d" % n})
            except OSError:
                time.sleep(0.05)
                continue
            self.count()
            if st == 201:
                with self.lock:
                    self.acked[case_id].append(doc["id"])
                n += 1
            elif st != 503:
                raise AssertionError("contact -> %d %r" % (st, doc))

    def closer(self, i):
        a, b = Client(self.lb, "anna"), Client(self.lb, "bo")
        rnd = random.Random(100 + i)
        k = 0
        while not self.stop.is_set():
            k += 1
            day = 1 + k % 28
            month = 1 + (k // 28) % 12
            _, doc = a.robust("POST", "/api/v1/cases",
                              {"company_id": rnd.choice(self.companies), "subject": "Lokal",
                               "category": "premises_land"}, stop=self.stop)
            if doc is None:
                return
            case_id = doc["id"]
            if k % 3 == 0:
                _, h = a.robust("POST", "/api/v1/cases/%d/handoffs" % case_id,
                                {"unit": "bygglov", "note": "Bygglov"}, stop=self.stop)
                if h is None:
                    return
                st, _ = b.robust("POST", "/api/v1/handoffs/%d/acknowledge" % h["id"],
                                 {"reference": "BN %d" % k}, ok=(200, 201, 409), stop=self.stop)
                st, _ = b.robust("POST", "/api/v1/handoffs/%d/decide" % h["id"],
                                 {"decision": "granted",
                                  "decided_at": "2027-%02d-%02dT10:00:00Z" % (month, day)},
                                 ok=(200, 201, 409), stop=self.stop)
                if st is None:
                    return
                with self.lock:
                    self.decided.append(h["id"])
            st, _ = a.robust("POST", "/api/v1/cases/%d/close" % case_id,
                             {"outcome": "resolved",
                              "closed_at": "2027-%02d-%02dT12:00:00Z" % (month, day)},
                             ok=(200, 201, 409), stop=self.stop)
            if st is None:
                return
            with self.lock:
                self.closed.append(case_id)
            self.count()
            time.sleep(0.02)

    def reader(self, i):
        c = Client(self.lb, "anna")
        rnd = random.Random(200 + i)
        paths = ["/healthz", "/api/v1/cases?status=open&limit=50", "/api/v1/followups?limit=100",
                 "/api/v1/companies?q=soak", "/api/v1/handoffs?unit=bygglov"]
        while not self.stop.is_set():
            with self.lock:
                ids = list(self.acked)
            path = rnd.choice(paths)
            if ids and rnd.random() < 0.5:
                path = "/api/v1/cases/%d" % rnd.choice(ids)
            try:
                st, _ = c.call("GET", path)
            except OSError:
                time.sleep(0.05)
                continue
            self.count()
            if st not in (200, 503):
                raise AssertionError("GET %s -> %d" % (path, st))


def main():
    lb = tw.Lotsbok("soak")
    fails = []
    incarnations = []  # (pid, start, warm rss, last rss, seconds)
    try:
        lb.start_lotsd()
        lb.add_user("anna", "lots")
        lb.add_user("bo", "handler", ["bygglov"])
        companies = [lb.company("Soakbolaget %d AB" % i) for i in range(40)]
        lb.start_worker()
        load = Load(lb, companies)
        for t in load.threads:
            t.start()
        rnd = random.Random(1)
        t0 = time.monotonic()
        end = t0 + SECONDS
        next_worker_kill = t0 + rnd.uniform(20, 60)
        next_lotsd_kill = t0 + 60
        lotsd_start, warm, last = t0, None, None
        worker_kills = lotsd_kills = 0
        while time.monotonic() < end:
            time.sleep(0.5)
            now = time.monotonic()
            r = rss_kb(lb.lotsd.pid)
            if r and r[0]:
                if warm is None and now - lotsd_start >= WARMUP:
                    warm = r
                last = r
            if load.errors:
                break
            if now >= next_worker_kill:
                lb.worker.kill()
                lb.worker.wait()
                lb.start_worker()
                worker_kills += 1
                next_worker_kill = now + rnd.uniform(20, 60)
            if now >= next_lotsd_kill and now + 5 < end:
                incarnations.append((lb.lotsd.pid, warm, last, now - lotsd_start))
                lb.stop_lotsd(signal.SIGKILL)
                lotsd_kills += 1
                lb.start_lotsd()
                lotsd_start, warm, last = time.monotonic(), None, None
                next_lotsd_kill = lotsd_start + 60
        load.stop.set()
        for t in load.threads:
            t.join(30)
        incarnations.append((lb.lotsd.pid, warm, last, time.monotonic() - lotsd_start))
        took = time.monotonic() - t0
        if load.errors:
            fails.append("load errors: %r" % load.errors[:5])

        # Every acknowledged contact is there.
        c = Client(lb, "anna")
        acked = lost = 0
        for case_id, ids in load.acked.items():
            _, doc = c.robust("GET", "/api/v1/cases/%d" % case_id)
            have = {x["id"] for x in doc["contacts"]}
            acked += len(ids)
            lost += len(set(ids) - have)
        if lost:
            fails.append("%d of %d acknowledged contacts lost" % (lost, acked))

        # Exactly one follow-up item per closed case and decided hand-off.
        closed, decided = set(load.closed), set(load.decided)
        try:
            tw.wait_until(lambda: (lambda l, u: set(l) >= closed and set(u) >= decided)(
                *count_items(lb)), 120, "the worker to schedule every follow-up")
        except AssertionError as e:
            fails.append(str(e))
        lots, unit = count_items(lb)
        dup = {k: v for k, v in list(lots.items()) + list(unit.items()) if v != 1}
        if dup or not set(lots) >= closed or not set(unit) >= decided:
            fails.append("follow-up items: %d duplicates %r, %d closed without, %d decided without"
                         % (len(dup), list(dup.items())[:5], len(closed - set(lots)),
                            len(decided - set(unit))))
        seq = lb.healthy()["seq"]

        # Clean stop and check.
        rc = lb.worker.poll()
        if rc is not None:
            fails.append("the worker exited %r by itself" % rc)
        lb.stop_worker()
        proc = lb.lotsd
        lb.stop_lotsd(signal.SIGTERM)
        if proc.returncode != 0:
            fails.append("lotsd exited %r on SIGTERM" % proc.returncode)
        r = subprocess.run([tw.LOTSD, "check", "--data", lb.data], capture_output=True, text=True)
        if r.returncode != 0:
            fails.append("lotsd check: %s %s" % (r.stdout[-2000:], r.stderr[-2000:]))

        # Memory per incarnation.
        growth = []
        for pid, w, l, secs in incarnations:
            if w is None or l is None or secs < WARMUP + 20:
                continue
            g = (l[0] - w[0]) / w[0]
            growth.append((pid, w[0], l[0], g, secs))
            if g > 0.10:
                fails.append("lotsd %d heap grew %.1f %% (%d -> %d KiB) in %.0f s"
                             % (pid, g * 100, w[0], l[0], secs))

        print("soak: %.0f s, %d requests (%.0f/s), lotsd killed %d times, worker killed %d times"
              % (took, load.requests, load.requests / took, lotsd_kills, worker_kills))
        print("soak: %d acknowledged contacts, %d lost; %d closed cases and %d decided hand-offs, "
              "each with exactly one follow-up item: %s; last seq %d; lotsd check: %s"
              % (acked, lost, len(closed), len(decided), "yes" if not dup else "NO", seq,
                 "clean" if r.returncode == 0 else "NOT clean"))
        for pid, w, l, g, secs in growth:
            print("soak: lotsd pid %d, %.0f s: heap (RssAnon) %d KiB after %.0f s warm-up, "
                  "%d KiB at the end: %+.1f %%" % (pid, secs, w, WARMUP, l, g * 100))
        if incarnations and incarnations[-1][2]:
            print("soak: last lotsd RssFile (LMDB pages mapped) %d KiB" % incarnations[-1][2][1])
    finally:
        lb.close()
    if fails:
        for f in fails:
            print("FAIL " + f)
        sys.exit(1)
    print("soak: ok")


if __name__ == "__main__":
    main()
