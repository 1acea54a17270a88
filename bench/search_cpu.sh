#!/bin/sh
# search_cpu.sh BUILD DATA_DIR [RUNS]: lotsd's CPU time per search request over
# HTTP (docs/benchmarks.md, "Search (issue 24)"), a figure that a loaded machine
# moves far less than req/s: a lotsd serves DATA_DIR (a bench_scale_gen data
# set, admin password bench-admin-password), a 10 s search run warms it
# (not counted), then RUNS times a 5 s GET /healthz run and an 8 s
# bench/search_two_words.lua run, each printing requests, req/s, p99, lotsd's
# CPU (user + system, all threads, from /proc/PID/stat) per request in µs and
# the load average. Needs wrk and curl; stops its lotsd by pid.
set -eu
build=$1
data=$2
runs=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
companies=$(sed -n 's/.*companies=\([0-9]*\).*/\1/p' "$data/../done")
port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
p=$(port)
log=$(mktemp)
"$build/lotsd" serve --data "$data" --listen 127.0.0.1:"$p" --pub tcp://127.0.0.1:"$(port)" \
    --replay tcp://127.0.0.1:"$(port)" --quiet >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$p/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
tok=$(curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"bench-admin-password"}' \
    "http://127.0.0.1:$p/api/v1/sessions" |
    /usr/bin/python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
run() { # SCRIPT SECONDS [VAR=VALUE...]
    script=$1 secs=$2
    shift 2
    c0=$(cpu)
    out=$(env "$@" wrk -t2 -c64 -d"$secs"s -s "$here/$script" "http://127.0.0.1:$p")
    c1=$(cpu)
    echo "$out" | awk -v s="$script" -v c0="$c0" -v c1="$c1" -v tck="$tck" \
        -v load="$(cut -d' ' -f1 /proc/loadavg)" '
        /requests in/ {n = $1} /Requests\/sec/ {rate = $2} /^p50/ {p99 = $5}
        END {printf "%s: %d requests, %.0f/s, p99 %s ms, lotsd CPU %.1f µs/request, load %s\n",
                    s, n, rate, p99, (c1 - c0) * 1e6 / tck / n, load}'
}
run search_two_words.lua 10 LB_TOKEN="$tok" LB_COMPANIES="$companies" >/dev/null
for _ in $(seq "$runs"); do
    run get_auth.lua 5 LB_PATH=/healthz
    run search_two_words.lua 8 LB_TOKEN="$tok" LB_COMPANIES="$companies"
done
