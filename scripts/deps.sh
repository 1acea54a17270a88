#!/usr/bin/env bash
# Installs the Debian packages Lotsbok needs to build and test, and only those
# that are missing: one apt-get install, nothing when everything is present.
# Not root: prints the exact command to run and fails.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libuv1-dev liblmdb-dev lmdb-utils libmsgpack-dev libzmq3-dev libhttp-parser-dev
  libjansson-dev libsodium-dev libcurl4-openssl-dev libcmocka-dev
  python3 python3-zmq python3-msgpack
  libpwquality-dev cracklib-runtime
  libzip-dev libexpat1-dev libxlsxwriter-dev python3-openpyxl poppler-utils
  python3-aiosmtpd
  libqrencode-dev zbar-tools
  man-db libsystemd-dev
)
# Extra groups, asked for by name: "bench" (load generators), "package" (make deb,
# make package-test). The browser tests' needs (chromium, node, npm packages) are
# scripts/e2e-deps.sh's.
for extra in "$@"; do
  case "$extra" in
    bench) packages+=(wrk valgrind) ;;
    package) packages+=(debhelper lintian dpkg-dev fakeroot systemd curl nginx-light openssl) ;;
    *) echo "deps.sh: unknown group '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages. Run as root:" >&2
  echo "  $line" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
