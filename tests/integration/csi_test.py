#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0352 client state indication with slixmpp against the real ternd: while a client is
# inactive, presence updates and bare chat states wait; a message with a body arrives at once
# (after what waited, in order); <active/> delivers the rest. Every wait is bounded.
import asyncio
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from slix import DOMAIN, TIMEOUT, ClientTestCase, next_matching, nothing_matching  # noqa: E402

PASSWORD = "secret"
CSI = "urn:xmpp:csi:0"
CHATSTATES = "http://jabber.org/protocol/chatstates"


class CsiTest(ClientTestCase):
    accounts_at_start = ((f"juliet@{DOMAIN}", PASSWORD), (f"romeo@{DOMAIN}", PASSWORD))

    async def test_inactive_client_gets_unimportant_stanzas_later(self):
        phone = await self.login(f"juliet@{DOMAIN}/phone", PASSWORD)
        laptop = await self.login(f"juliet@{DOMAIN}/laptop", PASSWORD)
        romeo = await self.login(f"romeo@{DOMAIN}/r", PASSWORD)
        await next_matching(phone.presences, lambda p: p["from"].resource == "laptop",
                            "laptop's initial presence")
        phone.send_raw(f"<inactive xmlns='{CSI}'/>")
        await asyncio.sleep(0.2)
        for queue in (phone.all_presence, phone.all_messages):  # what came before does not count
            while not queue.empty():
                queue.get_nowait()
        laptop.send_presence(pshow="away", pstatus="at lunch")
        typing = romeo.make_message(mto=f"juliet@{DOMAIN}/phone", mtype="chat")
        typing.xml.append(typing.xml.makeelement(f"{{{CHATSTATES}}}composing", {}))
        typing.send()
        await nothing_matching(phone.all_presence, lambda p: True, 1.0)
        await nothing_matching(phone.all_messages, lambda m: True, 0.1)
        # A message with a body is delivered at once, and what waited comes first.
        romeo.send_message(mto=f"juliet@{DOMAIN}/phone", mbody="wake up", mtype="chat")
        status = await next_matching(phone.all_presence, lambda p: True, "held presence")
        self.assertEqual(status["status"], "at lunch")
        first = await asyncio.wait_for(phone.all_messages.get(), TIMEOUT)
        self.assertIsNotNone(first.xml.find(f"{{{CHATSTATES}}}composing"))
        second = await asyncio.wait_for(phone.all_messages.get(), TIMEOUT)
        self.assertEqual(second["body"], "wake up")
        # Inactive again: a presence waits until <active/>.
        laptop.send_presence(pshow="dnd", pstatus="busy")
        await nothing_matching(phone.all_presence, lambda p: True, 1.0)
        phone.send_raw(f"<active xmlns='{CSI}'/>")
        got = await next_matching(phone.all_presence, lambda p: True, "flushed presence")
        self.assertEqual(got["status"], "busy")


if __name__ == "__main__":
    unittest.main(verbosity=2)
