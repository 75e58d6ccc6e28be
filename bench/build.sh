#!/usr/bin/env bash
# The build every bench measures: release, with link-time optimisation. The CLI links the
# static library, so LTO lets the small text helpers (case-insensitive search, line
# walking) inline into the scanners across files: 4 % fewer instructions on the corpus
# decode (callgrind, 540.5M -> 517.1M), the same bytes out. -Dstatic_deps=true links the
# libraries decoding never calls (OpenSSL, SQLite, c-ares, ...) from their archives, so a
# run does not map and relocate them before main(): 0.9 ms of each process start (see
# lib/meson.build). A build dir made before either is switched over rather than remade.
# Usage (from the project root): bash bench/build.sh; prints nothing, fails on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d build-bench ]; then
  # --reconfigure, not configure: it also knows options added since the dir was made
  meson setup --reconfigure build-bench -Db_lto=true -Dstatic_deps=true >/dev/null
else
  meson setup build-bench --buildtype=release -Db_lto=true -Dstatic_deps=true -Dtests=false >/dev/null
fi
ninja -C build-bench >/dev/null
