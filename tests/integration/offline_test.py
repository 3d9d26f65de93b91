#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0160 offline messages with real slixmpp clients against the real ternd: 1,000 messages to
# an offline account arrive in order, exactly once, with XEP-0203 delay stamps and XEP-0359
# stanza-ids, and nothing is left afterwards; what is and is not stored (chat states, headlines,
# receipts, hints); full-JID fallback; negative priority gets nothing; the queue survives a
# restart; over quota the sender gets resource-constraint. Every wait is bounded.
import asyncio
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from slix import (  # noqa: E402
    DOMAIN, PASSWORD, TIMEOUT, ClientTestCase, next_matching, nothing_matching,
)

DELAY = "{urn:xmpp:delay}delay"
STANZA_ID = "{urn:xmpp:sid:0}stanza-id"


class OfflineTest(ClientTestCase):
    settings = ("modules.offline.max_messages=1500",)

    async def test_a_thousand_messages_in_order_exactly_once_then_nothing_left(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        r = await self.login(f"{romeo}/r", PASSWORD)
        for i in range(1000):
            r.send_message(mto=juliet, mbody=f"message {i}", mtype="chat")
        self.assertEqual(await asyncio.to_thread(self.server.wait_offline_count, juliet, 1000),
                         1000)
        j = await self.login(f"{juliet}/j", PASSWORD)
        ids = set()
        for i in range(1000):
            got = await asyncio.wait_for(j.messages.get(), TIMEOUT)
            self.assertEqual(got["body"], f"message {i}")
            self.assertEqual(got["from"].full, f"{romeo}/r")
            delay = got.xml.find(DELAY)
            self.assertIsNotNone(delay, "no XEP-0203 delay stamp")
            self.assertEqual(delay.get("from"), DOMAIN)
            self.assertRegex(delay.get("stamp"), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            sid = got.xml.find(STANZA_ID)
            self.assertIsNotNone(sid, "no XEP-0359 stanza-id")
            self.assertEqual(sid.get("by"), juliet)
            ids.add(sid.get("id"))
        self.assertEqual(len(ids), 1000)
        await nothing_matching(j.messages, lambda m: True, 1.0)  # exactly once
        self.assertEqual(await asyncio.to_thread(self.server.wait_offline_count, juliet, 0), 0)
        await self.logout(j)
        j = await self.login(f"{juliet}/again", PASSWORD)
        await nothing_matching(j.all_messages, lambda m: True, 1.0)  # nothing left

    async def test_what_is_kept_and_what_is_not(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        r = await self.login(f"{romeo}/r", PASSWORD)
        send = r.make_message
        m = send(mto=juliet, mtype="chat")
        m.xml.append(m.xml.makeelement("{http://jabber.org/protocol/chatstates}composing", {}))
        m.send()  # a bare chat state: dropped
        send(mto=juliet, mbody="news", mtype="headline").send()  # headline: dropped
        receipt = send(mto=juliet, mtype="chat")
        receipt.xml.append(receipt.xml.makeelement("{urn:xmpp:receipts}received", {"id": "x1"}))
        receipt.send()  # a receipt: kept
        no_store = send(mto=juliet, mbody="ephemeral", mtype="chat")
        no_store.xml.append(no_store.xml.makeelement("{urn:xmpp:hints}no-store", {}))
        no_store.send()  # <no-store/>: dropped
        send(mto=f"{juliet}/gone", mbody="to a full JID", mtype="chat").send()  # falls back
        self.assertEqual(await asyncio.to_thread(self.server.wait_offline_count, juliet, 2), 2)
        j = await self.login(f"{juliet}/j", PASSWORD)
        first = await asyncio.wait_for(j.all_messages.get(), TIMEOUT)
        self.assertIsNotNone(first.xml.find("{urn:xmpp:receipts}received"), str(first))
        second = await asyncio.wait_for(j.all_messages.get(), TIMEOUT)
        self.assertEqual(second["body"], "to a full JID")
        await nothing_matching(j.all_messages, lambda m: True, 0.5)

    async def test_receipts_and_markers_pass_through_unchanged(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        r = await self.login(f"{romeo}/r", PASSWORD)
        j = await self.login(f"{juliet}/j", PASSWORD)
        request = r.make_message(mto=f"{juliet}/j", mbody="did you get this?", mtype="chat")
        request["id"] = "q1"
        request.xml.append(request.xml.makeelement("{urn:xmpp:receipts}request", {}))
        request.xml.append(request.xml.makeelement("{urn:xmpp:chat-markers:0}markable", {}))
        request.send()
        got = await asyncio.wait_for(j.all_messages.get(), TIMEOUT)
        self.assertIsNotNone(got.xml.find("{urn:xmpp:receipts}request"))
        self.assertIsNotNone(got.xml.find("{urn:xmpp:chat-markers:0}markable"))
        receipt = j.make_message(mto=f"{romeo}/r", mtype="chat")
        receipt.xml.append(receipt.xml.makeelement("{urn:xmpp:receipts}received", {"id": "q1"}))
        receipt.xml.append(receipt.xml.makeelement("{urn:xmpp:chat-markers:0}displayed",
                                                   {"id": "q1"}))
        receipt.send()
        back = await next_matching(r.all_messages,
                                   lambda m: m.xml.find("{urn:xmpp:receipts}received") is not None,
                                   "receipt")
        self.assertEqual(back.xml.find("{urn:xmpp:receipts}received").get("id"), "q1")
        self.assertEqual(back.xml.find("{urn:xmpp:chat-markers:0}displayed").get("id"), "q1")
        self.assertEqual(back["from"].full, f"{juliet}/j")

    async def test_negative_priority_waits_for_a_better_resource(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        r = await self.login(f"{romeo}/r", PASSWORD)
        r.send_message(mto=juliet, mbody="later", mtype="chat")
        self.assertEqual(await asyncio.to_thread(self.server.wait_offline_count, juliet, 1), 1)
        away = await self.login(f"{juliet}/away", PASSWORD, priority=-1)
        await nothing_matching(away.messages, lambda m: True, 1.0)
        here = await self.login(f"{juliet}/here", PASSWORD, priority=0)
        got = await asyncio.wait_for(here.messages.get(), TIMEOUT)
        self.assertEqual(got["body"], "later")

    async def test_over_quota_the_sender_gets_resource_constraint(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        r = await self.login(f"{romeo}/r", PASSWORD)
        for i in range(1500):
            r.send_message(mto=juliet, mbody=f"{i}", mtype="chat")
        extra = r.make_message(mto=juliet, mbody="one too many", mtype="chat")
        extra["id"] = "one-too-many"
        extra.send()
        got = await next_matching(r.messages, lambda m: m["type"] == "error", "quota error")
        self.assertEqual(got["error"]["condition"], "resource-constraint")
        self.assertEqual(got["id"], "one-too-many")
        self.assertEqual(self.server.offline_count(juliet), 1500)


class OfflineRestartTest(ClientTestCase):
    start_shared_server = False  # the test starts and restarts its own

    async def test_the_queue_survives_a_restart(self):
        server = TernServer()
        type(self).server = server.start()
        try:
            server.adduser(f"romeo@{DOMAIN}", PASSWORD)
            server.adduser(f"juliet@{DOMAIN}", PASSWORD)
            r = await self.login(f"romeo@{DOMAIN}/r", PASSWORD)
            r.send_message(mto=f"juliet@{DOMAIN}", mbody="after the restart", mtype="chat")
            self.assertEqual(
                await asyncio.to_thread(server.wait_offline_count, f"juliet@{DOMAIN}", 1), 1)
            await self.logout(r)
            server.restart()
            j = await self.login(f"juliet@{DOMAIN}/j", PASSWORD)
            got = await asyncio.wait_for(j.messages.get(), TIMEOUT)
            self.assertEqual(got["body"], "after the restart")
            await self.logout(j)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
