#!/usr/bin/python3
"""Instructions per request of lotsd's hot routes, under callgrind.

callgrind counts instructions, not seconds, so the figures repeat on a loaded
machine. For each route: lotsd serve runs under `valgrind --tool=callgrind
--instr-atstart=no`, the data it needs is written first, collection is
switched on, `wrk -t1 -c16` sends the route for a few seconds, collection is
switched off, and the total is divided by the requests answered.

    LB_BUILD_DIR=build /usr/bin/python3 bench/profile.py [route ...]

Routes: healthz, read (GET /cases/{id} of a case with 5 contacts), write
(POST /cases/{id}/contacts, durable). The callgrind output files stay in
var/profile/ for callgrind_annotate.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "blackbox"))
import lbtest  # noqa: E402

OUT = os.path.join(ROOT, "var", "profile")


def wrk(url, script, env, seconds=3):
    p = subprocess.run(["wrk", "-t1", "-c16", "-d%ds" % seconds, "-s", os.path.join(HERE, script),
                        url], env=dict(os.environ, **env), capture_output=True, text=True,
                       check=True)
    m = re.search(r"(\d+) requests in", p.stdout)
    bad = re.search(r"non-20\d answers: (\d+)", p.stdout)
    if not m or not bad or int(bad.group(1)) != 0:
        raise RuntimeError("wrk: " + p.stdout + p.stderr)
    return int(m.group(1))


def total_ir(path):
    p = subprocess.run(["callgrind_annotate", path], capture_output=True, text=True, check=True)
    m = re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", p.stdout)
    if not m:
        raise RuntimeError("callgrind_annotate output not understood")
    return int(m.group(1).replace(",", ""))


def profile(route):
    os.makedirs(OUT, exist_ok=True)
    out = os.path.join(OUT, "callgrind.%s" % route)
    d = lbtest.Lotsd(serve_args=["--quiet"])
    try:
        admin = d.admin_token()
        lots = d.user(admin, "prof", "lots")
        case = d.case(lots, d.company(lots)["id"])
        for i in range(5):
            d.req("POST", "/api/v1/cases/%d/contacts" % case["id"],
                  {"channel": "phone", "direction": "inbound", "summary": "Samtal %d" % i},
                  token=lots)
        d.stop()
        d.start(wrapper=["valgrind", "--tool=callgrind", "--instr-atstart=no",
                         "--callgrind-out-file=" + out])
        url = "http://127.0.0.1:%d" % d.port
        script, env = {
            "healthz": ("get_auth.lua", {"LB_PATH": "/healthz"}),
            "read": ("get_auth.lua", {"LB_PATH": "/api/v1/cases/%d" % case["id"],
                                      "LB_TOKEN": lots}),
            "write": ("post_contact.lua", {"LB_CASE": str(case["id"]), "LB_TOKEN": lots}),
        }[route]
        wrk(url, script, env, seconds=1)  # warm: connections, caches, map
        subprocess.run(["callgrind_control", "-i", "on", str(d.proc.pid)], check=True,
                       capture_output=True)
        n = wrk(url, script, env)
        subprocess.run(["callgrind_control", "-i", "off", str(d.proc.pid)], check=True,
                       capture_output=True)
        d.stop()
    finally:
        d.close()
    ir = total_ir(out)
    return n, ir


def main():
    routes = sys.argv[1:] or ["healthz", "read", "write"]
    for route in routes:
        n, ir = profile(route)
        print("%-8s %9d requests %15d instructions %9.0f per request" % (route, n, ir, ir / n),
              flush=True)


if __name__ == "__main__":
    main()
