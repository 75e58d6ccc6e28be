#!/usr/bin/env bash
# SPF evaluation speed through a real authoritative DNS server: NSD on 127.0.0.1 serves
# DOMAINS (default 2000) generated domains, each with its own include, MX and A names (no
# name is shared, so no evaluation is helped by an earlier one's cache). fivefifty checks
# them all in one process (`fivefifty spf --batch`, c-ares) and pyspf (Debian's
# python3-spf, dnspython) in one Python process, one after the other, in the same run.
# Each evaluation costs 6 DNS queries. Prints both rates, the ratio, and whether the two
# agree on every result; never fails on timing. FIVEFIFTY=path skips the build.
# NSD's response rate limiting is off: at its default (200 answers/s to one address) it
# drops queries and both checkers would time the 2 s retry, not SPF.
set -uo pipefail
cd "$(dirname "$0")/.."
n=${DOMAINS:-2000}
nsd=$(command -v nsd || echo /usr/sbin/nsd)
if [ ! -x "$nsd" ]; then
  echo "bench: nsd is not installed (scripts/setup.sh installs it), skipping"; exit 0
fi
if ! /usr/bin/python3 -c 'import spf, dns.resolver' 2>/dev/null; then
  echo "bench: pyspf (python3-spf) is not installed, skipping"; exit 0
fi
if [ -z "${FIVEFIFTY:-}" ]; then
  bash scripts/setup.sh >/dev/null
  bash bench/build.sh || exit 1
  FIVEFIFTY=$PWD/build-bench/src/fivefifty/fivefifty
fi
work=$(mktemp -d /tmp/ff-spfbench.XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nsd_pid=
trap '[ -n "$nsd_pid" ] && kill "$nsd_pid" 2>/dev/null; rm -rf "$work"' EXIT

# The zone: d$i passes for 192.0.2.10 through its fifth term (a:m.d$i), after an ip4
# miss, an include whose record does not match (exists: finds nothing) and an mx miss.
{
  printf '$ORIGIN bench.test.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n'
  printf '@ IN NS ns1\nns1 IN A 127.0.0.1\n'
  for ((i = 0; i < n; i++)); do
    printf 'd%d IN TXT "v=spf1 ip4:198.51.100.0/24 include:_s.d%d.bench.test mx a:m.d%d.bench.test -all"\n' "$i" "$i" "$i"
    printf '_s.d%d IN TXT "v=spf1 exists:%%{i}._e.d%d.bench.test ~all"\n' "$i" "$i"
    printf 'd%d IN MX 10 mx.d%d\nmx.d%d IN A 203.0.113.1\nm.d%d IN A 192.0.2.10\n' "$i" "$i" "$i" "$i"
  done
} >"$work/bench.test.zone"
cat >"$work/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$port
    port: $port
    zonesdir: "$work"
    pidfile: "$work/nsd.pid"
    database: ""
    username: ""
    chroot: ""
    logfile: "$work/nsd.log"
    zonelistfile: "$work/zone.list"
    xfrdfile: "$work/xfrd.state"
    xfrdir: "$work"
    server-count: 1
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "bench.test"
    zonefile: "bench.test.zone"
CONF
"$nsd" -c "$work/nsd.conf" -d >/dev/null 2>&1 &
nsd_pid=$!
resolver=127.0.0.1:$port
for _ in $(seq 100); do
  "$FIVEFIFTY" spf d0.bench.test --ip 192.0.2.10 --resolver "$resolver" 2>/dev/null |
    grep -q 'spf=pass' && break
  sleep 0.1
done
for ((i = 0; i < n; i++)); do echo "d$i.bench.test 192.0.2.10 bench@d$i.bench.test"; done \
  >"$work/batch"

t0=$(date +%s.%N)
"$FIVEFIFTY" spf --batch "$work/batch" --resolver "$resolver" >"$work/ff.out"
t1=$(date +%s.%N)
/usr/bin/python3 - "$work/batch" "$port" "$work/py.out" <<'PY'
import sys
import dns.resolver
import spf
r = dns.resolver.Resolver(configure=False)
r.nameservers = ["127.0.0.1"]
r.port = int(sys.argv[2])
dns.resolver.default_resolver = r
with open(sys.argv[1]) as f, open(sys.argv[3], "w") as out:
    for line in f:
        domain, ip, sender = line.split()
        result, _, _ = spf.check(i=ip, s=sender, h="bench.example")
        out.write("%s %s %s\n" % (domain, ip, result))
PY
t2=$(date +%s.%N)
/usr/bin/python3 - "$n" "$t0" "$t1" "$t2" "$work/ff.out" "$work/py.out" <<'PY'
import sys
n, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:5])
ff = open(sys.argv[5]).read().split("\n")
py = open(sys.argv[6]).read().split("\n")
agree = sum(1 for a, b in zip(ff, py) if a and a == b)
passes = sum(1 for a in ff if a.endswith(" pass"))
a, b = n / (t1 - t0), n / (t2 - t1)
print(f"domains: {n} through NSD on 127.0.0.1, 6 DNS queries and 4 SPF lookups each")
print(f"fivefifty {a:10.0f} evaluations/s  ({t1 - t0:.2f} s, {passes} pass)")
print(f"pyspf     {b:10.0f} evaluations/s  ({t2 - t1:.2f} s)")
print(f"ratio     {a / b:10.2f} (fivefifty / pyspf)")
print(f"results agree: {agree}/{n}")
PY
