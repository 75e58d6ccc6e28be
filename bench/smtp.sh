#!/usr/bin/env bash
# Delivery speed: messages per second into Postfix's smtp-sink on 127.0.0.1, fivefifty's
# queue runner (gates, suppression lookups, VERP, classification of every reply, one
# store transaction per recipient) beside Postfix's smtp-source, one session each, in the
# same run. smtp-source opens a session per message (its default); fivefifty reuses one
# connection for the batch, as its runner does. Prints both rates and the ratio; never
# fails on timing. DKIM signing is not
# in the path yet (the sender audit's signer has not landed), which the output says.
set -uo pipefail
cd "$(dirname "$0")/.."
n=${MESSAGES:-500}
bash scripts/setup.sh >/dev/null
[ -d build-bench ] || meson setup build-bench --buildtype=release -Dtests=false >/dev/null
ninja -C build-bench >/dev/null || exit 1
ff=$PWD/build-bench/src/fivefifty/fivefifty
sink=/usr/sbin/smtp-sink source=/usr/sbin/smtp-source
if [ ! -x "$sink" ] || [ ! -x "$source" ]; then
  echo "bench: smtp-sink/smtp-source (postfix) not installed, skipping"; exit 0
fi
work=$(mktemp -d /tmp/ff-bench-smtp.XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sinkuser=(); [ "$(id -u)" -eq 0 ] && sinkuser=(-u nobody)
"$sink" "${sinkuser[@]}" 127.0.0.1:"$port" 256 &
sink_pid=$!
trap 'kill $sink_pid 2>/dev/null; rm -rf "$work"' EXIT
sleep 0.5

printf '[stream.transactional]\nfrom_domain = example.com\nroute = smtp://127.0.0.1:%s\ntls = none\n' \
  "$port" >"$work/ff.ini"
export FIVEFIFTY_CONFIG=$work/ff.ini FIVEFIFTY_DB=$work/ff.db
body=$(head -c 1500 /dev/zero | tr '\0' 'x' | fold -w 72)
for i in $(seq "$n"); do
  "$ff" send --from bench@example.com --to "user$i@d$((i % 50)).example" \
      --subject "bench $i" --text "$body" >/dev/null
done

t0=$(date +%s.%N)
"$source" -s 1 -m "$n" -l 2000 -f bench@example.com -t user@example.org 127.0.0.1:"$port"
t1=$(date +%s.%N)
"$ff" queue run --batch "$n" >/dev/null
t2=$(date +%s.%N)
sent=$("$ff" queue list --state sent --json | grep -c '"sent"')
/usr/bin/python3 - "$n" "$sent" "$t0" "$t1" "$t2" <<'PY'
import sys
n, sent, t0, t1, t2 = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:])
a, b = n / (t1 - t0), sent / (t2 - t1)
print(f"messages: {n} (fivefifty delivered {sent}), ~2 KB each, one SMTP session each side")
print(f"smtp-source {a:10.0f} msg/s  ({t1 - t0:.2f} s)")
print(f"fivefifty   {b:10.0f} msg/s  ({t2 - t1:.2f} s)  (DKIM signing not yet in the path)")
print(f"ratio       {b / a:10.2f} (target 0.80)")
PY
