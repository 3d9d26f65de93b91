#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# ternd with a second, independent client: strophe_client.c, built on libstrophe (C, its own XML,
# TLS and SASL code), logs in over mandatory STARTTLS, is refused with a wrong password, pings
# the server, and two of its processes chat through ternd with no slixmpp involved. Every wait is
# bounded and every client process is killed in cleanup.
# Usage: strophe_test.py PATH_TO_STROPHE_CLIENT
import os
import queue
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import BUILD, SharedServer  # noqa: E402

CLIENT = (sys.argv.pop(1) if len(sys.argv) > 1 and not sys.argv[1].startswith("-")
          else os.path.join(BUILD, "tests", "integration", "strophe_client"))
DOMAIN = "localhost"
TIMEOUT = 30  # the client gives up by itself after 15 s


class Receiver:
    """A strophe_client in `receive COUNT` mode, running in the background; its stdout lines
    arrive on a queue so that every read can be bounded."""

    def __init__(self, test, port, jid, password, count):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [CLIENT, "127.0.0.1", str(port), jid, password, "receive", str(count)],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        test.addCleanup(self.kill)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # end of output: the client has exited

    def line(self):
        """The next line of output, or None once the client has exited."""
        try:
            return self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"no output from the receiver in {TIMEOUT} s:\n{self.errors()}")

    def wait(self):
        try:
            return self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the receiver did not exit in {TIMEOUT} s:\n{self.errors()}")

    def errors(self):
        self.stderr.seek(0)
        return self.stderr.read()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.stderr.close()


class StropheTest(SharedServer, unittest.TestCase):
    accounts_at_start = ((f"juliet@{DOMAIN}", "balcony"), (f"romeo@{DOMAIN}", "orchard"))

    def run_client(self, jid, password, *mode):
        """Runs a one-shot strophe_client to completion and returns the CompletedProcess."""
        return subprocess.run([CLIENT, "127.0.0.1", str(self.server.port), jid, password, *mode],
                              capture_output=True, text=True, timeout=TIMEOUT)

    def assert_ok(self, result):
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def receive(self, jid, password, count):
        receiver = Receiver(self, self.server.port, jid, password, count)
        self.assertEqual(receiver.line(), "ready", receiver.errors())
        return receiver

    def assert_messages(self, receiver, expected):
        """EXPECTED is a list of (full from JID, body); the receiver must print exactly those,
        in order, and then exit 0."""
        for sender, body in expected:
            self.assertEqual(receiver.line(), f"message {sender} {body}", receiver.errors())
        self.assertEqual(receiver.wait(), 0, receiver.errors())

    def test_login_binds_the_requested_resource(self):
        result = self.run_client(f"juliet@{DOMAIN}/strophe-login", "balcony", "login")
        self.assert_ok(result)
        self.assertEqual(result.stdout, f"bound juliet@{DOMAIN}/strophe-login\n")

    def test_wrong_password_is_refused(self):
        result = self.run_client(f"juliet@{DOMAIN}/strophe-wrong", "not-the-password", "login")
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertEqual(result.stdout, "auth-failed\n")
        self.assertTrue(self.server.alive())

    def test_ping_the_server(self):
        result = self.run_client(f"romeo@{DOMAIN}/strophe-ping", "orchard", "ping")
        self.assert_ok(result)
        self.assertEqual(result.stdout, "pong\n")

    def test_chat_between_strophe_clients_to_full_and_bare_jid(self):
        juliet = self.receive(f"juliet@{DOMAIN}/balcony", "balcony", 2)
        self.assert_ok(self.run_client(f"romeo@{DOMAIN}/garden", "orchard", "send",
                                       f"juliet@{DOMAIN}/balcony", "Wherefore art thou?"))
        # XML-special characters and non-ASCII text must survive both directions of escaping.
        tricky = "a <rose> & 'any' \"other\" name — süß"
        self.assert_ok(self.run_client(f"romeo@{DOMAIN}/orchard", "orchard", "send",
                                       f"juliet@{DOMAIN}", tricky))
        self.assert_messages(juliet, [(f"romeo@{DOMAIN}/garden", "Wherefore art thou?"),
                                      (f"romeo@{DOMAIN}/orchard", tricky)])

    def test_chat_the_other_way(self):
        romeo = self.receive(f"romeo@{DOMAIN}/garden", "orchard", 1)
        self.assert_ok(self.run_client(f"juliet@{DOMAIN}/balcony", "balcony", "send",
                                       f"romeo@{DOMAIN}", "Here, by the orchard wall"))
        self.assert_messages(romeo, [(f"juliet@{DOMAIN}/balcony", "Here, by the orchard wall")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
