#!/bin/sh
# The benchmark driver `make bench` runs (and `make bench-scale` with --scale):
# bench/bench.py under Debian's python3. See docs/benchmarks.md.
here=$(dirname "$0")
exec /usr/bin/python3 "$here/bench.py" "$@"
