#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Limits that a client must not get around, against the real ternd on raw sockets:
#   - the roster limit holds for roster sets pipelined in one write (each set is checked inside
#     its store write, after the ones before it).
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TernServer  # noqa: E402
from raw_client import RawClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "limits-pw"
ROSTER_LIMIT = 20


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TernServer(f"modules.roster.max_items={ROSTER_LIMIT}").start()
        cls.server.adduser(f"juliet@{DOMAIN}", PASSWORD)

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
