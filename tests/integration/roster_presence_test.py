#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Rosters (RFC 6121 §2), subscriptions (§3) and presence (§4) with real slixmpp clients against
# the real ternd: roster set and remove with pushes to two resources, versioning, the full
# subscription handshake both ways with a client offline in between, pre-approval, denial,
# probes on login, broadcast and unavailable on disconnect (also of a killed client), directed
# presence, bare-JID message routing by priority, and rosters surviving a restart. Each test uses
# fresh accounts; every wait is bounded.
import asyncio
import os
import subprocess
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from slix import (  # noqa: E402
    DOMAIN, PASSWORD, TIMEOUT, ClientTestCase, next_matching, nothing_matching, presence_of,
)

import slixmpp  # noqa: E402



def roster_items(iq):
    """{jid: item element} of a roster result or push."""
    query = iq.xml.find("{jabber:iq:roster}query")
    if query is None:
        return {}
    return {item.get("jid"): item for item in query.findall("{jabber:iq:roster}item")}


class RosterPresenceTest(ClientTestCase):

    async def online(self, bare, resource="r", **kw):
        client = await self.login(f"{bare}/{resource}", PASSWORD, **kw)
        await client.roster_query()  # an interested resource from now on (§2.1.6)
        return client

    async def subscribe_both_ways(self, a, b, a_client, b_client):
        a_client.send_presence(pto=b, ptype="subscribe")
        await next_matching(b_client.all_presence, presence_of("subscribe", a), "subscribe")
        b_client.send_presence(pto=a, ptype="subscribed")
        b_client.send_presence(pto=a, ptype="subscribe")
        await next_matching(a_client.all_presence, presence_of("subscribe", b), "subscribe")
        a_client.send_presence(pto=b, ptype="subscribed")
        await next_matching(a_client.pushes, lambda iq: roster_items(iq).get(b) is not None and
                            roster_items(iq)[b].get("subscription") == "both", "both at a")
        await next_matching(b_client.pushes, lambda iq: roster_items(iq).get(a) is not None and
                            roster_items(iq)[a].get("subscription") == "both", "both at b")

    async def test_roster_set_and_remove_push_to_every_interested_resource(self):
        (juliet, nurse) = self.accounts("juliet", "nurse")
        phone = await self.online(juliet, "phone")
        laptop = await self.online(juliet, "laptop")
        first = await phone.roster_query()
        self.assertEqual(roster_items(first), {})
        ver = first["roster"]["ver"]

        iq = phone.make_iq_set()
        iq["roster"]["items"] = {nurse: {"name": "Nurse", "groups": ["Servants"]}}
        await iq.send(timeout=TIMEOUT)
        for client in (phone, laptop):
            push = await next_matching(client.pushes, lambda iq: nurse in roster_items(iq),
                                       "roster push")
            item = roster_items(push)[nurse]
            self.assertEqual(item.get("name"), "Nurse")
            self.assertEqual(item.get("subscription"), "none")
            self.assertEqual([g.text for g in item.findall("{jabber:iq:roster}group")],
                             ["Servants"])
            self.assertNotEqual(push["roster"]["ver"], ver)

        # §2.6: an up-to-date version gets an empty result; an old one gets the roster.
        current = await phone.roster_query()
        self.assertIn(nurse, roster_items(current))
        unchanged = await phone.roster_query(ver=current["roster"]["ver"])
        self.assertIsNone(unchanged.xml.find("{jabber:iq:roster}query"))
        stale = await phone.roster_query(ver=ver)
        self.assertIn(nurse, roster_items(stale))

        iq = laptop.make_iq_set()
        iq["roster"]["items"] = {nurse: {"subscription": "remove"}}
        await iq.send(timeout=TIMEOUT)
        for client in (phone, laptop):
            push = await next_matching(
                client.pushes,
                lambda iq: roster_items(iq).get(nurse) is not None and
                roster_items(iq)[nurse].get("subscription") == "remove", "remove push")
            self.assertIsNotNone(push)
        self.assertEqual(roster_items(await phone.roster_query()), {})

    async def test_deleting_an_account_deletes_its_roster(self):
        (juliet, nurse) = self.accounts("juliet", "nurse")
        client = await self.online(juliet)
        iq = client.make_iq_set()
        iq["roster"]["items"] = {nurse: {"name": "Nurse"}}
        await iq.send(timeout=TIMEOUT)
        self.assertIn(nurse, roster_items(await client.roster_query()))
        await self.logout(client)
        self.server.deluser(juliet)  # while the server runs: LMDB allows it
        self.server.adduser(juliet, PASSWORD)
        client = await self.online(juliet, "again")
        self.assertEqual(roster_items(await client.roster_query()), {})

    async def test_roster_set_errors(self):
        (juliet,) = self.accounts("juliet")
        client = await self.online(juliet)
        cases = [
            ("<item jid='a@localhost'/><item jid='b@localhost'/>", "bad-request"),
            ("<item jid='a@localhost'><group>x</group><group>x</group></item>", "bad-request"),
            ("<item jid='a@localhost'><group></group></item>", "not-acceptable"),
            ("<item jid='@@bad'/>", "jid-malformed"),
            ("<item jid='nobody@localhost' subscription='remove'/>", "item-not-found"),
        ]
        for payload, condition in cases:
            with self.subTest(payload=payload):
                iq = client.make_iq_set()
                iq.xml.append(slixmpp.xmlstream.ET.fromstring(
                    f"<query xmlns='jabber:iq:roster'>{payload}</query>"))
                with self.assertRaises(slixmpp.exceptions.IqError) as caught:
                    await iq.send(timeout=TIMEOUT)
                self.assertEqual(caught.exception.condition, condition)

    async def test_nobody_reads_another_users_roster(self):
        (juliet, romeo) = self.accounts("juliet", "romeo")
        client = await self.online(romeo)
        iq = client.make_iq_get(queryxmlns="jabber:iq:roster", ito=juliet)
        with self.assertRaises(slixmpp.exceptions.IqError) as caught:
            await iq.send(timeout=TIMEOUT)
        self.assertEqual(caught.exception.condition, "forbidden")

    async def test_subscription_handshake_both_ways_with_the_contact_offline_in_between(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        r = await self.online(romeo)
        # Juliet is offline: the request waits in the store.
        r.send_presence(pto=juliet, ptype="subscribe")
        push = await next_matching(r.pushes, lambda iq: juliet in roster_items(iq), "ask push")
        self.assertEqual(roster_items(push)[juliet].get("subscription"), "none")
        self.assertEqual(roster_items(push)[juliet].get("ask"), "subscribe")

        j = await self.online(juliet)  # initial presence delivers the waiting request
        await next_matching(j.all_presence, presence_of("subscribe", romeo), "subscribe request")
        self.assertEqual(roster_items(await j.roster_query()), {})  # not in her roster yet

        j.send_presence(pto=romeo, ptype="subscribed")
        push = await next_matching(j.pushes, lambda iq: romeo in roster_items(iq), "from push")
        self.assertEqual(roster_items(push)[romeo].get("subscription"), "from")
        push = await next_matching(r.pushes, lambda iq: roster_items(iq).get(juliet) is not None
                                   and roster_items(iq)[juliet].get("subscription") == "to",
                                   "to push")
        self.assertIsNone(roster_items(push)[juliet].get("ask"))
        await next_matching(r.all_presence, presence_of("subscribed", juliet), "subscribed")
        await next_matching(r.presences, presence_of("available", juliet), "juliet's presence")

        # The other way round.
        j.send_presence(pto=romeo, ptype="subscribe")
        await next_matching(r.all_presence, presence_of("subscribe", juliet), "subscribe back")
        r.send_presence(pto=juliet, ptype="subscribed")
        for client, contact in ((r, juliet), (j, romeo)):
            await next_matching(client.pushes, lambda iq: roster_items(iq).get(contact) is not None
                                and roster_items(iq)[contact].get("subscription") == "both",
                                "both")
        await next_matching(j.presences, presence_of("available", romeo), "romeo's presence")

        # Broadcast reaches the contact; so does unavailable when a client is killed.
        r.send_presence(pstatus="in the orchard")
        got = await next_matching(j.presences, presence_of("available", romeo), "update")
        self.assertEqual(got["status"], "in the orchard")
        r.abort()
        await next_matching(j.presences, presence_of("unavailable", romeo), "unavailable")

        # Unsubscribing: Juliet stops seeing Romeo (both → from for her).
        j.send_presence(pto=romeo, ptype="unsubscribe")
        push = await next_matching(j.pushes, lambda iq: roster_items(iq).get(romeo) is not None
                                   and roster_items(iq)[romeo].get("subscription") == "from",
                                   "from after unsubscribe")
        self.assertIsNotNone(push)

    async def test_probes_on_login_bring_the_contacts_presence(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        r = await self.online(romeo)
        j = await self.online(juliet)
        await self.subscribe_both_ways(romeo, juliet, r, j)
        j.send_presence(pstatus="on the balcony")
        await self.logout(r)
        r2 = await self.login(f"{romeo}/again", PASSWORD)
        got = await next_matching(r2.presences, presence_of("available", juliet), "probe answer")
        self.assertEqual(got["status"], "on the balcony")

    async def test_pre_approval_and_denial(self):
        (juliet, benvolio, tybalt) = self.accounts("juliet", "benvolio", "tybalt")
        j = await self.online(juliet)
        b = await self.online(benvolio)
        t = await self.online(tybalt)
        # §3.4: Juliet pre-approves Benvolio; his request is answered at once, on her behalf.
        j.send_presence(pto=benvolio, ptype="subscribed")
        push = await next_matching(j.pushes, lambda iq: benvolio in roster_items(iq), "approved")
        self.assertEqual(roster_items(push)[benvolio].get("approved"), "true")
        b.send_presence(pto=juliet, ptype="subscribe")
        await next_matching(b.all_presence, presence_of("subscribed", juliet), "auto subscribed")
        await nothing_matching(j.all_presence, presence_of("subscribe", benvolio), 0.5)
        # §3.1.5: Tybalt is denied; his pending request is cancelled.
        t.send_presence(pto=juliet, ptype="subscribe")
        await next_matching(j.all_presence, presence_of("subscribe", tybalt), "request")
        j.send_presence(pto=tybalt, ptype="unsubscribed")
        await next_matching(t.all_presence, presence_of("unsubscribed", juliet), "denial")
        push = await next_matching(t.pushes, lambda iq: roster_items(iq).get(juliet) is not None
                                   and roster_items(iq)[juliet].get("ask") is None, "no ask")
        self.assertEqual(roster_items(push)[juliet].get("subscription"), "none")

    async def test_subscribing_to_a_missing_account_is_refused(self):
        (romeo,) = self.accounts("romeo")
        r = await self.online(romeo)
        r.send_presence(pto=f"nobody@{DOMAIN}", ptype="subscribe")
        await next_matching(r.all_presence, presence_of("unsubscribed", f"nobody@{DOMAIN}"),
                            "unsubscribed")

    async def test_removing_a_contact_cancels_both_subscriptions(self):
        (romeo, juliet) = self.accounts("romeo", "juliet")
        r = await self.online(romeo)
        j = await self.online(juliet)
        await self.subscribe_both_ways(romeo, juliet, r, j)
        iq = r.make_iq_set()
        iq["roster"]["items"] = {juliet: {"subscription": "remove"}}
        await iq.send(timeout=TIMEOUT)
        await next_matching(j.pushes, lambda iq: roster_items(iq).get(romeo) is not None and
                            roster_items(iq)[romeo].get("subscription") == "none", "none at j")
        await next_matching(j.presences, presence_of("unavailable", romeo), "unavailable")

    async def test_directed_presence_gets_unavailable_when_the_sender_leaves(self):
        (juliet, mercutio) = self.accounts("juliet", "mercutio")
        j = await self.online(juliet)
        m = await self.online(mercutio)
        j.send_presence(pto=f"{mercutio}/r", pstatus="psst")
        got = await next_matching(m.presences, presence_of("available", juliet), "directed")
        self.assertEqual(got["status"], "psst")
        j.abort()
        await next_matching(m.presences, presence_of("unavailable", juliet), "unavailable")

    async def test_presence_without_subscription_does_not_leak(self):
        (juliet, paris) = self.accounts("juliet", "paris")
        p = await self.online(paris)
        j = await self.online(juliet)
        j.send_presence(pstatus="secret")
        await nothing_matching(p.presences, presence_of("available", juliet), 1.0)
        # A probe from a non-subscriber is not answered either (§4.3.2).
        p.send_presence(pto=juliet, ptype="probe")
        await nothing_matching(p.presences, presence_of("available", juliet), 1.0)

    async def test_message_to_bare_jid_goes_to_the_highest_priority_resources(self):
        (juliet, romeo) = self.accounts("juliet", "romeo")
        high = await self.login(f"{juliet}/high", PASSWORD, priority=5)
        low = await self.login(f"{juliet}/low", PASSWORD, priority=1)
        negative = await self.login(f"{juliet}/away", PASSWORD, priority=-1)
        r = await self.login(f"{romeo}/r", PASSWORD)
        r.send_message(mto=juliet, mbody="to the best", mtype="chat")
        got = await asyncio.wait_for(high.messages.get(), TIMEOUT)
        self.assertEqual(got["body"], "to the best")
        await nothing_matching(low.messages, lambda m: True, 0.5)
        await nothing_matching(negative.messages, lambda m: True, 0.1)
        # With only a negative-priority resource left, bare-JID messages do not reach it.
        await self.logout(high)
        await self.logout(low)
        r.send_message(mto=juliet, mbody="nobody home", mtype="chat")
        await nothing_matching(negative.messages, lambda m: m["body"] == "nobody home", 1.0)
        # A message to its full JID does.
        r.send_message(mto=f"{juliet}/away", mbody="direct", mtype="chat")
        got = await asyncio.wait_for(negative.messages.get(), TIMEOUT)
        self.assertEqual(got["body"], "direct")


class RosterLimitTest(ClientTestCase):
    """[modules.roster] max_items bounds a roster; bad module options stop ternd at start."""

    @classmethod
    def setUpClass(cls):
        cls.server = TernServer("modules.roster.max_items=2").start()
        cls.server.adduser(f"juliet@{DOMAIN}", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    async def test_roster_set_past_the_limit_is_not_allowed(self):
        client = await self.login(f"juliet@{DOMAIN}/r", PASSWORD)
        for contact in ("a@localhost", "b@localhost"):
            iq = client.make_iq_set()
            iq["roster"]["items"] = {contact: {"name": contact}}
            await iq.send(timeout=TIMEOUT)
        iq = client.make_iq_set()
        iq["roster"]["items"] = {"a@localhost": {"name": "renamed"}}  # changing one is fine
        await iq.send(timeout=TIMEOUT)
        iq = client.make_iq_set()
        iq["roster"]["items"] = {"c@localhost": {"name": "one too many"}}
        with self.assertRaises(slixmpp.exceptions.IqError) as caught:
            await iq.send(timeout=TIMEOUT)
        self.assertEqual(caught.exception.condition, "not-allowed")
        self.assertEqual(set(roster_items(await client.roster_query())),
                         {"a@localhost", "b@localhost"})

    def test_bad_module_options_are_refused_with_their_place(self):
        ternd = os.path.join(os.environ.get("TERN_BUILD_DIR", "build"), "ternd", "ternd")
        for setting, message in (
                ("modules.roster.max_itemz=5", "unknown option 'max_itemz'"),
                ("modules.roster.max_items=0", "max_items must be an integer from 1 to 100000")):
            run = subprocess.run([ternd, "--set", setting, "--check-config"],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(run.returncode, 2, run.stderr)
            self.assertIn(f"--set {setting}: [modules.roster] {message}", run.stderr)


class RosterRestartTest(ClientTestCase):
    """The roster and a pending request survive a restart of the server (same store)."""

    start_shared_server = False  # the test starts and restarts its own

    async def test_roster_and_pending_request_survive_restart(self):
        server = TernServer()
        type(self).server = server.start()
        try:
            server.adduser(f"romeo@{DOMAIN}", PASSWORD)
            server.adduser(f"juliet@{DOMAIN}", PASSWORD)
            r = await self.login(f"romeo@{DOMAIN}/r", PASSWORD)
            await r.roster_query()
            r.send_presence(pto=f"juliet@{DOMAIN}", ptype="subscribe")
            await next_matching(r.pushes, lambda iq: f"juliet@{DOMAIN}" in roster_items(iq), "ask")
            await self.logout(r)
            server.restart()
            j = await self.login(f"juliet@{DOMAIN}/j", PASSWORD)
            await next_matching(j.all_presence, presence_of("subscribe", f"romeo@{DOMAIN}"),
                                "request after restart")
            r = await self.login(f"romeo@{DOMAIN}/r2", PASSWORD)
            item = roster_items(await r.roster_query())[f"juliet@{DOMAIN}"]
            self.assertEqual(item.get("ask"), "subscribe")
            await self.logout(j)
            await self.logout(r)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
