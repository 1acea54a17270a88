"""Black-box tests of the demo (lotsd demo) and of `make run`'s script.

1. lotsd init + lotsd demo + lotsd serve: every demo user logs in with the
   password of DIR/demo-logins.txt (mode 0600); each handler sees only its own
   units' hand-offs; the lots see cases; the viewer sees no cases.
2. lots-worker catches up the demo's whole log against that lotsd and adds no
   event: every follow-up it would schedule is answered from the
   Idempotency-Key answers the demo stored, so nothing is scheduled twice.
3. scripts/run.sh, non-interactively: started in its own process group with
   PORT/PUB/REPLAY on free ports and VAR in a temp dir, it serves /healthz;
   the worker mails the demo's due calls to the SMTP sink, which writes them
   to VAR/mail/, and a mail's link opens the survey form; a SIGINT to the
   group (what Ctrl-C does) makes it exit, and lotsd, the worker and the sink
   it started are gone.
"""

import email
import email.policy
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, SOURCE_DIR, Lotsd, free_port  # noqa: E402

WORKER = os.path.join(BUILD_DIR, "lots-worker")
failures = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        failures.append(msg)


def read_logins(data):
    path = os.path.join(data, "demo-logins.txt")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    check(mode == 0o600, "demo-logins.txt has mode 0600 (%o)" % mode)
    users = {}
    with open(path) as f:
        text = f.read()
    check("DEMO ONLY" in text, "demo-logins.txt is marked as demo only")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split(None, 3)
        users[parts[0]] = {"password": parts[1], "role": parts[2],
                           "units": parts[3].replace(" ", "").split(",") if len(parts) > 3 else []}
    return users


def all_items(d, path, token):
    items, after = [], 0
    while True:
        sep = "&" if "?" in path else "?"
        r = d.req("GET", "%s%slimit=500&after=%d" % (path, sep, after), token=token)
        assert r.status == 200, r
        items += r.json["items"]
        if not r.json["next"]:
            return items
        after = r.json["next"]


def wait_until(fn, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.1)
    return False


def healthz(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None


def test_demo_served():
    with Lotsd(start=False) as d:
        t0 = time.time()
        r = d.run("demo", "--data", d.data, "--seed", "3")
        elapsed = time.time() - t0
        check(r.returncode == 0, "lotsd demo exits 0: %s" % r.stderr[-500:])
        print("     %s (%.1f s)" % (r.stdout.splitlines()[0] if r.stdout else "", elapsed))
        check(elapsed < 10, "the demo loads in under 10 s (%.1f s)" % elapsed)
        again = d.run("demo", "--data", d.data, "--seed", "3")
        check(again.returncode != 0, "a second demo into the same environment is refused")
        users = read_logins(d.data)
        check(len(users) >= 6, "demo-logins.txt lists the demo users (%d)" % len(users))
        d.start()
        tokens = {}
        for name, u in users.items():
            r = d.req("POST", "/api/v1/sessions", {"username": name, "password": u["password"]})
            check(r.status == 201, "%s logs in with its demo password (%d)" % (name, r.status))
            if r.status == 201:
                tokens[name] = r.json["token"]
        lots = tokens["anna.lots"]
        cases = all_items(d, "/api/v1/cases", lots)
        check(len(cases) > 300, "GET /cases has the demo's cases (%d)" % len(cases))
        check({c["status"] for c in cases} == {"open", "closed"}, "cases open and closed")
        check({c["owner"] for c in cases} == {"anna.lots", "erik.lots"},
              "cases owned by both lots users")
        everything = all_items(d, "/api/v1/handoffs", lots)
        for name, u in users.items():
            if u["role"] != "handler":
                continue
            seen = all_items(d, "/api/v1/handoffs", tokens[name])
            units = {h["unit"] for h in seen}
            expected = [h for h in everything if h["unit"] in u["units"]]
            check(len(seen) > 0 and units <= set(u["units"]) and len(seen) == len(expected),
                  "%s sees exactly its units' %d hand-offs (units %s)"
                  % (name, len(expected), sorted(units)))
        r = d.req("GET", "/api/v1/cases", token=tokens["arbetsgrupp"])
        check(r.status == 403, "the viewer may not list cases (%d)" % r.status)
        fus = all_items(d, "/api/v1/followups", lots)
        check({"done", "declined", "unreachable", "scheduled"} <= {f["status"] for f in fus},
              "follow-ups in every state")

        if not os.path.exists(WORKER):
            print("skip worker catch-up: lots-worker not built")
            return
        seq = healthz(d.port)["seq"]
        wdir = os.path.join(d.dir, "worker")
        wlog = os.path.join(d.dir, "worker.log")
        with open(wlog, "wb") as log:
            w = subprocess.Popen([WORKER, "--data", wdir, "--server",
                                  "http://127.0.0.1:%d" % d.port, "--token-file",
                                  os.path.join(d.data, "worker.token"), "--sub", d.pub,
                                  "--replay", d.replay], stdout=log, stderr=log)
        try:
            caught = wait_until(lambda: 'msg="caught up"' in open(wlog).read(), 30, "catch-up")
            check(caught, "the worker catches up the demo's log")
            time.sleep(0.5)
            text = open(wlog).read()
            # The only events the catch-up may add are the worker's indicator
            # snapshots (indicators.updated); anything else was done twice.
            r = d.req("GET", "/api/v1/events?after=%d&limit=500" % seq, token=d.admin_token())
            check(r.status == 200, "GET /events (%d)" % r.status)
            extra = [e["type"] for e in r.json["items"] if e["type"] != "indicators.updated"]
            check(extra == [], "the worker's catch-up schedules nothing twice (new events after "
                  "seq %d: %s)" % (seq, extra[:5]))
            check("level=error" not in text, "the worker logs no error: %s"
                  % [l for l in text.splitlines() if "level=error" in l][:3])
        finally:
            w.send_signal(signal.SIGTERM)
            try:
                w.wait(15)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose; its parent (run.sh) reaps it.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def show_stuck(var, pids):
    """What a shutdown that did not end was waiting on: each live process's
    command, state and kernel wait channel and stack of its threads, and the
    tails of the logs."""
    for pid in pids:
        if not alive(pid):
            continue
        try:
            cmd = open("/proc/%d/cmdline" % pid, "rb").read().replace(b"\0", b" ").decode()
            print("still alive: %d %s" % (pid, cmd[:120]))
            for tid in sorted(os.listdir("/proc/%d/task" % pid)):
                base = "/proc/%d/task/%s/" % (pid, tid)
                state = open(base + "stat").read().split(")")[-1].split()[0]
                wchan = open(base + "wchan").read()
                print("  thread %s state %s wchan %s" % (tid, state, wchan))
        except OSError as e:
            print("  (%s)" % e)
    for name in ("lotsd.log", "worker.log", "smtp.log"):
        path = os.path.join(var, name)
        if os.path.exists(path):
            print("--- tail of %s" % name)
            print("".join(open(path, errors="replace").readlines()[-15:]))


def test_run_script():
    var = tempfile.mkdtemp(prefix="lotsbok-run-")
    port = free_port()
    env = dict(os.environ, BUILD=BUILD_DIR, VAR=var, PORT=str(port),
               PUB="tcp://127.0.0.1:%d" % free_port(),
               REPLAY="tcp://127.0.0.1:%d" % free_port(), LOTSBOK_PWHASH_FAST="1")
    out_path = os.path.join(var, "run.out")
    out = open(out_path, "wb")
    p = subprocess.Popen(["bash", os.path.join(SOURCE_DIR, "scripts", "run.sh")], cwd=SOURCE_DIR,
                         env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                         start_new_session=True)
    pids = []
    try:
        up = wait_until(lambda: healthz(port) is not None, 30, "healthz")
        check(up, "run.sh serves /healthz on PORT")
        wait_until(lambda: "Ctrl-C stops everything" in open(out_path).read(), 10, "banner")
        text = open(out_path).read()
        check("anna.lots" in text and "bygglov.handl" in text, "run.sh prints the demo logins")
        check("lots --server http://127.0.0.1:%d login" % port in text,
              "run.sh prints lots commands to try")
        for name in ("lotsd.pid", "worker.pid"):
            path = os.path.join(var, name)
            if os.path.exists(path):
                pids.append(int(open(path).read()))
        check(len(pids) == (2 if os.path.exists(WORKER) else 1), "run.sh started lotsd and the worker")
        sink = os.path.join(var, "smtp.pid")
        check(os.path.exists(sink), "run.sh started the SMTP sink")
        if os.path.exists(sink):
            pids.append(int(open(sink).read()))
        check("each mail is a file in %s/mail/" % var in text, "run.sh says where the mails are")
        if os.path.exists(WORKER):
            # The demo's calls due in the last working days are mailed at once.
            mailed = wait_until(lambda: any(n.endswith(".eml")
                                            for n in os.listdir(os.path.join(var, "mail"))),
                                60, "a survey mail in VAR/mail")
            check(mailed, "the worker mailed the demo's due calls to VAR/mail/")
            if mailed:
                name = sorted(n for n in os.listdir(os.path.join(var, "mail"))
                              if n.endswith(".eml"))[0]
                with open(os.path.join(var, "mail", name), "rb") as f:
                    msg = email.message_from_bytes(f.read(), policy=email.policy.default)
                body = msg.get_body(("plain",)).get_content()
                m = re.search(r"(http://127\.0\.0\.1:%d/enkat/[A-Za-z0-9_-]{43})" % port, body)
                check(m is not None, "the mail holds the survey's link on the demo's port")
                if m:
                    with urllib.request.urlopen(m.group(1), timeout=10) as r:
                        check(r.status == 200 and "Hur var kommunens service?" in
                              r.read().decode(), "the link opens the survey form")
        os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        try:
            rc = p.wait(30)
            check(True, "run.sh exits after SIGINT (%d)" % rc)
        except subprocess.TimeoutExpired:
            check(False, "run.sh exits after SIGINT")
        gone = wait_until(lambda: not any(alive(x) for x in pids), 10, "processes gone")
        check(gone, "lotsd and the worker are gone after Ctrl-C")
        if not gone or p.poll() is None:
            show_stuck(var, [p.pid] + pids)
        check("Lotsbok stopped." in open(out_path).read(), "run.sh says it stopped")
    finally:
        out.close()
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        for x in pids:
            if alive(x):
                os.kill(x, signal.SIGKILL)
        if failures:
            print(open(out_path).read()[-3000:])
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    test_demo_served()
    test_run_script()
    if failures:
        print("%d failed" % len(failures))
        sys.exit(1)
    print("all demo checks passed")
