#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Personal data with a second Python client family, aioxmpp (Debian's python3-aioxmpp), against
# the real ternd: its vCard service (XEP-0054) stores and reads vCards; its avatar service
# publishes XEP-0084 data and metadata over PEP, and a contact's avatar service is notified
# (+notify in its caps) and fetches the image, which its vCard then shows too (XEP-0398); its
# bookmark client keeps XEP-0048 bookmarks in
# XEP-0049 private storage across two resources; its MUC client (XEP-0045) creates and configures
# a room, another enters, they talk, the topic changes, one is kicked, and its XEP-0410 self-pings
# keep the room alive meanwhile.
import asyncio
import contextlib
import hashlib
import sys
import unittest
import warnings

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import SharedServer  # noqa: E402

import aioxmpp  # noqa: E402
import aioxmpp.avatar  # noqa: E402
import aioxmpp.bookmarks  # noqa: E402
import aioxmpp.muc  # noqa: E402
import aioxmpp.vcard  # noqa: E402

# aioxmpp's own internals warn about an API of theirs; nothing of the test's.
warnings.filterwarnings("ignore", category=DeprecationWarning, module="aioxmpp")

PASSWORD = "secret"
TIMEOUT = 15


class AioxmppTest(SharedServer, unittest.IsolatedAsyncioTestCase):
    accounts_at_start = (("juliet@localhost", PASSWORD), ("romeo@localhost", PASSWORD))

    async def asyncSetUp(self):
        self.exits = contextlib.AsyncExitStack()

    async def asyncTearDown(self):
        await self.exits.aclose()

    async def connect(self, jid):
        """A logged-in aioxmpp client (STARTTLS on ternd's port, its self-signed certificate
        accepted), disconnected after the test. Its services are summoned before it connects,
        as an application does, so that its first presence carries its caps (XEP-0115) with the
        avatar metadata's +notify."""
        client = aioxmpp.PresenceManagedClient(
            aioxmpp.JID.fromstr(jid), aioxmpp.make_security_layer(PASSWORD, no_verify=True),
            override_peer=[("127.0.0.1", self.server.port, aioxmpp.connector.STARTTLSConnector())])
        for service in (aioxmpp.EntityCapsService, aioxmpp.RosterClient,
                        aioxmpp.vcard.VCardService, aioxmpp.avatar.AvatarService,
                        aioxmpp.bookmarks.BookmarkClient, aioxmpp.MUCClient):
            client.summon(service)
        await asyncio.wait_for(self.exits.enter_async_context(client.connected()), TIMEOUT)
        return client

    async def befriend(self, a, b):
        """b subscribes to a's presence and a approves."""
        asked = asyncio.get_running_loop().create_future()
        a.summon(aioxmpp.RosterClient).on_subscribe.connect(
            lambda stanza: asked.done() or asked.set_result(stanza.from_))
        approved = asyncio.get_running_loop().create_future()
        b.summon(aioxmpp.RosterClient).on_subscribed.connect(
            lambda stanza: approved.done() or approved.set_result(True))
        b.summon(aioxmpp.RosterClient).subscribe(a.local_jid.bare())
        a.summon(aioxmpp.RosterClient).approve(await asyncio.wait_for(asked, TIMEOUT))
        await asyncio.wait_for(approved, TIMEOUT)

    async def test_vcard_and_avatar(self):
        juliet = await self.connect("juliet@localhost/aio")
        romeo = await self.connect("romeo@localhost/aio")
        notified = asyncio.Queue()  # romeo's avatar metadata notifications, as they come
        romeo.summon(aioxmpp.avatar.AvatarService).on_metadata_changed.connect(
            lambda jid, metadata: notified.put_nowait((jid, metadata)))

        async def notified_of(data):
            """The notification of the avatar whose image is `data` (others are skipped)."""
            async def first():
                while True:
                    jid, metadata = await notified.get()
                    if metadata and metadata[0].id_ == hashlib.sha1(data).hexdigest():
                        return jid, metadata
            return await asyncio.wait_for(first(), TIMEOUT)

        await self.befriend(juliet, romeo)

        vcard = aioxmpp.vcard.xso.VCard()
        vcard.set_photo_data("image/png", b"\x89PNG-vcard")
        await juliet.summon(aioxmpp.vcard.VCardService).set_vcard(vcard)
        got = await romeo.summon(aioxmpp.vcard.VCardService).get_vcard(
            aioxmpp.JID.fromstr("juliet@localhost"))
        self.assertEqual(got.get_photo_data(), b"\x89PNG-vcard")
        # XEP-0398: the vCard photo became a PEP avatar, and romeo hears of it (at once, or
        # once ternd has learned from romeo's caps that it wants avatar metadata). Waiting for it
        # also means the next publish cannot overtake what ternd learns of romeo's interest.
        await notified_of(b"\x89PNG-vcard")

        image = bytes(range(256)) * 4
        avatars = aioxmpp.avatar.AvatarSet()
        avatars.add_avatar_image("image/png", image_bytes=image, nbytes=len(image))
        await juliet.summon(aioxmpp.avatar.AvatarService).publish_avatar_set(avatars)
        jid, metadata = await notified_of(image)
        self.assertEqual(jid, aioxmpp.JID.fromstr("juliet@localhost"))
        self.assertEqual(await metadata[0].get_image_bytes(), image)
        # XEP-0398: the PEP avatar is the vCard's photo for clients that read vCards.
        got = await romeo.summon(aioxmpp.vcard.VCardService).get_vcard(
            aioxmpp.JID.fromstr("juliet@localhost"))
        self.assertEqual(got.get_photo_data(), image)

    async def test_bookmarks_in_private_storage(self):
        phone = await self.connect("juliet@localhost/phone")
        laptop = await self.connect("juliet@localhost/laptop")
        council = aioxmpp.bookmarks.Conference(
            "Council", aioxmpp.JID.fromstr("council@chat.localhost"), autojoin=True, nick="J")
        await phone.summon(aioxmpp.bookmarks.BookmarkClient).set_bookmarks([council])
        got = await laptop.summon(aioxmpp.bookmarks.BookmarkClient).get_bookmarks()
        self.assertEqual([(b.name, str(b.jid), b.nick) for b in got],
                         [("Council", "council@chat.localhost", "J")])


    async def test_group_chat(self):
        juliet = await self.connect("juliet@localhost/muc")
        romeo = await self.connect("romeo@localhost/muc")
        room_jid = aioxmpp.JID.fromstr("verona@conference.localhost")
        loop = asyncio.get_running_loop()

        def signal_future(signal, accept=lambda *a, **kw: True):
            future = loop.create_future()

            def fire(*args, **kwargs):
                if not future.done() and accept(*args, **kwargs):
                    future.set_result((args, kwargs))
                return future.done()  # disconnects once fired
            signal.connect(fire)
            return future

        room, entered = juliet.summon(aioxmpp.MUCClient).join(room_jid, "Juliet")
        await asyncio.wait_for(entered, TIMEOUT)
        # The new room is locked until configured (XEP-0045 §10.1): aioxmpp's configuration form.
        muc = juliet.summon(aioxmpp.MUCClient)
        form = aioxmpp.muc.ConfigurationForm.from_xso(await muc.get_room_config(room_jid))
        form.roomname.value = "Verona"
        await muc.set_room_config(room_jid, form.render_reply())

        joined = signal_future(room.on_join)
        romeo_room, romeo_entered = romeo.summon(aioxmpp.MUCClient).join(room_jid, "Romeo")
        await asyncio.wait_for(romeo_entered, TIMEOUT)
        (member,), _ = await asyncio.wait_for(joined, TIMEOUT)
        self.assertEqual(member.nick, "Romeo")
        self.assertEqual(sorted(m.nick for m in romeo_room.members), ["Juliet", "Romeo"])

        heard = signal_future(room.on_message, lambda msg, member, source, **kw:
                              member is not None and member.nick == "Romeo")
        msg = aioxmpp.Message(type_=aioxmpp.MessageType.GROUPCHAT)
        msg.body[None] = "Wherefore art thou?"
        await romeo_room.send_message(msg)
        (got, sender, _source), _ = await asyncio.wait_for(heard, TIMEOUT)
        self.assertEqual(got.body.any(), "Wherefore art thou?")

        topic = signal_future(romeo_room.on_topic_changed)
        await room.set_topic({None: "Balcony"})
        (_, new_topic), _ = await asyncio.wait_for(topic, TIMEOUT)
        self.assertEqual(new_topic.any(), "Balcony")

        # Kicked (status 307): aioxmpp reads the leave mode from the status codes.
        kicked = signal_future(romeo_room.on_exit)
        await room.kick(next(m for m in room.members if m.nick == "Romeo"), "enough")
        _, details = await asyncio.wait_for(kicked, TIMEOUT)
        self.assertEqual(details["muc_leave_mode"], aioxmpp.muc.LeaveMode.KICKED)
        self.assertEqual(details["muc_reason"], "enough")


if __name__ == "__main__":
    unittest.main()
