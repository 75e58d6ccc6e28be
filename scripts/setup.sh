#!/usr/bin/env bash
# Install what fivefifty needs to build, test and benchmark on Debian 12, and nothing that
# is already there. Safe to run again. Used by scripts/demo.sh and scripts/test.sh.
set -euo pipefail

pkgs=(
  gcc libc6-dev pkg-config meson ninja-build python3   # build
  libgmime-3.0-dev libpcre2-dev libjansson-dev         # the library and the CLI
  libc-ares-dev libssl-dev libpsl-dev publicsuffix     # DNS, DKIM crypto, org. domains
  libinih-dev libsqlite3-dev libidn2-dev               # configuration, the store, IDN addresses
  libmimalloc-dev                                      # the CLI's allocator (-Dallocator)
  libunistring-dev zlib1g-dev                          # static archives for -Dstatic_deps (bench/build.sh)
  libcmocka-dev                                        # unit tests
  python3-spf python3-dkim python3-cryptography python3-yaml  # SPF/DKIM peers, RFC 7208 suite
  clang libclang-rt-14-dev                             # libFuzzer targets, sanitizers
  libsisimai-perl                                      # the peer the benchmark compares against
  postfix sasl2-bin libsasl2-modules libsasl2-modules-db  # the real relay in integration tests, smtp-sink/-source
  nsd                                                  # the authoritative DNS server of the audit test
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
