#!/usr/bin/python3
"""bench.py: the benchmark driver behind `make bench` and `make bench-scale`.

Runs the real binaries of the build directory, each figure at least three
times, and prints ONE table: the figure (median, with min and max), the
ceiling it is held against (measured in the same run, on the same machine,
minutes apart at most), their ratio, DESIGN.md's target and whether it
holds. A figure that was not measured is printed as "not measured" with the
reason; nothing in the table comes from anywhere but this run.

    bench/bench.py            the set of `make bench` (under 10 minutes on 2 cores)
    bench/bench.py --scale    reads and search at 10,000 and 10,000,000 contacts (`make bench-scale`)
    bench/bench.py --quick    one short run of each (a smoke test of the driver)
    bench/bench.py --writes   only the durable write rows (1, 8, 64 connections)
    bench/bench.py --import   only the import rows (100,000 companies, CSV and XLSX)
    bench/bench.py --web      only the web rows (every screen in chromium, bench/web_bench.mjs)

Environment: LB_BUILD_DIR (default ./build), LB_BENCH_SECONDS (wrk run length,
default 4), LB_BENCH_RUNS (default 3), LB_BENCH_SCALE_DIR (default var/bench-scale).
What each figure means: docs/benchmarks.md.
"""

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "blackbox"))
os.environ.setdefault("LB_BUILD_DIR", os.path.join(SOURCE, "build"))
BUILD = os.path.abspath(os.environ["LB_BUILD_DIR"])
os.environ["LB_BUILD_DIR"] = BUILD
from lbtest import Lotsd, free_port  # noqa: E402

QUICK = "--quick" in sys.argv
RUNS = 1 if QUICK else max(3, int(os.environ.get("LB_BENCH_RUNS", "3")))
SECONDS = "1" if QUICK else os.environ.get("LB_BENCH_SECONDS", "4")
CONNS = 64
WRITE_CONNS = (1, 8, 64)


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# --- figures ------------------------------------------------------------------


class Fig:
    """A measured figure: every run's value; median, min and max of them."""

    def __init__(self, values, unit):
        self.values = list(values)
        self.unit = unit

    @property
    def med(self):
        return statistics.median(self.values)

    def text(self):
        fmt = fmt_num
        if len(self.values) == 1:
            return "%s %s (1 run)" % (fmt(self.med), self.unit)
        return "%s %s [%s–%s]" % (fmt(self.med), self.unit, fmt(min(self.values)),
                                  fmt(max(self.values)))


def fmt_num(v):
    if v >= 1000:
        return "{:,.0f}".format(v)
    if v >= 10:
        return "%.1f" % v
    return "%.3g" % v


ROWS = []


class Note:
    """A row's measured column that is text (the write breakdown)."""

    def __init__(self, text):
        self._text = text
        self.med = 0

    def text(self):
        return self._text


def spread(ratios):
    """The lowest and highest of per-run ratios, in per cent."""
    return "%.0f–%.0f %%" % (100 * min(ratios), 100 * max(ratios))


def pairs(ratios):
    """The spread of per-run ratios (each run against its own ceiling)."""
    return "pairs " + spread(ratios)


def write_rows(r):
    """The durable write rows at 1, 8 and 64 connections (write_runs): the
    figure beside its plain loop, latency, and where the time went."""
    for conns in WRITE_CONNS:
        runs = r.get("write%d" % conns)
        if not runs:
            continue
        w = [x["wrk"] for x in runs]
        mb = statistics.mean(x["mean_batch"] for x in runs)
        batches = "/".join(str(x["batch"]) for x in runs)
        rate = Fig([x[0] for x in w], "req/s")
        plain = Fig([x["plain"] for x in runs], "rec/s")
        tp = pairs([x[0] / p["plain"] for x, p in zip(w, runs)])
        label = "durable writes POST /cases/{id}/contacts, %d conn%s (mean batch %.1f; %s)" % (
            conns, "" if conns == 1 else "s", mb, tp)
        if conns == 1:
            row(label, rate, plain, "plain LMDB loop, batch 1")
            p50s = [x["plain_p50"] for x in runs]
            if all(p50s):
                row("  p50 latency, 1 conn (%s)" % pairs([x[1] / p for x, p in zip(w, p50s)]),
                    Fig([x[1] for x in w], "ms"), Fig(p50s, "ms"),
                    "plain loop: one synced commit, p50", "≤ 130 % of ceiling",
                    lambda f, q: q is not None and q <= 1.3)
            else:
                row("  p50 latency, 1 conn", why="bench_lmdb_plain gave no txn_p50_ms")
            if all(p50s) and all(x["hz_p50"] for x in runs):
                # The least a write over HTTP can take: a plain synced commit
                # and an empty HTTP exchange, one after the other.
                row("  least possible p50: plain commit p50 + GET /healthz p50, 1 conn",
                    Fig([p + x["hz_p50"] for p, x in zip(p50s, runs)], "ms"), Fig(p50s, "ms"),
                    "plain loop: one synced commit, p50")
        elif conns == 8:
            row(label, rate, plain, "plain LMDB loop, batch %s" % batches, "≥ 80 % of ceiling",
                lambda f, q: q is not None and q >= 0.8)
            if all(x["hz_mean"] for x in runs):
                # Eight clients that each wait for their answer: at best all
                # eight in every commit, and between two commits one empty
                # HTTP exchange (answer, client, request), during which the
                # disk is idle. The plain loop's mean transaction at batch 8
                # (8 / its rate) plus /healthz's mean latency at 8
                # connections: what that allows, beside the plain loop, and
                # lotsd's rate against it (docs/benchmarks.md).
                bound = [8 / (8 / x["plain"] + 1e-3 * x["hz_mean"]) for x in runs]
                row("  closed-loop bound, 8 conns: 8 / (plain txn mean + GET /healthz mean) "
                    "(lotsd at %s of it)" % spread([x[0] / b for x, b in zip(w, bound)]),
                    Fig(bound, "req/s"), plain, "plain LMDB loop, batch %s" % batches)
        else:
            row(label, rate, plain, "plain LMDB loop, batch %s" % batches,
                "≥ 20,000/s and ≥ 80 % of ceiling",
                lambda f, q: f.med >= 20000 and q is not None and q >= 0.8)
        if conns != 1:
            row("  p50 latency, %d conns" % conns, Fig([x[1] for x in w], "ms"))
        row("  p99 latency, %d conn%s" % (conns, "" if conns == 1 else "s"),
            Fig([x[2] for x in w], "ms"), target="≤ 10 ms" if conns == 64 else "",
            holds=(lambda f, q: f.med <= 10) if conns == 64 else None)
        # Where a write's time went in lotsd, summed over the runs.
        tot = {k: sum(x["diff"][k] or 0 for x in runs) for k in runs[0]["diff"]}
        nw = tot.get("lotsd_write_stage_writes_total") or 0
        if nw and tot.get("stage_commit") is not None:
            per = {st: 1e6 * tot["stage_" + st] / nw for st in STAGES}
            means = [x["wrk"][4] for x in runs if x["wrk"][4] is not None]
            busy = (tot["commit_ops"] + tot["commit_commit"]) / sum(x["wall"] for x in runs)
            row("  time per write in lotsd, %d conn%s (µs, /metrics)" %
                (conns, "" if conns == 1 else "s"),
                Note(", ".join("%s %.0f" % (st, per[st]) for st in STAGES) +
                     "; sum %.0f (wrk mean %s); commit thread busy %.0f %%" %
                     (sum(per.values()),
                      "%.0f" % (1000 * statistics.mean(means)) if means else "?", 100 * busy)))
        else:
            row("  time per write in lotsd, %d conns" % conns,
                why="no lotsd_write_stage_* counters on /metrics")
        errs = sum(x[3] for x in w)
        if errs:
            log("WARNING: %d non-201 answers in the %d-connection write runs" % (errs, conns))


def row(what, fig=None, ceiling=None, ceiling_name="", target="", holds=None, why=None):
    """One table row. holds: a function of (fig, ratio) -> bool, or None."""
    ROWS.append((what, fig, ceiling, ceiling_name, target, holds, why))


def print_table():
    out = []
    head = ("figure", "measured (median [min–max])", "ceiling, same run", "ratio", "target",
            "holds")
    out.append(head)
    for what, fig, ceiling, cname, target, holds, why in ROWS:
        if fig is None:
            out.append((what, "not measured: " + (why or "?"), "", "", target, "–"))
            continue
        ratio = fig.med / ceiling.med if ceiling is not None and ceiling.med > 0 else None
        ctext = "%s: %s" % (cname, ceiling.text()) if ceiling is not None else "–"
        rtext = "%.0f %%" % (100 * ratio) if ratio is not None else "–"
        h = "–" if holds is None else ("yes" if holds(fig, ratio) else "NO")
        out.append((what, fig.text(), ctext, rtext, target, h))
    widths = [max(len(r[i]) for r in out) for i in range(len(head))]
    lines = []
    for i, r in enumerate(out):
        lines.append(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            lines.append("-+-".join("-" * w for w in widths))
    print("\n".join(lines))


# --- tools -----------------------------------------------------------------------


def have(prog):
    return os.access(os.path.join(BUILD, prog), os.X_OK)


def wrk(url, script, env, seconds=None, conns=CONNS):
    """One wrk run; returns (req/s, p50 ms, p99 ms, non-2xx count, mean ms or
    None when the script does not print it)."""
    cmd = ["wrk", "-t%d" % min(2, conns), "-c%d" % conns, "-d%ss" % (seconds or SECONDS), "--latency", "-s",
           os.path.join(HERE, script), url]
    p = subprocess.run(cmd, env=dict(os.environ, **env), capture_output=True, text=True,
                       timeout=120)
    m = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    lat = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", p.stdout)
    errs = re.search(r"non-20\d answers: (\d+)", p.stdout)
    if not (m and lat and errs):
        raise RuntimeError("wrk output not understood:\n" + p.stdout + p.stderr)
    mean = re.search(r"^mean ([\d.]+) ms", p.stdout, re.M)
    return (float(m.group(1)), float(lat.group(1)), float(lat.group(2)), int(errs.group(1)),
            float(mean.group(1)) if mean else None)


STAGES = ("parse", "queue", "ops", "commit", "wake", "answer")


def metrics(port):
    """The counters of /metrics the write rows use: batch sizes, the commit
    thread's time (lotsd_commit_seconds_total) and the durable writes' time
    by stage (lotsd_write_stage_seconds_total, _writes_total)."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        text = r.read().decode()
    vals = {}
    for name in ("lotsd_commit_batch_size_sum", "lotsd_commit_batch_size_count",
                 "lotsd_write_stage_writes_total"):
        m = re.search(r"^%s (\d+)" % name, text, re.M)
        vals[name] = int(m.group(1)) if m else None
    for part in ("ops", "commit"):
        m = re.search(r'^lotsd_commit_seconds_total\{part="%s"\} ([\d.]+)' % part, text, re.M)
        vals["commit_" + part] = float(m.group(1)) if m else None
    for st in STAGES:
        m = re.search(r'^lotsd_write_stage_seconds_total\{stage="%s"\} ([\d.]+)' % st, text,
                      re.M)
        vals["stage_" + st] = float(m.group(1)) if m else None
    return vals


def write_runs(d, url, case, token, conns, results):
    """RUNS write runs at `conns` connections, each followed at once by its
    ceiling, the plain loop (bench_lmdb_plain --batch N), so both see the
    same moment of a shared machine. N is the connections for 1 and 8 (all
    of them in one commit is what the plain loop can do; the targets name
    batch 1 and batch 8) and the mean batch lotsd committed in that run for
    more. Keeps per run: wrk's figures, the plain loop's rate and single
    transaction p50, N, and the /metrics counters' differences."""
    runs = []
    for i in range(RUNS):
        m0 = metrics(d.port)
        t0 = time.monotonic()
        w = wrk(url, "post_contact.lua", {"LB_CASE": str(case), "LB_TOKEN": token}, conns=conns)
        wall = time.monotonic() - t0
        m1 = metrics(d.port)
        diff = {k: (m1[k] - m0[k]) if m1[k] is not None and m0[k] is not None else None
                for k in m1}
        n = diff["lotsd_commit_batch_size_count"] or 0
        mean_batch = diff["lotsd_commit_batch_size_sum"] / n if n else 0
        b = conns if conns <= 8 else max(1, int(round(mean_batch)))
        out = bench_prog(["bench_lmdb_plain", "--batch", str(b), "--runs", "1",
                          "--secs", "1" if QUICK else "2"])
        p50 = re.search(r"txn_p50_ms=([\d.]+)", out)
        # The HTTP exchange alone at the same connections (GET /healthz: no
        # authentication, no store, no hand-off), for the bound the closed
        # loop of `conns` clients sets (write_rows).
        hz = wrk(url, "get_auth.lua", {"LB_PATH": "/healthz"}, seconds="1" if QUICK else "2",
                 conns=conns) if conns <= 8 else None
        runs.append({"wrk": w, "plain": float(re.search(r"median=(\d+)", out).group(1)),
                     "plain_p50": float(p50.group(1)) if p50 else None, "batch": b,
                     "mean_batch": mean_batch, "diff": diff, "wall": wall,
                     "hz_p50": hz[1] if hz else None, "hz_mean": hz[4] if hz else None})
        log("POST %d conns run %d: %.0f/s p50 %.3f ms p99 %.2f ms, mean batch %.1f; "
            "plain loop batch %d %.0f/s, txn p50 %s ms" %
            (conns, i + 1, w[0], w[1], w[2], mean_batch, b, runs[-1]["plain"],
             p50.group(1) if p50 else "?"))
    results["write%d" % conns] = runs


def anon_kib(pid):
    """Private anonymous memory of pid, in KiB: heap, malloc's mmaps, thread
    stacks (the pages touched). File mappings (LMDB's data.mdb, which lotsd
    maps read-only without MDB_WRITEMAP, libraries, the binary) are not
    anonymous and do not count."""
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Anonymous:"):
                return int(line.split()[1])
    raise RuntimeError("no Anonymous in smaps_rollup")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bench_prog(args, timeout=300):
    p = subprocess.run([os.path.join(BUILD, args[0])] + args[1:], capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (args[0], p.returncode, p.stderr[-500:]))
    return p.stdout


# --- the API against one durable lotsd ------------------------------------------


def api_set(results):
    """GET /healthz, GET /cases/{id}, POST /cases/{id}/contacts on one durable
    lotsd; then the worker's catch-up over the log those writes left; then
    lotsd's memory with 1,000 idle connections (all from this one address: no
    per-address limit)."""
    with Lotsd(serve_args=["--quiet", "--max-conns-per-peer", "0"]) as d:
        admin = d.admin_token()
        lots = d.user(admin, "bench", "lots")
        co = d.company(lots)
        read_case = d.case(lots, co["id"])
        for i in range(5):  # a case to read has contacts, as real ones do
            d.req("POST", "/api/v1/cases/%d/contacts" % read_case["id"],
                  {"channel": "phone", "direction": "inbound", "summary": "Samtal %d" % i},
                  token=lots)
        url = "http://127.0.0.1:%d" % d.port
        hz, rd = [], []
        for i in range(RUNS):  # interleaved, so both see the same machine
            hz.append(wrk(url, "get_auth.lua", {"LB_PATH": "/healthz"}))
            rd.append(wrk(url, "get_auth.lua", {"LB_PATH": "/api/v1/cases/%d" % read_case["id"],
                                                "LB_TOKEN": lots}))
            log("GET run %d: healthz %.0f/s, cases %.0f/s" % (i + 1, hz[-1][0], rd[-1][0]))
        results["healthz"], results["read"] = hz, rd

        # Cases closed in the log give the worker follow-ups to POST back.
        for _ in range(20):
            c = d.case(lots, d.company(lots)["id"])
            r = d.req("POST", "/api/v1/cases/%d/close" % c["id"], {"outcome": "resolved"},
                      token=lots)
            if r.status >= 300:
                raise RuntimeError("closing a case: %r" % r)
        write_case = d.case(lots, co["id"])
        for conns in WRITE_CONNS:
            write_runs(d, url, write_case["id"], lots, conns, results)

        worker_catchup(d, results)
        idle_memory(d, results)


def worker_catchup(d, results):
    """A fresh lots-worker against the live lotsd, RUNS times: its own
    measurement of the catch-up (events applied per second)."""
    if not have("lots-worker"):
        results["worker_why"] = "lots-worker not built"
        return
    st = d.req("GET", "/healthz").json
    backlog = st["seq"]
    rates = []
    for i in range(RUNS):
        tmp = tempfile.mkdtemp(prefix="lb-bench-worker-")
        wlog = os.path.join(tmp, "worker.log")
        with open(wlog, "wb") as out:
            p = subprocess.Popen([os.path.join(BUILD, "lots-worker"), "--data",
                                  os.path.join(tmp, "w"), "--server", "http://127.0.0.1:%d" % d.port,
                                  "--token-file", os.path.join(d.data, "worker.token"),
                                  "--sub", d.pub, "--replay", d.replay], stdout=out, stderr=out)
        try:
            pat = re.compile(r'msg="caught up" from=0 cursor=(\d+) events=(\d+) ms=(\d+) '
                             r'rate=(\d+)')
            deadline = time.time() + 120
            m = None
            while time.time() < deadline and m is None:
                time.sleep(0.1)
                with open(wlog, errors="replace") as f:
                    m = pat.search(f.read())
                if p.poll() is not None:
                    break
            if m is None:
                with open(wlog, errors="replace") as f:
                    results["worker_why"] = "worker did not report catch-up: " + f.read()[-300:]
                return
            rates.append(float(m.group(4)))
            results["worker_events"] = int(m.group(2))
            log("worker run %d: %s events in %s ms" % (i + 1, m.group(2), m.group(3)))
        finally:
            p.kill()
            p.wait()
            subprocess.run(["rm", "-rf", tmp])
    results["worker"] = rates
    results["worker_backlog"] = backlog


def idle_memory(d, results):
    """lotsd's private anonymous memory with 1,000 idle keep-alive
    connections (each has answered one GET /healthz), RUNS times."""
    pid = d.proc.pid
    base, loaded, rss = [], [], []
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    for _ in range(RUNS):
        time.sleep(0.5)
        base.append(anon_kib(pid) / 1024)
        socks = []
        try:
            for _ in range(1000):
                s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
                s.sendall(req)
                socks.append(s)
            for s in socks:
                if not s.recv(4096).startswith(b"HTTP/1.1 200"):
                    raise RuntimeError("healthz on an idle connection failed")
            time.sleep(0.5)
            loaded.append(anon_kib(pid) / 1024)
            rss.append(rss_kib(pid) / 1024)
        finally:
            for s in socks:
                s.close()
    results["mem_base"], results["mem_1000"], results["mem_rss"] = base, loaded, rss


# --- the e-mail survey -----------------------------------------------------------------


SURVEY_MAILS = 400 if QUICK else 3000


def survey_form(results):
    """POST /enkat/TOKEN (the public form, each request another call's token)
    against GET /healthz on the same lotsd, interleaved. The per-address rate
    limit is off (--public-rate 0): wrk is one address sending thousands per
    second, which the limit exists to refuse."""
    per_run = 20000 if QUICK else 90000
    d = Lotsd(serve_args=["--quiet", "--public-rate", "0"], start=False)
    try:
        tokens = os.path.join(d.dir, "tokens.txt")
        t0 = time.time()
        out = bench_prog(["bench_survey", "seed", d.data, str(per_run * RUNS), "--issue", tokens],
                         timeout=900)
        log("survey: %s issued in %.0f s" % (out.strip(), time.time() - t0))
        d.start()
        url = "http://127.0.0.1:%d" % d.port
        hz, po = [], []
        for i in range(RUNS):
            hz.append(wrk(url, "get_auth.lua", {"LB_PATH": "/healthz"}))
            po.append(wrk(url, "post_survey.lua", {"LB_TOKENS": tokens,
                                                   "LB_OFFSET": str(i * per_run),
                                                   "LB_THREADS": "2"}))
            log("survey run %d: healthz %.0f/s, form POST %.0f/s p99 %.2f ms (%d not 200)" %
                (i + 1, hz[-1][0], po[-1][0], po[-1][2], po[-1][3]))
        results["survey_hz"], results["survey_post"] = hz, po
    finally:
        d.close()


def survey_mail(results):
    """lots-worker mailing SURVEY_MAILS due calls to a local SMTP sink (aiosmtpd,
    mails counted and dropped), beside the plain loop: the same mail sent
    SURVEY_MAILS times on one libcurl connection with no bookkeeping."""
    port = free_port()
    sink = subprocess.Popen(["/usr/bin/python3", os.path.join(SOURCE, "scripts", "smtp_sink.py"),
                             "--discard", "--listen", "127.0.0.1:%d" % port],
                            stdout=subprocess.PIPE, text=True)
    rates, plain = [], []
    try:
        if not sink.stdout.readline().startswith("listening"):
            raise RuntimeError("the SMTP sink did not start")
        smtp = "smtp://127.0.0.1:%d" % port
        pat_up = re.compile(r'^ts=(\S+) level=info msg="caught up"', re.M)
        pat_mail = re.compile(r'^ts=(\S+) level=info msg="survey mails" batch=\d+ sent=(\d+)', re.M)
        for i in range(RUNS):
            out = bench_prog(["bench_survey", "smtp", smtp, str(SURVEY_MAILS)])
            plain.append(float(re.search(r"rate=(\d+)", out).group(1)))
            d = Lotsd(serve_args=["--quiet"], start=False)
            try:
                bench_prog(["bench_survey", "seed", d.data, str(SURVEY_MAILS)], timeout=300)
                d.start()
                wlog = os.path.join(d.dir, "worker.log")
                with open(wlog, "wb") as f:
                    p = subprocess.Popen(
                        [os.path.join(BUILD, "lots-worker"), "--data", os.path.join(d.dir, "w"),
                         "--server", "http://127.0.0.1:%d" % d.port, "--token-file",
                         os.path.join(d.data, "worker.token"), "--sub", d.pub, "--replay",
                         d.replay, "--no-indicators", "--smtp-url", smtp, "--smtp-from",
                         "Företagslotsen <lots@example.se>", "--public-base",
                         "https://enkat.example.se", "--survey-batch", "100"],
                        stdout=f, stderr=f)
                try:
                    deadline, text = time.time() + 300, ""
                    while time.time() < deadline:
                        time.sleep(0.2)
                        with open(wlog, errors="replace") as f:
                            text = f.read()
                        if sum(int(m.group(2)) for m in pat_mail.finditer(text)) >= SURVEY_MAILS:
                            break
                        if p.poll() is not None:
                            raise RuntimeError("the worker exited: " + text[-300:])
                    sent = sum(int(m.group(2)) for m in pat_mail.finditer(text))
                    if sent < SURVEY_MAILS:
                        raise RuntimeError("only %d of %d mails sent" % (sent, SURVEY_MAILS))
                    t0 = parse_ts(pat_up.search(text).group(1))
                    t1 = parse_ts(list(pat_mail.finditer(text))[-1].group(1))
                    rates.append(sent / max(t1 - t0, 1e-3))
                finally:
                    p.terminate()
                    p.wait()
            finally:
                d.close()
            log("mail run %d: worker %.0f mails/s, plain loop %.0f mails/s" %
                (i + 1, rates[-1], plain[-1]))
        results["mail"], results["mail_plain"] = rates, plain
    finally:
        sink.terminate()
        sink.wait()


def parse_ts(s):
    """A log line's RFC 3339 UTC timestamp with milliseconds, in seconds."""
    import datetime
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def survey_rows(r):
    if r.get("survey_post"):
        po, hz = r["survey_post"], r["survey_hz"]
        row("public survey form POST /enkat/TOKEN, %d conns (every answer durable)" % CONNS,
            Fig([x[0] for x in po], "req/s"), Fig([x[0] for x in hz], "req/s"), "GET /healthz",
            "≥ 5,000/s", lambda f, q: f.med >= 5000)
        row("  form POST p99 latency", Fig([x[2] for x in po], "ms"))
        if sum(x[3] for x in po):
            log("WARNING: %d form POSTs not answered 200" % sum(x[3] for x in po))
    else:
        row("public survey form POST", why=r.get("survey_form_why"), target="≥ 5,000/s")
    if r.get("mail"):
        row("lots-worker survey mails to a local SMTP sink (%d calls)" % SURVEY_MAILS,
            Fig(r["mail"], "mails/s"), Fig(r["mail_plain"], "mails/s"),
            "plain libcurl loop, same sink", "≥ 200/s", lambda f, q: f.med >= 200)
    else:
        row("lots-worker survey mails", why=r.get("mail_why"), target="≥ 200/s")


# --- the import ---------------------------------------------------------------------------


IMPORT_N = 10000 if QUICK else 100000


def import_post(d, token, data, ctype):
    """POST /api/v1/imports/companies with data as the body: (seconds from the
    request's first byte to the answer's last, the answer)."""
    import json
    c = d.conn(timeout=300)
    try:
        t0 = time.monotonic()
        c.request("POST", "/api/v1/imports/companies", body=data,
                  headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
        resp = c.getresponse()
        body = resp.read()
        took = time.monotonic() - t0
    finally:
        c.close()
    if resp.status != 200:
        raise RuntimeError("import answered %d: %s" % (resp.status, body[:200]))
    res = json.loads(body)
    if res["created"] != IMPORT_N or res["failed"]:
        raise RuntimeError("import created %d of %d, %d failed" % (res["created"], IMPORT_N,
                                                                   res["failed"]))
    return took


def import_runs(results):
    """Importing IMPORT_N companies (one contact person each) into an empty
    register through lotsd, from the CSV bench_import writes and from an XLSX
    of the same rows made by openpyxl (the orgnr as a number, as a
    spreadsheet keeps it), RUNS times, each run on a fresh lotsd; each run
    followed at once by its ceiling, bench_import store: the same records
    through lb_store_batch directly. Also keeps the time the CSV import spent
    in lotsd's commit thread (its operation and the synced commit, /metrics)."""
    tmp = tempfile.mkdtemp(prefix="lb-bench-import-")
    try:
        csv_path = os.path.join(tmp, "foretag.csv")
        bench_prog(["bench_import", "csv", csv_path, str(IMPORT_N)])
        with open(csv_path, "rb") as f:
            csv_data = f.read()
        xlsx_data = None
        try:
            import csv
            import io
            import openpyxl  # python3-openpyxl (scripts/deps.sh)
            t0 = time.time()
            wb = openpyxl.Workbook(write_only=True)
            ws = wb.create_sheet("Företag")
            for i, cells in enumerate(csv.reader(io.StringIO(csv_data.decode("utf-8")),
                                                 delimiter=";")):
                if i:
                    cells[0] = int(cells[0].replace("-", ""))
                ws.append(cells)
            buf = io.BytesIO()
            wb.save(buf)
            xlsx_data = buf.getvalue()
            log("import: %s CSV, %s XLSX (made in %.0f s)" % (
                fmt_num(len(csv_data)), fmt_num(len(xlsx_data)), time.time() - t0))
        except ImportError:
            results["import_xlsx_why"] = "python3-openpyxl missing (scripts/deps.sh bench)"
        csv_s, xlsx_s, write_s, ceil = [], [], [], []
        for i in range(RUNS):
            with Lotsd(serve_args=["--quiet"]) as d:
                tok = d.user(d.admin_token(), "bench", "lots")
                m0 = metrics(d.port)
                csv_s.append(import_post(d, tok, csv_data, "text/csv"))
                m1 = metrics(d.port)
                write_s.append(sum(m1["commit_" + k] - m0["commit_" + k] for k in ("ops", "commit")))
            if xlsx_data is not None:
                with Lotsd(serve_args=["--quiet"]) as d:
                    tok = d.user(d.admin_token(), "bench", "lots")
                    xlsx_s.append(import_post(d, tok, xlsx_data, "application/vnd.openxmlformats-"
                                              "officedocument.spreadsheetml.sheet"))
            out = bench_prog(["bench_import", "store", str(IMPORT_N), "--runs", "1"])
            ceil.append(float(re.search(r"median_ms=([\d.]+)", out).group(1)) / 1000)
            log("import run %d: CSV %.2f s (commit thread %.2f s), XLSX %s, lb_store_batch %.2f s" % (
                i + 1, csv_s[-1], write_s[-1], "%.2f s" % xlsx_s[-1] if xlsx_s else "-", ceil[-1]))
        results["import_csv"], results["import_write"] = csv_s, write_s
        results["import_xlsx"], results["import_ceil"] = xlsx_s, ceil
    finally:
        subprocess.run(["rm", "-rf", tmp])


def import_rows(r):
    n = "{:,}".format(IMPORT_N)
    ceiling = Fig(r["import_ceil"], "s") if r.get("import_ceil") else None
    cname = "lb_store_batch, same records"
    if r.get("import_csv"):
        row("import %s companies from CSV (POST /imports/companies, one contact each)" % n,
            Fig(r["import_csv"], "s"), ceiling, cname, "≤ 10 s", lambda f, q: f.med <= 10)
        row("  of which lotsd's commit thread (the operation + synced commit)",
            Fig(r["import_write"], "s"), ceiling, cname)
    else:
        row("import %s companies from CSV" % n, why=r.get("import_why"), target="≤ 10 s")
    if r.get("import_xlsx"):
        row("import %s companies from XLSX (same rows, made by openpyxl)" % n,
            Fig(r["import_xlsx"], "s"), ceiling, cname, "≤ 20 s", lambda f, q: f.med <= 20)
    else:
        row("import %s companies from XLSX" % n,
            why=r.get("import_xlsx_why") or r.get("import_why"), target="≤ 20 s")


def main_import():
    r = {}
    if not have("bench_import"):
        r["import_why"] = "bench_import not built"
    else:
        try:
            import_runs(r)
        except Exception as e:  # noqa: BLE001 - the rows then say why
            r["import_why"] = "failed: %s" % str(e)[:200]
            log(r["import_why"])
    import_rows(r)


def web_screens(results):
    """Every screen of every role on the demo data in Debian's chromium
    (bench/web_bench.mjs, the browser tests' harness): per screen the app's own
    measure navigation -> content and the part of it waiting for API answers,
    VISITS visits each, and the most API requests one visit made."""
    e2e = os.path.join(SOURCE, "tests", "e2e")
    if not os.access("/usr/bin/chromium", os.X_OK) or not os.path.exists(
            os.path.join(e2e, "node_modules", "playwright-core", "package.json")):
        results["web_why"] = "no chromium or tests/e2e/node_modules: run scripts/e2e-deps.sh"
        return
    visits = 1 if QUICK else max(5, RUNS)
    env = dict(os.environ, LB_BENCH_VISITS=str(visits), LB_SOURCE_DIR=SOURCE)
    p = subprocess.run(["node", os.path.join(HERE, "web_bench.mjs")], env=env,
                       capture_output=True, text=True, timeout=600)
    screens = {}
    for m in re.finditer(r"^screen (\S+ \S+) req=(\d+) ms=(\S+) api=(\S+)$", p.stdout, re.M):
        screens[m.group(1)] = (int(m.group(2)), [float(x) for x in m.group(3).split(",")],
                               [float(x) for x in m.group(4).split(",")])
    if p.returncode != 0 or not screens:
        results["web_why"] = "web_bench.mjs failed: " + (p.stdout + p.stderr)[-200:]
        return
    results["web"] = screens
    slow = max(screens, key=lambda k: statistics.median(screens[k][1]))
    log("web: %d screens, slowest %s median %.0f ms" % (
        len(screens), slow, statistics.median(screens[slow][1])))


def web_rows(r):
    s = r.get("web")
    if not s:
        row("web: every screen, navigation -> content", why=r.get("web_why"), target="≤ 150 ms")
        row("web: API requests per screen", why=r.get("web_why"), target="≤ 3")
        return
    slow = max(s, key=lambda k: statistics.median(s[k][1]))
    bare = [x for k in s if k.endswith(" handledning") for x in s[k][1]]
    row("web: slowest of %d screens (%s), navigation -> content, demo data, 1280 px"
        % (len(s), slow), Fig(s[slow][1], "ms"), Fig(bare, "ms") if bare else None,
        "a screen without API requests (handledning)", "≤ 150 ms",
        lambda f, q: f.med <= 150)
    row("  of which waiting for API answers", Fig(s[slow][2], "ms"))
    row("  median over all screens (each screen's median)",
        Fig([statistics.median(v[1]) for v in s.values()], "ms"))
    most = max(s, key=lambda k: s[k][0])
    row("web: API requests of one screen, most (%s)" % most, Fig([s[most][0]], "req"),
        target="≤ 3", holds=lambda f, q: f.med <= 3)


# --- the set --------------------------------------------------------------------------


def main_set():
    r = {}
    t0 = time.time()
    try:
        api_set(r)
    except Exception as e:  # noqa: BLE001 - every row then says why
        r["api_why"] = "API run failed: %s" % str(e)[:200]
        log(r["api_why"])
    log("API, worker and memory done in %.0f s" % (time.time() - t0))
    for name, fn in (("survey_form_why", survey_form), ("mail_why", survey_mail)):
        if not have("bench_survey"):
            r[name] = "bench_survey not built"
            continue
        try:
            fn(r)
        except Exception as e:  # noqa: BLE001 - the row then says why
            r[name] = "failed: %s" % str(e)[:200]
            log(r[name])

    ev_lat, ev_rep, ev_scan = [], [], []
    ev_why = None
    if have("bench_events"):
        for i in range(RUNS):
            try:
                out = bench_prog(["bench_events", "--replay-events",
                                  "200000" if QUICK else "1000000"])
            except Exception as e:  # noqa: BLE001
                ev_why = str(e)[:200]
                break
            m = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", out)
            ev_lat.append((float(m.group(1)), float(m.group(2))))
            ev_scan.append(float(re.search(r"scan ceiling (\d+) events/s", out).group(1)))
            ev_rep.append(float(re.search(r"= (\d+) events/s", out).group(1)))
            log("events run %d: p99 %.3f ms, replay %.0f/s" % (i + 1, ev_lat[-1][1], ev_rep[-1]))
    else:
        ev_why = "bench_events not built"

    ind_rec, ind_rep, ind_why = [], [], None
    if have("bench_indicators"):
        for _ in range(RUNS):
            try:
                out = bench_prog(["bench_indicators"], timeout=120)
            except Exception as e:  # noqa: BLE001
                ind_why = str(e)[:200]
                break
            # bench_indicators prints "recompute ...: median N ms" and
            # "report html ...: median N ms" (each already a median of 3).
            mr = re.search(r"^recompute[^\n]*?median ([\d.]+) ms", out, re.M)
            mh = re.search(r"^report html[^\n]*?median ([\d.]+) ms", out, re.M)
            if not (mr and mh):
                ind_why = "bench_indicators output not understood: " + out[:120]
                break
            ind_rec.append(float(mr.group(1)))
            ind_rep.append(float(mh.group(1)))
    else:
        ind_why = "not built (no bench_indicators in %s)" % BUILD

    ann_html, ann_xlsx, ann_why = [], [], None
    if have("bench_annual"):
        for _ in range(RUNS):
            try:
                out = bench_prog(["bench_annual", "--followups", "200000" if QUICK else "1000000",
                                  "--plan", os.path.join(SOURCE, "data", "plan-norrtalje-2025-2030.json"),
                                  "--followup-file",
                                  os.path.join(SOURCE, "data", "plan-demo-followups.json")],
                                 timeout=180)
            except Exception as e:  # noqa: BLE001
                ann_why = str(e)[:200]
                break
            # "annual report html ...: median N ms" and "annual report xlsx ...: median N ms",
            # each a median of 5 renders.
            mh = re.search(r"^annual report html[^\n]*?median ([\d.]+) ms", out, re.M)
            mx = re.search(r"^annual report xlsx[^\n]*?median ([\d.]+) ms", out, re.M)
            if not (mh and mx):
                ann_why = "bench_annual output not understood: " + out[:120]
                break
            ann_html.append(float(mh.group(1)))
            ann_xlsx.append(float(mx.group(1)))
    else:
        ann_why = "not built (no bench_annual in %s)" % BUILD

    search_why = None
    try:
        index_cost(r)
    except Exception as e:  # noqa: BLE001
        search_why = "index cost run failed: %s" % str(e)[:200]
        log(search_why)
    search = None
    if have("bench_scale_gen"):
        try:
            root = os.path.abspath(os.environ.get("LB_BENCH_SCALE_DIR",
                                                  os.path.join(SOURCE, "var", "bench-scale")))
            search = search_runs(scale_dataset(root, 10000), "10,000 contacts")
        except Exception as e:  # noqa: BLE001
            search_why = "search run failed: %s" % str(e)[:200]
            log(search_why)
    else:
        search_why = "bench_scale_gen not built"

    try:
        web_screens(r)
    except Exception as e:  # noqa: BLE001 - the row then says why
        r["web_why"] = "failed: %s" % str(e)[:200]
        log(r["web_why"])

    api_why = r.get("api_why")
    # --- the table -----------------------------------------------------------
    if "write64" in r:
        write_rows(r)
    else:
        row("durable writes POST /cases/{id}/contacts", why=api_why,
            target="≥ 20,000/s, ≥ 80 % of plain loop")
    if "read" in r:
        rd, hz = r["read"], r["healthz"]
        row("reads GET /cases/{id}, %d conns" % CONNS, Fig([x[0] for x in rd], "req/s"),
            Fig([x[0] for x in hz], "req/s"), "GET /healthz",
            "≥ 50,000/s and ≥ 70 % of ceiling",
            lambda f, q: f.med >= 50000 and q is not None and q >= 0.7)
        row("  reads p50 latency", Fig([x[1] for x in rd], "ms"),
            Fig([x[1] for x in hz], "ms"), "healthz p50")
        row("  reads p99 latency", Fig([x[2] for x in rd], "ms"),
            Fig([x[2] for x in hz], "ms"), "healthz p99")
    else:
        row("reads GET /cases/{id}", why=api_why, target="≥ 50,000/s, ≥ 70 % of healthz")
    if ev_lat:
        row("commit → SUB received p50 (bench_events, 20,000 ev/s offered)",
            Fig([x[0] for x in ev_lat], "ms"))
        row("commit → SUB received p99", Fig([x[1] for x in ev_lat], "ms"), target="≤ 2 ms",
            holds=lambda f, q: f.med <= 2)
        row("replay over ROUTER, 1,000,000 events" if not QUICK else "replay over ROUTER",
            Fig(ev_rep, "ev/s"), Fig(ev_scan, "ev/s"), "outbox scan, nothing sent",
            "≥ 500,000 ev/s", lambda f, q: f.med >= 500000)
    else:
        row("commit → SUB received p99", why=ev_why, target="≤ 2 ms")
        row("replay over ROUTER", why=ev_why, target="≥ 500,000 ev/s")
    if r.get("worker"):
        row("worker catch-up, real lotsd + lots-worker (%d events, 20 closed cases)"
            % r["worker_events"], Fig(r["worker"], "ev/s"),
            Fig(ev_rep, "ev/s") if ev_rep else None, "replay over ROUTER",
            "≥ 100,000 ev/s", lambda f, q: f.med >= 100000)
    else:
        row("worker catch-up", why=r.get("worker_why") or api_why, target="≥ 100,000 ev/s")
    if ind_rec:
        row("indicators recompute, 1,000,000 follow-ups", Fig(ind_rec, "ms"), target="≤ 1,000 ms",
            holds=lambda f, q: f.med <= 1000)
        row("quarterly report HTML render", Fig(ind_rep, "ms"), target="≤ 200 ms",
            holds=lambda f, q: f.med <= 200)
    else:
        row("indicators recompute, 1,000,000 follow-ups", why=ind_why, target="≤ 1 s")
        row("quarterly report HTML render", why=ind_why, target="≤ 200 ms")
    if ann_html:
        row("annual report HTML: whole plan, 6 years, snapshots of 1,000,000 follow-ups",
            Fig(ann_html, "ms"), target="≤ 100 ms", holds=lambda f, q: f.med <= 100)
        row("annual report XLSX: same", Fig(ann_xlsx, "ms"), target="≤ 300 ms",
            holds=lambda f, q: f.med <= 300)
    else:
        row("annual report HTML", why=ann_why, target="≤ 100 ms")
        row("annual report XLSX", why=ann_why, target="≤ 300 ms")
    main_import()
    if r.get("mem_1000"):
        row("lotsd anonymous memory, 1,000 idle connections", Fig(r["mem_1000"], "MiB"),
            target="≤ 32 MiB", holds=lambda f, q: f.med <= 32)
        row("  same lotsd, no connections (RSS with 1,000: %s)" % Fig(r["mem_rss"], "MiB").text(),
            Fig(r["mem_base"], "MiB"))
    else:
        row("lotsd heap, 1,000 idle connections", why=api_why, target="≤ 32 MiB")
    if r.get("idx_on"):
        row("durable writes with the search index (POST contacts, %d conns)" % CONNS,
            Fig([x[0] for x in r["idx_on"]], "req/s"), Fig([x[0] for x in r["idx_off"]], "req/s"),
            "same, lotsd --no-search-index", "≥ 85 % of ceiling",
            lambda f, q: q is not None and q >= 0.85)
    else:
        row("durable writes with the search index", why=search_why, target="≥ 85 % of unindexed")
    if search:
        search_rows(10000, *search)
    else:
        row("search: two-word query", why=search_why, target="≥ 10,000 q/s, p99 ≤ 10 ms")
    row("reads at 10,000 vs 10,000,000 contacts", why="run `make bench-scale`",
        target="within 2×")
    survey_rows(r)
    web_rows(r)


# --- scale ---------------------------------------------------------------------------------


def scale_dataset(root, contacts):
    """var/bench-scale/N: a lotsd environment with N contacts (10 per case),
    generated once by bench_scale_gen and reused."""
    d = os.path.join(root, str(contacts))
    if os.path.exists(os.path.join(d, "done")):
        with open(os.path.join(d, "done")) as f:
            done = f.read().strip()
        if "gen=search1" in done:
            log("reusing %s (%s)" % (d, done))
            return d
        log("%s was generated before the search index and localities: generating again" % d)
    subprocess.run(["rm", "-rf", d], check=True)
    os.makedirs(d)
    with open(os.path.join(d, "admin.pw"), "w") as f:
        f.write("bench-admin-password\n")
    env = dict(os.environ, LOTSBOK_PWHASH_FAST="1")
    subprocess.run([os.path.join(BUILD, "lotsd"), "init", "--data", os.path.join(d, "data"),
                    "--admin", "admin", "--password-file", os.path.join(d, "admin.pw")],
                   check=True, env=env, capture_output=True)
    t0 = time.time()
    out = subprocess.run([os.path.join(BUILD, "bench_scale_gen"), os.path.join(d, "data"),
                          str(contacts)], check=True, capture_output=True, text=True).stdout
    took = time.time() - t0
    print(out.strip())
    with open(os.path.join(d, "done"), "w") as f:
        f.write("generated in %.1f s: %s gen=search1\n" % (took, out.strip().splitlines()[-1]))
    log("generated %d contacts in %.1f s" % (contacts, took))
    return d


class Served(Lotsd):
    """lotsd serve on an existing data directory (the scale data sets):
    lbtest's Lotsd without the init, and close() leaves the data alone."""

    def __init__(self, data):  # pylint: disable=super-init-not-called
        self.dir = tempfile.mkdtemp(prefix="lb-bench-scale-")
        self.data = data
        self.serve_args = ["--quiet"]
        self.env = dict(os.environ)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "lotsd.log")
        self._log = None
        self.start()


def warm_page_cache(path):
    """Reads the file once, so the runs measure lotsd, not the disk: a reused
    data set may have left the page cache (this VM's kernel reclaims cold
    pages), and then random reads over 5 GB run at disk speed."""
    t0, n = time.time(), 0
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(16 << 20)
            if not b:
                break
            n += len(b)
    log("read %s into the page cache: %.1f GB in %.1f s" % (path, n / 1e9, time.time() - t0))


def scale_reads(d, label):
    """GET /cases/{random id} and GET /healthz, interleaved, RUNS times."""
    m = {}
    with open(os.path.join(d, "done")) as f:
        m = dict(kv.split("=") for kv in re.findall(r"\w+=\d+", f.read()))
    warm_page_cache(os.path.join(d, "data", "data.mdb"))
    lt = Served(os.path.join(d, "data"))
    try:
        tok = lt.login("admin", "bench-admin-password")
        url = "http://127.0.0.1:%d" % lt.port
        env = {"LB_TOKEN": tok, "LB_CASE_FIRST": m["first_case"], "LB_CASE_LAST": m["last_case"]}
        rd, hz = [], []
        for i in range(RUNS):
            hz.append(wrk(url, "get_auth.lua", {"LB_PATH": "/healthz"}))
            rd.append(wrk(url, "get_random_case.lua", env))
            log("%s run %d: cases %.0f/s healthz %.0f/s" % (label, i + 1, rd[-1][0], hz[-1][0]))
            if rd[-1][3]:
                raise RuntimeError("%d non-200 answers" % rd[-1][3])
    finally:
        lt.close()
    return rd, hz


def search_runs(d, label):
    """GET /api/v1/search (bench/search_two_words.lua) and GET /healthz,
    interleaved, RUNS times, on the data set d; then the index's size."""
    with open(os.path.join(d, "done")) as f:
        m = dict(kv.split("=") for kv in re.findall(r"\w+=\d+", f.read()))
    lt = Served(os.path.join(d, "data"))
    try:
        tok = lt.login("admin", "bench-admin-password")
        url = "http://127.0.0.1:%d" % lt.port
        env = {"LB_TOKEN": tok, "LB_COMPANIES": m["companies"], "LB_LIMIT": "20"}
        # One search run first, 12 s, not counted: this lotsd is new, and maps
        # the pages of the data set that its queries touch (page faults) during
        # its first tens of thousands of queries, as bench_search_query's
        # warming (on a loaded machine a 4 s run was not enough at 10,000,000).
        w = wrk(url, "search_two_words.lua", env, seconds="1" if QUICK else "12")
        log("%s search warm-up run (not counted): %.0f q/s p99 %.2f ms" % (label, w[0], w[2]))
        sr, hz = [], []
        for i in range(RUNS):
            hz.append(wrk(url, "get_auth.lua", {"LB_PATH": "/healthz"}))
            sr.append(wrk(url, "search_two_words.lua", env))
            log("%s search run %d: %.0f q/s p99 %.2f ms, healthz %.0f/s" %
                (label, i + 1, sr[-1][0], sr[-1][2], hz[-1][0]))
            if sr[-1][3]:
                raise RuntimeError("%d non-200 search answers" % sr[-1][3])
    finally:
        lt.close()
    size = None
    if have("bench_search_size"):
        out = bench_prog(["bench_search_size", os.path.join(d, "data")], timeout=3600)
        size = dict((k, float(v)) for k, v in re.findall(r"(\w+)=([\d.]+)", out))
        log("%s search index: %s" % (label, out.strip()))
    return sr, hz, size


def search_rows(n, sr, hz, size):
    row("search: two-word query, %s contacts, %d conns (bench/search_two_words.lua)"
        % ("{:,}".format(n), CONNS), Fig([x[0] for x in sr], "q/s"),
        Fig([x[0] for x in hz], "req/s"), "GET /healthz", "≥ 10,000 q/s",
        lambda f, q: f.med >= 10000)
    row("  search p99 latency", Fig([x[2] for x in sr], "ms"), Fig([x[2] for x in hz], "ms"),
        "healthz p99", "≤ 10 ms", lambda f, q: f.med <= 10)
    if size:
        row("  search index / text indexed (%s MB text, %s postings)"
            % ("{:,.1f}".format(size["text_bytes"] / 1e6), "{:,.0f}".format(size["postings"])),
            Fig([size["ratio"]], "×"))


def index_cost(results):
    """Durable POST /cases/{id}/contacts on two fresh lotsd of the same build,
    one keeping the search index and one with --no-search-index, runs
    interleaved so both see the same machine."""
    with Lotsd(serve_args=["--quiet"]) as on, \
            Lotsd(serve_args=["--quiet", "--no-search-index"]) as off:
        setups = []
        for d in (on, off):
            admin = d.admin_token()
            lots = d.user(admin, "bench", "lots")
            co = d.company(lots)
            setups.append((d, lots, d.case(lots, co["id"])["id"]))
        res = {"on": [], "off": []}
        for i in range(RUNS):
            for (d, lots, case), key in zip(setups, ("on", "off")):
                res[key].append(wrk("http://127.0.0.1:%d" % d.port, "post_contact.lua",
                                    {"LB_CASE": str(case), "LB_TOKEN": lots}))
            log("index cost run %d: with %.0f/s, without %.0f/s" %
                (i + 1, res["on"][-1][0], res["off"][-1][0]))
    results["idx_on"], results["idx_off"] = res["on"], res["off"]


def main_scale():
    if not have("bench_scale_gen"):
        row("reads at scale", why="bench_scale_gen not built")
        return
    root = os.path.abspath(os.environ.get("LB_BENCH_SCALE_DIR", os.path.join(SOURCE, "var",
                                                                              "bench-scale")))
    sizes = [10000, 100000] if QUICK else [10000, 10000000]
    res = {}
    srch = {}
    for n in sizes:
        d = scale_dataset(root, n)
        res[n] = scale_reads(d, "%d contacts" % n)
        srch[n] = search_runs(d, "%d contacts" % n)
    small, big = res[sizes[0]], res[sizes[1]]
    for n in sizes:
        rd, hz = res[n]
        row("reads GET /cases/{random}, %s contacts (10 per case)" % "{:,}".format(n),
            Fig([x[0] for x in rd], "req/s"), Fig([x[0] for x in hz], "req/s"), "GET /healthz")
        row("  p99 latency", Fig([x[2] for x in rd], "ms"))
    row("reads at %s vs %s contacts" % ("{:,}".format(sizes[1]), "{:,}".format(sizes[0])),
        Fig([x[0] for x in big[0]], "req/s"), Fig([x[0] for x in small[0]], "req/s"),
        "reads at %s" % "{:,}".format(sizes[0]), "≥ 50 % (within 2×)",
        lambda f, q: q is not None and q >= 0.5)
    for n in sizes:
        search_rows(n, *srch[n])


def main_writes():
    """Only the durable write rows (`bench/run.sh --writes`): for working on
    the write path without the rest of the set."""
    r = {}
    with Lotsd(serve_args=["--quiet", "--max-conns-per-peer", "0"]) as d:
        lots = d.user(d.admin_token(), "bench", "lots")
        case = d.case(lots, d.company(lots)["id"])["id"]
        for conns in WRITE_CONNS:
            write_runs(d, "http://127.0.0.1:%d" % d.port, case, lots, conns, r)
    write_rows(r)


def main_web():
    """Only the web rows (`bench/run.sh --web`)."""
    r = {}
    try:
        web_screens(r)
    except Exception as e:  # noqa: BLE001 - the row then says why
        r["web_why"] = "failed: %s" % str(e)[:200]
    web_rows(r)


def main():
    t0 = time.time()
    if "--scale" in sys.argv:
        main_scale()
    elif "--writes" in sys.argv:
        main_writes()
    elif "--import" in sys.argv:
        main_import()
    elif "--web" in sys.argv:
        main_web()
    else:
        main_set()
    print()
    print("Lotsbok benchmarks: %s; %d run(s) per figure; %s" % (
        "scale" if "--scale" in sys.argv else "writes" if "--writes" in sys.argv
        else "import" if "--import" in sys.argv else "web" if "--web" in sys.argv else "the set",
        RUNS, machine()))
    print_table()
    print("(%.0f s)" % (time.time() - t0))


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    fs = subprocess.run(["df", "-T", tempfile.gettempdir()], capture_output=True,
                        text=True).stdout.splitlines()[-1].split()[1]
    return "nproc %d, %s, kernel %s, %s temp dirs, load average %.1f at the end" % (
        os.cpu_count(), cpu, os.uname().release, fs, os.getloadavg()[0])


if __name__ == "__main__":
    main()
