#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0198 with real clients against the real ternd: slixmpp's stream management plugin gets
# acknowledgements for what it sends only once the server has it safe; messages a client received
# but never acknowledged before its connection dropped go to the offline queue and reach the
# account's next session (with the stanza-id they had); the counters survive many stanzas.
import asyncio
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from raw_client import SM, RawClient  # noqa: E402
from slix import DOMAIN, PASSWORD, TIMEOUT, ClientTestCase, nothing_matching  # noqa: E402



class StreamManagementTest(ClientTestCase):

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


class ResumptionTest(ClientTestCase):
    """XEP-0198 §5: a receiving client that loses its connection mid-stream resumes and gets
    everything exactly once; one that never comes back finds its messages in the offline queue."""

    settings = ("c2s.resume_timeout=3",)

    async def read_messages(self, client, count, seen):
        """Reads until `count` messages arrived; returns how many stanzas (all kinds) that was."""
        stanzas = 0
        while len(seen) < count:
            element = await asyncio.to_thread(client.next)
            self.assertIsNotNone(element, f"only {len(seen)} of {count} messages arrived")
            if element.tag.startswith("{jabber:client}"):
                stanzas += 1
            if element.tag == "{jabber:client}message":
                seen.append(element.findtext("{jabber:client}body"))
        return stanzas

    async def test_resume_after_a_dropped_connection_delivers_everything_exactly_once(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        phone = await asyncio.to_thread(RawClient, self.server.port, f"{juliet}/phone", PASSWORD)
        enabled = await asyncio.to_thread(phone.enable_sm, True)
        self.assertEqual(enabled.get("resume"), "true")
        previd = enabled.get("id")
        self.assertTrue(previd)
        phone.send("<presence/>")
        r = await self.login(f"{romeo}/r", PASSWORD)
        for i in range(10):
            r.send_message(mto=f"{juliet}/phone", mbody=f"{i}", mtype="chat")
        seen = []
        handled = await self.read_messages(phone, 6, seen)  # six arrive and are "handled"...
        phone.vanish()  # ...then coverage is lost: no ack, no stream close
        for i in range(10, 20):  # the sender keeps going while the phone is away
            r.send_message(mto=f"{juliet}/phone", mbody=f"{i}", mtype="chat")
        await asyncio.sleep(0.5)
        back = await asyncio.to_thread(RawClient, self.server.port, f"{juliet}/phone", PASSWORD,
                                       bind=False)
        resumed = await asyncio.to_thread(back.resume, previd, handled)
        self.assertEqual(resumed.tag, f"{{{SM}}}resumed", resumed)
        self.assertEqual(resumed.get("previd"), previd)
        self.assertEqual(resumed.get("h"), "1")  # the server had handled the phone's presence
        await self.read_messages(back, 20, seen)
        self.assertEqual(seen, [str(i) for i in range(20)])  # in order, none twice, none lost
        element = await asyncio.to_thread(back.next, 1.0)
        while element is not None and element.tag != "{jabber:client}message":
            element = await asyncio.to_thread(back.next, 1.0)
        self.assertIsNone(element, "a message arrived twice")
        self.assertEqual(self.server.offline_count(juliet), 0)
        back.vanish()

    async def test_resuming_someone_elses_session_fails(self):
        (juliet, mallory) = self.accounts("juliet", "mallory")
        phone = await asyncio.to_thread(RawClient, self.server.port, f"{juliet}/phone", PASSWORD)
        previd = (await asyncio.to_thread(phone.enable_sm, True)).get("id")
        phone.vanish()
        thief = await asyncio.to_thread(RawClient, self.server.port, f"{mallory}/x", PASSWORD,
                                        bind=False)
        failed = await asyncio.to_thread(thief.resume, previd, 0)
        self.assertEqual(failed.tag, f"{{{SM}}}failed")
        self.assertIsNotNone(failed.find("{urn:ietf:params:xml:ns:xmpp-stanzas}item-not-found"))
        thief.vanish()

    async def test_an_expired_session_leaves_its_messages_in_the_offline_queue(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        phone = await asyncio.to_thread(RawClient, self.server.port, f"{juliet}/phone", PASSWORD)
        previd = (await asyncio.to_thread(phone.enable_sm, True)).get("id")
        phone.send("<presence/>")
        r = await self.login(f"{romeo}/r", PASSWORD)
        for i in range(5):
            r.send_message(mto=juliet, mbody=f"{i}", mtype="chat")
        await self.read_messages(phone, 5, [])
        phone.vanish()
        for i in range(5, 8):  # arrive while detached
            r.send_message(mto=juliet, mbody=f"{i}", mtype="chat")
        # After resume_timeout (3 s) the session ends: all eight go to the offline queue.
        self.assertEqual(await asyncio.to_thread(self.server.wait_offline_count, juliet, 8, 15), 8)
        late = await asyncio.to_thread(RawClient, self.server.port, f"{juliet}/phone", PASSWORD,
                                       bind=False)
        failed = await asyncio.to_thread(late.resume, previd, 0)
        self.assertEqual(failed.tag, f"{{{SM}}}failed")
        late.vanish()
        j = await self.login(f"{juliet}/laptop", PASSWORD)
        bodies = [(await asyncio.wait_for(j.messages.get(), TIMEOUT))["body"] for _ in range(8)]
        self.assertEqual(bodies, [str(i) for i in range(8)])


async def wait_until(predicate, step=0.05):
    while not predicate():
        await asyncio.sleep(step)


if __name__ == "__main__":
    unittest.main(verbosity=2)
