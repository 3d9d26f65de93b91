#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0280 message carbons with real slixmpp clients (its xep_0280 plugin) against the real ternd:
# juliet has a phone and a laptop with carbons enabled and a tablet without; romeo writes to her.
# Received and sent copies with the original inside, nothing for the tablet, nothing for
# <private/> messages (which arrive without the marker), nothing after disable, no duplicates
# when a bare-JID message already reached both resources, not-allowed for another account, and
# the disco feature. Each test uses fresh accounts; every wait is bounded.
import asyncio
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from slix import (  # noqa: E402
    DOMAIN, PASSWORD, TIMEOUT, Client, ClientTestCase, next_matching, nothing_matching,
)

import slixmpp  # noqa: E402
from slixmpp.xmlstream import ET  # noqa: E402

CARBONS = "urn:xmpp:carbons:2"
QUIET = 1.0  # seconds to wait for something that must not arrive


class CarbonsClient(Client):
    """A recording client that also understands carbons: `carbons` receives ("received" |
    "sent", wrapper message) for every carbon from its own account."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.register_plugin("xep_0280")
        self.carbons = asyncio.Queue()
        self.add_event_handler("carbon_received",
                               lambda m: self.carbons.put_nowait(("received", m)))
        self.add_event_handler("carbon_sent", lambda m: self.carbons.put_nowait(("sent", m)))


def forwarded(carbon):
    """The original message inside a ("received" | "sent", wrapper) carbon."""
    kind, wrapper = carbon
    return wrapper["carbon_" + kind]


def carbon_with_body(kind, body):
    return lambda c: c[0] == kind and forwarded(c)["body"] == body


def with_body(body):
    return lambda m: m["body"] == body


def private_chat(client, to, body, hint=True):
    """A chat message excluded from carbons the XEP-0280 §9 way: <private/> and (with `hint`)
    XEP-0334 <no-copy/>."""
    msg = client.make_message(mto=to, mbody=body, mtype="chat")
    msg.enable("carbon_private")
    if hint:
        msg.xml.append(ET.Element("{urn:xmpp:hints}no-copy"))
    return msg


class CarbonsTest(ClientTestCase):

    async def asyncSetUp(self):
        (self.juliet, self.romeo) = self.accounts("juliet", "romeo")
        self.phone = await self.resource("phone", enable=True)
        self.laptop = await self.resource("laptop", enable=True)
        self.tablet = await self.resource("tablet", enable=False)
        self.romeo_client = await self.login(f"{self.romeo}/home", PASSWORD)

    async def resource(self, name, enable):
        client = await self.login(f"{self.juliet}/{name}", PASSWORD, client_class=CarbonsClient)
        if enable:
            await client.plugin["xep_0280"].enable(timeout=TIMEOUT)
        else:
            await client.roster_query()  # a round trip: its initial presence was processed
        return client

    async def no_carbons(self, *clients):
        await asyncio.gather(*(nothing_matching(c.carbons, lambda _: True, QUIET)
                               for c in clients))

    async def test_received_message_is_copied_to_the_other_resource(self):
        self.romeo_client.send_message(mto=f"{self.juliet}/phone", mbody="Wherefore?",
                                       mtype="chat")
        original = await next_matching(self.phone.messages, with_body("Wherefore?"), "original")
        self.assertEqual(original["from"].full, f"{self.romeo}/home")

        carbon = await next_matching(self.laptop.carbons, carbon_with_body("received",
                                                                           "Wherefore?"),
                                     "received carbon")
        wrapper, inner = carbon[1], forwarded(carbon)
        self.assertEqual(wrapper["from"].full, self.juliet)  # the bare JID
        self.assertEqual(wrapper["to"].full, f"{self.juliet}/laptop")
        self.assertEqual(wrapper["type"], "chat")
        self.assertEqual(inner["from"].full, f"{self.romeo}/home")
        self.assertEqual(inner["to"].full, f"{self.juliet}/phone")
        self.assertEqual(inner["type"], "chat")
        # The phone had the original; the tablet never enabled carbons.
        await self.no_carbons(self.phone, self.tablet)

    async def test_sent_message_is_copied_to_the_other_resource(self):
        self.phone.send_message(mto=self.romeo, mbody="Good night", mtype="chat")
        await next_matching(self.romeo_client.messages, with_body("Good night"), "original")

        carbon = await next_matching(self.laptop.carbons, carbon_with_body("sent", "Good night"),
                                     "sent carbon")
        wrapper, inner = carbon[1], forwarded(carbon)
        self.assertEqual(wrapper["from"].full, self.juliet)
        self.assertEqual(wrapper["to"].full, f"{self.juliet}/laptop")
        self.assertEqual(inner["from"].full, f"{self.juliet}/phone")
        self.assertEqual(inner["to"].full, self.romeo)
        await self.no_carbons(self.phone, self.tablet)

    async def test_private_messages_are_not_copied(self):
        private_chat(self.romeo_client, f"{self.juliet}/phone", "for the phone only").send()
        private_chat(self.romeo_client, f"{self.juliet}/phone", "marker only", hint=False).send()
        private_chat(self.phone, self.romeo, "for romeo only").send()
        delivered = await next_matching(self.phone.messages, with_body("for the phone only"),
                                        "private message")
        # §9: the receiving server removes <private/>; the hint stays.
        self.assertIsNone(delivered.xml.find(f"{{{CARBONS}}}private"))
        self.assertIsNotNone(delivered.xml.find("{urn:xmpp:hints}no-copy"))
        delivered = await next_matching(self.phone.messages, with_body("marker only"),
                                        "private message without the hint")
        self.assertIsNone(delivered.xml.find(f"{{{CARBONS}}}private"))
        await next_matching(self.romeo_client.messages, with_body("for romeo only"),
                            "private message")
        await self.no_carbons(self.laptop, self.phone, self.tablet)

    async def test_disable_stops_the_copies(self):
        await self.laptop.plugin["xep_0280"].disable(timeout=TIMEOUT)
        self.romeo_client.send_message(mto=f"{self.juliet}/phone", mbody="still there?",
                                       mtype="chat")
        await next_matching(self.phone.messages, with_body("still there?"), "original")
        self.phone.send_message(mto=self.romeo, mbody="yes", mtype="chat")
        await next_matching(self.romeo_client.messages, with_body("yes"), "original")
        await self.no_carbons(self.laptop)

    async def test_bare_jid_message_delivered_to_both_resources_is_not_copied(self):
        # Both resources have priority 0: RFC 6121 §8.5.2.1.1 gives each the message itself.
        self.romeo_client.send_message(mto=self.juliet, mbody="to you both", mtype="chat")
        for client in (self.phone, self.laptop, self.tablet):
            await next_matching(client.messages, with_body("to you both"), "original")
        await self.no_carbons(self.phone, self.laptop, self.tablet)

    async def test_carbons_of_another_account_cannot_be_switched(self):
        iq = self.phone.make_iq_set(ito=self.romeo)
        iq.enable("carbon_enable")
        with self.assertRaises(slixmpp.exceptions.IqError) as caught:
            await iq.send(timeout=TIMEOUT)
        self.assertEqual(caught.exception.condition, "not-allowed")

    async def test_server_advertises_carbons(self):
        info = await self.phone.plugin["xep_0030"].get_info(jid=DOMAIN, timeout=TIMEOUT)
        self.assertIn(CARBONS, info["disco_info"]["features"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
