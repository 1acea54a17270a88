#!/usr/bin/python3
"""Black-box tests of lots-worker against a real lotsd.

Starts `lotsd init` + `lotsd serve` and `lots-worker` on loopback ports with
temp directories, drives the API as a lots user and a unit handler, and checks
the follow-ups the worker schedules: the due date of a closure, a decided
hand-off's unit call, the 30-day merge, the push past a call already made, the
cancellation on reopening, and the overdue flag after exactly 2 working days,
once. The clock is moved with LOTSBOK_NOW.

The harness (class Lotsbok) is also imported by test_worker_chaos.py and
test_worker_catchup.py.
"""
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
import urllib.error
import urllib.request

BUILD = os.environ.get("LB_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
LOTSD = os.path.join(BUILD, "lotsd")
WORKER = os.path.join(BUILD, "lots-worker")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def luhn_orgnr(nine):
    """The 10-digit organisationsnummer with its Luhn check digit."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return nine + str((10 - total % 10) % 10)


def wait_until(pred, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


class Lotsbok:
    """lotsd and lots-worker in a temp directory, on free loopback ports."""

    def __init__(self, name="worker"):
        self.tmp = tempfile.mkdtemp(prefix="lb-%s-" % name)
        self.data = os.path.join(self.tmp, "data")
        self.wdata = os.path.join(self.tmp, "worker")
        self.http_port = free_port()
        self.pub = "tcp://127.0.0.1:%d" % free_port()
        self.replay = "tcp://127.0.0.1:%d" % free_port()
        self.url = "http://127.0.0.1:%d" % self.http_port
        self.lotsd = None
        self.worker = None
        self.worker_logs = []
        self.tokens = {}
        self.orgnr_seq = random.randrange(2000000, 8000000)  # digits 3-4 >= 20: a legal person
        pw = os.path.join(self.tmp, "admin.pw")
        with open(pw, "w") as f:
            f.write("admin-secret-1\n")
        subprocess.run([LOTSD, "init", "--data", self.data, "--admin", "admin",
                        "--password-file", pw], check=True, env=self.env(None),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def env(self, now):
        e = dict(os.environ)
        e["LOTSBOK_PWHASH_FAST"] = "1"
        e.pop("LOTSBOK_NOW", None)
        if now:
            e["LOTSBOK_NOW"] = now
        return e

    # --- processes -----------------------------------------------------------

    def start_lotsd(self, now=None):
        log = open(os.path.join(self.tmp, "lotsd.log"), "a")
        self.lotsd = subprocess.Popen(
            [LOTSD, "serve", "--data", self.data, "--listen", "127.0.0.1:%d" % self.http_port,
             "--pub", self.pub, "--replay", self.replay],
            env=self.env(now), stdout=log, stderr=log)
        log.close()
        wait_until(self.healthy, 10, "lotsd to answer /healthz")

    def healthy(self):
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                return json.loads(r.read())
        except (OSError, ValueError):
            return None

    def stop_lotsd(self, sig=signal.SIGTERM):
        if self.lotsd is not None:
            self.lotsd.send_signal(sig)
            self.lotsd.wait(10)
            self.lotsd = None

    def start_worker(self, now=None, extra=()):
        path = os.path.join(self.tmp, "worker-%d.log" % len(self.worker_logs))
        self.worker_logs.append(path)
        log = open(path, "w")
        self.worker = subprocess.Popen(
            [WORKER, "--data", self.wdata, "--server", self.url,
             "--token-file", os.path.join(self.data, "worker.token"),
             "--sub", self.pub, "--replay", self.replay, "--heartbeat-ms", "300"] + list(extra),
            env=self.env(now), stdout=log, stderr=log)
        log.close()
        return self.worker

    def worker_log(self):
        with open(self.worker_logs[-1]) as f:
            return f.read()

    def wait_worker_log(self, text, timeout=20.0):
        wait_until(lambda: text in self.worker_log(), timeout, "worker log: " + text)

    def stop_worker(self, sig=signal.SIGTERM):
        if self.worker is None:
            return None
        self.worker.send_signal(sig)
        rc = self.worker.wait(15)
        self.worker = None
        return rc

    def close(self):
        for p in (self.worker, self.lotsd):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- API -----------------------------------------------------------------

    def call(self, method, path, body=None, user="admin", ok=(200, 201)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if user is not None:
            req.add_header("Authorization", "Bearer " + self.token(user))
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        doc = json.loads(text) if text else None
        if ok and status not in ok:
            raise AssertionError("%s %s -> %d %s" % (method, path, status, text[:300]))
        return doc

    def token(self, user):
        if user not in self.tokens:
            pw = "admin-secret-1" if user == "admin" else "secret-" + user + "-2026"
            doc = self.call("POST", "/api/v1/sessions", {"username": user, "password": pw},
                            user=None)
            self.tokens[user] = doc["token"]
        return self.tokens[user]

    def add_user(self, name, role, units=None):
        body = {"username": name, "password": "secret-" + name + "-2026", "role": role}
        if units:
            body["units"] = units
        self.call("POST", "/api/v1/users", body)

    def company(self, name):
        self.orgnr_seq += 1
        orgnr = luhn_orgnr("55%07d" % self.orgnr_seq)
        return self.call("POST", "/api/v1/companies", {"orgnr": orgnr, "name": name})["id"]

    def case(self, company_id, user="anna"):
        return self.call("POST", "/api/v1/cases", {"company_id": company_id, "subject": "Lokal",
                                                    "category": "premises_land"}, user=user)["id"]

    def close_case(self, case_id, closed_at, user="anna"):
        return self.call("POST", "/api/v1/cases/%d/close" % case_id,
                         {"outcome": "resolved", "closed_at": closed_at}, user=user)

    def followups(self, **query):
        items, after = [], None
        while True:
            q = "&".join("%s=%s" % kv for kv in query.items())
            path = "/api/v1/followups?limit=500" + ("&" + q if q else "")
            if after is not None:
                path += "&after=%s" % after
            doc = self.call("GET", path)
            items += doc["items"]
            after = doc.get("next")
            if after is None:
                return items

    def calls_for_case(self, case_id):
        return [f for f in self.followups() if any(i["case_id"] == case_id for i in f["items"])]


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def run_scenarios(lb):
    lb.add_user("anna", "lots")
    lb.add_user("bo", "handler", ["bygglov"])

    # A closure on skärtorsdag 2 April 2026 (23:30 Stockholm time): 10 working
    # days skip långfredagen, påsk and annandag påsk -> Monday 20 April.
    c1 = lb.company("Mälarbåtar AB")
    k1 = lb.case(c1)
    lb.close_case(k1, "2026-04-02T21:30:00Z")
    f = wait_until(lambda: lb.calls_for_case(k1), what="the closure's follow-up")
    check(len(f) == 1, "one call for the closure: %r" % f)
    check(f[0]["due"] == "2026-04-20", "due 10 working days after: %r" % f[0])
    check(f[0]["assignee"] == "anna" and f[0]["company_id"] == c1, repr(f[0]))
    check(f[0]["items"] == [{"kind": "lots", "case_id": k1}] or
          [(i["kind"], i["case_id"]) for i in f[0]["items"]] == [("lots", k1)], repr(f[0]))
    print("ok closure due date across Easter")

    # A hand-off decided on 12 June 2026: midsommarafton (19 June) is off ->
    # Monday 29 June, a unit call for bygglov assigned to the case's owner.
    c2 = lb.company("Roslagens Bygg AB")
    k2 = lb.case(c2)
    h = lb.call("POST", "/api/v1/cases/%d/handoffs" % k2, {"unit": "bygglov", "note": "Bygglov"},
                user="anna")["id"]
    lb.call("POST", "/api/v1/handoffs/%d/acknowledge" % h, {"reference": "BN 2026-12"}, user="bo")
    # lotsd refuses times more than a day after its clock (issue 19): it runs on
    # 12 June for this decision, then on LOTSD_NOW again.
    lb.stop_lotsd()
    lb.start_lotsd(now="2026-06-12T10:00:00Z")
    lb.tokens.clear()  # the April sessions have expired by June
    lb.call("POST", "/api/v1/handoffs/%d/decide" % h,
            {"decision": "granted", "decided_at": "2026-06-12T09:00:00Z"}, user="bo")
    lb.stop_lotsd()
    lb.start_lotsd(now=LOTSD_NOW)
    f = wait_until(lambda: lb.calls_for_case(k2), what="the hand-off's follow-up")
    check(len(f) == 1 and f[0]["due"] == "2026-06-29", repr(f))
    it = f[0]["items"]
    check(len(it) == 1 and it[0]["kind"] == "unit" and it[0]["handoff_id"] == h and
          it[0].get("unit") == "bygglov", repr(it))
    check(f[0]["assignee"] == "anna", repr(f[0]))
    print("ok decided hand-off gets its unit follow-up")

    # The 30-day rule: two closures a week apart -> one call with both.
    c3 = lb.company("Norrtälje Café AB")
    a, b = lb.case(c3), lb.case(c3)
    lb.close_case(a, "2026-03-13T10:00:00Z")  # due Fri 27 March
    wait_until(lambda: lb.calls_for_case(a), what="first call")
    lb.close_case(b, "2026-03-20T10:00:00Z")  # due Fri 3 April: merged
    wait_until(lambda: [x for x in lb.followups() if x["company_id"] == c3 and
                        len(x["items"]) == 2], what="the merge")
    calls = [x for x in lb.followups() if x["company_id"] == c3]
    check(len(calls) == 1, "one call for the company: %r" % calls)
    check(calls[0]["due"] == "2026-03-27", repr(calls[0]))
    check(sorted(i["case_id"] for i in calls[0]["items"]) == sorted([a, b]), repr(calls[0]))
    print("ok 30-day merge")

    # A call made on 1 April (lotsd's clock) blocks 30 days: a closure on
    # 2 April wants 20 April and gets the first working day from 1 May
    # (första maj) -> Monday 4 May.
    c4 = lb.company("Grisslehamns Fisk AB")
    first = lb.case(c4)
    lb.close_case(first, "2026-03-02T10:00:00Z")
    f = wait_until(lambda: lb.calls_for_case(first), what="call to be made")
    # The result's event precedes the next closure's in the log, so the
    # worker knows of the call made when it schedules the next one.
    lb.call("POST", "/api/v1/followups/%d/result" % f[0]["id"], {"status": "done"}, user="anna")
    second = lb.case(c4)
    lb.close_case(second, "2026-04-02T10:00:00Z")
    f = wait_until(lambda: lb.calls_for_case(second), what="pushed call")
    check(len(f) == 1 and f[0]["due"] == "2026-05-04", "pushed past the made call: %r" % f)
    print("ok call made within 30 days pushes the next one")

    # Reopening a case whose call has only its item cancels the call.
    c5 = lb.company("Rimbo Smide AB")
    k5 = lb.case(c5)
    lb.close_case(k5, "2026-03-16T10:00:00Z")
    f = wait_until(lambda: lb.calls_for_case(k5), what="call to cancel")
    lb.call("POST", "/api/v1/cases/%d/reopen" % k5, {}, user="anna")
    wait_until(lambda: [x for x in lb.calls_for_case(k5) if x["status"] == "cancelled"],
               what="cancellation")
    # Closing it again schedules a new call (the cancelled one does not count).
    lb.close_case(k5, "2026-03-23T10:00:00Z")
    wait_until(lambda: [x for x in lb.calls_for_case(k5) if x["status"] == "scheduled"],
               what="new call after re-closing")
    check(len(lb.calls_for_case(k5)) == 2, repr(lb.calls_for_case(k5)))
    print("ok reopened case's call cancelled")


def overdue_scenario(lb):
    # Sent Wednesday 1 April 2026 (lotsd's clock): Thu 2 April is working day
    # 1, långfredagen and annandag påsk are off, Tue 7 April is day 2: in time
    # all of 7 April, overdue from 8 April.
    c = lb.company("Hallstavik Plåt AB")
    k = lb.case(c)
    h = lb.call("POST", "/api/v1/cases/%d/handoffs" % k, {"unit": "bygglov", "note": "Fasad"},
                user="anna")["id"]

    def flagged():
        return lb.call("GET", "/api/v1/handoffs/%d" % h)["overdue"]

    def flags_made():
        """Flags lotsd accepted (2xx), over every worker run so far."""
        n = 0
        for p in lb.worker_logs:
            with open(p) as f:
                n += sum(1 for line in f if 'msg="hand-off flagged overdue" handoff_id=%d status=2'
                         % h in line)
        return n

    for now, expect in (("2026-04-07T21:00:00Z", 0),   # 23:00 Stockholm, 7 April
                        ("2026-04-08T05:00:00Z", 1),   # 07:00 Stockholm, 8 April
                        ("2026-04-10T09:00:00Z", 1)):  # checked again: still once
        lb.start_worker(now=now)
        lb.wait_worker_log('msg="overdue check"')
        time.sleep(0.3)
        check(flagged() == bool(expect), "at %s: flagged=%r" % (now, flagged()))
        check(flags_made() == expect, "at %s: %d flags" % (now, flags_made()))
        check(lb.stop_worker() == 0, "worker exits 0 on SIGTERM")
    doc = lb.call("GET", "/api/v1/handoffs?unit=bygglov&overdue=true")
    check([x["id"] for x in doc["items"]] == [h], repr(doc))
    print("ok hand-off flagged overdue after exactly 2 working days, once")


# lotsd's clock: 23:45 in Stockholm on Wednesday 1 April 2026, so that the
# scenarios' closures up to skärtorsdag evening lie within the day ahead of it
# that lotsd accepts (issue 19), and what lotsd stamps is still 1 April.
LOTSD_NOW = "2026-04-01T21:45:00Z"


def main():
    lb = Lotsbok()
    try:
        lb.start_lotsd(now=LOTSD_NOW)
        lb.start_worker(now="2026-04-01T09:00:00Z")
        run_scenarios(lb)
        check(lb.stop_worker() == 0, "worker exits 0 on SIGTERM")
        overdue_scenario(lb)
    except BaseException:
        for p in lb.worker_logs[-2:]:
            with open(p) as f:
                sys.stderr.write(f.read()[-4000:])
        raise
    finally:
        lb.close()


if __name__ == "__main__":
    main()
