#!/usr/bin/env bash
# make run: start Lotsbok on this machine with a fresh data directory under var/
# (KEEP=1 reuses the one there), print the URL and the logins, stop on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
VAR=${VAR:-var}
PORT=${PORT:-8080}
PUB=${PUB:-tcp://127.0.0.1:7701}
REPLAY=${REPLAY:-tcp://127.0.0.1:7702}
data="$VAR/data"

if [ ! -x "$BUILD/lotsd" ]; then
    echo "make run: lotsd is not built yet ($BUILD/lotsd missing); nothing to start." >&2
    exit 1
fi

mkdir -p "$VAR"
if [ "${KEEP:-0}" != 1 ] || [ ! -f "$data/data.mdb" ]; then
    rm -rf "$data"
    password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | head -c 16)
    printf '%s' "$password" > "$VAR/admin.password"
    chmod 600 "$VAR/admin.password"
    "$BUILD/lotsd" init --data "$data" --admin admin --password-file "$VAR/admin.password"
    if "$BUILD/lotsd" demo --help >/dev/null 2>&1; then
        "$BUILD/lotsd" demo --data "$data" --seed 1
    fi
fi

pids=()
cleanup() {
    trap - INT TERM EXIT
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    echo "Lotsbok stopped."
}
trap cleanup INT TERM EXIT

"$BUILD/lotsd" serve --data "$data" --listen "127.0.0.1:$PORT" --pub "$PUB" --replay "$REPLAY" \
    --web "$PWD/web" 2>>"$VAR/lotsd.log" &
pids+=($!)

for _ in $(seq 1 50); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

if [ -x "$BUILD/lots-worker" ]; then
    "$BUILD/lots-worker" --data "$VAR/worker" --server "http://127.0.0.1:$PORT" \
        --token-file "$data/worker.token" --sub "$PUB" --replay "$REPLAY" 2>>"$VAR/worker.log" &
    pids+=($!)
    worker="running (log: $VAR/worker.log)"
else
    worker="not built yet: follow-ups are not scheduled"
fi

cat <<MSG

Lotsbok is running.
  API and web:  http://127.0.0.1:$PORT/   (health: http://127.0.0.1:$PORT/healthz)
  events:       $PUB (PUB), $REPLAY (replay)
  lotsd log:    $VAR/lotsd.log
  lots-worker:  $worker
  login:        admin / $(cat "$VAR/admin.password")   (local use only)

Try:
  curl -s -X POST http://127.0.0.1:$PORT/api/v1/sessions -H 'Content-Type: application/json' \\
       -d '{"username":"admin","password":"'"$(cat "$VAR/admin.password")"'"}'

Ctrl-C stops everything.
MSG
wait -n "${pids[@]}" || true
