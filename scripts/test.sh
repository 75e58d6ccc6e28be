#!/usr/bin/env bash
# Every test, from a fresh Debian 12 machine: set up, build, run the unit, CLI and
# integration tests, all of them again under AddressSanitizer + UndefinedBehaviorSanitizer,
# then each libFuzzer target for FUZZ_SECONDS (default 45), one per CPU at a time. Ends with
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

fuzz_seconds=${FUZZ_SECONDS:-45}
passed=0
failed=0

# Count the results of a meson test run from its JSON log.
count_meson() {
  local log=$1/meson-logs/testlog.json p f
  [ -f "$log" ] || { failed=$((failed + 1)); return; }
  p=$(grep -c '"result": "OK"' "$log" || true)
  f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
  passed=$((passed + p)); failed=$((failed + f))
  echo "  $1: $p passed, $f failed"
}

run_build() { # dir, meson options...
  local dir=$1; shift
  rm -rf "$dir"
  if ! meson setup "$dir" "$@" >"$dir.log" 2>&1 || ! ninja -C "$dir" >>"$dir.log" 2>&1; then
    echo "build $dir failed:"; tail -30 "$dir.log"; failed=$((failed + 1)); return 1
  fi
}

echo "== unit and CLI tests"
if run_build build-test; then
  meson test -C build-test --print-errorlogs --num-processes 2 || true
  count_meson build-test
fi

# The CLI and integration tests too: the simulator, the queue runner's threads and the
# store only run there, and a stack address kept past its frame went unseen in unit tests.
echo "== unit, CLI and integration tests under ASan + UBSan"
if run_build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2 || true
  count_meson build-asan
fi

# Fuzz targets run side by side, one per CPU: each runs for a fixed time, so the wall time
# of the step is the targets' time divided by the CPUs, and CI stays well under its limit.
fuzz_one() { # exe: writes build-fuzz/NAME.result ("ok ..." or "FAILED")
  local exe=$1 name=${1##*/fuzz_} corpus
  local seeds=tests/fuzz/seeds/$name
  corpus=$(mktemp -d)
  [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/ 2>/dev/null
  if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$exe" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 \
       -artifact_prefix="build-fuzz/$name-" "$corpus" >"build-fuzz/$name.log" 2>&1; then
    echo "ok ($(grep -o 'Done [0-9]* runs' "build-fuzz/$name.log" | head -1))" >"build-fuzz/$name.result"
  else
    echo "FAILED" >"build-fuzz/$name.result"
  fi
  rm -rf "$corpus"
}

cpus=$(nproc 2>/dev/null || echo 1)
echo "== fuzz targets, ${fuzz_seconds}s each, $cpus at a time"
if CC=clang run_build build-fuzz -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined \
     -Db_lundef=false; then
  targets=()
  for exe in build-fuzz/tests/fuzz/fuzz_*; do
    [ -f "$exe" ] && [ -x "$exe" ] && targets+=("$exe")
  done
  running=0
  for exe in "${targets[@]}"; do
    fuzz_one "$exe" &
    running=$((running + 1))
    if [ "$running" -ge "$cpus" ]; then wait -n; running=$((running - 1)); fi
  done
  wait
  for exe in "${targets[@]}"; do
    name=${exe##*/fuzz_}
    result=$(cat "build-fuzz/$name.result" 2>/dev/null || echo FAILED)
    echo "  fuzz $name: $result"
    if [ "${result%% *}" = ok ]; then
      passed=$((passed + 1))
    else
      tail -40 "build-fuzz/$name.log"; failed=$((failed + 1))
    fi
  done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
