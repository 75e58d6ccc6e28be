#!/usr/bin/env python3
"""postfix_relay.py - fivefifty relays through a real Postfix (STARTTLS verified against the
run's CA, SASL PLAIN inside TLS); Postfix delivers to the simulator, gets a 550, writes its
own DSN to the bounce mailbox, and `fivefifty ingest` turns that DSN into a suppression.
Also: wrong credentials stop the stream (535), and the password never shows in output.
Skips (77) where Postfix cannot run (not root, not installed)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import postfix_harness  # noqa: E402
from ff_harness import Checks, Env, Sim  # noqa: E402

FF = sys.argv[1]
why = postfix_harness.available()
if why:
    print("skip: " + why)
    raise SystemExit(77)

c = Checks()
work = Env(FF, "")
sim = Sim(FF, work.dir)
pf = postfix_harness.Postfix(sim.port)
try:
    pf.start()
    secret = os.path.join(work.dir, "relay.secret")
    with open(secret, "w") as f:
        f.write(pf.password + "\n")
    bad = os.path.join(work.dir, "bad.secret")
    with open(bad, "w") as f:
        f.write("not-the-password\n")
    base = ("route = smtp://127.0.0.1:%d\ntls = required\nca_file = %s\nuser = %s\n"
            "bounce_domain = bounce.test\nfrom_domain = example.com\nwarmup = no\n"
            % (pf.port, pf.ca_file, pf.user))
    with open(work.config, "w") as f:
        f.write("[fivefifty]\nhelo = it.fivefifty.test\n"
                "[stream.transactional]\n" + base + "password_file = %s\n" % secret +
                "[stream.outreach]\n" + base + "password_file = %s\n" % bad)
    # Through Postfix: one good, one unknown user (Postfix accepts both, then bounces one).
    work.run("send", "--stream", "transactional", "--from", "shop@example.com",
             "--to", "success@good.example", "--subject", "receipt", "--text", "thanks")
    work.run("send", "--stream", "transactional", "--from", "shop@example.com",
             "--to", "userunknown@gone.example", "--subject", "receipt", "--text", "thanks")
    out = work.json("queue", "run", "--once")
    c.check("relayed through Postfix with AUTH inside TLS",
            len(out) == 2 and all(o["state"] == "sent" for o in out), out)
    dsn = pf.wait_maildir(1, timeout=60)
    c.check("Postfix wrote its DSN to the bounce mailbox", len(dsn) == 1, pf.log_text())
    delivered = [d for d in sim.deliveries() if d[0] == "success@good.example" and d[1] == 250]
    c.check("Postfix delivered the good one to the simulator", len(delivered) == 1,
            sim.deliveries())
    if dsn:
        ing = work.json("ingest", pf.maildir)
        c.check("ingest decoded Postfix's DSN as userunknown, matched by VERP",
                len(ing) == 1 and ing[0].get("reason") == "userunknown" and "id" in ing[0]
                and ing[0].get("recipient") == "userunknown@gone.example", ing)
        sup = {s["address"]: s for s in work.json("suppress", "list")}
        c.check("and suppressed the address", "userunknown@gone.example" in sup and
                sup["userunknown@gone.example"]["source"] == "bounce", sup)
    # Wrong credentials: 535, the stream stops, the mail waits, the password is not shown.
    work.run("send", "--stream", "outreach", "--from", "news@example.com",
             "--to", "success@other.example", "--subject", "n", "--text", "x")
    p = work.run("queue", "run", "--once", "--json")
    c.check("535 stops the stream", '"securityerror"' in p.stdout and '"held"' in p.stdout,
            p.stdout + p.stderr)
    c.check("no password in any output", "not-the-password" not in p.stdout + p.stderr and
            pf.password not in p.stdout + p.stderr)
    streams = {(s["stream"], s.get("provider", "")): s for s in work.json("stream", "list")}
    c.check("outreach is stopped", streams[("outreach", "")]["state"] == "stopped", streams)
finally:
    pf.stop()
    sim.stop()
    work.close()
c.exit()
