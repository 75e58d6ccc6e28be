#!/usr/bin/env python3
"""dns_check.py - `fivefifty check` against a real authoritative DNS server (NSD, from
Debian) on 127.0.0.1 serving zones written here, with --resolver. The report must show a
domain over the SPF lookup limit, a broken DKIM key, a misaligned DMARC setup, a listed
test IP (a test blocklist zone, --dnsbl), and a null MX. Skips (77) without NSD."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ff_harness import Checks, free_port  # noqa: E402

NSD = shutil.which("nsd") or "/usr/sbin/nsd"
if not os.path.exists(NSD):
    print("skip: nsd is not installed")
    raise SystemExit(77)
FF = sys.argv[1]

ZONE = """$ORIGIN fivefifty.test.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 300
@ IN NS ns1
ns1 IN A 127.0.0.1
; a domain whose SPF passes 10 lookups through its includes
over IN TXT "v=spf1 include:a.over.fivefifty.test include:b.over.fivefifty.test -all"
a.over IN TXT "v=spf1 a mx ptr exists:x.over.fivefifty.test a:y.over.fivefifty.test -all"
b.over IN TXT "v=spf1 a mx a:z.over.fivefifty.test a:w.over.fivefifty.test -all"
over IN MX 10 mx
; a shop with a broken DKIM key (a TXT split badly), DMARC, PTR and a listed IP
shop IN TXT "v=spf1 ip4:192.0.2.10 -all"
shop IN MX 10 mx
s1._domainkey.shop IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQH\\" \\"Og7hcvPapiMlrwIaaPcHURo="
_dmarc.shop IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@shop.fivefifty.test"
mail.shop IN A 192.0.2.10
mx IN A 192.0.2.20
; a domain that accepts no mail
nullmx IN MX 0 .
; the test blocklist
10.2.0.192.bl IN A 127.0.0.2
10.2.0.192.bl IN TXT "listed for testing"
"""
REVERSE = """$ORIGIN 2.0.192.in-addr.arpa.
$TTL 300
@ IN SOA ns1.fivefifty.test. hostmaster.fivefifty.test. 1 3600 600 86400 300
@ IN NS ns1.fivefifty.test.
10 IN PTR mail.shop.fivefifty.test.
"""

c = Checks()
d = tempfile.mkdtemp(prefix="ff-nsd-")
port = free_port()
proc = None
try:
    with open(os.path.join(d, "fivefifty.test.zone"), "w") as f:
        f.write(ZONE)
    with open(os.path.join(d, "reverse.zone"), "w") as f:
        f.write(REVERSE)
    with open(os.path.join(d, "nsd.conf"), "w") as f:
        f.write("""server:
    ip-address: 127.0.0.1@{port}
    port: {port}
    zonesdir: "{d}"
    pidfile: "{d}/nsd.pid"
    database: ""
    username: ""
    chroot: ""
    logfile: "{d}/nsd.log"
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
remote-control:
    control-enable: no
zone:
    name: "fivefifty.test"
    zonefile: "fivefifty.test.zone"
zone:
    name: "2.0.192.in-addr.arpa"
    zonefile: "reverse.zone"
""".format(port=port, d=d))
    proc = subprocess.Popen([NSD, "-c", os.path.join(d, "nsd.conf"), "-d"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    resolver = "127.0.0.1:%d" % port
    ok = False
    for _ in range(50):
        p = subprocess.run([FF, "spf", "shop.fivefifty.test", "--ip", "192.0.2.10",
                            "--resolver", resolver], capture_output=True, text=True, timeout=30)
        if "spf=pass" in p.stdout:
            ok = True
            break
        time.sleep(0.2)
    c.check("nsd answers", ok, p.stdout + p.stderr)

    def check(*args):
        p = subprocess.run([FF, "check", *args, "--resolver", resolver, "--json",
                            "--dnsbl", "bl.fivefifty.test"], capture_output=True, text=True,
                           timeout=60)
        return p.returncode, json.loads(p.stdout)

    def has(report, prefix, status, text=""):
        return any(i["check"].startswith(prefix) and i["status"] == status and
                   text in i["detail"] for i in report["items"])

    rc, r = check("over.fivefifty.test")
    c.check("over the SPF lookup limit", has(r, "spf.lookups", "fail", "11 DNS-querying"), r)
    c.check("exit code says it failed", rc == 1, rc)
    rc, r = check("shop.fivefifty.test", "--ip", "192.0.2.10", "--selector", "s1",
                  "--from", "news@brand.example")
    c.check("broken DKIM key", has(r, "dkim.s1", "fail", "'\"'"), r)
    c.check("misaligned DMARC", has(r, "dmarc.alignment", "fail", "not for brand.example"), r)
    c.check("listed test IP", has(r, "dnsbl.bl.fivefifty.test", "fail", "192.0.2.10 is listed"), r)
    c.check("PTR forward-confirmed", has(r, "ptr.fcrdns", "pass"), r)
    c.check("SPF passes for the IP", has(r, "spf.ip", "pass"), r)
    c.check("every item has the four fields", all(set(i) == {"check", "status", "detail", "fix"}
                                                  for i in r["items"]), r)
    rc, r = check("nullmx.fivefifty.test")
    c.check("null MX", has(r, "mx.null", "warn"), r)
finally:
    if proc:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    shutil.rmtree(d, ignore_errors=True)
c.exit()
