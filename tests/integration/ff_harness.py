"""ff_harness.py - what the integration drivers share: free ports, the simulator, running
fivefifty with a private configuration and store, reading JSON lines."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Sim:
    """`fivefifty sim` on a free port of 127.0.0.1, bounded by --duration, always stopped."""

    def __init__(self, ff, workdir, duration=300, extra=()):
        self.port = free_port()
        self.maildir = os.path.join(workdir, "sim-reports")
        self.log = os.path.join(workdir, "sim.jsonl")
        self.proc = subprocess.Popen(
            [ff, "sim", "--listen", "127.0.0.1:%d" % self.port, "--maildir", self.maildir,
             "--log", self.log, "--duration", str(duration), "--greylist-seconds", "1",
             "--slow-ms", "200", *extra], stderr=subprocess.DEVNULL)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("the simulator did not start")

    def deliveries(self):
        """(rcpt, code, message_id) for every recipient outcome the simulator logged."""
        out = []
        if os.path.exists(self.log):
            for line in open(self.log):
                o = json.loads(line)
                out.append((o["rcpt"], o["code"], o["message_id"]))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Env:
    """A private configuration and store; run(...) calls fivefifty with them."""

    def __init__(self, ff, config_text):
        self.ff = ff
        self.dir = tempfile.mkdtemp(prefix="ff-it-")
        self.config = os.path.join(self.dir, "ff.ini")
        self.db = os.path.join(self.dir, "ff.db")
        with open(self.config, "w") as f:
            f.write(config_text)

    def run(self, *args, stdin=None, timeout=120, check=True):
        env = dict(os.environ, FIVEFIFTY_CONFIG=self.config, FIVEFIFTY_DB=self.db)
        p = subprocess.run([self.ff, *args], input=stdin, capture_output=True, text=True,
                           timeout=timeout, env=env)
        if check and p.returncode not in (0, 1):
            raise RuntimeError("fivefifty %s: exit %d\n%s%s" % (" ".join(args), p.returncode,
                                                               p.stdout, p.stderr))
        return p

    def json(self, *args, **kw):
        p = self.run(*args, "--json", **kw)
        return [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, name, cond, detail=""):
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))
        if not cond:
            self.failed += 1

    def exit(self):
        print("%d failed" % self.failed)
        raise SystemExit(1 if self.failed else 0)
