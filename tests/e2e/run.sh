#!/bin/sh
# ctest's entry to the browser tests (label e2e): checks that Debian's chromium,
# node and the pinned npm packages are there — failing with what to run when
# not — and runs the story named as its argument (web_story by default; each
# tests/e2e/*_story.mjs is its own ctest). `make test` installs them (scripts/e2e-deps.sh).
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null 2>&1; then
  echo "FAIL: the browser tests need /usr/bin/chromium and node: run scripts/e2e-deps.sh as root (make test does)" >&2
  exit 1
fi
if [ ! -f "$here/node_modules/playwright-core/package.json" ] || [ ! -f "$here/node_modules/axe-core/package.json" ]; then
  echo "FAIL: tests/e2e/node_modules is missing: run scripts/e2e-deps.sh (npm ci in tests/e2e; make test does)" >&2
  exit 1
fi
exec node "$here/${1:-web_story}.mjs"
