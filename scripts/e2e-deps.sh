#!/usr/bin/env bash
# Installs what the browser tests (tests/e2e, docs/web.md) need, and only what is
# missing: Debian's chromium at /usr/bin/chromium (apt), node and npm when there
# are none (apt), and the pinned npm packages (playwright-core, axe-core) with
# `npm ci` in tests/e2e when node_modules is missing or older than the lock file.
# Not root and something from apt missing: prints the command to run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_missing=()
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
command -v node >/dev/null 2>&1 || apt_missing+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_missing+=(npm)
if [ ${#apt_missing[@]} -gt 0 ]; then
  line="apt-get update && apt-get install -y --no-install-recommends ${apt_missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "e2e-deps: missing Debian packages for the browser tests. Run as root:" >&2
    echo "  $line" >&2
    exit 1
  fi
  echo "e2e-deps: installing ${apt_missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "e2e-deps: playwright-core needs node >= 20, this is $(node --version)" >&2
  exit 1
fi

lock=tests/e2e/package-lock.json
stamp=tests/e2e/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
  echo "e2e-deps: npm ci in tests/e2e (playwright-core, axe-core)" >&2
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
