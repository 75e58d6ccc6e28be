#!/usr/bin/env bash
# Decoding accuracy and speed on the shared bounce corpus, fivefifty beside Sisimai.
#
# Accuracy: fivefifty's records are scored with the corpus's own score.py (reason, status,
# reply code, hard bounce) and recipients are compared with Sisimai's records of the same
# files (the expected file names no addresses). Speed: both decode every file REPEAT
# times in one process each, in the same run; emails/s and the ratio are printed.
# Skips cleanly when ../shared/corpus is absent. Never fails on timing.
set -uo pipefail
cd "$(dirname "$0")/.."
corpus=${CORPUS:-../shared/corpus/sisimai}
repeat=${REPEAT:-10}
if [ ! -d "$corpus/emails" ]; then
  echo "bench: no corpus at $corpus, skipping"; exit 0
fi
bash scripts/setup.sh
[ -d build-bench ] || meson setup build-bench --buildtype=release -Dtests=false >/dev/null
ninja -C build-bench >/dev/null || exit 1
ff=build-bench/src/fivefifty/fivefifty
out=build-bench/bench; mkdir -p "$out"
files=("$corpus"/emails/*.eml)
n=${#files[@]}

"$ff" decode --json --quiet "${files[@]}" >"$out/fivefifty.jsonl"
echo "== accuracy on $n emails ($(wc -l <"$corpus/expected.jsonl") expected records)"
python3 "$corpus/../score.py" "$corpus/expected.jsonl" "$out/fivefifty.jsonl"

# Sisimai decodes the corpus once for the recipient comparison and the timing below.
perl bench/sisimai.pl 1 "${files[@]}" >"$out/sisimai.jsonl" 2>/dev/null
python3 bench/recipients.py "$corpus/expected.jsonl" "$out/fivefifty.jsonl" "$out/sisimai.jsonl"

echo "== speed: $n emails x $repeat passes, one process each"
args=(); for _ in $(seq "$repeat"); do args+=("${files[@]}"); done
t0=$(date +%s.%N)
"$ff" decode --json --quiet "${args[@]}" >/dev/null
t1=$(date +%s.%N)
perl bench/sisimai.pl "$repeat" "${files[@]}" >/dev/null 2>&1
t2=$(date +%s.%N)
python3 - "$n" "$repeat" "$t0" "$t1" "$t2" <<'PY'
import sys
n, rep, t0, t1, t2 = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:])
a, b = n * rep / (t1 - t0), n * rep / (t2 - t1)
print(f"fivefifty {a:10.0f} emails/s  ({t1 - t0:.2f} s)")
print(f"sisimai   {b:10.0f} emails/s  ({t2 - t1:.2f} s)")
print(f"ratio     {a / b:10.1f} x")
PY
