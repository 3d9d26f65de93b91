#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Limits that a client must not get around, against the real ternd on raw sockets:
#   - the roster limit holds for roster sets pipelined in one write (each set is checked inside
#     its store write, after the ones before it);
#   - c2s.max_sessions_per_account: binds past it get resource-constraint (RFC 6120 §7.6.2.1),
#     replacing a bound resource still works, and a freed place can be taken again;
#   - password guessing: past c2s.auth_failures_per_account (and _per_address) consecutive
#     failures, even the right password gets temporary-auth-failure until the lockout ends.
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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
        for name in ("guessed", "bystander", "other"):
            cls.server.adduser(f"{name}@{DOMAIN}", PASSWORD)
        cls.server.adduser(f"juliet@{DOMAIN}", PASSWORD)
        cls.server.adduser(f"romeo@{DOMAIN}", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
