#!/usr/bin/env python3
"""CLI tests: run the built `fivefifty` on the bundled samples and check what a user sees.

Usage: test_cli.py FIVEFIFTY SOURCE_ROOT   (meson passes both; see tests/cli/meson.build)
Each case prints its command when it fails; the script exits non-zero if any case failed.
"""
import json
import os
import subprocess
import sys
import tempfile

FF, ROOT = sys.argv[1], sys.argv[2]
SAMPLES = os.path.join(ROOT, "examples", "bounces")
failures = []


def run(args, stdin=None):
    p = subprocess.run([FF] + args, input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check(name, cond, detail=""):
    if not cond:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name}: {detail}")
    else:
        print(f"ok   {name}")


def lines(out):
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


# classify: reply -> (reason, action, provider or None)
REPLIES = [
    ("550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in virtual "
     "mailbox table", "userunknown", "suppress", None),
    ("550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\\n"
     "550 5.7.26 DMARC policy. - gsmtp", "authfailure", "hold", "gmail"),
    ("421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating\\n"
     "421 4.7.28 from your IP address. - gsmtp", "ratelimited", "throttle", "gmail"),
    ("550 5.7.515 Access denied, sending domain example.com doesn't meet the required "
     "authentication level.", "authfailure", "hold", None),
    ("550 5.1.8 Access denied, bad outbound sender.", "rejected", "stop", None),
    ("552 5.2.2 <a@example.com>: Recipient address rejected: Mailbox full",
     "mailboxfull", "retry", None),
    ("554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org",
     "blocked", "hold", None),
    ("554 5.4.1 <a@example.com>: Relay access denied", "norelaying", "stop", None),
    ("535 5.7.8 Authentication credentials invalid", "securityerror", "stop", None),
]
for text, reason, action, provider in REPLIES:
    rc, out, err = run(["classify", "--json", text])
    got = lines(out)
    ok = rc == 0 and len(got) == 1 and got[0]["reason"] == reason and got[0]["action"] == action
    if ok and provider:
        ok = got[0]["provider"] == provider
    check(f"classify {text[:40]!r}", ok, f"rc={rc} got={got} err={err}")
    if got:
        check(f"classify fields {text[:20]!r}",
              set(got[0]) >= {"input", "code", "status", "reason", "class", "side",
                              "action", "provider", "rule", "fix"}, str(got[0]))

# classify from stdin, one reply per line, and the human table
rc, out, err = run(["classify"], stdin="550 5.1.1 user unknown\n\n421 4.7.0 try later\n")
check("classify stdin table", rc == 0 and "REASON" in out and "2 replies classified" in out,
      out + err)

# a user's rule wins over the built-in ones
with tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False) as f:
    f.write("[mine.unknown-is-full]\nstatus = 5.1.1\nreason = mailboxfull\n")
    user_rules = f.name
rc, out, _ = run(["classify", "--json", "--rules", user_rules, "550 5.1.1 user unknown"])
got = lines(out)
check("user rules win", rc == 0 and got and got[0]["reason"] == "mailboxfull"
      and got[0]["rule"] == "mine.unknown-is-full", str(got))
with open(user_rules, "w") as f:
    f.write("[broken]\nreason = no-such-reason\n")
rc, _, err = run(["classify", "--rules", user_rules, "550 x"])
check("broken rules file exits 3 with its line", rc == 3 and ":2" in err, f"rc={rc} {err}")
os.unlink(user_rules)

# decode the samples: file -> [(recipient, status, reason, action)]
EXPECT = {
    "01-postfix-user-unknown.eml": [("maria.gone@example.org", "5.1.1", "userunknown", "suppress")],
    "02-gmail-dmarc-5.7.26.eml": [("sam.reader@gmail.com", "5.7.26", "authfailure", "hold")],
    "03-exim-mailbox-full.eml": [("kim.full@example.com", "5.2.2", "mailboxfull", "retry")],
    "04-qmail-host-unknown.eml": [("lee@no-such-domain.example", "5.1.2", "hostunknown",
                                   "suppress")],
    "05-arf-complaint.eml": [("pat.complains@example.org", None, "feedback", None)],
    "06-vacation.eml": [("robin@example.org", None, "vacation", "none")],
}
rc, out, err = run(["decode", "--json", SAMPLES])
recs = lines(out)
check("decode samples exit 0", rc == 0, f"rc={rc} {err}")
by_file = {}
for r in recs:
    by_file.setdefault(os.path.basename(r["file"]), []).append(r)
for name, want in EXPECT.items():
    got = by_file.get(name, [])
    ok = len(got) == len(want)
    for g, (rcpt, status, reason, action) in zip(got, want):
        ok = ok and g.get("recipient") == rcpt and g["reason"] == reason
        ok = ok and (status is None or g["status"] == status)
        ok = ok and (action is None or g["action"] == action)
    check(f"decode {name}", ok, json.dumps(got))
check("not a bounce gives no record", "07-not-a-bounce.eml" not in by_file)
check("not a bounce is reported", "07-not-a-bounce.eml" in err and "not a bounce" in err, err)
first = by_file.get("01-postfix-user-unknown.eml", [{}])[0]
check("returned message fields", first.get("message_id") == "<order-4411@example.net>"
      or first.get("message_id") == "order-4411@example.net", json.dumps(first))
check("dsn fields", first.get("reporting_mta") == "mta1.example.net"
      and first.get("dsn_action") == "failed" and first.get("code") == 550, json.dumps(first))

# mbox and stdin
with tempfile.TemporaryDirectory() as tmp:
    mbox = os.path.join(tmp, "box.mbox")
    with open(mbox, "w") as m:
        for name in ("01-postfix-user-unknown.eml", "04-qmail-host-unknown.eml"):
            m.write("From MAILER-DAEMON Tue Nov 24 10:15:02 2026\n")
            m.write(open(os.path.join(SAMPLES, name)).read().replace("\nFrom ", "\n>From "))
            m.write("\n")
    rc, out, err = run(["decode", "--json", mbox])
    got = lines(out)
    check("mbox: two records", rc == 0 and [g.get("recipient") for g in got] ==
          ["maria.gone@example.org", "lee@no-such-domain.example"], f"{got} {err}")
    check("mbox: members numbered", got and got[0]["file"].endswith("box.mbox") and
          [g.get("message") for g in got] == [1, 2], str(got[:1]))

    # several threads decode, the output keeps the input order: the same bytes for any
    # --jobs. Each count runs several times: the threads hand messages over in a different
    # order every run, and a mistake in that hand-over (a slot refilled under a thread that
    # still took it for the old message) lost records in one run of five.
    many = [mbox] + [os.path.join(SAMPLES, n) for n in sorted(os.listdir(SAMPLES))] * 40
    want = run(["decode", "--json", "--quiet", "--jobs", "1"] + many)[1]
    bad = [(j, len(out)) for j in ("2", "3", "4") for _ in range(16)
           for out in [run(["decode", "--json", "--quiet", "--jobs", j] + many)[1]]
           if out != want]
    check("--jobs 2, 3 and 4 print what --jobs 1 prints, in order, 16 runs each",
          want and not bad, f"{len(want)} bytes wanted; (jobs, bytes) that differ: {bad}")
    rc, _, _ = run(["decode", "--jobs", "0", mbox])
    check("--jobs 0 is a usage error", rc == 2, f"rc={rc}")

    maildir = os.path.join(tmp, "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub))
    with open(os.path.join(maildir, "new", "1.host"), "w") as m:
        m.write(open(os.path.join(SAMPLES, "03-exim-mailbox-full.eml")).read())
    rc, out, err = run(["decode", "--json", maildir])
    check("maildir", rc == 0 and len(lines(out)) == 1, out + err)

    junk = os.path.join(tmp, "junk.eml")
    with open(junk, "wb") as j:
        j.write(bytes(range(256)) * 64)
    rc, out, err = run(["decode", "--json", junk, os.path.join(SAMPLES, "01-postfix-user-unknown.eml")])
    check("junk reported, run goes on", len(lines(out)) == 1 and "junk.eml" in err, out + err)

rc, out, err = run(["decode", "-"], stdin=open(os.path.join(SAMPLES, "04-qmail-host-unknown.eml")).read())
check("stdin", rc == 0 and "lee@no-such-domain.example" in out, out + err)
rc, _, err = run(["decode", os.path.join(SAMPLES, "07-not-a-bounce.eml")])
check("nothing decoded exits 4", rc == 4, f"rc={rc}")
rc, _, err = run(["decode", "/nonexistent/path.eml"])
check("unreadable path exits 3", rc == 3 and "No such file" in err, f"rc={rc} {err}")
rc, _, _ = run(["decode"])
check("no path is a usage error", rc == 2)
rc, _, _ = run(["frobnicate"])
check("unknown command is a usage error", rc == 2)

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
