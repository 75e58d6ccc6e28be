#!/usr/bin/env python3
"""Recipient accuracy: fivefifty's n-th record of each file against Sisimai's n-th record.

Usage: recipients.py EXPECTED.jsonl FIVEFIFTY.jsonl SISIMAI.jsonl
Only files listed in EXPECTED count; addresses compare case-insensitively. An address in
the .invalid TLD (RFC 2606: a name that can never exist) is a stand-in, not a recipient:
Sisimai writes "undisclosed-recipient-in-headers@libsisimai.org.invalid" for a complaint
that names nobody, where fivefifty leaves the recipient empty; both mean "none". fivefifty names
the messages of an mbox holding several "FILE#1", "FILE#2"; their records count as the
file's, in that order, as Sisimai reports them.
"""
import collections
import json
import os
import re
import sys


def address(r):
    a = (r.get("recipient") or "").lower()
    return "" if a.endswith(".invalid") else a


def load(path):
    recs = collections.defaultdict(list)
    for line in open(path, errors="replace"):
        if line.startswith("{"):
            r = json.loads(line)
            if "file" in r:
                recs[re.sub(r"#[0-9]+$", "", os.path.basename(r["file"]))].append(address(r))
    return recs


exp = collections.Counter(os.path.basename(json.loads(l)["file"]) for l in open(sys.argv[1]))
ours, peer = load(sys.argv[2]), load(sys.argv[3])
total = same = 0
misses = []
for f, count in sorted(exp.items()):
    for i in range(count):
        want = peer[f][i] if i < len(peer[f]) else None
        if want is None:
            continue
        total += 1
        got = ours[f][i] if i < len(ours[f]) else ""
        if got == want:
            same += 1
        else:
            misses.append(f"{f}#{i + 1}: {got or '(none)'} != {want}")
print(f"recipient {same}/{total} = {same / max(total, 1):.3f} (against Sisimai's records)")
for m in misses[:10]:
    print("  " + m)
