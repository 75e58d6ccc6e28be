#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: set up, build, then decode the bundled
# sample bounces and classify sample SMTP replies, printing every decision.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
ff=build/src/fivefifty/fivefifty

echo "== fivefifty decode examples/bounces"
"$ff" decode examples/bounces || true   # exit 4 only means some sample is no bounce
echo
echo "== fivefifty classify < examples/replies.txt"
"$ff" classify < examples/replies.txt
