"""postfix_harness.py - a private Postfix instance on 127.0.0.1 for integration tests.

It listens on a free port with STARTTLS (a CA made for the run signs its certificate) and
SASL (Cyrus sasldb, PLAIN and LOGIN, only after STARTTLS), relays every message to a next
hop given by the test (the fivefifty simulator), and delivers mail for the domain
`bounce.test` into a maildir, which is where its own DSNs to a VERP sender land.

Everything lives in one temporary directory; stop() stops the instance and removes it.
Postfix needs root to start; callers skip (exit 77) when `available()` says no.
"""
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ff_harness import free_port, wait_port  # noqa: E402

POSTFIX = "/usr/sbin/postfix"
SASLPASSWD = "/usr/sbin/saslpasswd2"


def available():
    """Why the harness cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "Postfix needs root to start"
    for p in (POSTFIX, SASLPASSWD, "/usr/bin/openssl"):
        if not os.path.exists(p):
            return p + " is not installed"
    if not os.path.exists("/usr/lib/x86_64-linux-gnu/sasl2/libsasldb.so") and not any(
            os.path.exists(os.path.join(d, "libsasldb.so"))
            for d in ("/usr/lib/sasl2", "/usr/lib/aarch64-linux-gnu/sasl2")):
        return "the Cyrus SASL sasldb plugin is not installed"
    return None


MASTER_CF = """\
{port} inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
virtual   unix - n n - - virtual
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


class Postfix:
    def __init__(self, next_hop_port, user="relayuser", password="relay-secret-pw"):
        self.dir = tempfile.mkdtemp(prefix="ff-postfix-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.next_hop_port = next_hop_port
        self.user, self.password = user, password
        self.conf = os.path.join(self.dir, "etc")
        self.maildir = os.path.join(self.dir, "mail", "bounces")
        self.ca_file = os.path.join(self.conf, "ca.pem")
        self.log = os.path.join(self.dir, "postfix.log")
        self.sasldir = os.path.join(self.dir, "sasl-db")
        self.started = False

    def _run(self, *cmd, **kw):
        return subprocess.run(list(cmd), check=True, capture_output=True, text=True,
                              timeout=60, **kw)

    def _tls(self):
        c = self.conf
        o = "/usr/bin/openssl"
        self._run(o, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                  "-subj", "/CN=fivefifty test CA", "-keyout", c + "/ca.key", "-out",
                  self.ca_file)
        self._run(o, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                  "-keyout", c + "/server.key", "-out", c + "/server.csr")
        with open(c + "/san.cnf", "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        self._run(o, "x509", "-req", "-in", c + "/server.csr", "-CA", self.ca_file,
                  "-CAkey", c + "/ca.key", "-CAcreateserial", "-days", "2", "-out",
                  c + "/server.pem", "-extfile", c + "/san.cnf")

    def start(self):
        os.makedirs(self.conf)
        os.makedirs(os.path.join(self.conf, "sasl"))
        for d in ("spool", "data", "mail"):
            os.makedirs(os.path.join(self.dir, d))
        pw = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.dir, "data"), pw.pw_uid, pw.pw_gid)
        os.chown(os.path.join(self.dir, "mail"), pw.pw_uid, pw.pw_gid)
        self._tls()
        host = "relay.fivefifty.test"
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.dir + "/spool",
            "data_directory": self.dir + "/data",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "myhostname": host,
            "mydomain": "fivefifty.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "mynetworks": "127.0.0.2/32",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "smtpd_relay_restrictions": "permit_sasl_authenticated, reject",
            "smtpd_tls_security_level": "may",
            "smtpd_tls_auth_only": "yes",
            "smtpd_tls_cert_file": self.conf + "/server.pem",
            "smtpd_tls_key_file": self.conf + "/server.key",
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_sasl_type": "cyrus",
            "smtpd_sasl_path": "smtpd",
            "smtpd_sasl_local_domain": host,
            "cyrus_sasl_config_path": self.conf + "/sasl",
            "relayhost": "[127.0.0.1]:%d" % self.next_hop_port,
            "smtp_tls_security_level": "none",
            "smtp_host_lookup": "native",
            "virtual_mailbox_domains": "bounce.test",
            "virtual_mailbox_base": self.dir + "/mail",
            "virtual_mailbox_maps": "static:bounces/",
            "virtual_uid_maps": "static:%d" % pw.pw_uid,
            "virtual_gid_maps": "static:%d" % pw.pw_gid,
            "virtual_minimum_uid": "1",
            "maillog_file": self.log,
            "maillog_file_prefixes": self.dir,
            "smtputf8_enable": "no",
            "biff": "no",
            "delay_warning_time": "0",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "import_environment": "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C",
        }
        with open(self.conf + "/main.cf", "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        with open(self.conf + "/master.cf", "w") as f:
            f.write(MASTER_CF.format(port=self.port))
        with open(self.conf + "/sasl/smtpd.conf", "w") as f:
            f.write("pwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
                    "mech_list: PLAIN LOGIN\nsasldb_path: %s/sasldb2\n" % self.sasldir)
        # The user database sits outside the configuration directory, which Postfix wants
        # owned by root, while smtpd (running as postfix) must read it.
        os.makedirs(self.sasldir)
        subprocess.run([SASLPASSWD, "-p", "-c", "-f", self.sasldir + "/sasldb2", "-u", host,
                        self.user], input=self.password, text=True, check=True, timeout=30)
        os.chown(self.sasldir + "/sasldb2", pw.pw_uid, pw.pw_gid)
        for f in ("server.key", "ca.key"):
            os.chmod(os.path.join(self.conf, f), 0o600)
        self._run(POSTFIX, "-c", self.conf, "start")
        self.started = True
        if not wait_port(self.port):
            raise RuntimeError("postfix did not listen:\n" + self.log_text())

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()[-4000:]
        except OSError:
            return "(no log)"

    def wait_maildir(self, count, timeout=30.0):
        """Wait until the bounce maildir holds `count` messages; return their paths."""
        end = time.time() + timeout
        new = os.path.join(self.maildir, "new")
        while time.time() < end:
            files = sorted(os.listdir(new)) if os.path.isdir(new) else []
            if len(files) >= count:
                return [os.path.join(new, x) for x in files]
            time.sleep(0.2)
        return []

    def stop(self):
        if self.started:
            subprocess.run([POSTFIX, "-c", self.conf, "stop"], capture_output=True,
                           timeout=60)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)
