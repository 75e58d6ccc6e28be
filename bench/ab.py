#!/usr/bin/env python3
"""Two or more builds of fivefifty side by side on the corpus decode, in turns.

Usage (from the project root):
  python3 bench/ab.py [--rounds N] [--repeat N] [--corpus DIR] NAME=BINARY NAME=BINARY ...
  NAME=VAR=VALUE;VAR=VALUE|BINARY runs BINARY with those environment variables set.

Each round runs every build once, in the order given, over the corpus's emails REPEAT
times (default 10, as bench/decode.sh) in one process; the figures are each build's median
wall time and CPU time over the rounds, and its speed relative to the first build, and
whether its output (CHECKS untimed runs each) is the first build's, byte for byte. Turns
rather than one build after the other, because a shared machine's busy moments move a run
by more than most changes do. Used to decide whether a change is kept; bench/decode.sh
gives the figures against Sisimai. Skips cleanly when the corpus is absent; never fails on
timing, but exits 1 when a build's output differs.
"""
import argparse
import glob
import hashlib
import os
import statistics
import subprocess
import sys
import time


CHECKS = 5  # untimed runs of each build whose output is compared


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--corpus", default=os.environ.get("CORPUS", "../shared/corpus/sisimai"))
    ap.add_argument("builds", nargs="+", metavar="NAME=BINARY")
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.corpus, "emails", "*.eml")))
    if not files:
        print(f"ab: no corpus at {a.corpus}, skipping")
        return 0
    builds = []
    for spec in a.builds:
        name, _, rest = spec.partition("=")
        envs, _, binary = rest.rpartition("|")
        env = dict(os.environ)
        for kv in filter(None, envs.split(";")):
            k, _, v = kv.partition("=")
            env[k] = v
        if not name or not os.access(binary, os.X_OK):
            print(f"ab: '{spec}' is not NAME=BINARY with an executable BINARY", file=sys.stderr)
            return 2
        builds.append((name, [binary, "decode", "--json", "--quiet"] + files * a.repeat, env))
    wall = {b[0]: [] for b in builds}
    cpu = {b[0]: [] for b in builds}
    for _ in range(a.rounds):
        for name, cmd, env in builds:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=env)
            _, _, ru = os.wait4(p.pid, 0)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(ru.ru_utime + ru.ru_stime)
    # A faster build that prints something else is no faster: every build's output, from
    # CHECKS untimed runs (threads hand messages over differently each run), must be the
    # first build's bytes.
    want, differ = None, {}
    for name, cmd, env in builds:
        for _ in range(CHECKS):
            out = hashlib.sha256(subprocess.run(cmd, stdout=subprocess.PIPE,
                                                stderr=subprocess.DEVNULL,
                                                env=env).stdout).digest()
            want = want or out
            differ[name] = differ.get(name, 0) + (out != want)
    n = len(files) * a.repeat
    print(f"{n} emails a run, {a.rounds} rounds")
    base = statistics.median(wall[builds[0][0]])
    for name, _, _ in builds:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        same = ("output as the first" if not differ[name] else
                f"OUTPUT DIFFERS from the first's in {differ[name]} of {CHECKS} runs")
        print(f"{name:12s} wall {w * 1000:7.1f} ms  cpu {c * 1000:7.1f} ms  "
              f"{n / w:8.0f} emails/s  {base / w:5.3f}x the first  {same}")
    return 1 if any(differ.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
