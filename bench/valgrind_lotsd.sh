#!/usr/bin/env bash
# Runs lotsd under valgrind --leak-check=full for a short mixed session (a few
# hundred requests: logins, writes, reads, errors), stops it with SIGTERM and
# fails unless valgrind reports no definite leak and no memory error.
#   bench/valgrind_lotsd.sh [BUILD_DIR]       (default: build)
# Prints valgrind's LEAK SUMMARY and ERROR SUMMARY. See docs/reliability.md.
set -euo pipefail

build=${1:-build}
lotsd=$(cd "$build" && pwd)/lotsd
command -v valgrind >/dev/null || { echo "valgrind_lotsd: valgrind is not installed (scripts/deps.sh bench)" >&2; exit 2; }
[ -x "$lotsd" ] || { echo "valgrind_lotsd: no $lotsd; build first" >&2; exit 2; }

tmp=$(mktemp -d /tmp/lotsbok-valgrind-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

export LOTSBOK_PWHASH_FAST=1
echo "valgrind-admin-pw" > "$tmp/pw"
"$lotsd" init --data "$tmp/data" --admin admin --password-file "$tmp/pw" >/dev/null
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pub=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rep=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
    --log-file="$tmp/valgrind.log" \
    "$lotsd" serve --data "$tmp/data" --listen "127.0.0.1:$port" --pub "tcp://127.0.0.1:$pub" \
    --replay "tcp://127.0.0.1:$rep" --quiet 2>"$tmp/lotsd.log" &
pid=$!

/usr/bin/python3 - "$port" "$pub" "$rep" <<'PY'
import http.client, json, sys, time
import zmq
import msgpack
port = int(sys.argv[1])
deadline = time.time() + 120
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("GET", "/healthz"); c.getresponse().read()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("lotsd under valgrind did not start")
        time.sleep(0.5)
n = 0
def call(method, path, body=None, token=None, raw=None):
    global n
    h = {}
    if token: h["Authorization"] = "Bearer " + token
    data = raw
    if body is not None:
        data = json.dumps(body).encode(); h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse(); text = r.read(); n += 1
    return r.status, (json.loads(text) if text and text[:1] in b"{[" else text)
st, doc = call("POST", "/api/v1/sessions", {"username": "admin", "password": "valgrind-admin-pw"})
admin = doc["token"]
call("POST", "/api/v1/users", {"username": "lotta", "password": "lotta-password", "role": "lots"}, admin)
call("POST", "/api/v1/users", {"username": "bo", "password": "bo-password-1", "role": "handler", "units": ["bygglov"]}, admin)
lots = call("POST", "/api/v1/sessions", {"username": "lotta", "password": "lotta-password"})[1]["token"]
bo = call("POST", "/api/v1/sessions", {"username": "bo", "password": "bo-password-1"})[1]["token"]
def orgnr(nine):
    t = 0
    for i, ch in enumerate(nine):
        v = int(ch) * (2 if i % 2 == 0 else 1); t += v // 10 + v % 10
    return nine + str((10 - t % 10) % 10)
for i in range(20):
    st, co = call("POST", "/api/v1/companies", {"orgnr": orgnr("55600%04d" % i), "name": "Valgrind %d AB" % i,
                  "contacts": [{"name": "Anna", "email": "a@example.se"}]}, lots)
    st, ca = call("POST", "/api/v1/cases", {"company_id": co["id"], "subject": "Lokal", "category": "permit"}, lots)
    for j in range(5):
        call("POST", "/api/v1/cases/%d/contacts" % ca["id"], {"channel": "phone", "direction": "inbound", "summary": "x"}, lots)
    st, h = call("POST", "/api/v1/cases/%d/handoffs" % ca["id"], {"unit": "bygglov", "note": "n"}, lots)
    call("POST", "/api/v1/handoffs/%d/acknowledge" % h["id"], {"reference": "BN"}, bo)
    call("POST", "/api/v1/handoffs/%d/decide" % h["id"], {"decision": "granted"}, bo)
    call("POST", "/api/v1/cases/%d/close" % ca["id"], {"outcome": "resolved"}, lots)
    call("POST", "/api/v1/cases/%d/close" % ca["id"], {"outcome": "resolved"}, lots)  # 409
    call("GET", "/api/v1/cases/%d" % ca["id"], token=lots)
    call("GET", "/api/v1/companies?q=valgrind", token=lots)
    call("POST", "/api/v1/companies", raw=b"{not json", token=lots)  # 400
    call("GET", "/api/v1/cases/999999", token=lots)  # 404
    call("GET", "/metrics")
call("GET", "/api/v1/events?after=0&limit=100", token=admin)
call("POST", "/api/v1/companies/1/anonymize", {"reason": "test"}, admin)
call("GET", "/api/v1/companies/2/export", token=admin)
call("DELETE", "/api/v1/sessions/current", token=bo)
ctx = zmq.Context()
d = ctx.socket(zmq.DEALER); d.setsockopt(zmq.LINGER, 0)
d.connect("tcp://127.0.0.1:%s" % sys.argv[3])
d.send_multipart([b"replay", msgpack.packb({"after": 0, "limit": 50})]); d.recv_multipart(); n += 1
d.send_multipart([b"replay", b"\xc1"]); d.recv_multipart(); n += 1
d.close(); ctx.term()
print("valgrind_lotsd: %d requests answered" % n)
PY

kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
sed -n '/HEAP SUMMARY/,/total heap usage/p;/All heap blocks/p;/LEAK SUMMARY/,/suppressed:/p;/ERROR SUMMARY/p' "$tmp/valgrind.log"
if [ "$rc" -ne 0 ]; then
    echo "valgrind_lotsd: FAIL lotsd exited $rc under valgrind (99: valgrind found errors or a definite leak)"
    grep -A25 "definitely lost in\|Invalid\|uninitialised" "$tmp/valgrind.log" | head -80
    exit 1
fi
grep -q "definitely lost: 0 bytes\|no leaks are possible" "$tmp/valgrind.log" || { echo "valgrind_lotsd: FAIL definite leak"; exit 1; }
echo "valgrind_lotsd: ok, no definite leak, no memory error"
