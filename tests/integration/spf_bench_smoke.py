#!/usr/bin/python3
"""spf_bench_smoke.py - bench/spf.sh on a few domains: NSD on 127.0.0.1, fivefifty's
--batch and pyspf must agree on every result and both rates must be printed. Timing is
never judged here. Skips (77) without NSD or pyspf."""
import os
import re
import shutil
import subprocess
import sys

ff, root = sys.argv[1], sys.argv[2]
if not (shutil.which("nsd") or os.path.exists("/usr/sbin/nsd")):
    print("skip: nsd is not installed")
    sys.exit(77)
if subprocess.run(["/usr/bin/python3", "-c", "import spf, dns.resolver"]).returncode != 0:
    print("skip: pyspf is not installed")
    sys.exit(77)
env = dict(os.environ, FIVEFIFTY=os.path.abspath(ff), DOMAINS="40")
p = subprocess.run(["bash", os.path.join(root, "bench", "spf.sh")], capture_output=True,
                   text=True, timeout=300, env=env)
print(p.stdout, p.stderr)
ok = (p.returncode == 0 and "results agree: 40/40" in p.stdout and
      re.search(r"fivefifty +\d+ evaluations/s .*40 pass", p.stdout) and
      re.search(r"pyspf +\d+ evaluations/s", p.stdout))
sys.exit(0 if ok else 1)
