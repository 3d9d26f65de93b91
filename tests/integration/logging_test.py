#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The log of the real ternd (README.md "Logging"): the lines of a login (authentication with its
# mechanism and JID, the bound resource), of failed logins (the SASL condition, the username),
# of stream errors sent and received and of a limit; the last lines written at SIGTERM; per
# component levels; JSON lines that parse. And what must never be there: the password, a SCRAM
# proof, nonce or any client SASL payload. Logins use slixmpp (Debian's python3-slixmpp) and a
# raw client that keeps what it sent (raw_client.py).
import asyncio
import json
import os
import re
import secrets
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from raw_client import AuthFailed, RawClient  # noqa: E402
from slix import DOMAIN, Client, ClientTestCase, wait  # noqa: E402

# Distinctive, so that finding them anywhere in the log means the log has them.
PASSWORD = "Corr3ct-h0rse-" + secrets.token_hex(6)
WRONG_PASSWORD = "Wr0ng-b4ttery-" + secrets.token_hex(6)
HEADER = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>")


class Secrets:
    """Everything sent in SASL by the tests, to look for in the log at the end."""
    found = [PASSWORD, WRONG_PASSWORD]

    @classmethod
    def keep(cls, client_or_error):
        cls.found += getattr(client_or_error, "sasl_payloads", [])
        cls.found += getattr(client_or_error, "sasl_secrets", [])


def raw_login(port, jid, password, mechanism):
    """A RawClient login; returns the client, or the AuthFailed (with what was sent)."""
    try:
        client = RawClient(port, jid, password, mechanism=mechanism)
    except AuthFailed as e:
        return e
    Secrets.keep(client)
    return client


class TextLogTest(ClientTestCase):
    """The default: text lines on standard error, level info."""

    @classmethod
    def setUpClass(cls):
        cls.server = TernServer().start()
        cls.server.adduser(f"romeo@{DOMAIN}", PASSWORD)
        cls.server.adduser(f"juliet@{DOMAIN}", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        if cls.server.alive():
            cls.server.stop()

    def expect(self, pattern):
        return self.server.wait_for_output(pattern)

    async def seen(self, pattern):
        """expect() for the async tests, without stopping their event loop meanwhile."""
        return await asyncio.to_thread(self.server.wait_for_output, pattern)

    async def test_login_with_slixmpp(self):
        client = await self.login(f"juliet@{DOMAIN}/balcony", PASSWORD)
        self.assertTrue(client.started.is_set())
        line = await self.seen(r" c2s auth\.success: authenticated mechanism=SCRAM-SHA-\S+ "
                               rf"jid=juliet@{DOMAIN} conn=\d+\.\d+ peer=127\.0\.0\.1:\d+$")
        conn = re.escape(re.search(r"conn=(\S+)", line).group(1))
        await self.seen(rf" c2s session\.bound: resource bound jid=juliet@{DOMAIN}/balcony "
                        rf"conn={conn}$")
        await self.seen(rf" c2s conn\.accepted: connection accepted conn={conn} "
                        r"peer=127\.0\.0\.1:\d+ listener=starttls local=127\.0\.0\.1:\d+$")
        await self.seen(r" c2s tls\.established: TLS established version=TLSv1\.[23] "
                        rf"cipher=\S+ .*conn={conn}$")
        await self.logout(client)
        await self.seen(rf" c2s conn\.closed: connection closed conn={conn} .*"
                        rf"jid=juliet@{DOMAIN}/balcony reason=client-closed duration_ms=\d+$")

    def test_login_with_plain_and_scram(self):
        for mechanism in ("PLAIN", "SCRAM-SHA-256"):
            with self.subTest(mechanism=mechanism):
                client = raw_login(self.server.port, f"romeo@{DOMAIN}/{mechanism}", PASSWORD,
                                   mechanism)
                self.assertIsInstance(client, RawClient)
                self.expect(rf" c2s auth\.success: authenticated mechanism={mechanism} "
                            rf"jid=romeo@{DOMAIN} ")
                self.expect(rf" c2s session\.bound: resource bound "
                            rf"jid=romeo@{DOMAIN}/{mechanism} ")
                client.close()

    def test_wrong_password(self):
        for mechanism in ("PLAIN", "SCRAM-SHA-256"):
            with self.subTest(mechanism=mechanism):
                failed = raw_login(self.server.port, f"romeo@{DOMAIN}", WRONG_PASSWORD, mechanism)
                self.assertIsInstance(failed, AuthFailed)
                self.assertEqual(failed.condition, "not-authorized")
                self.expect(rf" warn  c2s auth\.failure: authentication failed "
                            rf"mechanism={mechanism} user=romeo condition=not-authorized "
                            r"(text=\S+ )?conn=\d+\.\d+ peer=127\.0\.0\.1:\d+$")

    async def test_wrong_password_with_slixmpp(self):
        client = Client(f"juliet@{DOMAIN}/x", WRONG_PASSWORD, self.server.port)
        client.start()
        self.addAsyncCleanup(self.logout, client)
        await wait(client.auth_failed, "the authentication failure")
        await self.seen(r" c2s auth\.failure: authentication failed mechanism=SCRAM-SHA-\S+ "
                        r"user=juliet condition=not-authorized ")

    def test_malformed_xml_is_a_stream_error_sent(self):
        answer = self.server.raw(HEADER + b"<message><body>oops</message>")
        self.assertIn("not-well-formed", answer)
        line = self.expect(r" c2s stream\.error\.sent: stream error sent "
                           r"condition=not-well-formed ")
        conn = re.search(r"conn=(\S+)", line).group(1)
        self.expect(rf" c2s conn\.closed: connection closed conn={re.escape(conn)} "
                    r"peer=\S+ reason=error-sent:not-well-formed ")

    def test_stream_error_from_the_client_is_a_stream_error_received(self):
        answer = self.server.raw(
            HEADER + b"<stream:error><undefined-condition "
            b"xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
            b"xmlns='urn:ietf:params:xml:ns:xmpp-streams'>giving up</text></stream:error>")
        self.assertIn("</stream:stream>", answer)
        self.assertNotIn("<stream:error", answer)  # the stream is over: no error back
        self.expect(r" c2s stream\.error\.received: the client ended the stream with an error "
                    r"condition=undefined-condition text=\"giving up\" ")

    def test_oversize_stanza_is_a_limit(self):
        answer = self.server.raw(HEADER + b"<message><body>" + b"x" * 300000)
        self.assertIn("policy-violation", answer)
        self.expect(r" warn  c2s limit\.refused: refused by a limit: stream error sent "
                    r"condition=policy-violation text=\"[^\"]* exceeds \d+ bytes\" ")

    def test_zz_last_lines_are_written_at_sigterm_and_no_secret_is_logged(self):
        # Runs last (unittest sorts by name): stopping the server is part of it. Streams still
        # open at SIGTERM end with lines logged during the stop, which must all be written.
        def opened():
            return sum(" c2s stream.open: " in line or " c2s conn.accepted: " in line
                       for line in self.server.output_lines())
        before = opened()
        open_streams = []
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
            s.sendall(HEADER)
            open_streams.append(s)
        deadline = time.monotonic() + 15
        while opened() < before + len(open_streams) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.server.stop()
        for s in open_streams:
            s.close()
        output = "".join(self.server.output)
        self.assertEqual(output.count("reason=error-sent:system-shutdown"), len(open_streams))
        self.assertRegex(output, r"ternd: listening starttls 127\.0\.0\.1:\d+")  # still there
        self.assertRegex(output, r" info  server server\.stopping: stopping signal=15\n")
        last = output.rstrip("\n").splitlines()[-1]
        self.assertRegex(last, r" server server\.stopped: stopped")
        self.assertGreater(len(Secrets.found), 6)
        for secret in Secrets.found:
            self.assertNotIn(secret, output)
        self.assertNotRegex(output, r"(^|[\s,\"])p=")  # a SCRAM client-final-message's proof
        # Every line is one event: a ternd line or a log line with its time first.
        for line in output.splitlines():
            self.assertRegex(line, r"^(ternd: |\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
                                   r"(debug|info |warn |error) \S+ \S+: )")


class JsonLogTest(unittest.TestCase):
    """format = "json" into a file, with levels per component."""

    def test_json_lines_to_a_file_with_component_levels(self):
        with tempfile.TemporaryDirectory(prefix="tern-log-") as directory:
            path = os.path.join(directory, "ternd.log")
            server = TernServer("log.format=json", f'log.destination="{path}"', "log.level=warn",
                                "log.components.c2s=info").start()
            try:
                server.adduser(f"romeo@{DOMAIN}", PASSWORD)
                raw_login(server.port, f"romeo@{DOMAIN}/json", PASSWORD, "SCRAM-SHA-1").close()
                failed = raw_login(server.port, f"romeo@{DOMAIN}", WRONG_PASSWORD, "SCRAM-SHA-1")
                Secrets.keep(failed)
                self.assertIsInstance(failed, AuthFailed)
            finally:
                server.stop()
            with open(path, encoding="utf-8") as f:
                text = f.read()
            events = [json.loads(line) for line in text.splitlines()]  # each line parses
        for secret in [PASSWORD, WRONG_PASSWORD]:
            self.assertNotIn(secret, text)
        for event in events:
            for key in ("time", "level", "component", "event", "msg"):
                self.assertIn(key, event)
        by_kind = {}
        for event in events:
            by_kind.setdefault(event["event"], []).append(event)
        success = by_kind["auth.success"][0]
        self.assertEqual((success["component"], success["level"], success["mechanism"],
                          success["jid"]), ("c2s", "info", "SCRAM-SHA-1", f"romeo@{DOMAIN}"))
        failure = by_kind["auth.failure"][0]
        self.assertEqual((failure["level"], failure["mechanism"], failure["user"],
                          failure["condition"]), ("warn", "SCRAM-SHA-1", "romeo",
                                                  "not-authorized"))
        self.assertRegex(failure["peer"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual(by_kind["session.bound"][0]["jid"], f"romeo@{DOMAIN}/json")
        self.assertIsInstance(by_kind["conn.closed"][0]["duration_ms"], int)
        # [log] level = warn: the server component's info lines are not written.
        self.assertNotIn("server.started", by_kind)
        # The log went to the file, not to standard error.
        self.assertNotIn("auth.success", "".join(server.output))


class BadDestinationTest(unittest.TestCase):
    def test_unwritable_destination_stops_ternd_at_start(self):
        with tempfile.TemporaryDirectory(prefix="tern-log-") as directory:
            blocker = os.path.join(directory, "a-file")
            with open(blocker, "w") as f:
                f.write("not a directory")
            server = TernServer(f'log.destination="{blocker}/ternd.log"')
            with self.assertRaises(RuntimeError) as caught:
                server.start()
            server.process.wait(timeout=10)
            self.assertEqual(server.process.returncode, 1)
            self.assertIn("log destination", str(caught.exception))
            server.dir.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
