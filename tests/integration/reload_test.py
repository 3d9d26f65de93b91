#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Reload without dropping anyone (docs/operations.md): ternd reads its configuration file again on
# `ternctl reload` or SIGHUP while two clients chat. A renewed certificate (the same files, new
# contents) is served to the next connection; a module disabled by the reload stops answering and
# one enabled starts; the log level changes; a broken file is refused with file:line and the old
# configuration keeps serving; what cannot change live is named. No session drops: the chatting
# clients lose nothing and stay connected throughout.
import hashlib
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bystanders import Bystanders  # noqa: E402
from harness import BUILD, TernServer, default_modules  # noqa: E402
from raw_client import RawClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "reload-password-1"
TERNCTL = os.path.join(BUILD, "tools", "ternctl")


def make_certificate(directory, name):
    """A self-signed certificate for localhost: (certificate file, key file)."""
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days",
                    "2", "-subj", f"/CN={DOMAIN}/O={name}", "-addext",
                    f"subjectAltName=DNS:{DOMAIN}"], check=True, capture_output=True, timeout=30)
    return cert, key


def served_fingerprint(port):
    """The SHA-256 of the certificate a new connection is served (after STARTTLS)."""
    client = RawClient(port, f"juliet@{DOMAIN}", PASSWORD, authenticate=False)
    der = client.sock.getpeercert(binary_form=True)
    client.vanish()
    return hashlib.sha256(der).hexdigest()


def file_fingerprint(cert):
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                         capture_output=True, timeout=30).stdout
    return hashlib.sha256(der).hexdigest()


def version_answer(client, n):
    """The type of the server's answer to a XEP-0092 version query, and its error condition."""
    client.send(f"<iq type='get' to='{DOMAIN}' id='v{n}'>"
                "<query xmlns='jabber:iq:version'/></iq>")
    while True:
        answer = client.next()
        if answer.tag == "{jabber:client}iq" and answer.get("id") == f"v{n}":
            error = answer.find("{jabber:client}error")
            return answer.get("type"), (error[0].tag.split("}")[1] if error is not None else None)


class ReloadTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="tern-reload-")
        self.cert, self.key = make_certificate(self.dir.name, "first")
        self.config = os.path.join(self.dir.name, "tern.toml")
        self.modules = default_modules()
        self.assertIn("version", self.modules)
        self.write_config(level="info", modules=self.modules)
        self.server = TernServer(workers=2, config=self.config)
        self.server.start()
        for name in ("juliet", "romeo", "nurse"):
            self.server.adduser(f"{name}@{DOMAIN}", PASSWORD)

    def tearDown(self):
        self.server.stop()
        self.dir.cleanup()

    def write_config(self, level, modules, extra=""):
        names = ", ".join(f'"{m}"' for m in modules)
        with open(self.config, "w") as f:
            f.write(f'[log]\nlevel = "{level}"\n\n'
                    f'[[host]]\ndomain = "{DOMAIN}"\ncertificate = "{self.cert}"\n'
                    f'key = "{self.key}"\n\n[modules]\nenabled = [{names}]\n{extra}')

    def reload(self):
        run = subprocess.run([TERNCTL, *self.server._args(), "reload"], capture_output=True,
                             text=True, timeout=60)
        return run.returncode, run.stdout + run.stderr

    def test_reload_applies_certificates_modules_and_levels_without_dropping_anyone(self):
        bystanders = Bystanders(self.server.port, PASSWORD)
        nurse = RawClient(self.server.port, f"nurse@{DOMAIN}/queries", PASSWORD)
        first = served_fingerprint(self.server.port)
        self.assertEqual(first, file_fingerprint(self.cert))
        self.assertEqual(version_answer(nurse, 1), ("result", None))

        # A renewed certificate in the same files, the version module off, debug lines on.
        renewed, renewed_key = make_certificate(self.dir.name, "renewed")
        os.replace(renewed, self.cert)
        os.replace(renewed_key, self.key)
        self.write_config(level="debug", modules=[m for m in self.modules if m != "version"])
        status, out = self.reload()
        self.assertEqual(status, 0, out)
        self.assertIn("applied: log levels, TLS certificates (new connections)", out)
        self.assertIn("modules and their options", out)
        self.assertNotEqual(served_fingerprint(self.server.port), first)
        self.assertEqual(served_fingerprint(self.server.port), file_fingerprint(self.cert))
        self.assertEqual(version_answer(nurse, 2), ("error", "service-unavailable"))
        self.server.wait_for_output(r"debug c2s stream\.open")
        modules = subprocess.run([TERNCTL, *self.server._args(), "modules"], capture_output=True,
                                 text=True, timeout=30, check=True).stdout
        self.assertNotIn("version  ", modules)

        # A broken file: ternd refuses it whole, with where; the running configuration stays.
        # (ternctl reads the file too, to find the socket, and refuses it first, saying where.)
        with open(self.config, "a") as f:
            f.write("\n[c2s]\nmax_output_bytes = 'lots'\n")
        self.server.process.send_signal(signal.SIGHUP)
        self.server.wait_for_output(
            r"warn  server config\.reload_refused: configuration reload refused: the running "
            rf"configuration stays error=\"?{self.config}:13:20: \[c2s\] max_output_bytes must be")
        self.server.wait_for_output(r"ternd: reload refused, the running configuration stays: ")
        status, out = self.reload()
        self.assertEqual(status, 2, out)
        self.assertIn(f"{self.config}:13:20:", out)
        self.assertEqual(version_answer(nurse, 3), ("error", "service-unavailable"))
        self.assertEqual(served_fingerprint(self.server.port), file_fingerprint(self.cert))

        # SIGHUP: the module is back; a change that needs a restart is named, not applied.
        self.write_config(level="info", modules=self.modules,
                          extra='\n[metrics]\npath = "/stats"\n')
        self.server.process.send_signal(signal.SIGHUP)
        self.server.wait_for_output(r"ternd: reloaded .*")
        self.server.wait_for_output(r"not applied, kept until ternd restarts: \[metrics\]")
        self.assertEqual(version_answer(nurse, 4), ("result", None))

        # Nobody was dropped: the chat lost nothing and the sessions are the same ones.
        self.assertEqual(version_answer(nurse, 5), ("result", None))
        sessions = subprocess.run([TERNCTL, *self.server._args(), "sessions"],
                                  capture_output=True, text=True, timeout=30, check=True).stdout
        for jid in ("juliet@localhost/bystander", "romeo@localhost/bystander",
                    "nurse@localhost/queries"):
            self.assertIn(jid, sessions)
        lines = self.server.output_lines()
        bound = {re.search(r"conn=(\S+)", line).group(1) for line in lines
                 if "session.bound" in line and ("/bystander" in line or "/queries" in line)}
        self.assertEqual(len(bound), 3)
        closed = [line for line in lines if "conn.closed" in line
                  and re.search(r"conn=(\S+)", line).group(1) in bound]
        self.assertEqual(closed, [], "a chatting session was closed by a reload")
        bystanders.finish(self)
        nurse.close()

    def test_the_upload_sweeper_runs_on_after_a_reload_replaced_the_modules(self):
        # The sweeper runs on one worker's instance; a reload stops that instance, and one of
        # the new ones must take the job over (ModuleContext::every_on_one_worker).
        options = ('\n[modules.http_upload]\nexpire_after = 1\nsweep_interval = 1\n')
        self.write_config(level="info", modules=self.modules, extra=options)
        self.assertEqual(self.reload()[0], 0)
        time.sleep(2.5)  # one instance has claimed the sweeper (it checks every second)
        self.write_config(level="info", modules=[m for m in self.modules if m != "version"],
                          extra=options)
        status, out = self.reload()
        self.assertEqual(status, 0, out)
        self.assertIn("modules and their options", out)
        client = RawClient(self.server.port, f"nurse@{DOMAIN}/upload", PASSWORD)
        client.send(f"<iq type='get' to='{DOMAIN}' id='slot'><request "
                    "xmlns='urn:xmpp:http:upload:0' filename='a.txt' size='3' "
                    "content-type='text/plain'/></iq>")
        slot = client.next()
        put = slot.find("{urn:xmpp:http:upload:0}slot/{urn:xmpp:http:upload:0}put").get("url")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        request = urllib.request.Request(put, data=b"old", method="PUT",
                                         headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            self.assertEqual(response.status, 201)
        self.server.wait_for_output(r"upload\.removed.*count=1", timeout=45)
        client.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
