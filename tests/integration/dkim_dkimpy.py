#!/usr/bin/env python3
"""dkim_dkimpy.py - DKIM cross-checked both ways with dkimpy (Debian's python3-dkim):
fivefifty signs and dkimpy verifies; dkimpy signs and fivefifty verifies; for rsa-sha256
and ed25519-sha256, relaxed/relaxed and simple/simple. Skips (77) without python3-dkim."""
import os
import subprocess
import sys
import tempfile

try:
    import dkim
except ImportError:
    print("skip: python3-dkim is not installed")
    raise SystemExit(77)

FF = sys.argv[1]
failed = 0
MSG = (b"From: Shop <shop@example.com>\r\nTo: buyer@example.org\r\nSubject: Your receipt\r\n"
       b"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <r1@example.com>\r\n\r\n"
       b"Thank you for your order.  \r\n\r\nTotal: 42.00\r\n")


def check(name, cond, detail=""):
    global failed
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))
    failed += 0 if cond else 1


with tempfile.TemporaryDirectory() as d:
    for kind in ("rsa", "ed25519"):
        prefix = os.path.join(d, kind)
        subprocess.run([FF, "dkim", "keygen", "--type", kind, "--out", prefix], check=True,
                       capture_output=True, timeout=60)
        record = open(prefix + ".txt").read().strip()
        pem = open(prefix + ".pem", "rb").read()

        def dns(name, timeout=5, record=record):
            return record.encode()

        for canon in ("relaxed/relaxed", "simple/simple"):
            p = subprocess.run([FF, "dkim", "sign", "--key", prefix + ".pem", "--domain",
                                "example.com", "--selector", "s1", "--canon", canon],
                               input=MSG, capture_output=True, timeout=60)
            check("fivefifty signs %s %s" % (kind, canon), p.returncode == 0, p.stderr)
            check("dkimpy verifies fivefifty's %s %s" % (kind, canon),
                  dkim.verify(p.stdout, dnsfunc=dns), p.stdout[:300])
            hc, bc = canon.encode().split(b"/")
            if kind == "rsa":
                sig = dkim.sign(MSG, b"s1", b"example.com", pem, canonicalize=(hc, bc))
            else:
                # dkimpy takes the raw 32-byte Ed25519 seed, base64, as its private key.
                from cryptography.hazmat.primitives import serialization
                key = serialization.load_pem_private_key(pem, None)
                import base64
                raw = key.private_bytes(serialization.Encoding.Raw,
                                        serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
                sig = dkim.sign(MSG, b"s1", b"example.com", base64.b64encode(raw),
                                canonicalize=(hc, bc), signature_algorithm=b"ed25519-sha256")
            p = subprocess.run([FF, "dkim", "verify", "--txt", record, "--json"],
                               input=sig + MSG, capture_output=True, timeout=60)
            check("fivefifty verifies dkimpy's %s %s" % (kind, canon),
                  p.returncode == 0 and '"pass"' in p.stdout.decode(), p.stdout + p.stderr)
            tampered = (sig + MSG).replace(b"42.00", b"43.00")
            p = subprocess.run([FF, "dkim", "verify", "--txt", record], input=tampered,
                               capture_output=True, timeout=60)
            check("tampered %s %s fails" % (kind, canon), p.returncode == 1 and
                  b"body hash" in p.stdout, p.stdout)
print("%d failed" % failed)
raise SystemExit(1 if failed else 0)
