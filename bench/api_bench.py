#!/usr/bin/python3
"""API benchmark: wrk at 64 connections against a fresh lotsd.

Runs GET /healthz, GET /api/v1/cases/{id} and POST /api/v1/cases/{id}/contacts
(durable: every 201 committed and synced first), then the same POST with
--no-sync as the ceiling of this machine in the same run.

    LB_BUILD_DIR=build /usr/bin/python3 bench/api_bench.py [seconds]
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "blackbox"))
from lbtest import Lotsd  # noqa: E402

SECONDS = sys.argv[1] if len(sys.argv) > 1 else "10"


def wrk(url, script, env):
    out = subprocess.run(["wrk", "-t2", "-c64", "-d" + SECONDS + "s", "--latency", "-s",
                          os.path.join(HERE, script), url], env=dict(os.environ, **env),
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", out)
    errs = re.search(r"non-20\d answers: (\d+)", out).group(1)
    return rps, float(p.group(1)), float(p.group(2)), errs


def run(extra):
    with Lotsd(serve_args=["--quiet"] + extra) as d:
        admin = d.admin_token()
        lots = d.user(admin, "bench", "lots")
        co = d.company(lots)
        case = d.case(lots, co["id"])
        url = "http://127.0.0.1:%d" % d.port
        res = {}
        res["GET /healthz"] = wrk(url, "get_auth.lua", {"LB_PATH": "/healthz"})
        res["GET /cases/{id}"] = wrk(url, "get_auth.lua", {
            "LB_PATH": "/api/v1/cases/%d" % case["id"], "LB_TOKEN": lots})
        case2 = d.case(lots, co["id"])
        res["POST /cases/{id}/contacts"] = wrk(url, "post_contact.lua", {
            "LB_CASE": str(case2["id"]), "LB_TOKEN": lots})
        return res


def main():
    durable = run([])
    ceiling = run(["--no-sync"])
    print("%-28s %12s %9s %9s %7s" % ("what (64 connections)", "req/s", "p50 ms", "p99 ms",
                                      "errors"))
    for name, (rps, p50, p99, errs) in durable.items():
        print("%-28s %12.0f %9.2f %9.2f %7s" % (name, rps, p50, p99, errs))
    for name, (rps, p50, p99, errs) in ceiling.items():
        print("%-28s %12.0f %9.2f %9.2f %7s" % (name + " nosync", rps, p50, p99, errs))


if __name__ == "__main__":
    main()
