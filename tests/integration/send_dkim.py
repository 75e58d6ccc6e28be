#!/usr/bin/env python3
"""send_dkim.py - what the queue runner signs is what receivers verify: messages sent
through streams with an RSA-2048 and an Ed25519 key (more than one signing window: the
signatures are made ahead on other threads) arrive at the simulator, which keeps them as
received, and every one verifies with fivefifty's verifier and, when Debian's python3-dkim
is installed, with dkimpy."""
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ff_harness import Checks, Env, Sim  # noqa: E402

FF = sys.argv[1]
c = Checks()
work = Env(FF, "")
keep = os.path.join(work.dir, "kept")
sim = Sim(FF, work.dir, extra=("--keep", keep))
try:
    keys = {}
    for kind in ("rsa", "ed25519"):
        prefix = os.path.join(work.dir, "k-" + kind)
        work.run("dkim", "keygen", "--type", kind, "--out", prefix)
        keys[kind] = (prefix + ".pem", open(prefix + ".txt").read().strip())
    with open(work.config, "w") as f:
        f.write("[fivefifty]\nhelo = it.fivefifty.test\n"
                "[stream.transactional]\nfrom_domain = example.com\nroute = smtp://127.0.0.1:%d\n"
                "tls = none\ndkim_key = %s\ndkim_selector = rsa1\n"
                "[stream.outreach]\nfrom_domain = example.org\nroute = smtp://127.0.0.1:%d\n"
                "tls = none\nwarmup = no\ndkim_key = %s\ndkim_selector = ed1\n"
                % (sim.port, keys["rsa"][0], sim.port, keys["ed25519"][0]))
    n_rsa, n_ed = 70, 3  # 70 > the 64-message signing window
    for i in range(n_rsa):
        work.run("send", "--stream", "transactional", "--from", "shop@example.com",
                 "--to", "buyer%d@r%d.example" % (i, i % 7), "--subject", "order %d" % i,
                 "--text", "Line one\nLine two with trailing space \n\n")
    for i in range(n_ed):
        work.run("send", "--stream", "outreach", "--from", "hello@example.org",
                 "--to", "lead%d@e.example" % i, "--subject", "hi %d" % i, "--text", "x")
    states = [o.get("state") for o in work.json("queue", "run", "--once", timeout=300)]
    c.check("every message sent", states.count("sent") == n_rsa + n_ed, states)

    kept = sorted(glob.glob(os.path.join(keep, "new", "*")))
    c.check("the simulator kept every message", len(kept) == n_rsa + n_ed, len(kept))
    # Several sessions at once (the stream's `connections`, default 4), each message once.
    mids, sessions = set(), {}
    for path in kept:
        raw = open(path, "rb").read()
        m = re.search(rb"^Message-ID:\s*(\S+)", raw, re.M | re.I)
        mids.add(m.group(1) if m else path)
        s = re.search(rb"\(session (\d+)\)", raw)
        if s and b"s=rsa1" in raw:
            sessions[int(s.group(1))] = sessions.get(int(s.group(1)), 0) + 1
    c.check("no message arrived twice", len(mids) == len(kept), (len(mids), len(kept)))
    c.check("the 70 messages of one stream went over 2 to 4 sessions at once",
            2 <= len(sessions) <= 4, sessions)
    by_sel = {"rsa1": 0, "ed1": 0}
    bad = []
    for path in kept:
        raw = open(path, "rb").read()
        sel = "rsa1" if b"s=rsa1" in raw else "ed1" if b"s=ed1" in raw else None
        if sel is None:
            bad.append((os.path.basename(path), "unsigned"))
            continue
        by_sel[sel] += 1
        txt = keys["rsa" if sel == "rsa1" else "ed25519"][1]
        p = subprocess.run([FF, "dkim", "verify", "--json", "--txt", txt], input=raw,
                           capture_output=True, timeout=60)
        if b'"pass"' not in p.stdout:
            bad.append((os.path.basename(path), p.stdout.decode(errors="replace")[:200]))
    c.check("signed with the stream's own key", by_sel == {"rsa1": n_rsa, "ed1": n_ed}, by_sel)
    if kept:  # the verifier is no rubber stamp: another key's record fails it
        raw = open(kept[0], "rb").read()
        other = keys["ed25519" if b"s=rsa1" in raw else "rsa"][1]
        p = subprocess.run([FF, "dkim", "verify", "--json", "--txt", other], input=raw,
                           capture_output=True, timeout=60)
        c.check("a wrong key does not verify", b'"pass"' not in p.stdout, p.stdout[:200])
    c.check("fivefifty verifies every signature", not bad, bad[:3])

    # dkimpy, when installed, as the independent verifier (RSA and Ed25519)
    probe = subprocess.run(["/usr/bin/python3", "-c", "import dkim"], capture_output=True)
    if probe.returncode == 0 and kept:
        script = ("import dkim,sys\n"
                  "txt=open(sys.argv[2]).read().encode()\n"
                  "m=open(sys.argv[1],'rb').read()\n"
                  "print(dkim.verify(m, dnsfunc=lambda n, timeout=5: txt))\n")
        fails = []
        for path in kept[:5] + kept[-3:]:
            raw = open(path, "rb").read()
            kind = "rsa" if b"s=rsa1" in raw else "ed25519"
            tfile = os.path.join(work.dir, "txt-" + kind)
            with open(tfile, "w") as t:
                t.write(keys[kind][1])
            p = subprocess.run(["/usr/bin/python3", "-c", script, path, tfile],
                               capture_output=True, text=True, timeout=60)
            if p.stdout.strip() != "True":
                fails.append((os.path.basename(path), p.stdout + p.stderr[-300:]))
        c.check("dkimpy verifies them too", not fails, fails[:2])
    else:
        print("skip dkimpy: python3-dkim not installed")
finally:
    sim.stop()
    work.close()
c.exit()
