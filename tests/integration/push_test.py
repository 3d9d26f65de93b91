#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0357 push notifications against the real ternd. The app server is a local slixmpp client
# (a push gateway logged in as an account), which gets the notifications as pubsub publishes: for
# a message that went to the offline queue, and for one that went to a XEP-0198 session whose
# connection vanished; never for a bare chat state; none after disable; the client's publish
# options (a secret) ride along; sender and body only when the operator allows them; with
# groupchat_mentions, a room message naming the user's nickname (not other room messages).
# Enabling for another account is forbidden, a missing node a bad request; the feature is in the
# account's disco#info. Every wait is bounded.
import asyncio
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from muc_test import register_nick  # noqa: E402
from raw_client import RawClient  # noqa: E402
from slix import (  # noqa: E402
    DOMAIN, PASSWORD, TIMEOUT, ClientTestCase, next_matching, nothing_matching,
)

import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

PUSH = "urn:xmpp:push:0"
PUBSUB = "http://jabber.org/protocol/pubsub"
DATA = "jabber:x:data"


def enable_xml(app_server, node, secret=None, to=None):
    options = ""
    if secret is not None:
        options = (f"<x xmlns='{DATA}' type='submit'>"
                   f"<field var='FORM_TYPE'><value>{PUBSUB}#publish-options</value></field>"
                   f"<field var='secret'><value>{secret}</value></field></x>")
    to_attr = f" to='{to}'" if to else ""
    return (f"<iq type='set' id='push-on'{to_attr}><enable xmlns='{PUSH}' jid='{app_server}' "
            f"node='{node}'>{options}</enable></iq>")


def form_values(x):
    return {f.get("var"): [v.text for v in f.findall(f"{{{DATA}}}value")]
            for f in x.findall(f"{{{DATA}}}field")}


class PushTestCase(ClientTestCase):
    async def app_server(self):
        """A logged-in client playing the app server: returns it and its full JID; its
        notifications queue holds every pubsub publish it receives."""
        (bare,) = self.accounts("gateway")
        gateway = await self.login(f"{bare}/app", PASSWORD)
        gateway.notifications = asyncio.Queue()
        gateway.register_handler(Callback(
            "publishes", MatchXPath(f"{{jabber:client}}iq/{{{PUBSUB}}}pubsub"),
            gateway.notifications.put_nowait))
        return gateway, f"{bare}/app"

    async def raw_iq(self, client, xml):
        """Sends `xml` (an IQ) from a slixmpp client and returns the answer stanza."""
        iq = slixmpp.stanza.Iq(client, xml=slixmpp.xmlstream.ET.fromstring(
            xml.replace("<iq ", "<iq xmlns='jabber:client' ", 1)))
        iq["id"] = client.new_id()
        return await iq.send(timeout=TIMEOUT)

    def publish_of(self, stanza):
        """(from, node, summary form values, publish-options values or None) of a publish."""
        pubsub = stanza.xml.find(f"{{{PUBSUB}}}pubsub")
        publish = pubsub.find(f"{{{PUBSUB}}}publish")
        x = publish.find(f"{{{PUBSUB}}}item/{{{PUSH}}}notification/{{{DATA}}}x")
        options = pubsub.find(f"{{{PUBSUB}}}publish-options/{{{DATA}}}x")
        return (stanza["from"].full, publish.get("node"), form_values(x),
                form_values(options) if options is not None else None)


class PushTest(PushTestCase):

    async def test_the_account_advertises_push(self):
        (user,) = self.accounts("phone")
        client = await self.login(user, PASSWORD)
        info = await client["xep_0030"].get_info(user, timeout=TIMEOUT)
        self.assertIn(PUSH, info["disco_info"]["features"])

    async def test_an_offline_message_is_pushed_without_sender_or_body(self):
        gateway, gateway_jid = await self.app_server()
        user, friend = self.accounts("phone", "friend")
        client = await self.login(user, PASSWORD)
        await self.raw_iq(client, enable_xml(gateway_jid, "device-1", secret="s3cr3t"))
        await self.logout(client)
        sender = await self.login(friend, PASSWORD)
        sender.send_message(mto=user, mbody="are you there?", mtype="chat")
        note = await next_matching(gateway.notifications, lambda s: True, "a push notification")
        origin, node, summary, options = self.publish_of(note)
        self.assertEqual(origin, user)
        self.assertEqual(node, "device-1")
        self.assertEqual(summary["FORM_TYPE"], ["urn:xmpp:push:summary"])
        self.assertEqual(summary["message-count"], ["1"])
        self.assertNotIn("last-message-body", summary)
        self.assertNotIn("last-message-sender", summary)
        self.assertEqual(options["secret"], ["s3cr3t"])

    async def test_a_chat_state_alone_wakes_nobody(self):
        gateway, gateway_jid = await self.app_server()
        user, friend = self.accounts("phone", "friend")
        client = await self.login(user, PASSWORD)
        await self.raw_iq(client, enable_xml(gateway_jid, "device-1"))
        await self.logout(client)
        sender = await self.login(friend, PASSWORD)
        msg = sender.make_message(mto=user, mtype="chat")
        msg.append(slixmpp.xmlstream.ET.Element("{http://jabber.org/protocol/chatstates}composing"))
        msg.send()
        await nothing_matching(gateway.notifications, lambda s: True, seconds=1.0)
        sender.send_message(mto=user, mbody="now a real one", mtype="chat")
        await next_matching(gateway.notifications, lambda s: True, "a push for the real message")

    async def test_after_disable_nothing_is_pushed(self):
        gateway, gateway_jid = await self.app_server()
        user, friend = self.accounts("phone", "friend")
        client = await self.login(user, PASSWORD)
        await self.raw_iq(client, enable_xml(gateway_jid, "device-1"))
        await self.raw_iq(client, enable_xml(gateway_jid, "device-2"))
        await self.raw_iq(client, f"<iq type='set' id='off'><disable xmlns='{PUSH}' "
                                  f"jid='{gateway_jid}' node='device-1'/></iq>")
        await self.logout(client)
        sender = await self.login(friend, PASSWORD)
        sender.send_message(mto=user, mbody="one", mtype="chat")
        note = await next_matching(gateway.notifications, lambda s: True, "the push to device-2")
        self.assertEqual(self.publish_of(note)[1], "device-2")
        await nothing_matching(gateway.notifications, lambda s: True, seconds=0.5)

        client = await self.login(user, PASSWORD)
        await self.raw_iq(client, f"<iq type='set' id='off2'><disable xmlns='{PUSH}' "
                                  f"jid='{gateway_jid}'/></iq>")  # every node of the app server
        await self.logout(client)
        sender.send_message(mto=user, mbody="two", mtype="chat")
        await nothing_matching(gateway.notifications, lambda s: True, seconds=1.0)

    async def test_a_message_to_a_vanished_stream_management_session_is_pushed(self):
        gateway, gateway_jid = await self.app_server()
        user, friend = self.accounts("phone", "friend")
        raw = RawClient(self.server.port, f"{user}/mobile", PASSWORD)
        raw.send(enable_xml(gateway_jid, "device-1"))
        answer = raw.next()
        self.assertEqual(answer.get("type"), "result")
        self.assertIsNotNone(raw.enable_sm(resume=True))
        raw.send("<presence/>")
        raw.next()  # its own presence
        raw.vanish()  # the phone loses coverage: the session waits to be resumed
        sender = await self.login(friend, PASSWORD)
        await asyncio.sleep(0.5)  # let the server notice the connection is gone
        sender.send_message(mto=f"{user}/mobile", mbody="wake up", mtype="chat")
        note = await next_matching(gateway.notifications, lambda s: True,
                                   "a push for the detached session")
        self.assertEqual(self.publish_of(note)[1], "device-1")

    async def test_enabling_for_another_account_is_forbidden(self):
        gateway, gateway_jid = await self.app_server()
        user, other = self.accounts("phone", "victim")
        client = await self.login(user, PASSWORD)
        with self.assertRaises(IqError) as caught:
            await self.raw_iq(client, enable_xml(gateway_jid, "n", to=other))
        self.assertEqual(caught.exception.iq["error"]["condition"], "forbidden")
        with self.assertRaises(IqError) as caught:
            await self.raw_iq(client, f"<iq type='set' id='x'><enable xmlns='{PUSH}' "
                                      f"jid='{gateway_jid}'/></iq>")
        self.assertEqual(caught.exception.iq["error"]["condition"], "bad-request")


class PushWithContentTest(PushTestCase):
    settings = ("modules.push.include_sender=true", "modules.push.include_body=true")

    async def test_sender_and_body_when_the_operator_allows_them(self):
        gateway, gateway_jid = await self.app_server()
        user, friend = self.accounts("phone", "friend")
        client = await self.login(user, PASSWORD)
        await self.raw_iq(client, enable_xml(gateway_jid, "device-1"))
        await self.logout(client)
        sender = await self.login(f"{friend}/desk", PASSWORD)
        sender.send_message(mto=user, mbody="dinner at eight", mtype="chat")
        note = await next_matching(gateway.notifications, lambda s: True, "a push notification")
        _, _, summary, options = self.publish_of(note)
        self.assertEqual(summary["last-message-sender"], [f"{friend}/desk"])
        self.assertEqual(summary["last-message-body"], ["dinner at eight"])
        self.assertIsNone(options)


class GroupchatMentionTest(PushTestCase):
    """[modules.push] groupchat_mentions: a room message naming the nickname of a user whose
    session waits to be resumed wakes the phone; the room's other messages do not."""
    settings = ("modules.push.groupchat_mentions=true", "modules.push.include_body=true",
                "c2s.resume_timeout=30")

    async def test_a_mention_in_a_room_wakes_the_phone_and_chatter_does_not(self):
        gateway, gateway_jid = await self.app_server()
        user, friend = self.accounts("phone", "friend")
        room = f"mentions-{user.split('@')[0]}@conference.{DOMAIN}"
        sender = await self.login(f"{friend}/desk", PASSWORD)
        sender.send_raw(f"<presence to='{room}/Friend'>"  # creates the room...
                        "<x xmlns='http://jabber.org/protocol/muc'/></presence>")
        sender.send_raw(f"<iq type='set' id='cfg' to='{room}'>"
                        "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                        "<x xmlns='jabber:x:data' type='submit'/></query></iq>")  # ...instant
        await asyncio.sleep(0.3)
        raw = RawClient(self.server.port, f"{user}/mobile", PASSWORD)
        raw.send(enable_xml(gateway_jid, "device-1"))
        self.assertEqual(raw.next().get("type"), "result")
        self.assertIsNotNone(raw.enable_sm(resume=True))
        raw.send(f"<presence to='{room}/Julia'>"
                 "<x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x>"
                 "</presence>")
        while True:  # in the room once its own presence (110) arrives
            element = raw.next()
            self.assertIsNotNone(element, "no self-presence from the room")
            if element.tag == "{jabber:client}presence" and element.get("from") == f"{room}/Julia":
                break
        raw.vanish()  # the phone loses coverage: the session waits to be resumed
        await asyncio.sleep(0.5)
        for body in ("Juliana is late", "nothing for anyone", "Julia, are you there?"):
            sender.send_message(mto=room, mbody=body, mtype="groupchat")
        note = await next_matching(gateway.notifications, lambda s: True, "a push")
        self.assertEqual(self.publish_of(note)[2]["last-message-body"], ["Julia, are you there?"])
        await nothing_matching(gateway.notifications, lambda s: True, 1.0)

    async def test_a_member_away_from_the_room_is_woken_by_its_reserved_nickname(self):
        """A member who is not in the room at all (XEP-0045 §7.10: it reserved a nickname there)
        is woken by a message that mentions that nickname, not by other messages, and not while
        it is online elsewhere."""
        gateway, gateway_jid = await self.app_server()
        user, friend = self.accounts("member", "friend")
        room = f"members-{user.split('@')[0]}@conference.{DOMAIN}"
        sender = await self.login(f"{friend}/desk", PASSWORD)
        sender.send_raw(f"<presence to='{room}/Friend'>"
                        "<x xmlns='http://jabber.org/protocol/muc'/></presence>")
        sender.send_raw(f"<iq type='set' id='cfg' to='{room}'>"
                        "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                        "<x xmlns='jabber:x:data' type='submit'/></query></iq>")
        made_member = await self.raw_iq(
            sender, f"<iq type='set' to='{room}'>"
            "<query xmlns='http://jabber.org/protocol/muc#admin'>"
            f"<item affiliation='member' jid='{user}'/></query></iq>")
        self.assertEqual(made_member["type"], "result")
        member = await self.login(f"{user}/phone", PASSWORD)
        self.assertEqual((await self.raw_iq(member, enable_xml(gateway_jid, "device-1")))["type"],
                         "result")
        await register_nick(member, room, "Julia")
        await self.logout(member)  # not in the room, not even online
        for body in ("nothing for anyone", "Friend talks to himself", "Julia: lunch?"):
            sender.send_message(mto=room, mbody=body, mtype="groupchat")
        note = await next_matching(gateway.notifications, lambda s: True, "a push")
        self.assertEqual(self.publish_of(note)[2]["last-message-body"], ["Julia: lunch?"])
        await nothing_matching(gateway.notifications, lambda s: True, 1.0)
        await self.login(f"{user}/phone", PASSWORD)  # online again, still not in the room
        sender.send_message(mto=room, mbody="Julia, are you back?", mtype="groupchat")
        await nothing_matching(gateway.notifications, lambda s: True, 1.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
