#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Limits that a client must not get around, against the real ternd on raw sockets:
#   - the roster limit holds for roster sets pipelined in one write (each set is checked inside
#     its store write, after the ones before it);
#   - c2s.max_sessions_per_account: binds past it get resource-constraint (RFC 6120 §7.6.2.1),
#     replacing a bound resource still works, and a freed place can be taken again;
#   - password guessing: past c2s.auth_failures_per_account (and _per_address) consecutive
#     failures, even the right password gets temporary-auth-failure until the lockout ends;
#   - limits.max_stanza_bytes_before_auth: before authentication a stanza of exactly that size is
#     parsed (and answered), one byte more is a policy-violation; after it, far larger ones pass.
# Two bystander accounts chat through every test: they must lose nothing.
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bystanders import Bystanders  # noqa: E402
from harness import TernServer  # noqa: E402
from raw_client import AuthFailed, RawClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "limits-pw"
ROSTER_LIMIT = 20
SESSION_LIMIT = 5
STANZAS = "{urn:ietf:params:xml:ns:xmpp-stanzas}"


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TernServer(f"modules.roster.max_items={ROSTER_LIMIT}",
                                f"c2s.max_sessions_per_account={SESSION_LIMIT}",
                                "c2s.auth_failures_per_account=3",
                                "c2s.auth_failures_per_address=6").start()
        for name in ("guessed", "bystander", "other", "watcher", "listener"):
            cls.server.adduser(f"{name}@{DOMAIN}", PASSWORD)
        cls.server.adduser(f"juliet@{DOMAIN}", PASSWORD)
        cls.server.adduser(f"romeo@{DOMAIN}", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.bystanders = Bystanders(self.server.port, PASSWORD, sender="watcher",
                                     receiver="listener")

    def tearDown(self):
        self.bystanders.finish(self)

    def test_pipelined_roster_sets_stop_at_the_limit(self):
        client = RawClient(self.server.port, f"juliet@{DOMAIN}/pipe", PASSWORD)
        try:
            sets = 3 * ROSTER_LIMIT
            client.send("".join(
                f"<iq type='set' id='s{i}'><query xmlns='jabber:iq:roster'>"
                f"<item jid='contact{i}@{DOMAIN}'/></query></iq>" for i in range(sets)))
            answers = {}
            while len(answers) < sets:
                element = client.next()
                self.assertIsNotNone(element, f"only {len(answers)} of {sets} sets answered")
                if element.get("id", "").startswith("s"):
                    answers[element.get("id")] = element
            results = [a for a in answers.values() if a.get("type") == "result"]
            refused = [a for a in answers.values()
                       if a.find(".//{urn:ietf:params:xml:ns:xmpp-stanzas}not-allowed")
                       is not None]
            self.assertEqual((len(results), len(refused)), (ROSTER_LIMIT, sets - ROSTER_LIMIT))
            client.send("<iq type='get' id='get'><query xmlns='jabber:iq:roster'/></iq>")
            while True:
                roster = client.next()
                self.assertIsNotNone(roster)
                if roster.get("id") == "get":
                    break
            items = roster.findall(".//{jabber:iq:roster}item")
            self.assertEqual(len(items), ROSTER_LIMIT)
        finally:
            client.vanish()

    def bind(self, resource):
        """A new connection of romeo binding `resource`: (client, the bind answer)."""
        client = RawClient(self.server.port, f"romeo@{DOMAIN}", PASSWORD, bind=False)
        client.send(f"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                    f"<resource>{resource}</resource></bind></iq>")
        return client, client.next()

    def test_sessions_per_account(self):
        clients = []
        try:
            outcomes = []
            for i in range(3 * SESSION_LIMIT):  # 15 resources asked for, 5 allowed
                client, answer = self.bind(f"r{i}")
                clients.append(client)
                outcomes.append(answer.get("type"))
                if answer.get("type") == "error":
                    self.assertIsNotNone(answer.find(f".//{STANZAS}resource-constraint"))
                    self.assertEqual(answer.find(".//{jabber:client}error").get("type"), "wait")
            self.assertEqual(outcomes, ["result"] * SESSION_LIMIT +
                             ["error"] * (2 * SESSION_LIMIT))
            # At the limit, a resource already bound can still be replaced (RFC 6120 §7.7.2.2).
            client, answer = self.bind("r0")
            clients.append(client)
            self.assertEqual(answer.get("type"), "result")
            # One leaves (its stream closed), and its place can be taken.
            clients[1].send("</stream:stream>")
            for _ in range(50):
                client, answer = self.bind("late")
                clients.append(client)
                if answer.get("type") == "result":
                    break
                time.sleep(0.1)
            self.assertEqual(answer.get("type"), "result")
        finally:
            for client in clients:
                client.vanish()

    def login(self, user, password):
        """One PLAIN attempt on a new connection: the SASL failure's condition, or 'success'."""
        try:
            RawClient(self.server.port, f"{user}@{DOMAIN}", password).vanish()
            return "success"
        except AuthFailed as failure:
            return failure.condition

    def test_password_guessing_is_throttled(self):
        # The account: 3 wrong passwords, then even the right one waits for the lockout (2 s).
        for _ in range(3):
            self.assertEqual(self.login("guessed", "wrong"), "not-authorized")
        self.assertEqual(self.login("guessed", PASSWORD), "temporary-auth-failure")
        self.assertEqual(self.login("bystander", PASSWORD), "success")  # others log in
        time.sleep(2.2)
        self.assertEqual(self.login("guessed", PASSWORD), "success")
        # The address: 6 failures in all from 127.0.0.1 lock every account out from there.
        for _ in range(3):
            self.assertEqual(self.login("other", "wrong"), "not-authorized")
        self.assertEqual(self.login("bystander", PASSWORD), "temporary-auth-failure")
        time.sleep(2.2)
        self.assertEqual(self.login("bystander", PASSWORD), "success")
        self.server.wait_for_output(r"limit\.refused: login refused: too many failed attempts")

    def auth_of_size(self, size):
        """A SASL <auth/> of exactly `size` bytes on a new TLS stream: the server's answer."""
        client = RawClient(self.server.port, f"juliet@{DOMAIN}", PASSWORD, authenticate=False)
        head = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
        tail = "</auth>"
        client.send(head + "A" * (size - len(head) - len(tail)) + tail)
        answer = client.next()
        client.vanish()
        return answer

    def test_stanza_size_before_authentication(self):
        limit = 10000  # the default
        answer = self.auth_of_size(limit)
        self.assertEqual(answer.tag, "{urn:ietf:params:xml:ns:xmpp-sasl}failure")
        answer = self.auth_of_size(limit + 1)
        self.assertEqual(answer.tag, "{http://etherx.jabber.org/streams}error")
        self.assertIsNotNone(answer.find(
            "{urn:ietf:params:xml:ns:xmpp-streams}policy-violation"))
        self.server.wait_for_output(r"limit\.refused: .*stanza exceeds 10000 bytes")
        # Authenticated, a stanza twenty times larger goes through.
        client = RawClient(self.server.port, f"juliet@{DOMAIN}/big", PASSWORD)
        body = "b" * (20 * limit)
        client.send(f"<message to='juliet@{DOMAIN}/big' id='big'><body>{body}</body></message>")
        echo = client.next()
        self.assertEqual((echo.tag, echo.get("id")), ("{jabber:client}message", "big"))
        self.assertEqual(len(echo.find("{jabber:client}body").text), 20 * limit)
        client.vanish()


if __name__ == "__main__":
    unittest.main(verbosity=2)
