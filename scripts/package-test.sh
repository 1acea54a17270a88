#!/usr/bin/env bash
# make package-test: the Debian package on this machine, as an IT technician
# would use it (docs/operations.md). Root only. Installs DEB_DIR/lotsbok_*.deb
# with apt-get, verifies and scores the systemd units, runs the units' ExecStart
# lines as the lotsbok user (systemd is not PID 1 here, so not systemctl) on
# free loopback ports, logs in with lots, writes and reads a case, puts nginx
# with the package's example site (TLS) in front and checks --trust-proxy, runs the
# backup service's command and restores that backup, removes the package and
# checks that the data is kept, installs it again over the kept data, upgrades
# it to the same package under a higher version (the preinst's backup), and
# purges it at the end.
#
# It refuses to run where lotsbok is already installed or /var/lib/lotsbok
# exists (someone's real data), and stops only the processes it started, by pid.
set -euo pipefail

DEB_DIR=$(cd "${1:-build-deb}" && pwd)
deb=$(ls "$DEB_DIR"/lotsbok_*.deb 2>/dev/null | grep -v dbgsym | head -n1 || true)
[ -n "$deb" ] || { echo "package-test: no lotsbok_*.deb in $DEB_DIR (make deb)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "package-test: must run as root (it installs the package)" >&2; exit 2; }
if dpkg-query -W -f='${Status}' lotsbok 2>/dev/null | grep -q 'ok installed\|config-files'; then
    echo "package-test: lotsbok is already installed here; not touching it" >&2
    exit 2
fi
if [ -e /var/lib/lotsbok ] || [ -e /var/backups/lotsbok ] || [ -e /etc/lotsbok ]; then
    echo "package-test: /var/lib/lotsbok, /var/backups/lotsbok or /etc/lotsbok exists; not touching it" >&2
    exit 2
fi

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)
work=$(mktemp -d /tmp/lotsbok-package-test.XXXXXX)
chmod 0755 "$work"
mandb_flag=/var/lib/man-db/auto-update
mandb_off=
pids=()
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >>"$work/checks.log" 2>&1; then ok "$what"; else fail "$what (see below)"; tail -n 20 "$work/checks.log"; fi
}

stop_pids() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
}

cleanup() {
    local rc=$?
    stop_pids
    if dpkg-query -W -f='${Status}' lotsbok 2>/dev/null | grep -q 'ok installed\|config-files'; then
        "${APT[@]}" purge lotsbok >>"$work/apt.log" 2>&1 || true
    fi
    rm -rf /var/lib/lotsbok /var/backups/lotsbok /etc/lotsbok
    getent passwd lotsbok >/dev/null && { deluser --quiet --system lotsbok >/dev/null 2>&1 || true; }
    getent group lotsbok >/dev/null && { delgroup --quiet --system lotsbok >/dev/null 2>&1 || true; }
    if [ -n "$mandb_off" ]; then mv "$mandb_flag.lotsbok-package-test" "$mandb_flag"; fi
    if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
        echo "package-test: logs kept in $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# man-db's trigger rebuilds the whole manual page index after each of the five
# apt-get runs below (about 20 s each here): switched off for the test's
# length, as `dpkg-reconfigure man-db` would, and switched on again at the end.
if [ -e "$mandb_flag" ]; then
    mv "$mandb_flag" "$mandb_flag.lotsbok-package-test"
    mandb_off=1
fi

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Runs a unit's ExecStart line as its User= the way systemd would (cwd /, an
# empty environment, no new privileges), in the background; its pid in $!.
unit_exec() { # unit_exec UNIT LOGFILE
    local unit=/lib/systemd/system/$1 cmd user
    cmd=$(sed -n 's/^ExecStart=//p' "$unit")
    user=$(sed -n 's/^User=//p' "$unit")
    (cd / && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs -- $cmd) >"$2" 2>&1 &
}

wait_healthy() { # wait_healthy URL PID
    for _ in $(seq 1 100); do
        curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

section() { echo "== $* (at ${SECONDS}s)"; }
section "install $(basename "$deb")"
"${APT[@]}" install "$deb" >"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log"; exit 1; }
ok "apt-get install ./$(basename "$deb")"
check "user lotsbok is a system user" bash -c '[ "$(id -u lotsbok)" -lt 1000 ]'
check "/var/lib/lotsbok is lotsbok's, mode 0700" \
    bash -c '[ "$(stat -c %U:%a /var/lib/lotsbok)" = lotsbok:700 ]'
check "/var/backups/lotsbok is lotsbok's, mode 0700" \
    bash -c '[ "$(stat -c %U:%a /var/backups/lotsbok)" = lotsbok:700 ]'
check "postinst made the environment and the admin's password file (0600)" \
    bash -c '[ -s /var/lib/lotsbok/data/data.mdb ] && [ "$(stat -c %U:%a /var/lib/lotsbok/initial-admin-password)" = lotsbok:600 ]'
check "installed: lotsd, lots-worker, lots, web files, plan data, man pages, completion, nginx example" \
    test -x /usr/bin/lotsd -a -x /usr/bin/lots-worker -a -x /usr/bin/lots \
    -a -f /usr/share/lotsbok/web/index.html -a -d /usr/share/lotsbok/data \
    -a -f /usr/share/man/man8/lotsd.8.gz -a -f /usr/share/man/man8/lots-worker.8.gz -a -f /usr/share/man/man1/lots.1.gz \
    -a -f /usr/share/bash-completion/completions/lots \
    -a -f /usr/share/doc/lotsbok/examples/nginx-lotsbok.conf
check "/etc/lotsbok/lotsbok.conf is a conffile" grep -qx /etc/lotsbok/lotsbok.conf /var/lib/dpkg/info/lotsbok.conffiles

section "systemd units"
units=(lotsd.service lots-worker.service lotsbok-backup.service lotsbok-backup.timer)
for u in "${units[@]}"; do
    check "systemd-analyze verify $u" bash -c \
        "out=\$(systemd-analyze verify /lib/systemd/system/$u 2>&1); echo \"\$out\"; [ -z \"\$out\" ]"
done
for u in lotsd.service lots-worker.service lotsbok-backup.service; do
    line=$(systemd-analyze security --offline=true --no-pager "/lib/systemd/system/$u" 2>/dev/null |
        grep 'Overall exposure level' || true)
    echo "     $u: ${line#*→ }"
    [ -n "$line" ] && ok "systemd-analyze security $u" || fail "systemd-analyze security $u"
done

section "run the units' ExecStart lines as lotsbok"
port=$(free_port)
pub=$(free_port)
replay=$(free_port)
# The technician's configuration step: the listen address and event sockets
# (free ports here, since other lotsd may run on this machine).
sed -i -e "s|^LISTEN=.*|LISTEN=\"127.0.0.1:$port\"|" \
    -e "s|^PUB=.*|PUB=\"tcp://127.0.0.1:$pub\"|" \
    -e "s|^REPLAY=.*|REPLAY=\"tcp://127.0.0.1:$replay\"|" /etc/lotsbok/lotsbok.conf
url=http://127.0.0.1:$port

start_services() {
    unit_exec lotsd.service "$work/lotsd-$1.log"
    lotsd_pid=$!
    pids+=("$lotsd_pid")
    if wait_healthy "$url" "$lotsd_pid"; then ok "lotsd answers /healthz ($1)"; else
        fail "lotsd answers /healthz ($1)"; cat "$work/lotsd-$1.log"; exit 1; fi
    check "lotsd runs as lotsbok ($1)" bash -c "[ \"\$(stat -c %U /proc/$lotsd_pid)\" = lotsbok ]"
    unit_exec lots-worker.service "$work/worker-$1.log"
    worker_pid=$!
    pids+=("$worker_pid")
    sleep 2
    check "lots-worker runs as lotsbok ($1)" bash -c "kill -0 $worker_pid && [ \"\$(stat -c %U /proc/$worker_pid)\" = lotsbok ]"
}
# SIGTERM to the worker, then lotsd: each exits 0 (a clean stop, as systemctl stop).
stop_checked() {
    local rc_w=0 rc_l=0
    kill -TERM "$worker_pid" && wait "$worker_pid" || rc_w=$?
    kill -TERM "$lotsd_pid" && wait "$lotsd_pid" || rc_l=$?
    pids=()
    [ "$rc_w" -eq 0 ] && ok "lots-worker exits 0 on SIGTERM ($1)" || { fail "lots-worker exit $rc_w on SIGTERM ($1)"; tail "$work/worker-$1.log"; }
    [ "$rc_l" -eq 0 ] && ok "lotsd exits 0 on SIGTERM ($1)" || { fail "lotsd exit $rc_l on SIGTERM ($1)"; tail "$work/lotsd-$1.log"; }
}
start_services first

export XDG_CONFIG_HOME=$work/config HOME=$work
mkdir -p "$XDG_CONFIG_HOME"
lots=(/usr/bin/lots --server "$url")
check "lots login admin (the initial password)" \
    "${lots[@]}" login admin --password-file /var/lib/lotsbok/initial-admin-password
printf 'paket-test-lotsen-1\n' >"$work/lotse.pw"
check "lots user add lotsen --role lots" "${lots[@]}" user add lotsen --role lots --password-file "$work/lotse.pw"
check "lots login lotsen" "${lots[@]}" login lotsen --password-file "$work/lotse.pw"
check "lots company add" "${lots[@]}" company add --orgnr 5560360793 --name "Pakettest AB" --locality Norrtälje
"${lots[@]}" --json case open --company 5560360793 --subject "Ny lokal i Rimbo" --category premises_land \
    >"$work/case.json" 2>>"$work/checks.log" && ok "lots case open" || fail "lots case open"
case_id=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/case.json" 2>/dev/null || echo 0)
check "lots case show reads it back" bash -c "${lots[*]} case show $case_id | grep -q 'Ny lokal i Rimbo'"
# The worker works with the package's configuration (token file, event
# sockets): a closed case gets its follow-up call scheduled by it.
check "lots case close" "${lots[@]}" case close "$case_id" --outcome resolved
followup_scheduled() {
    for _ in $(seq 1 100); do
        "${lots[@]}" --json case show "$case_id" | /usr/bin/python3 -c \
            'import json,sys; sys.exit(0 if json.load(sys.stdin).get("followups") else 1)' && return 0
        sleep 0.1
    done
    return 1
}
check "lots-worker scheduled the closed case's follow-up call" followup_scheduled
check "lots-worker caught up with lotsd's event log" grep -q 'caught up' "$work/worker-first.log"

section "nginx in front: the package's example site with TLS"
# The example as installed, with only its ports, certificate and upstream
# changed (free ports; a self-signed certificate), run by this test's own
# nginx master (its pid; the machine's nginx service, if any, is not touched).
ng=$work/nginx
mkdir -p "$ng/tmp" && chmod 0777 "$ng/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=lotsbok.test -days 2 \
    -keyout "$ng/key.pem" -out "$ng/cert.pem" >/dev/null 2>&1
http_port=$(free_port)
https_port=$(free_port)
sed -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$port;|" \
    -e "s|listen 80;|listen 127.0.0.1:$http_port;|" -e '/listen \[::\]:80;/d' \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$https_port ssl http2;|" -e '/listen \[::\]:443/d' \
    -e "s|ssl_certificate .*;|ssl_certificate $ng/cert.pem;|" \
    -e "s|ssl_certificate_key .*;|ssl_certificate_key $ng/key.pem;|" \
    /usr/share/doc/lotsbok/examples/nginx-lotsbok.conf >"$ng/site.conf"
cat >"$ng/nginx.conf" <<NGINX
pid $ng/nginx.pid;
error_log $ng/error.log;
events { worker_connections 64; }
http {
    access_log $ng/access.log;
    client_body_temp_path $ng/tmp/body;
    proxy_temp_path $ng/tmp/proxy;
    fastcgi_temp_path $ng/tmp/fastcgi;
    uwsgi_temp_path $ng/tmp/uwsgi;
    scgi_temp_path $ng/tmp/scgi;
    include $ng/site.conf;
}
NGINX
check "nginx -t accepts the example site" nginx -t -c "$ng/nginx.conf" -p "$ng"
nginx -c "$ng/nginx.conf" -p "$ng" -g 'daemon off;' >"$ng/stdout.log" 2>&1 &
nginx_pid=$!
pids+=("$nginx_pid")
tls=https://127.0.0.1:$https_port
for _ in $(seq 1 50); do curl -skf "$tls/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
check "HTTPS through nginx reaches lotsd" bash -c "curl -sk '$tls/healthz' | grep -q '\"status\":\"ok\"'"
check "HSTS on the HTTPS answers" bash -c "curl -sk -D - -o /dev/null '$tls/healthz' | grep -qi '^strict-transport-security: max-age='"
check "plain HTTP is redirected to HTTPS" bash -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' http://127.0.0.1:$http_port/healthz)\" = '301 https://127.0.0.1/healthz' ]"
check "the public survey path passes through as lotsd answers it" bash -c \
    "[ \"\$(curl -sk -o /dev/null -w '%{http_code}' $tls/enkat/ingen-sadan-lank)\" = \"\$(curl -s -o /dev/null -w '%{http_code}' $url/enkat/ingen-sadan-lank)\" ]"
# TRUST_PROXY="127.0.0.1,::1": lotsd counts the client nginx names in
# X-Forwarded-For. Failed logins from 127.0.0.5 refuse that address (429),
# while the right password from 127.0.0.6 still logs in; without the trust
# both would be nginx's 127.0.0.1 and the second refused too.
login_from() { # login_from ADDR PASSWORD -> the HTTP status
    curl -sk --interface "$1" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        --data "{\"username\":\"admin\",\"password\":\"$2\"}" "$tls/api/v1/sessions"
}
throttled() {
    local i code
    for i in $(seq 1 11); do code=$(login_from 127.0.0.5 wrong-password-$i); done
    echo "the 11th wrong password from 127.0.0.5: $code"
    [ "$code" = 429 ]
}
check "failed logins through nginx are counted per client (429 for 127.0.0.5)" throttled
right_password_logs_in() {
    local code
    code=$(login_from 127.0.0.6 "$(cat /var/lib/lotsbok/initial-admin-password)")
    echo "the right password from 127.0.0.6: $code"
    [ "$code" = 201 ]
}
check "the right password from 127.0.0.6 through nginx still logs in" right_password_logs_in
kill -QUIT "$nginx_pid" && wait "$nginx_pid" || true
pids=("$lotsd_pid" "$worker_pid")

stop_checked first

section "the backup service's command"
unit_exec lotsbok-backup.service "$work/backup.log"
backup_pid=$!
if wait "$backup_pid"; then ok "lotsbok-backup exits 0"; else fail "lotsbok-backup exits 0"; cat "$work/backup.log"; fi
check "a checked copy with its key and token in /var/backups/lotsbok" bash -c \
    'ls /var/backups/lotsbok/20??-??-??T??????/{data.mdb,pseudonym.key,worker.token}'

section "restore the backup (docs/operations.md, Restore)"
backup=$(ls -d /var/backups/lotsbok/20??-??-??T?????? | tail -n1)
check "the data directory moved aside, the backup copied in its place" bash -c \
    "mv /var/lib/lotsbok/data /var/lib/lotsbok/data.broken && cp -a $backup /var/lib/lotsbok/data"
check "lotsd check of the restored directory, as lotsbok" \
    runuser -u lotsbok -- /usr/bin/lotsd check --data /var/lib/lotsbok/data
rm -rf /var/lib/lotsbok/data.broken

section "apt-get remove keeps the data"
"${APT[@]}" remove lotsbok >>"$work/apt.log" 2>&1 && ok "apt-get remove lotsbok" || fail "apt-get remove lotsbok"
check "/usr/bin/lotsd is gone" test ! -e /usr/bin/lotsd
check "/var/lib/lotsbok/data is kept" test -s /var/lib/lotsbok/data/data.mdb
check "/var/backups/lotsbok is kept" bash -c 'ls -d /var/backups/lotsbok/20??-??-??T??????'
check "/etc/lotsbok/lotsbok.conf is kept" grep -q "127.0.0.1:$port" /etc/lotsbok/lotsbok.conf

section "install again over the kept data"
"${APT[@]}" install "$deb" >>"$work/apt.log" 2>&1 && ok "apt-get install again" || fail "apt-get install again"
start_services again
check "the case written before remove is still there" bash -c "${lots[*]} case show $case_id | grep -q 'Ny lokal i Rimbo'"
stop_checked again

section "upgrade to a newer version over the running data"
# The same package under a higher version: what apt-get sees as an upgrade.
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -R "$deb" "$work/next"
sed -i "s/^Version: .*/Version: $version+pkgtest1/" "$work/next/DEBIAN/control"
dpkg-deb -b "$work/next" "$work/lotsbok_next.deb" >/dev/null
backups_before=$(ls -d /var/backups/lotsbok/20??-??-??T?????? | wc -l)
sleep 1 # the backups are named by the second
"${APT[@]}" install "$work/lotsbok_next.deb" >>"$work/apt.log" 2>&1 && ok "apt-get install $version+pkgtest1 (an upgrade)" ||
    fail "apt-get install $version+pkgtest1 (an upgrade)"
check "the upgrade's preinst made a backup first" \
    bash -c "[ \$(ls -d /var/backups/lotsbok/20??-??-??T?????? | wc -l) -gt $backups_before ]"
start_services upgraded
check "the case is still there after the upgrade" bash -c "${lots[*]} case show $case_id | grep -q 'Ny lokal i Rimbo'"
stop_checked upgraded

section "apt-get purge removes it all"
"${APT[@]}" purge lotsbok >>"$work/apt.log" 2>&1 && ok "apt-get purge lotsbok" || fail "apt-get purge lotsbok"
check "purge removed /var/lib/lotsbok, /var/backups/lotsbok, /etc/lotsbok and the user" \
    bash -c '! [ -e /var/lib/lotsbok ] && ! [ -e /var/backups/lotsbok ] && ! [ -e /etc/lotsbok ] && ! getent passwd lotsbok'

echo "package-test: done in ${SECONDS}s"
echo "package-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
