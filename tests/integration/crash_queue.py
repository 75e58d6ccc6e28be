#!/usr/bin/env python3
"""crash_queue.py - kill -9 the queue runner in the middle of a batch, many times; then let
it finish. Afterwards every message was delivered once or is still queued, nothing was
lost, and no suppressed address ever reached the wire. A duplicate is allowed only in
SMTP's own window (killed after the final dot, before the reply was recorded), and the
number of those is printed."""
import collections
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ff_harness import Checks, Env, Sim  # noqa: E402

FF = sys.argv[1]
KILLS = int(os.environ.get("FF_CRASH_KILLS", "20"))
N = 80
c = Checks()
work = Env(FF, "")
sim = Sim(FF, work.dir, extra=("--slow-ms", "40"))
random.seed(550)
try:
    with open(work.config, "w") as f:
        f.write("[stream.transactional]\nfrom_domain = example.com\n"
                "route = smtp://127.0.0.1:%d\ntls = none\n" % sim.port)
    suppressed = set()
    for i in range(N):
        # slow+N answers 250 after a delay, so kills land mid-session.
        addr = "slow+%d@d%d.example" % (i, i)
        if i % 10 == 3:
            work.run("suppress", "add", addr)
            suppressed.add(addr)
        work.run("send", "--from", "shop@example.com", "--to", addr, "--subject", "n%d" % i,
                 "--text", "x")
    env = dict(os.environ, FIVEFIFTY_CONFIG=work.config, FIVEFIFTY_DB=work.db)
    for k in range(KILLS):
        p = subprocess.Popen([FF, "queue", "run", "--once", "--lease", "1", "--batch", "20"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(random.uniform(0.05, 0.6))
        p.send_signal(signal.SIGKILL)
        p.wait()
        time.sleep(1.05)  # past the lease: the killed runner's claims come back
    # Finish: run until nothing is due.
    for _ in range(30):
        out = work.json("queue", "run", "--once", "--lease", "1")
        left = work.json("queue", "list")
        if not out and not [x for x in left if x["state"] != "held"]:
            break
        time.sleep(1.05)
    states = collections.Counter(x["state"] for x in work.json("queue", "list", "--state", "sent"))
    counts = collections.Counter(d[0] for d in sim.deliveries() if d[1] == 250)
    never = [a for a in suppressed if a in counts or
             any(d[0] == a for d in sim.deliveries())]
    c.check("no suppressed address ever reached the wire", not never, never)
    missing = ["slow+%d@d%d.example" % (i, i) for i in range(N)
               if "slow+%d@d%d.example" % (i, i) not in counts and
               "slow+%d@d%d.example" % (i, i) not in suppressed]
    c.check("every message delivered (none lost)", not missing, missing[:5])
    dups = {a: n for a, n in counts.items() if n > 1}
    print("kills: %d, duplicates in SMTP's window: %d" % (KILLS, len(dups)))
    c.check("duplicates only within the kill window (at most one per kill)",
            sum(n - 1 for n in dups.values()) <= KILLS, dups)
    c.check("the store says sent for every delivered one",
            states["sent"] == N - len(suppressed), states)
finally:
    sim.stop()
    work.close()
c.exit()
