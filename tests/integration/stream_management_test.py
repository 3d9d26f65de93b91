#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0198 with real clients against the real ternd: slixmpp's stream management plugin gets
# acknowledgements for what it sends only once the server has it safe; messages a client received
# but never acknowledged before its connection dropped go to the offline queue and reach the
# account's next session (with the stanza-id they had); the counters survive many stanzas.
import asyncio
import itertools
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from raw_client import SM, RawClient  # noqa: E402
from slix import DOMAIN, TIMEOUT, ClientTestCase, nothing_matching  # noqa: E402

PASSWORD = "secret"
_ids = itertools.count()


class StreamManagementTest(ClientTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TernServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def accounts(self, *names):
        n = next(_ids)
        jids = [f"{name}{n}@{DOMAIN}" for name in names]
        for jid in jids:
            self.server.adduser(jid, PASSWORD)
        return jids

    async def sm_login(self, jid):
        client = await self.login(jid, PASSWORD, plugins=("xep_0198",))
        return client

    async def test_acks_to_an_offline_recipient_mean_committed(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        r = await self.sm_login(f"{romeo}/r")
        sm = r.plugin["xep_0198"]
        await asyncio.wait_for(wait_until(lambda: sm.enabled_out), TIMEOUT)
        for i in range(200):
            r.send_message(mto=juliet, mbody=f"m{i}", mtype="chat")
        r.send_raw(f"<r xmlns='{SM}'/>")
        # Once the server has acknowledged everything, everything is in the store: no polling.
        await asyncio.wait_for(wait_until(lambda: sm.last_ack >= 200 + 1), TIMEOUT)
        self.assertEqual(self.server.offline_count(juliet), 200)

    async def test_unacknowledged_messages_of_a_vanished_client_reach_the_next_session(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        phone = await asyncio.to_thread(RawClient, self.server.port, f"{juliet}/phone", PASSWORD)
        self.assertIsNotNone(await asyncio.to_thread(phone.enable_sm))
        phone.send("<presence/>")
        r = await self.login(f"{romeo}/r", PASSWORD)
        for i in range(20):
            r.send_message(mto=juliet, mbody=f"in flight {i}", mtype="chat")
        received = 0
        while received < 20:  # read them all, acknowledge none
            element = await asyncio.to_thread(phone.next)
            self.assertIsNotNone(element, "the raw client got fewer than 20 messages")
            received += element.tag == "{jabber:client}message"
        phone.vanish()
        self.assertEqual(await asyncio.to_thread(self.server.wait_offline_count, juliet, 20), 20)
        j = await self.login(f"{juliet}/laptop", PASSWORD)
        for i in range(20):
            got = await asyncio.wait_for(j.messages.get(), TIMEOUT)
            self.assertEqual(got["body"], f"in flight {i}")
        await nothing_matching(j.messages, lambda m: True, 1.0)

    async def test_acknowledged_messages_are_not_sent_again(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        phone = await asyncio.to_thread(RawClient, self.server.port, f"{juliet}/phone", PASSWORD)
        self.assertIsNotNone(await asyncio.to_thread(phone.enable_sm))
        phone.send("<presence/>")
        r = await self.login(f"{romeo}/r", PASSWORD)
        for i in range(5):
            r.send_message(mto=juliet, mbody=f"seen {i}", mtype="chat")
        messages = stanzas = 0
        while messages < 5:
            element = await asyncio.to_thread(phone.next)
            self.assertIsNotNone(element)
            messages += element.tag == "{jabber:client}message"
            stanzas += element.tag.startswith("{jabber:client}")
        phone.send(f"<a xmlns='{SM}' h='{stanzas}'/>")  # everything acknowledged
        phone.send("<presence type='unavailable'/>")
        await asyncio.sleep(0.3)
        phone.vanish()
        await asyncio.sleep(0.5)
        self.assertEqual(self.server.offline_count(juliet), 0)


async def wait_until(predicate, step=0.05):
    while not predicate():
        await asyncio.sleep(step)


if __name__ == "__main__":
    unittest.main(verbosity=2)
