#!/usr/bin/env python3
"""send_mx.py - route = mx: MX hosts in preference order with failover (the first MX does
not answer, the second is the simulator), a null MX (RFC 7505) and a domain that does not
exist are answered without a connection and suppress the whole domain, and a DNS timeout
is retried, an MX that refuses to relay for its own domain fails that message alone;
twenty more domains, worked on several at once, each get their message once
over a session of their own. DNS comes from a zone file (queue run --zone), SMTP from the
simulator."""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ff_harness import Checks, Env, Sim, free_port  # noqa: E402

FF = sys.argv[1]
c = Checks()
work = Env(FF, "[stream.transactional]\nfrom_domain = example.com\nroute = mx\n")
keep = os.path.join(work.dir, "kept")
sim = Sim(FF, work.dir, extra=("--keep", keep))
try:
    zone = os.path.join(work.dir, "zone")
    with open(zone, "w") as f:
        f.write("good.example MX 10 dead.good.example\n"      # nobody listens there
                "good.example MX 20 mx.good.example\n"
                "dead.good.example A 127.0.0.2\n"
                "mx.good.example A 127.0.0.1\n"
                "nullmx.example MX 0 .\n"
                "nullmx.example A 192.0.2.1\n"
                "slow.example TIMEOUT\n")
        for k in range(20):
            f.write("d%d.example MX 10 mx.good.example\n" % k)
    for to in ("success@good.example", "userunknown@good.example", "norelay@good.example",
               "a@nullmx.example",
               "a@nothing.example", "a@slow.example") + tuple(
                   "success@d%d.example" % k for k in range(20)):
        work.run("send", "--from", "shop@example.com", "--to", to, "--subject", "s",
                 "--text", "x")
    out = {o["recipient"]: o for o in work.json("queue", "run", "--once", "--zone", zone,
                                                 "--mx-port", str(sim.port))}
    c.check("delivered to the second MX after the first failed",
            out.get("success@good.example", {}).get("state") == "sent", out)
    c.check("the attempt names the host that answered (the second MX's address)",
            out.get("success@good.example", {}).get("remote") == "127.0.0.1", out)
    c.check("the MX's 550 5.1.1 suppresses the address",
            out.get("userunknown@good.example", {}).get("action") == "suppress", out)
    nr = out.get("norelay@good.example", {})
    c.check("an MX's 'Relay access denied' fails the message, never stops the stream",
            nr.get("reason") == "norelaying" and nr.get("state") == "failed" and
            nr.get("action") == "none", nr)
    states = [s.get("state") for s in work.json("stream", "list")]
    c.check("no stream stopped", "stopped" not in states, states)
    n = out.get("a@nullmx.example", {})
    c.check("null MX: notaccept, failed, no connection", n.get("reason") == "notaccept" and
            n.get("state") == "failed" and n.get("status") == "5.1.10" and "remote" not in n, n)
    x = out.get("a@nothing.example", {})
    c.check("no such domain: hostunknown", x.get("reason") == "hostunknown" and
            x.get("state") == "failed", x)
    t = out.get("a@slow.example", {})
    c.check("DNS timeout: retried later", t.get("state") == "deferred", t)
    many = [out.get("success@d%d.example" % k, {}).get("state") for k in range(20)]
    c.check("twenty domains, every one delivered", many == ["sent"] * 20, many)
    kept = [open(p, "rb").read() for p in glob.glob(os.path.join(keep, "new", "*"))]
    to_many = [m for m in kept if re.search(rb"^To: .*@d[0-9]+\.example", m, re.M)]
    sessions = {re.search(rb"\(session (\d+)\)", m).group(1) for m in to_many}
    c.check("each domain's message arrived once, over a session of its own",
            len(to_many) == 20 and len(sessions) == 20, (len(to_many), len(sessions)))
    sup = {s["address"] for s in work.json("suppress", "list")}
    c.check("domains suppressed whole", {"@nullmx.example", "@nothing.example"} <= sup, sup)
    c.check("the address suppressed alone", "userunknown@good.example" in sup, sup)
finally:
    sim.stop()
    work.close()
c.exit()
