#!/usr/bin/env python3
"""Every status the decoder gave that the corpus expects otherwise, one line each, with
what kind of disagreement it is, so a reader sees which misses are decoding errors.

Usage: status_misses.py EXPECTED.jsonl FIVEFIFTY.jsonl

Kinds, first that applies:
  reason differs   the two disagree on the reason, and the status follows the reason
                   (both are pseudo codes, or the reasons' own pseudo codes differ)
  peer pseudo      the expected status is one of Sisimai's pseudo codes (X.0.9NN, a
                   code it makes up from its reason when the bounce gives none, or in
                   place of the one the bounce gives) and the decoder's is not that code
  class only       the same subject and detail, another class (4 against 5)
  other            anything else: look at these first
The figure score.py prints is not changed by this listing.
"""
import collections
import json
import os
import re
import sys

PSEUDO = re.compile(r"^[245]\.0\.9\d\d$")


def base(path):
    return re.sub(r"#[0-9]+$", "", os.path.basename(path))


ours = collections.defaultdict(list)
for line in open(sys.argv[2], errors="replace"):
    if line.startswith("{"):
        r = json.loads(line)
        if "file" in r:
            ours[base(r["file"])].append(r)

kinds = collections.Counter()
rows = []
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    e = json.loads(line)
    f = base(e["file"])
    i = e["index"] - 1
    got = ours[f][i] if i < len(ours[f]) else {}
    gs, ws = got.get("status") or "", e["status"]
    if gs == ws:
        continue
    reason = (got.get("reason") or "").replace("speeding", "ratelimited")
    want_reason = e["reason"].replace("speeding", "ratelimited")
    if reason != want_reason and (PSEUDO.match(ws) or PSEUDO.match(gs)):
        kind = "reason differs"
    elif PSEUDO.match(ws):
        kind = "peer pseudo"
    elif gs[2:] == ws[2:] and gs[:1] != ws[:1]:
        kind = "class only"
    else:
        kind = "other"
    kinds[kind] += 1
    rows.append(f"  {kind:15} {f}#{i + 1}: {gs or '(none)'} != {ws}"
                f" ({reason or '-'} / {want_reason})")
print(f"status misses: {sum(kinds.values())} (" +
      ", ".join(f"{k} {v}" for k, v in kinds.most_common()) + ")")
for r in sorted(rows):
    print(r)
