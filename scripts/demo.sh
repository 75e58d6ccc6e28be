#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: set up and build; decode the bundled sample
# bounces and classify sample replies; then start the local mailbox simulator, send a
# batch through fivefifty, and show the decisions, the suppressions, the stream its
# circuit breaker paused, and the later complaints and bounces ingested.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
ff=$PWD/build/src/fivefifty/fivefifty

echo "== fivefifty decode examples/bounces"
"$ff" decode examples/bounces || true   # exit 4 only means some sample is no bounce
echo
echo "== fivefifty classify < examples/replies.txt"
"$ff" classify < examples/replies.txt

work=$(mktemp -d /tmp/fivefifty-demo.XXXXXX)
sim_pid=
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export FIVEFIFTY_DB=$work/fivefifty.db FIVEFIFTY_CONFIG=$PWD/examples/demo.ini
"$ff" sim --listen 127.0.0.1:2525 --maildir "$work/bounces" --duration 300 \
    --greylist-seconds 1 2>/dev/null &
sim_pid=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/2525) 2>/dev/null && break; sleep 0.1; done

echo
echo "== a batch of ten on the outreach stream, through the simulator"
i=0
for who in success userunknown mailboxfull greylist dmarc complaint latebounce blocklisted \
           autoreply success+2; do
  i=$((i + 1))
  "$ff" send --stream outreach --from "News <news@example.com>" --to "$who@d$i.example" \
      --subject "November news" --text "Hello from the demo." >/dev/null
done
"$ff" queue run
echo
echo "== a receipt on the transactional stream, delivered at once"
"$ff" send --stream transactional --from shop@example.com --to buyer@gmail.example \
    --subject "Your receipt" --text "Thank you." --now
echo
echo "== later: complaints, bounces and auto-replies that came back"
"$ff" ingest "$work/bounces"
echo
echo "== suppressions (never for 5.7.x policy or authentication rejections)"
"$ff" suppress list
echo
echo "== streams"
"$ff" stream list
