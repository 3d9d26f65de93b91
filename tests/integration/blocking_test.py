#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0191 blocking with real slixmpp clients against the real ternd: the disco feature, blocklist
# get, block and unblock with pushes to exactly the resources that retrieved the blocklist,
# enforcement both ways (messages and IQs from a blocked contact bounce service-unavailable, its
# presence vanishes; the user's own stanzas to it get not-acceptable with <blocked/>), full-JID
# items, unblock all, presence to subscribed contacts on block and unblock, errors, the max_items
# limit, deluser, and a restart. Each test uses fresh accounts; every wait is bounded.
import asyncio
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer, default_modules, modules_enabled  # noqa: E402
from slix import (  # noqa: E402
    DOMAIN, PASSWORD, TIMEOUT, ClientTestCase, next_matching, nothing_matching, presence_of,
)

import slixmpp  # noqa: E402

BLOCKING = "urn:xmpp:blocking"
BLOCKING_ERRORS = "urn:xmpp:blocking:errors"


def items_of(iq, command):
    """The JIDs (as text) of a <blocklist/>, <block/> or <unblock/> in `iq`."""
    element = iq.xml.find(f"{{{BLOCKING}}}{command}")
    if element is None:
        return None
    return {item.get("jid") for item in element.findall(f"{{{BLOCKING}}}item")}


def has_blocked_condition(stanza):
    return stanza.xml.find(f"{{jabber:client}}error/{{{BLOCKING_ERRORS}}}blocked") is not None


def message_error(sender_bare, condition):
    return lambda m: (m["type"] == "error" and m["from"].bare == sender_bare and
                      m["error"]["condition"] == condition)


class BlockingTestCase(ClientTestCase):
    async def online(self, bare, resource="r", blocklist=True, **kw):
        """A logged-in client with XEP-0191 and queues of the pushes it gets. With `blocklist` it
        retrieves the blocklist first, which makes it a resource that gets pushes."""
        client = await self.login(f"{bare}/{resource}", PASSWORD, **kw)
        client.register_plugin("xep_0191")
        client.block_pushes = asyncio.Queue()
        client.add_event_handler("blocked", client.block_pushes.put_nowait)
        client.add_event_handler("unblocked", client.block_pushes.put_nowait)
        if blocklist:
            await self.blocklist(client)
        return client

    async def blocklist(self, client):
        return items_of(await client["xep_0191"].get_blocked(timeout=TIMEOUT), "blocklist")

    async def assert_iq_error(self, awaitable, condition):
        with self.assertRaises(slixmpp.exceptions.IqError) as caught:
            await awaitable
        self.assertEqual(caught.exception.condition, condition)
        return caught.exception.iq


class BlockingTest(BlockingTestCase):

    async def test_disco_feature_and_empty_blocklist(self):
        (juliet,) = self.accounts("juliet")
        j = await self.online(juliet, blocklist=False)
        info = await j["xep_0030"].get_info(jid=DOMAIN, timeout=TIMEOUT)
        self.assertIn(BLOCKING, info["disco_info"]["features"])
        self.assertEqual(await self.blocklist(j), set())

    async def test_block_and_unblock_push_to_every_resource_that_asked(self):
        (juliet, romeo, tybalt) = self.accounts("juliet", "romeo", "tybalt")
        phone = await self.online(juliet, "phone")
        laptop = await self.online(juliet, "laptop")
        tablet = await self.online(juliet, "tablet", blocklist=False)  # never asked: no pushes

        await phone["xep_0191"].block([romeo, tybalt], timeout=TIMEOUT)
        for client in (phone, laptop):
            push = await next_matching(client.block_pushes, lambda iq: True, "block push")
            self.assertEqual(items_of(push, "block"), {romeo, tybalt})
            self.assertEqual(push["type"], "set")
        self.assertEqual(await self.blocklist(laptop), {romeo, tybalt})

        await laptop["xep_0191"].unblock([tybalt], timeout=TIMEOUT)
        for client in (phone, laptop):
            push = await next_matching(client.block_pushes, lambda iq: True, "unblock push")
            self.assertEqual(items_of(push, "unblock"), {tybalt})
        self.assertEqual(await self.blocklist(phone), {romeo})
        await nothing_matching(tablet.block_pushes, lambda iq: True, 0.5)

    async def test_blocked_contact_cannot_reach_the_user(self):
        (juliet, romeo) = self.accounts("juliet", "romeo")
        j = await self.online(juliet, "balcony")
        r = await self.online(romeo, "orchard", blocklist=False)
        # Before the block everything gets through.
        await r["xep_0199"].send_ping(f"{juliet}/balcony", timeout=TIMEOUT)
        r.send_message(mto=juliet, mbody="before", mtype="chat")
        await next_matching(j.messages, lambda m: m["body"] == "before", "message before")

        await j["xep_0191"].block(romeo, timeout=TIMEOUT)
        r.send_message(mto=juliet, mbody="after", mtype="chat")
        r.send_message(mto=f"{juliet}/balcony", mbody="after, full", mtype="chat")
        r.send_presence(pto=f"{juliet}/balcony", pstatus="directed")
        r.send_presence(pto=juliet, ptype="subscribe")  # dropped before presence sees it
        # §3.3: messages bounce service-unavailable, as if Juliet were offline...
        for _ in range(2):
            await next_matching(r.messages, message_error(juliet, "service-unavailable"),
                                "service-unavailable for a message")
        # ...IQ gets and sets too...
        await self.assert_iq_error(
            r["xep_0199"].send_ping(f"{juliet}/balcony", timeout=TIMEOUT), "service-unavailable")
        await self.assert_iq_error(
            r["xep_0030"].get_info(jid=juliet, timeout=TIMEOUT), "service-unavailable")
        # ...and nothing reaches her, presence included, which gets no error either.
        await nothing_matching(j.messages, lambda m: m["from"].bare == romeo, 1.0)
        await nothing_matching(j.all_presence, lambda p: p["from"].bare == romeo, 0.1)
        await nothing_matching(r.all_presence, lambda p: p["type"] == "error", 0.1)

    async def test_user_sending_to_a_blocked_contact_gets_not_acceptable(self):
        (juliet, romeo) = self.accounts("juliet", "romeo")
        j = await self.online(juliet)
        r = await self.online(romeo, "orchard", blocklist=False)
        await j["xep_0191"].block(romeo, timeout=TIMEOUT)

        j.send_message(mto=f"{romeo}/orchard", mbody="Can you hear me now?", mtype="chat")
        error = await next_matching(j.messages, message_error(romeo, "not-acceptable"),
                                    "not-acceptable")
        self.assertTrue(has_blocked_condition(error), error)
        self.assertEqual(error["error"]["type"], "cancel")
        iq = await self.assert_iq_error(
            j["xep_0199"].send_ping(f"{romeo}/orchard", timeout=TIMEOUT), "not-acceptable")
        self.assertTrue(has_blocked_condition(iq), iq)
        j.send_presence(pto=romeo, ptype="subscribe")
        error = await next_matching(j.all_presence,
                                    lambda p: p["type"] == "error" and p["from"].bare == romeo,
                                    "presence error")
        self.assertTrue(has_blocked_condition(error), error)
        await nothing_matching(r.messages, lambda m: m["from"].bare == juliet, 0.5)
        await nothing_matching(r.all_presence, lambda p: p["from"].bare == juliet, 0.1)

    async def test_full_jid_item_blocks_only_that_resource(self):
        (juliet, romeo) = self.accounts("juliet", "romeo")
        j = await self.online(juliet)
        orchard = await self.online(romeo, "orchard", blocklist=False)
        garden = await self.online(romeo, "garden", blocklist=False)
        await j["xep_0191"].block(f"{romeo}/orchard", timeout=TIMEOUT)
        self.assertEqual(await self.blocklist(j), {f"{romeo}/orchard"})
        orchard.send_message(mto=juliet, mbody="from the orchard", mtype="chat")
        garden.send_message(mto=juliet, mbody="from the garden", mtype="chat")
        got = await next_matching(j.messages, lambda m: m["from"].bare == romeo, "message")
        self.assertEqual(got["body"], "from the garden")
        await next_matching(orchard.messages, message_error(juliet, "service-unavailable"),
                            "bounce to the orchard")
        await nothing_matching(j.messages, lambda m: m["body"] == "from the orchard", 0.5)

    async def test_unblock_and_unblock_all_restore_delivery(self):
        (juliet, romeo, tybalt) = self.accounts("juliet", "romeo", "tybalt")
        j = await self.online(juliet)
        laptop = await self.online(juliet, "laptop")
        r = await self.online(romeo, blocklist=False)
        t = await self.online(tybalt, blocklist=False)
        await j["xep_0191"].block([romeo, tybalt], timeout=TIMEOUT)

        await j["xep_0191"].unblock(romeo, timeout=TIMEOUT)
        r.send_message(mto=juliet, mbody="unblocked", mtype="chat")
        await next_matching(j.messages, lambda m: m["body"] == "unblocked", "romeo again")
        t.send_message(mto=juliet, mbody="still blocked", mtype="chat")
        await next_matching(t.messages, message_error(juliet, "service-unavailable"), "bounce")

        # §3.5: an empty <unblock/> empties the list, and the push says so.
        await j["xep_0191"].unblock([], timeout=TIMEOUT)
        push = await next_matching(laptop.block_pushes, lambda iq: items_of(iq, "unblock") == set(),
                                   "unblock-all push")
        self.assertIsNotNone(push)
        self.assertEqual(await self.blocklist(j), set())
        t.send_message(mto=juliet, mbody="everyone", mtype="chat")
        await next_matching(j.messages, lambda m: m["body"] == "everyone", "tybalt again")
        j.send_message(mto=tybalt, mbody="hello", mtype="chat")
        await next_matching(t.messages, lambda m: m["body"] == "hello", "to tybalt")

    async def test_blocked_subscribed_contact_sees_the_user_offline_until_unblocked(self):
        (juliet, romeo) = self.accounts("juliet", "romeo")
        j = await self.online(juliet)
        r = await self.online(romeo, blocklist=False)
        await j.roster_query()
        await r.roster_query()
        # Subscriptions both ways.
        j.send_presence(pto=romeo, ptype="subscribe")
        await next_matching(r.all_presence, presence_of("subscribe", juliet), "subscribe")
        r.send_presence(pto=juliet, ptype="subscribed")
        r.send_presence(pto=juliet, ptype="subscribe")
        await next_matching(j.all_presence, presence_of("subscribe", romeo), "subscribe back")
        j.send_presence(pto=romeo, ptype="subscribed")
        await next_matching(r.presences, presence_of("available", juliet), "juliet online")

        # §3.3: Romeo sees Juliet go offline, and nothing of her afterwards.
        await j["xep_0191"].block(romeo, timeout=TIMEOUT)
        await next_matching(r.presences, presence_of("unavailable", juliet), "unavailable")
        j.send_presence(pstatus="hidden from romeo")
        await nothing_matching(r.presences, presence_of("available", juliet), 1.0)
        r.send_presence(pstatus="unseen")
        await nothing_matching(j.presences, lambda p: p["status"] == "unseen", 0.5)

        # §3.4: unblocked, he gets her current presence.
        await j["xep_0191"].unblock(romeo, timeout=TIMEOUT)
        got = await next_matching(r.presences, presence_of("available", juliet), "presence back")
        self.assertEqual(got["status"], "hidden from romeo")
        r.send_presence(pstatus="seen")
        got = await next_matching(j.presences, presence_of("available", romeo), "romeo's update")
        self.assertEqual(got["status"], "seen")

    async def test_blocking_withdraws_a_pending_subscription_request(self):
        (juliet, tybalt, benvolio) = self.accounts("juliet", "tybalt", "benvolio")
        t = await self.online(tybalt, blocklist=False)
        t.send_presence(pto=juliet, ptype="subscribe")  # Juliet is offline: it waits for her
        b = await self.online(benvolio, blocklist=False)
        b.send_presence(pto=juliet, ptype="subscribe")  # sent later: stored later
        # Logged in without initial presence, the requests are still waiting; she blocks Tybalt.
        j = await self.online(juliet, blocklist=False, send_presence=False)
        await j["xep_0191"].block(tybalt, timeout=TIMEOUT)
        j.send_presence()  # initial presence: waiting requests are delivered now
        got = []
        while len(got) < 3:  # her own presence, then the waiting requests, or a timeout
            try:
                got.append(await asyncio.wait_for(j.all_presence.get(), 1.5))
            except asyncio.TimeoutError:
                break
        senders = {p["from"].bare for p in got if p["type"] == "subscribe"}
        # Benvolio's arrives (so Tybalt's, stored before it, was waiting too); Tybalt's was
        # withdrawn by the block.
        self.assertEqual(senders, {benvolio})

    async def test_errors(self):
        (juliet, romeo) = self.accounts("juliet", "romeo")
        j = await self.online(juliet)
        cases = [
            ("<block xmlns='urn:xmpp:blocking'/>", "bad-request"),
            ("<block xmlns='urn:xmpp:blocking'><item/></block>", "bad-request"),
            ("<block xmlns='urn:xmpp:blocking'><item jid='@@bad'/></block>", "jid-malformed"),
            ("<unblock xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></unblock>", "jid-malformed"),
            ("<block xmlns='urn:xmpp:blocking'><other jid='a@localhost'/></block>", "bad-request"),
        ]
        for payload, condition in cases:
            with self.subTest(payload=payload):
                iq = j.make_iq_set()
                iq.xml.append(slixmpp.xmlstream.ET.fromstring(payload))
                await self.assert_iq_error(iq.send(timeout=TIMEOUT), condition)
        self.assertEqual(await self.blocklist(j), set())
        # Nobody reads or changes another account's blocklist.
        r = await self.online(romeo, blocklist=False)
        iq = r.make_iq_get(ito=juliet)
        iq.enable("blocklist")
        await self.assert_iq_error(iq.send(timeout=TIMEOUT), "forbidden")
        iq = r.make_iq_set(ito=juliet)
        iq["block"]["items"] = [romeo]
        await self.assert_iq_error(iq.send(timeout=TIMEOUT), "forbidden")
        self.assertEqual(await self.blocklist(j), set())

    async def test_deleting_an_account_deletes_its_blocklist(self):
        (juliet, romeo) = self.accounts("juliet", "romeo")
        j = await self.online(juliet)
        await j["xep_0191"].block(romeo, timeout=TIMEOUT)
        await self.logout(j)
        self.server.deluser(juliet)
        self.server.adduser(juliet, PASSWORD)
        j = await self.online(juliet, "again")
        self.assertEqual(await self.blocklist(j), set())


class ReorderedModulesBlockingTest(BlockingTest):
    """Every test above again, with blocking enabled last: hooks run by stage (blocking refuses
    before presence, offline and push act), not by the order of [modules] enabled."""

    # The default modules in reverse, blocking moved to the very end.
    settings = (modules_enabled(order=[name for name in reversed(default_modules())
                                       if name != "blocking"] + ["blocking"]),)


class BlocklistLimitAndRestartTest(BlockingTestCase):
    """[modules.blocking] max_items bounds a blocklist, which survives a restart."""

    settings = ("modules.blocking.max_items=2",)

    async def test_block_past_the_limit_is_not_allowed_and_the_list_survives_restart(self):
        (juliet, romeo) = self.accounts("juliet", "romeo")
        j = await self.online(juliet)
        await j["xep_0191"].block(["a@localhost", "b@localhost"], timeout=TIMEOUT)
        await j["xep_0191"].block("a@localhost", timeout=TIMEOUT)  # already there: fine
        await self.assert_iq_error(j["xep_0191"].block("c@localhost", timeout=TIMEOUT),
                                   "not-allowed")
        self.assertEqual(await self.blocklist(j), {"a@localhost", "b@localhost"})
        await self.logout(j)

        self.server.restart()
        j = await self.online(juliet, "again")
        self.assertEqual(await self.blocklist(j), {"a@localhost", "b@localhost"})
        await j["xep_0191"].unblock("a@localhost", timeout=TIMEOUT)
        await j["xep_0191"].block(romeo, timeout=TIMEOUT)
        r = await self.online(romeo, blocklist=False)
        r.send_message(mto=juliet, mbody="after restart", mtype="chat")
        await next_matching(r.messages, message_error(juliet, "service-unavailable"), "bounce")


if __name__ == "__main__":
    unittest.main(verbosity=2)
