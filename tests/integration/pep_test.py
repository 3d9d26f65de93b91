#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0163 PEP on the XEP-0060 core, with real slixmpp clients (plugins xep_0060, xep_0163,
# xep_0115, xep_0084, xep_0172) against the real ternd:
#   - OMEMO as Conversations sends it: a device list and a bundle with publish-options
#     (access_model open, max_items max); a contact fetches both; the owner's second device and
#     the contact are notified (each asked with +notify in its caps, which ternd verifies);
#     a publish whose options disagree with the node gets conflict + precondition-not-met;
#   - avatars (data + metadata): the contact is notified of the metadata and fetches the data;
#   - the last item on login, presence access refused to a stranger, retract and delete
#     notifications, the configure form, and bad input answered with the right error with
#     nothing stored.
import asyncio
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from slix import (PASSWORD, TIMEOUT, Client, ClientTestCase, next_matching,  # noqa: E402
                  nothing_matching, presence_of)

import slixmpp  # noqa: E402
from slixmpp.xmlstream import ET  # noqa: E402

PUBSUB = "http://jabber.org/protocol/pubsub"
EVENT = "http://jabber.org/protocol/pubsub#event"
OWNER = "http://jabber.org/protocol/pubsub#owner"
ERRORS = "http://jabber.org/protocol/pubsub#errors"
DEVICES = "urn:xmpp:omemo:2:devices"
BUNDLES = "urn:xmpp:omemo:2:bundles"
OMEMO = "urn:xmpp:omemo:2"
NICK = "http://jabber.org/protocol/nick"
AVATAR_DATA = "urn:xmpp:avatar:data"
AVATAR_METADATA = "urn:xmpp:avatar:metadata"
BOOKMARKS2 = "urn:xmpp:bookmarks:1"


class PepClient(Client):
    """A client with the PEP plugins that asks for notifications of `interests` (NODE+notify
    in its disco#info, hence in the XEP-0115 caps of its presence)."""

    def __init__(self, jid, password, port, interests=(), **kw):
        super().__init__(jid, password, port, plugins=(
            "xep_0004", "xep_0060", "xep_0115", "xep_0163", "xep_0084", "xep_0172"), **kw)
        for node in interests:
            self.plugin["xep_0030"].add_feature(f"{node}+notify")


def options_form(client, **fields):
    """A publish-options form (XEP-0060 §7.1.5)."""
    form = client.plugin["xep_0004"].make_form(ftype="submit")
    form.add_field(var="FORM_TYPE", ftype="hidden",
                   value="http://jabber.org/protocol/pubsub#publish-options")
    for var, value in fields.items():
        form.add_field(var=f"pubsub#{var}", value=value)
    return form


def is_event(node, kind="items"):
    def matches(message):
        event = message.xml.find(f"{{{EVENT}}}event")
        child = event.find(f"{{{EVENT}}}{kind}") if event is not None else None
        return child is not None and child.get("node") == node
    return matches


def event_items(message):
    return message.xml.find(f"{{{EVENT}}}event/{{{EVENT}}}items")


async def error_of(awaitable):
    """The (condition, pubsub#errors condition or None) an IQ failed with."""
    try:
        await awaitable
    except slixmpp.exceptions.IqError as e:
        error = e.iq.xml.find("{jabber:client}error")
        app = [c.tag.split("}")[1] for c in error if c.tag.startswith(f"{{{ERRORS}}}")]
        return e.iq["error"]["condition"], (app[0] if app else None)
    raise AssertionError("the request succeeded")


def device_list(*ids):
    devices = ET.Element(f"{{{OMEMO}}}devices")
    for device_id in ids:
        ET.SubElement(devices, f"{{{OMEMO}}}device", id=str(device_id))
    return devices


class PepTest(ClientTestCase):
    settings = ('log.components={ pep = "debug" }',)  # to see caps verified

    async def friends(self, a, b):
        """a and b see each other's presence (both rosters 'both')."""
        for x, y in ((a, b), (b, a)):
            x.send_presence(pto=y.boundjid.bare, ptype="subscribe")
            await next_matching(y.all_presence, presence_of("subscribe", x.boundjid.bare),
                                "subscribe")
            y.send_presence(pto=x.boundjid.bare, ptype="subscribed")
            await next_matching(x.all_presence, presence_of("subscribed", y.boundjid.bare),
                                "subscribed")

    async def test_omemo_device_list_and_bundle_as_conversations_sends_them(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        phone = await self.login(f"{juliet}/phone", PASSWORD, PepClient, interests=[DEVICES])
        # ternd asked the phone what its caps mean, and the answer hashed to the 'ver' claimed
        # (XEP-0115 §5.4: slixmpp computes it as ternd does), so the others with the same
        # software are not asked again.
        await self.server_output(f"capabilities learnt.*{juliet}/phone.*verified=true")
        r = await self.login(f"{romeo}/garden", PASSWORD, PepClient, interests=[DEVICES])
        await self.friends(phone, r)
        laptop = await self.login(f"{juliet}/laptop", PASSWORD, PepClient, interests=[DEVICES])
        await asyncio.sleep(0.2)  # its initial presence processed

        pubsub = phone.plugin["xep_0060"]
        await pubsub.publish(juliet, DEVICES, id="current", payload=device_list(1234),
                             options=options_form(phone, access_model="open"), timeout=TIMEOUT)
        for device in (laptop, r):
            note = await next_matching(device.all_messages, is_event(DEVICES), "device list")
            self.assertEqual(note["from"].full, juliet)
            item = event_items(note).find(f"{{{EVENT}}}item")
            self.assertEqual(item.get("id"), "current")
            self.assertEqual(item.find(f"{{{OMEMO}}}devices/{{{OMEMO}}}device").get("id"), "1234")

        bundle = ET.Element(f"{{{OMEMO}}}bundle")
        ET.SubElement(bundle, f"{{{OMEMO}}}spk", id="1").text = "c3Br"
        for device_id in ("1234", "5678"):
            await pubsub.publish(juliet, BUNDLES, id=device_id, payload=bundle,
                                 options=options_form(phone, max_items="max",
                                                      access_model="open"), timeout=TIMEOUT)
        got = await r.plugin["xep_0060"].get_items(juliet, DEVICES, timeout=TIMEOUT)
        items = got.xml.findall(f".//{{{PUBSUB}}}item")
        self.assertEqual([i.get("id") for i in items], ["current"])
        got = await r.plugin["xep_0060"].get_items(juliet, BUNDLES, timeout=TIMEOUT)
        items = got.xml.findall(f".//{{{PUBSUB}}}item")
        self.assertEqual(sorted(i.get("id") for i in items), ["1234", "5678"])  # max: both kept
        got = await r.plugin["xep_0060"].get_item(juliet, BUNDLES, "5678", timeout=TIMEOUT)
        self.assertIsNotNone(got.xml.find(f".//{{{OMEMO}}}bundle/{{{OMEMO}}}spk"))

        # Options the node does not have: refused, nothing stored.
        refused = await error_of(pubsub.publish(
            juliet, DEVICES, id="current", payload=device_list(9),
            options=options_form(phone, access_model="whitelist"), timeout=TIMEOUT))
        self.assertEqual(refused, ("conflict", "precondition-not-met"))
        got = await r.plugin["xep_0060"].get_items(juliet, DEVICES, timeout=TIMEOUT)
        self.assertEqual(got.xml.find(f".//{{{OMEMO}}}device").get("id"), "1234")

    async def test_avatar_data_and_metadata(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        j = await self.login(f"{juliet}/phone", PASSWORD, PepClient)
        r = await self.login(f"{romeo}/garden", PASSWORD, PepClient,
                             interests=[AVATAR_METADATA])
        await self.friends(j, r)
        image = bytes(range(256)) * 8
        avatar = j.plugin["xep_0084"]
        await avatar.publish_avatar(image, timeout=TIMEOUT)
        avatar_id = avatar.generate_id(image)
        await avatar.publish_avatar_metadata(
            {"id": avatar_id, "type": "image/png", "bytes": len(image)}, timeout=TIMEOUT)
        note = await next_matching(r.all_messages, is_event(AVATAR_METADATA), "metadata")
        info = event_items(note).find(f".//{{{AVATAR_METADATA}}}info")
        self.assertEqual(info.get("id"), avatar_id)
        got = await r.plugin["xep_0084"].retrieve_avatar(juliet, avatar_id, timeout=TIMEOUT)
        data = got.xml.find(f".//{{{AVATAR_DATA}}}data")
        import base64
        self.assertEqual(base64.b64decode(data.text), image)

    async def test_last_item_on_login_and_presence_access(self):
        juliet, romeo, mallory = self.accounts("juliet", "romeo", "mallory")
        j = await self.login(f"{juliet}/phone", PASSWORD, PepClient)
        r = await self.login(f"{romeo}/garden", PASSWORD, PepClient)
        await self.friends(j, r)
        await j.plugin["xep_0172"].publish_nick("Jules", timeout=TIMEOUT)
        await self.logout(r)
        r = await self.login(f"{romeo}/balcony", PASSWORD, PepClient, interests=[NICK])
        note = await next_matching(r.all_messages, is_event(NICK), "the last nick on login")
        self.assertEqual(event_items(note).findtext(f".//{{{NICK}}}nick"), "Jules")
        # No presence subscription: the default access model refuses (XEP-0060 §6.5.9.6).
        m = await self.login(f"{mallory}/x", PASSWORD, PepClient, interests=[NICK])
        refused = await error_of(m.plugin["xep_0060"].get_items(juliet, NICK, timeout=TIMEOUT))
        self.assertEqual(refused, ("not-authorized", "presence-subscription-required"))
        await nothing_matching(m.all_messages, is_event(NICK), 0.5)

    async def test_retract_and_delete_are_notified(self):
        juliet, = self.accounts("juliet")
        phone = await self.login(f"{juliet}/phone", PASSWORD, PepClient)
        laptop = await self.login(f"{juliet}/laptop", PASSWORD, PepClient,
                                  interests=[BOOKMARKS2])
        await asyncio.sleep(0.5)
        pubsub = phone.plugin["xep_0060"]
        conference = ET.Element("{urn:xmpp:bookmarks:1}conference", name="Council")
        await pubsub.publish(juliet, BOOKMARKS2, id="council@chat.localhost",
                             payload=conference, options=options_form(
                                 phone, persist_items="true", max_items="max",
                                 send_last_published_item="never", access_model="whitelist"),
                             timeout=TIMEOUT)
        await next_matching(laptop.all_messages, is_event(BOOKMARKS2), "publish")
        await pubsub.retract(juliet, BOOKMARKS2, "council@chat.localhost",
                             notify=True, timeout=TIMEOUT)
        note = await next_matching(laptop.all_messages, is_event(BOOKMARKS2),
                                   "retract")
        self.assertEqual(event_items(note).find(f"{{{EVENT}}}retract").get("id"),
                         "council@chat.localhost")
        await pubsub.delete_node(juliet, BOOKMARKS2, timeout=TIMEOUT)
        await next_matching(laptop.all_messages, is_event(BOOKMARKS2, "delete"),
                            "delete")
        refused = await error_of(pubsub.get_items(juliet, BOOKMARKS2,
                                                  timeout=TIMEOUT))
        self.assertEqual(refused[0], "item-not-found")

    async def test_bookmarks_old_and_new_clients_share_one_list(self):
        # XEP-0402 §5.3: a legacy client (XEP-0048 in private storage, slixmpp's xep_0048) and a
        # bookmarks 2 client (PEP) see one list, and the new one hears the old one's changes.
        juliet, = self.accounts("juliet")
        new = await self.login(f"{juliet}/new", PASSWORD, PepClient, interests=[BOOKMARKS2])
        old = await self.login(f"{juliet}/old", PASSWORD, Client, plugins=("xep_0048",))
        await asyncio.sleep(0.3)  # the new client's caps known
        conference = ET.Element(f"{{{BOOKMARKS2}}}conference", name="Council", autojoin="true")
        await new.plugin["xep_0060"].publish(
            juliet, BOOKMARKS2, id="council@chat.localhost", payload=conference,
            options=options_form(new, persist_items="true", max_items="max",
                                 send_last_published_item="never", access_model="whitelist"),
            timeout=TIMEOUT)
        await next_matching(new.all_messages, is_event(BOOKMARKS2), "its own publish")
        got = await old.plugin["xep_0048"].get_bookmarks(timeout=TIMEOUT)
        rooms = [str(c["jid"]) for c in got["private"]["bookmarks"]["conferences"]]
        self.assertEqual(rooms, ["council@chat.localhost"])
        legacy = got["private"]["bookmarks"]
        legacy.add_conference("garden@chat.localhost", "R", name="Garden", autojoin=False)
        await old.plugin["xep_0048"].set_bookmarks(legacy, timeout=TIMEOUT)
        note = await next_matching(new.all_messages, is_event(BOOKMARKS2), "the legacy change")
        self.assertEqual(event_items(note).find(f"{{{EVENT}}}item").get("id"),
                         "garden@chat.localhost")
        items = await new.plugin["xep_0060"].get_items(juliet, BOOKMARKS2, timeout=TIMEOUT)
        self.assertEqual(sorted(i.get("id") for i in items.xml.findall(f".//{{{PUBSUB}}}item")),
                         ["council@chat.localhost", "garden@chat.localhost"])
        info = await new.plugin["xep_0030"].get_info(jid=juliet, timeout=TIMEOUT)
        self.assertIn(f"{BOOKMARKS2}#compat", info["disco_info"]["features"])

    async def test_configure_form_round_trip(self):
        juliet, = self.accounts("juliet")
        j = await self.login(f"{juliet}/phone", PASSWORD, PepClient)
        pubsub = j.plugin["xep_0060"]
        await pubsub.publish(juliet, "urn:example:notes", payload=ET.Element("{urn:x}n"),
                             timeout=TIMEOUT)
        got = await pubsub.get_node_config(juliet, "urn:example:notes", timeout=TIMEOUT)
        form = got["pubsub_owner"]["configure"]["form"]
        self.assertEqual(form.get_values()["pubsub#access_model"], "presence")
        self.assertEqual(form.get_values()["pubsub#max_items"], "1")
        config = j.plugin["xep_0004"].make_form(ftype="submit")
        config.add_field(var="FORM_TYPE", ftype="hidden",
                         value="http://jabber.org/protocol/pubsub#node_config")
        config.add_field(var="pubsub#max_items", value="5")
        config.add_field(var="pubsub#access_model", value="open")
        await pubsub.set_node_config(juliet, "urn:example:notes", config, timeout=TIMEOUT)
        got = await pubsub.get_node_config(juliet, "urn:example:notes", timeout=TIMEOUT)
        values = got["pubsub_owner"]["configure"]["form"].get_values()
        self.assertEqual((values["pubsub#access_model"], values["pubsub#max_items"]),
                         ("open", "5"))
        bad = j.plugin["xep_0004"].make_form(ftype="submit")
        bad.add_field(var="FORM_TYPE", ftype="hidden",
                      value="http://jabber.org/protocol/pubsub#node_config")
        bad.add_field(var="pubsub#access_model", value="authorize")
        refused = await error_of(pubsub.set_node_config(juliet, "urn:example:notes", bad,
                                                        timeout=TIMEOUT))
        self.assertEqual(refused[0], "not-acceptable")

    async def test_the_account_disco_shows_pep(self):
        juliet, = self.accounts("juliet")
        j = await self.login(f"{juliet}/phone", PASSWORD, PepClient)
        info = await j.plugin["xep_0030"].get_info(jid=juliet, timeout=TIMEOUT)
        self.assertIn(("pubsub", "pep", None, None), info["disco_info"]["identities"])
        for feature in ("publish", "publish-options", "auto-create", "last-published",
                        "filtered-notifications", "access-presence"):
            self.assertIn(f"{PUBSUB}#{feature}", info["disco_info"]["features"])
        # poezio looks on the domain before it keeps bookmarks on the server.
        server = await j.plugin["xep_0030"].get_info(jid="localhost", timeout=TIMEOUT)
        for feature in (f"{PUBSUB}#publish", "jabber:iq:private"):
            self.assertIn(feature, server["disco_info"]["features"])


class PepLimitsTest(ClientTestCase):
    settings = ("modules.pep.max_item_bytes=1024", "modules.pep.max_nodes=2")

    async def test_bad_input_is_refused_and_nothing_stored(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        j = await self.login(f"{juliet}/phone", PASSWORD, PepClient)
        r = await self.login(f"{romeo}/garden", PASSWORD, PepClient)
        pubsub = j.plugin["xep_0060"]
        big = ET.Element("{urn:x}big")
        big.text = "x" * 2000
        refused = await error_of(pubsub.publish(juliet, "urn:x", payload=big, timeout=TIMEOUT))
        self.assertEqual(refused, ("not-acceptable", "payload-too-big"))
        self.assertEqual((await error_of(pubsub.get_items(juliet, "urn:x", timeout=TIMEOUT)))[0],
                         "item-not-found")
        # Someone else's PEP service.
        refused = await error_of(r.plugin["xep_0060"].publish(
            juliet, "urn:x", payload=ET.Element("{urn:x}n"), timeout=TIMEOUT))
        self.assertEqual(refused[0], "forbidden")
        # A publish-options form of the wrong type, and an unknown option.
        wrong = j.plugin["xep_0004"].make_form(ftype="submit")
        wrong.add_field(var="FORM_TYPE", ftype="hidden", value="urn:example:other")
        self.assertEqual((await error_of(pubsub.publish(
            juliet, "urn:y", payload=ET.Element("{urn:x}n"), options=wrong,
            timeout=TIMEOUT)))[0], "bad-request")
        self.assertEqual(await error_of(pubsub.publish(
            juliet, "urn:y", payload=ET.Element("{urn:x}n"),
            options=options_form(j, no_such_option="1"), timeout=TIMEOUT)),
            ("conflict", "precondition-not-met"))
        # Nodes per account.
        for node in ("urn:a", "urn:b"):
            await pubsub.publish(juliet, node, payload=ET.Element("{urn:x}n"), timeout=TIMEOUT)
        refused = await error_of(pubsub.publish(juliet, "urn:c", payload=ET.Element("{urn:x}n"),
                                                timeout=TIMEOUT))
        self.assertEqual(refused[0], "resource-constraint")
        await self.server_output("PEP item refused")


if __name__ == "__main__":
    unittest.main()
