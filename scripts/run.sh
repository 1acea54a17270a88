#!/usr/bin/env bash
# make run: start Lotsbok on this machine with a fresh data directory under var/
# (KEEP=1 reuses the one there), with the action plan (lotsd plan load,
# docs/plan.md) and a year of demo data (lotsd demo, docs/demo.md), print the
# URL, the logins and a few commands, stop on Ctrl-C.
# A local SMTP sink (scripts/smtp_sink.py, python3-aiosmtpd) takes the worker's
# survey mails and writes each to VAR/mail/ (docs/surveys.md).
# Environment: BUILD, VAR, PORT, PUB, REPLAY, SEED (the demo's seed, default 1),
# SMTP_PORT (the sink's; default: a free one).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
case "$BUILD" in /*) lots="$BUILD/lots" ;; *) lots="./$BUILD/lots" ;; esac
VAR=${VAR:-var}
PORT=${PORT:-8080}
PUB=${PUB:-tcp://127.0.0.1:7701}
REPLAY=${REPLAY:-tcp://127.0.0.1:7702}
SEED=${SEED:-1}
data="$VAR/data"

if [ ! -x "$BUILD/lotsd" ]; then
    echo "make run: lotsd is not built yet ($BUILD/lotsd missing); nothing to start." >&2
    exit 1
fi

mkdir -p "$VAR"
if [ "${KEEP:-0}" != 1 ] || [ ! -f "$data/data.mdb" ]; then
    # A fresh environment: the worker's own state must start afresh with it.
    rm -rf "$data" "$VAR/worker"
    password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | head -c 16)
    printf '%s' "$password" > "$VAR/admin.password"
    chmod 600 "$VAR/admin.password"
    "$BUILD/lotsd" init --data "$data" --admin admin --password-file "$VAR/admin.password"
    # The municipality's action plan (docs/plan.md), before the demo, which follows it up.
    "$BUILD/lotsd" plan load --data "$data" data/plan-norrtalje-2025-2030.json
    "$BUILD/lotsd" demo --data "$data" --seed "$SEED" > "$VAR/demo.out"
    # A believable follow-up of the plan for 2025 and 2026 (docs/plan.md, "Demo").
    "$BUILD/lotsd" plan followups --data "$data" data/plan-demo-followups.json
    head -n 3 "$VAR/demo.out"
fi

pids=()
cleanup() {
    trap - INT TERM EXIT
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -f "$VAR/lotsd.pid" "$VAR/worker.pid" "$VAR/smtp.pid"
    echo "Lotsbok stopped."
}
trap cleanup INT TERM EXIT

web=()
[ -d web ] && web=(--web "$PWD/web")
"$BUILD/lotsd" serve --data "$data" --listen "127.0.0.1:$PORT" --pub "$PUB" --replay "$REPLAY" \
    "${web[@]}" 2>>"$VAR/lotsd.log" &
pids+=($!)
echo "$!" > "$VAR/lotsd.pid"

up=0
for _ in $(seq 1 100); do
    if curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "${pids[0]}" 2>/dev/null || break
    sleep 0.1
done
if [ "$up" != 1 ]; then
    echo "make run: lotsd did not start (port $PORT busy? PORT=... picks another); its log:" >&2
    tail -n 5 "$VAR/lotsd.log" >&2
    exit 1
fi

# The survey mails go to a local sink, one file each in $VAR/mail/.
mail=()
mailinfo="no SMTP sink (python3-aiosmtpd missing): follow-ups are phone calls only"
mkdir -p "$VAR/mail"
coproc SINK { exec /usr/bin/python3 scripts/smtp_sink.py --dir "$VAR/mail" \
    --listen "127.0.0.1:${SMTP_PORT:-0}" 2>>"$VAR/smtp.log"; }
sink_pid=$SINK_PID
if read -r -t 10 word addr <&"${SINK[0]}" && [ "$word" = listening ]; then
    pids+=("$sink_pid")
    echo "$sink_pid" > "$VAR/smtp.pid"
    mail=(--smtp-url "smtp://$addr" --smtp-from "Företagslotsen, Norrtälje kommun <foretagslots@example.se>"
          --public-base "http://127.0.0.1:$PORT" --survey-interval-ms 5000)
    mailinfo="sent to a local SMTP sink (smtp://$addr); each mail is a file in $VAR/mail/"
fi

if [ -x "$BUILD/lots-worker" ]; then
    "$BUILD/lots-worker" --data "$VAR/worker" --server "http://127.0.0.1:$PORT" \
        --token-file "$data/worker.token" --sub "$PUB" --replay "$REPLAY" "${mail[@]}" \
        2>>"$VAR/worker.log" &
    pids+=($!)
    echo "$!" > "$VAR/worker.pid"
    worker="running (log: $VAR/worker.log)"
else
    worker="not built yet: follow-ups are not scheduled"
fi

logins="$data/demo-logins.txt"
cat <<MSG

Lotsbok is running, with demo data (made up: DEMO ONLY).
  API and web:  http://127.0.0.1:$PORT/   (health: http://127.0.0.1:$PORT/healthz)
  events:       $PUB (PUB), $REPLAY (replay)
  lotsd log:    $VAR/lotsd.log
  lots-worker:  $worker
  survey mails: $mailinfo

Logins (local use only; demo users also in $logins):
  admin               $(cat "$VAR/admin.password")   admin
MSG
if [ -f "$logins" ]; then
    grep -v '^#' "$logins" | sed 's/^/  /'
fi
cat <<MSG

Try (the lots CLI):
  $lots --server http://127.0.0.1:$PORT login        # as anna.lots
  $lots case list
  $lots inbox                                       # as bygglov.handl
  ls $VAR/mail/                                              # the e-mail surveys the worker sent:
                                                            # open one, follow its link and answer

Ctrl-C stops everything.
MSG
wait -n "${pids[@]}" || true
