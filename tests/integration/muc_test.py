#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0045 group chat at conference.localhost with real slixmpp clients (plugin xep_0045) against
# the real ternd (two workers, so rooms and their occupants live on different workers):
#   - the service is found in the host's disco#items; a room is created locked (201), configured
#     by its owner, entered by others in the XEP's order (occupants, self-presence with 110,
#     history with delays, subject), with stanza and occupant ids on every message;
#   - nick conflict and change (303), private messages, presence updates, leaving;
#   - configuration: password, members-only, max occupants, moderated (visitors get forbidden);
#   - moderation: kick (307), ban (301), voice, the affiliation lists, destroy with a venue;
#   - invitations (a members-only room makes the invitee a member), declines, self-ping; at
#     most invitations_per_minute from one user through one room;
#   - one user in two clients under one nick; a persistent room kept across a restart; a
#     deleted account leaves every affiliation list;
#   - occupants hear the service stop (332) before their streams end;
#   - the room's archive (XEP-0313): a member who never entered pages through it (RSM), under
#     the stanza ids occupants saw; others are refused;
#   - room messages go out serialised once (the fan-out path) and still respect an occupant's
#     blocklist, stream management's counts and a session waiting to be resumed.
import asyncio
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from raw_client import SM, RawClient  # noqa: E402
from slix import (PASSWORD, TIMEOUT, Client, ClientTestCase, next_matching,  # noqa: E402
                  nothing_matching)

import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError, PresenceError  # noqa: E402
from slixmpp.xmlstream import ET  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

SERVICE = "conference.localhost"
MUC_USER = "http://jabber.org/protocol/muc#user"
SID = "urn:xmpp:sid:0"
OCCUPANT_ID = "urn:xmpp:occupant-id:0"
DELAY = "urn:xmpp:delay"
_rooms = iter(range(10**6))


class MucClient(Client):
    def __init__(self, jid, password, port, **kw):
        super().__init__(jid, password, port,
                         plugins=("xep_0004", "xep_0045", "xep_0082", "xep_0077"), **kw)


REGISTER = "jabber:iq:register"
MUC_REGISTER = "http://jabber.org/protocol/muc#register"
DATA = "jabber:x:data"


def register_iq(client, room, nick):
    """XEP-0045 §7.10: the muc#register form with `nick`, submitted to `room`."""
    iq = client.make_iq_set(ito=room)
    x = ET.SubElement(ET.SubElement(iq.xml, f"{{{REGISTER}}}query"), f"{{{DATA}}}x",
                      type="submit")
    for var, value in (("FORM_TYPE", MUC_REGISTER), ("muc#register_roomnick", nick)):
        ET.SubElement(ET.SubElement(x, f"{{{DATA}}}field", var=var), f"{{{DATA}}}value").text = value
    return iq


async def register_nick(client, room, nick):
    return await register_iq(client, room, nick).send(timeout=TIMEOUT)


def statuses(presence):
    x = presence.xml.find(f"{{{MUC_USER}}}x")
    return sorted(int(s.get("code")) for s in x.findall(f"{{{MUC_USER}}}status")) if x else []


def item_of(presence):
    return presence.xml.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}item")


def from_(jid):
    return lambda stanza: stanza["from"].full == jid


def left_(jid):
    return lambda stanza: stanza["from"].full == jid and stanza["type"] == "unavailable"


def groupchat_body(body):
    return lambda m: m["type"] == "groupchat" and m["body"] == body


MAM = "urn:xmpp:mam:2"
RSM = "http://jabber.org/protocol/rsm"
FORWARD = "urn:xmpp:forward:0"


async def mam_query(client, archive, max_=None, after=None, before=None, with_=None):
    """A XEP-0313 query; returns the results ((id, body, from)), complete and the RSM bounds."""
    queryid = f"q{next(_rooms)}"
    iq = client.make_iq_set(ito=archive)
    query = ET.SubElement(iq.xml, f"{{{MAM}}}query", queryid=queryid)
    if with_ is not None:
        x = ET.SubElement(query, "{jabber:x:data}x", type="submit")
        ET.SubElement(ET.SubElement(x, "{jabber:x:data}field", var="FORM_TYPE", type="hidden"),
                      "{jabber:x:data}value").text = MAM
        ET.SubElement(ET.SubElement(x, "{jabber:x:data}field", var="with"),
                      "{jabber:x:data}value").text = with_
    if max_ is not None or after is not None or before is not None:
        rsm = ET.SubElement(query, f"{{{RSM}}}set")
        if max_ is not None:
            ET.SubElement(rsm, f"{{{RSM}}}max").text = str(max_)
        if after is not None:
            ET.SubElement(rsm, f"{{{RSM}}}after").text = after
        if before is not None:
            ET.SubElement(rsm, f"{{{RSM}}}before").text = before
    results = []

    def collect(message):
        result = message.xml.find(f"{{{MAM}}}result")
        if result is not None and result.get("queryid") == queryid:
            inner = result.find(f"{{{FORWARD}}}forwarded/{{jabber:client}}message")
            results.append((result.get("id"), inner.findtext("{jabber:client}body"),
                            inner.get("from")))
    handler = f"mam {queryid}"
    client.register_handler(Callback(handler, MatchXPath(f"{{jabber:client}}message/{{{MAM}}}result"),
                                     collect))
    try:
        answer = await iq.send(timeout=TIMEOUT)
    finally:
        client.remove_handler(handler)
    fin = answer.xml.find(f"{{{MAM}}}fin")
    return {"results": results, "complete": fin.get("complete") == "true",
            "first": fin.findtext(f"{{{RSM}}}set/{{{RSM}}}first"),
            "last": fin.findtext(f"{{{RSM}}}set/{{{RSM}}}last")}


async def mam_error(client, archive, **kw):
    try:
        await mam_query(client, archive, **kw)
    except IqError as e:
        return e.iq["error"]["condition"]
    raise AssertionError("the query succeeded")


def presence_error(e):
    return e.presence["error"]["condition"]


class MucHelpers:
    async def client(self, jid, resource="pc"):
        return await self.login(f"{jid}/{resource}", PASSWORD, MucClient)

    def muc(self, client):
        return client.plugin["xep_0045"]

    def new_room(self):
        return f"room{next(_rooms)}@{SERVICE}"

    async def create(self, owner, nick, **config):
        """A room `owner` creates and configures (instant when `config` is empty)."""
        room = self.new_room()
        presence, _, _, _ = await self.muc(owner).join_muc_wait(room, nick, timeout=TIMEOUT)
        self.assertEqual(statuses(presence), [110, 170, 201])  # 170: the room keeps an archive
        self.assertEqual(item_of(presence).get("affiliation"), "owner")
        form = await self.muc(owner).get_room_config(room, timeout=TIMEOUT)
        for var, value in config.items():
            form.field[f"muc#roomconfig_{var}"]["value"] = value
        await self.muc(owner).set_room_config(room, form, timeout=TIMEOUT)
        return room

    async def join(self, client, room, nick, **kw):
        presence, subject, occupants, history = await self.muc(client).join_muc_wait(
            room, nick, timeout=TIMEOUT, **kw)
        return presence, subject, occupants, history

    async def refused(self, client, room, nick, **kw):
        with self.assertRaises(PresenceError) as caught:
            await self.join(client, room, nick, **kw)
        return presence_error(caught.exception)



class MucTest(MucHelpers, ClientTestCase):
    async def test_service_is_discovered_and_described(self):
        (juliet,) = self.accounts("juliet")
        j = await self.client(juliet)
        items = await j.plugin["xep_0030"].get_items(jid="localhost", timeout=TIMEOUT)
        self.assertIn(SERVICE, [i[0] for i in items["disco_items"]["items"]])
        info = await j.plugin["xep_0030"].get_info(jid=SERVICE, timeout=TIMEOUT)
        self.assertIn(("conference", "text", None, "Chatrooms"),
                      info["disco_info"]["identities"])
        self.assertIn("http://jabber.org/protocol/muc", info["disco_info"]["features"])

    async def test_create_configure_enter_and_talk(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        j, r = await self.client(juliet), await self.client(romeo)
        room = self.new_room()
        await self.join(j, room, "Juliet")
        # Locked until its owner configures it (§10.1.1): nobody else gets in.
        self.assertEqual(await self.refused(r, room, "Romeo"), "item-not-found")
        await self.muc(j).set_room_config(room, (await self.muc(j).get_room_config(
            room, timeout=TIMEOUT)), timeout=TIMEOUT)
        self.muc(j).set_subject(room, "Balcony talk")
        await next_matching(j.all_messages, lambda m: m["subject"] == "Balcony talk", "subject")
        for i in range(3):
            j.send_message(mto=room, mbody=f"line {i}", mtype="groupchat")
            await next_matching(j.all_messages, groupchat_body(f"line {i}"), "own message back")

        presence, subject, occupants, history = await self.join(r, room, "Romeo", maxstanzas=2)
        self.assertEqual(statuses(presence), [110, 170])
        self.assertEqual(item_of(presence).get("role"), "participant")
        self.assertEqual([p["from"].resource for p in occupants if p["from"].resource != "Romeo"],
                         ["Juliet"])
        self.assertEqual([m["body"] for m in history], ["line 1", "line 2"])
        for m in history:
            self.assertEqual(m.xml.find(f"{{{DELAY}}}delay").get("from"), room)
        self.assertEqual(subject["subject"], "Balcony talk")
        self.assertEqual(subject["from"].full, f"{room}/Juliet")
        # Juliet sees Romeo enter, without his real JID (semi-anonymous: she is a moderator, so
        # she does see it).
        seen = await next_matching(j.all_presence, from_(f"{room}/Romeo"), "Romeo enters")
        self.assertEqual(item_of(seen).get("jid"), f"{romeo}/pc")

        r.send_message(mto=room, mbody="Hello", mtype="groupchat")
        for client in (j, r):
            m = await next_matching(client.all_messages, groupchat_body("Hello"), "Hello")
            self.assertEqual(m["from"].full, f"{room}/Romeo")
            sid = m.xml.find(f"{{{SID}}}stanza-id")
            self.assertEqual(sid.get("by"), room)
            self.assertTrue(sid.get("id"))
            self.assertTrue(m.xml.find(f"{{{OCCUPANT_ID}}}occupant-id").get("id"))
        # A participant may not change the subject by default (§8.1).
        self.muc(r).set_subject(room, "mine now")
        err = await next_matching(r.all_messages, lambda m: m["type"] == "error", "refusal")
        self.assertEqual(err["error"]["condition"], "forbidden")

    async def test_nicknames_private_messages_and_leaving(self):
        juliet, romeo, nurse = self.accounts("juliet", "romeo", "nurse")
        j, r, n = await self.client(juliet), await self.client(romeo), await self.client(nurse)
        room = await self.create(j, "Juliet")
        await self.join(r, room, "Romeo")
        self.assertEqual(await self.refused(n, room, "Romeo"), "conflict")
        await self.join(n, room, "Nurse")

        # §7.6: unavailable from the old nick with 303 and the new one, then the new presence.
        r.send_presence(pto=f"{room}/Montague")
        gone = await next_matching(j.all_presence, left_(f"{room}/Romeo"), "old nick leaves")
        self.assertEqual(gone["type"], "unavailable")
        self.assertEqual(statuses(gone), [303])
        self.assertEqual(item_of(gone).get("nick"), "Montague")
        await next_matching(j.all_presence, from_(f"{room}/Montague"), "new nick")
        own = await next_matching(r.all_presence, from_(f"{room}/Montague"), "own new nick")
        self.assertIn(110, statuses(own))

        # §7.5: private messages carry the room's <x/>, from the sender's room JID.
        n.send_message(mto=f"{room}/Montague", mbody="psst", mtype="chat")
        pm = await next_matching(r.all_messages, lambda m: m["body"] == "psst", "private message")
        self.assertEqual(pm["from"].full, f"{room}/Nurse")
        self.assertIsNotNone(pm.xml.find(f"{{{MUC_USER}}}x"))
        n.send_message(mto=f"{room}/Nobody", mbody="hello?", mtype="chat")
        err = await next_matching(n.all_messages, lambda m: m["type"] == "error", "no such nick")
        self.assertEqual(err["error"]["condition"], "item-not-found")

        # A non-occupant cannot talk in the room (§7.4).
        (stranger,) = self.accounts("stranger")
        s = await self.client(stranger)
        s.send_message(mto=room, mbody="let me in", mtype="groupchat")
        err = await next_matching(s.all_messages, lambda m: m["type"] == "error", "refusal")
        self.assertEqual(err["error"]["condition"], "not-acceptable")

        self.muc(n).leave_muc(room, "Nurse", "bye")
        left = await next_matching(j.all_presence, left_(f"{room}/Nurse"), "Nurse leaves")
        self.assertEqual(left["type"], "unavailable")
        self.assertEqual(left["status"], "bye")
        own = await next_matching(n.all_presence, left_(f"{room}/Nurse"), "own leave")
        self.assertEqual((own["type"], statuses(own)), ("unavailable", [110]))

    async def test_password_members_only_and_full_rooms(self):
        owner, guest, other = self.accounts("owner", "guest", "other")
        o, g, x = await self.client(owner), await self.client(guest), await self.client(other)
        room = await self.create(o, "Boss", passwordprotectedroom=True, roomsecret="s3cret",
                                 maxusers="2")
        self.assertEqual(await self.refused(g, room, "Guest"), "not-authorized")
        self.assertEqual(await self.refused(g, room, "Guest", password="wrong"),
                         "not-authorized")
        await self.join(g, room, "Guest", password="s3cret")
        self.assertEqual(await self.refused(x, room, "Other", password="s3cret"),
                         "service-unavailable")  # full at 2

        closed = await self.create(o, "Boss", membersonly=True)
        self.assertEqual(await self.refused(g, closed, "Guest"), "registration-required")
        await self.muc(o).set_affiliation(closed, "member", jid=slixmpp.JID(guest),
                                          timeout=TIMEOUT)
        presence, _, _, _ = await self.join(g, closed, "Guest")
        self.assertEqual(item_of(presence).get("affiliation"), "member")
        members = await self.muc(o).get_affiliation_list(closed, "member", timeout=TIMEOUT)
        self.assertEqual(members, [slixmpp.JID(guest)])
        # Not for members to read (§9.5).
        with self.assertRaises(IqError) as caught:
            await self.muc(g).get_affiliation_list(closed, "member", timeout=TIMEOUT)
        self.assertEqual(caught.exception.iq["error"]["condition"], "forbidden")
        # Taking the membership away removes the member (321).
        await self.muc(o).set_affiliation(closed, "none", jid=slixmpp.JID(guest), timeout=TIMEOUT)
        gone = await next_matching(g.all_presence, left_(f"{closed}/Guest"), "removed")
        self.assertEqual((gone["type"], statuses(gone)), ("unavailable", [110, 321]))

    async def test_moderation_kick_ban_voice_and_destroy(self):
        owner, a, b = self.accounts("owner", "a", "b")
        o, ca, cb = await self.client(owner), await self.client(a), await self.client(b)
        room = await self.create(o, "Boss", moderatedroom=True)
        presence, _, _, _ = await self.join(ca, room, "A")
        self.assertEqual(item_of(presence).get("role"), "visitor")
        ca.send_message(mto=room, mbody="may I?", mtype="groupchat")
        err = await next_matching(ca.all_messages, lambda m: m["type"] == "error", "no voice")
        self.assertEqual(err["error"]["condition"], "forbidden")
        await self.muc(o).set_role(room, "A", "participant", timeout=TIMEOUT)
        await next_matching(ca.all_presence,
                            lambda p: p["from"].full == f"{room}/A" and
                            item_of(p).get("role") == "participant", "voice granted")
        ca.send_message(mto=room, mbody="thank you", mtype="groupchat")
        await next_matching(o.all_messages, groupchat_body("thank you"), "voiced message")
        # A participant cannot kick (§8: moderators only).
        with self.assertRaises(IqError) as caught:
            await self.muc(ca).set_role(room, "Boss", "none", timeout=TIMEOUT)
        self.assertEqual(caught.exception.iq["error"]["condition"], "forbidden")

        await self.join(cb, room, "B")
        await self.muc(o).set_role(room, "B", "none", reason="out", timeout=TIMEOUT)
        kicked = await next_matching(cb.all_presence, left_(f"{room}/B"), "kicked")
        self.assertEqual((kicked["type"], statuses(kicked)), ("unavailable", [110, 307]))
        self.assertEqual(item_of(kicked).find(f"{{{MUC_USER}}}reason").text, "out")
        seen = await next_matching(ca.all_presence, lambda p: p["from"].full == f"{room}/B" and
                                   p["type"] == "unavailable", "B kicked, seen by A")
        self.assertEqual(statuses(seen), [307])

        await self.muc(o).set_affiliation(room, "outcast", jid=slixmpp.JID(a), reason="spam",
                                          timeout=TIMEOUT)
        banned = await next_matching(ca.all_presence, left_(f"{room}/A"), "banned")
        self.assertEqual((banned["type"], statuses(banned)), ("unavailable", [110, 301]))
        self.assertEqual(await self.refused(ca, room, "A"), "forbidden")
        # The owner cannot ban himself, nor leave the room without an owner (§9.1, §10.7).
        with self.assertRaises(IqError) as caught:
            await self.muc(o).set_affiliation(room, "none", jid=slixmpp.JID(owner),
                                              timeout=TIMEOUT)
        self.assertEqual(caught.exception.iq["error"]["condition"], "conflict")

        await self.join(cb, room, "B")
        with self.assertRaises(IqError) as caught:  # §10.9: only owners destroy
            await self.muc(cb).destroy(room, timeout=TIMEOUT)
        self.assertEqual(caught.exception.iq["error"]["condition"], "forbidden")
        await self.muc(o).destroy(room, reason="moving", altroom=slixmpp.JID(f"new@{SERVICE}"),
                                  timeout=TIMEOUT)
        gone = await next_matching(cb.all_presence, left_(f"{room}/B"), "destroyed")
        destroy = gone.xml.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}destroy")
        self.assertEqual(destroy.get("jid"), f"new@{SERVICE}")
        self.assertEqual(destroy.find(f"{{{MUC_USER}}}reason").text, "moving")
        # Gone: a disco#info on it finds nothing.
        with self.assertRaises(IqError) as caught:
            await cb.plugin["xep_0030"].get_info(jid=room, timeout=TIMEOUT)
        self.assertEqual(caught.exception.iq["error"]["condition"], "item-not-found")

    async def test_invitations_and_self_ping(self):
        owner, friend = self.accounts("owner", "friend")
        o, f = await self.client(owner), await self.client(friend)
        room = await self.create(o, "Boss", membersonly=True)
        self.muc(o).invite(room, slixmpp.JID(friend), reason="join us")
        invitation = await next_matching(
            f.all_messages, lambda m: m.xml.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}invite")
            is not None, "invitation")
        invite = invitation.xml.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}invite")
        self.assertEqual(invitation["from"].full, room)
        self.assertEqual(slixmpp.JID(invite.get("from")).bare, owner)
        self.assertEqual(invite.find(f"{{{MUC_USER}}}reason").text, "join us")
        # The invitee became a member: the members-only room lets it in.
        presence, _, _, _ = await self.join(f, room, "Friend")
        self.assertEqual(item_of(presence).get("affiliation"), "member")
        self.muc(f).decline(room, slixmpp.JID(owner), reason="busy")
        declined = await next_matching(
            o.all_messages, lambda m: m.xml.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}decline")
            is not None, "decline")
        self.assertEqual(declined.xml.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}decline").get("from"),
                         friend)

        # XEP-0410: the room answers a self-ping; someone not in the room gets not-acceptable.
        await f.plugin["xep_0199"].send_ping(f"{room}/Friend", timeout=TIMEOUT)
        self.muc(f).leave_muc(room, "Friend")
        await next_matching(f.all_presence, left_(f"{room}/Friend"), "left")
        with self.assertRaises(IqError) as caught:
            await f.plugin["xep_0199"].send_ping(f"{room}/Friend", timeout=TIMEOUT)
        self.assertEqual(caught.exception.iq["error"]["condition"], "not-acceptable")

    async def test_one_user_two_clients_one_nick(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        phone, laptop = await self.client(juliet, "phone"), await self.client(juliet, "laptop")
        r = await self.client(romeo)
        room = await self.create(r, "Romeo")
        await self.join(phone, room, "Juliet")
        await self.join(laptop, room, "Juliet")
        r.send_message(mto=room, mbody="both?", mtype="groupchat")
        for device in (phone, laptop):
            await next_matching(device.all_messages, groupchat_body("both?"), "to each client")
        # The phone leaves; the laptop stays, and Romeo still sees Juliet.
        self.muc(phone).leave_muc(room, "Juliet")
        await next_matching(phone.all_presence, lambda p: p["type"] == "unavailable" and
                            p["from"].full == f"{room}/Juliet", "phone left")
        await nothing_matching(r.all_presence, lambda p: p["type"] == "unavailable" and
                               p["from"].full == f"{room}/Juliet", 0.5)
        r.send_message(mto=room, mbody="still there?", mtype="groupchat")
        await next_matching(laptop.all_messages, groupchat_body("still there?"), "laptop")

    async def test_room_archive_pages_and_is_for_members(self):
        owner, member, stranger = self.accounts("owner", "member", "stranger")
        o, m, s = await self.client(owner), await self.client(member), await self.client(stranger)
        room = await self.create(o, "Boss", membersonly=True)
        info = await o.plugin["xep_0030"].get_info(jid=room, timeout=TIMEOUT)
        self.assertIn(MAM, info["disco_info"]["features"])
        sent_ids = []
        for i in range(5):
            o.send_message(mto=room, mbody=f"minute {i}", mtype="groupchat")
            echo = await next_matching(o.all_messages, groupchat_body(f"minute {i}"), "echo")
            sent_ids.append(echo.xml.find(f"{{{SID}}}stanza-id").get("id"))
        await self.muc(o).set_affiliation(room, "member", jid=slixmpp.JID(member),
                                          timeout=TIMEOUT)
        # The room broadcasts at once and archives in the next group commit: a few
        # milliseconds later (longer under a sanitizer), the archive has all five.
        for _ in range(100):
            if len((await mam_query(m, room, max_=10))["results"]) == 5:
                break
            await asyncio.sleep(0.1)
        # A member who never entered catches up from the archive (XEP-0313 on the room), two
        # pages of three (RSM), under the ids the occupants saw.
        first = await mam_query(m, room, max_=3)
        self.assertEqual([r[1] for r in first["results"]], ["minute 0", "minute 1", "minute 2"])
        self.assertEqual([r[0] for r in first["results"]], sent_ids[:3])
        self.assertFalse(first["complete"])
        self.assertEqual(first["results"][0][2], f"{room}/Boss")
        second = await mam_query(m, room, max_=3, after=first["last"])
        self.assertEqual([r[1] for r in second["results"]], ["minute 3", "minute 4"])
        self.assertTrue(second["complete"])
        last = await mam_query(m, room, max_=2, before="")  # the last page
        self.assertEqual([r[1] for r in last["results"]], ["minute 3", "minute 4"])
        # Not a member: forbidden; an unknown id: item-not-found.
        self.assertEqual(await mam_error(s, room), "forbidden")
        self.assertEqual(await mam_error(m, room, after="no-such-id"), "item-not-found")

    async def test_gone_client_leaves_the_room(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        j, r = await self.client(juliet), await self.client(romeo)
        room = await self.create(j, "Juliet")
        await self.join(r, room, "Romeo")
        # Romeo's session ends: its directed presence ends with it (RFC 6121 §4.6.3), so the room
        # sees him leave.
        await self.logout(r)
        left = await next_matching(j.all_presence, left_(f"{room}/Romeo"), "Romeo gone")
        self.assertEqual(left["type"], "unavailable")


class ShutdownTest(ClientTestCase):
    async def test_occupants_hear_the_service_go_with_332(self):
        owner, guest = self.accounts("owner", "guest")
        o = await self.login(f"{owner}/pc", PASSWORD, MucClient)
        g = await self.login(f"{guest}/pc", PASSWORD, MucClient)
        room = f"closing@{SERVICE}"
        await o.plugin["xep_0045"].join_muc_wait(room, "Boss", timeout=TIMEOUT)
        await o.plugin["xep_0045"].set_room_config(
            room, await o.plugin["xep_0045"].get_room_config(room, timeout=TIMEOUT),
            timeout=TIMEOUT)
        await g.plugin["xep_0045"].join_muc_wait(room, "Guest", timeout=TIMEOUT)
        # XEP-0045 §11.2: before the streams end with system-shutdown, every occupant gets
        # unavailable presence with 332 (and 110 for itself).
        await asyncio.to_thread(self.server.restart)
        for client, nick in ((o, "Boss"), (g, "Guest")):
            gone = await next_matching(client.all_presence, left_(f"{room}/{nick}"), "332")
            self.assertEqual(statuses(gone), [110, 332])
        seen = await next_matching(o.all_presence, left_(f"{room}/Guest"), "Guest's 332")
        self.assertEqual(statuses(seen), [332])


class PersistentRoomTest(ClientTestCase):
    async def test_persistent_room_survives_restart_and_forgets_deleted_accounts(self):
        owner, member = self.accounts("owner", "member")
        o = await self.login(f"{owner}/pc", PASSWORD, MucClient)
        room = f"keep@{SERVICE}"
        await o.plugin["xep_0045"].join_muc_wait(room, "Boss", timeout=TIMEOUT)
        form = await o.plugin["xep_0045"].get_room_config(room, timeout=TIMEOUT)
        form.field["muc#roomconfig_persistentroom"]["value"] = True
        form.field["muc#roomconfig_roomname"]["value"] = "Kept"
        await o.plugin["xep_0045"].set_room_config(room, form, timeout=TIMEOUT)
        await o.plugin["xep_0045"].set_affiliation(room, "member", jid=slixmpp.JID(member),
                                                   timeout=TIMEOUT)
        o.plugin["xep_0045"].set_subject(room, "kept subject")
        await next_matching(o.all_messages, lambda m: m["subject"] == "kept subject", "subject")
        await self.logout(o)

        self.server.restart()
        o = await self.login(f"{owner}/pc", PASSWORD, MucClient)
        items = await o.plugin["xep_0030"].get_items(jid=SERVICE, timeout=TIMEOUT)
        self.assertIn((room, None, "Kept"), items["disco_items"]["items"])
        presence, subject, _, _ = await o.plugin["xep_0045"].join_muc_wait(
            room, "Boss", timeout=TIMEOUT)
        self.assertEqual(statuses(presence), [110, 170])  # not created again
        self.assertEqual(item_of(presence).get("affiliation"), "owner")
        self.assertEqual(subject["subject"], "kept subject")
        members = await o.plugin["xep_0045"].get_affiliation_list(room, "member",
                                                                  timeout=TIMEOUT)
        self.assertEqual(members, [slixmpp.JID(member)])

        # The member deletes its account (XEP-0077 <remove/>): it leaves the member list.
        m = await self.login(f"{member}/pc", PASSWORD, MucClient)
        iq = m.make_iq_set(ito="localhost")
        iq.enable("register")
        iq["register"]["remove"] = True
        await iq.send(timeout=TIMEOUT)
        for _ in range(50):
            members = await o.plugin["xep_0045"].get_affiliation_list(room, "member",
                                                                      timeout=TIMEOUT)
            if not members:
                break
            await asyncio.sleep(0.1)
        self.assertEqual(members, [])


class RoomUnloadTest(MucHelpers, ClientTestCase):
    """An empty persistent room leaves memory after [modules.muc] unload_after and comes back
    whole: configuration and subject from the store, the history newcomers see from its
    archive."""

    settings = ("modules.muc.unload_after=1",)

    async def test_an_empty_persistent_room_is_unloaded_and_comes_back_whole(self):
        owner, guest = self.accounts("owner", "guest")
        o = await self.client(owner)
        room = await self.create(o, "Boss", persistentroom=True, roomname="Kept",
                                 historylength="2")
        self.muc(o).set_subject(room, "kept subject")
        await next_matching(o.all_messages, lambda m: m["subject"] == "kept subject", "subject")
        for text in ("one", "two", "three"):
            o.send_message(mto=room, mbody=text, mtype="groupchat")
            await next_matching(o.all_messages, groupchat_body(text), "own message back")
        self.muc(o).leave_muc(room, "Boss")
        await asyncio.to_thread(self.server.wait_for_output, rf"room\.unloaded.*{room}")

        g = await self.client(guest)
        presence, subject, _, history = await self.join(g, room, "Guest")
        self.assertEqual(statuses(presence), [110, 170])  # entered, not created again
        self.assertEqual(subject["subject"], "kept subject")
        self.assertEqual([m["body"] for m in history], ["two", "three"])
        for m in history:
            self.assertEqual(m["from"].full, f"{room}/Boss")
            self.assertEqual(m.xml.find(f"{{{DELAY}}}delay").get("from"), room)
        info = await g.plugin["xep_0030"].get_info(jid=room, timeout=TIMEOUT)
        self.assertIn(("conference", "text", None, "Kept"), info["disco_info"]["identities"])


class RegistrationTest(MucHelpers, ClientTestCase):
    """XEP-0045 §7.10: a member registers a nickname, which nobody else may then enter or
    register under; it is kept across a restart, and <remove/> gives it up. As in Prosody,
    users without an affiliation may not register unless the service allows it."""

    async def test_a_registered_nickname_is_reserved_for_its_member(self):
        owner, romeo, tybalt = self.accounts("owner", "romeo", "tybalt")
        o, r, t = await self.client(owner), await self.client(romeo), await self.client(tybalt)
        room = await self.create(o, "Boss", persistentroom=True)
        with self.assertRaises(IqError) as unaffiliated:
            await register_nick(r, room, "Romeo")
        self.assertEqual(unaffiliated.exception.iq["error"]["condition"], "registration-required")
        for jid in (romeo, tybalt):
            await self.muc(o).set_affiliation(room, "member", jid=slixmpp.JID(jid),
                                              timeout=TIMEOUT)
        ask = r.make_iq_get(ito=room)
        ET.SubElement(ask.xml, f"{{{REGISTER}}}query")
        form = (await ask.send(timeout=TIMEOUT)).xml.find(
            f"{{{REGISTER}}}query/{{{DATA}}}x")
        fields = {f.get("var"): f for f in form.findall(f"{{{DATA}}}field")}
        self.assertEqual(fields["FORM_TYPE"].findtext(f"{{{DATA}}}value"), MUC_REGISTER)
        self.assertIsNotNone(fields["muc#register_roomnick"].find(f"{{{DATA}}}required"))

        await register_nick(r, room, "Romeo")
        self.assertEqual(await self.refused(t, room, "Romeo"), "conflict")  # §7.2.9
        with self.assertRaises(IqError) as taken:
            await register_nick(t, room, "Romeo")
        self.assertEqual(taken.exception.iq["error"]["condition"], "conflict")

        self.server.restart()
        r, t = await self.client(romeo), await self.client(tybalt)
        again = r.make_iq_get(ito=room)
        ET.SubElement(again.xml, f"{{{REGISTER}}}query")
        answer = (await again.send(timeout=TIMEOUT)).xml.find(f"{{{REGISTER}}}query")
        self.assertIsNotNone(answer.find(f"{{{REGISTER}}}registered"))
        self.assertEqual(answer.findtext(f"{{{REGISTER}}}username"), "Romeo")
        info = await r.plugin["xep_0030"].get_info(jid=room, node="x-roomuser-item",
                                                   timeout=TIMEOUT)  # §7.12
        self.assertEqual([i[3] for i in info["disco_info"]["identities"]], ["Romeo"])
        self.assertEqual(await self.refused(t, room, "Romeo"), "conflict")
        presence, _, _, _ = await self.join(r, room, "Romeo")
        self.assertEqual(item_of(presence).get("affiliation"), "member")

        self.muc(r).leave_muc(room, "Romeo")
        leave = r.make_iq_set(ito=room)
        ET.SubElement(ET.SubElement(leave.xml, f"{{{REGISTER}}}query"), f"{{{REGISTER}}}remove")
        await leave.send(timeout=TIMEOUT)
        presence, _, _, _ = await self.join(t, room, "Romeo")  # free again; still members both
        self.assertEqual(item_of(presence).get("affiliation"), "member")
        o = await self.client(owner)
        members = await self.muc(o).get_affiliation_list(room, "member", timeout=TIMEOUT)
        self.assertEqual(sorted(str(m) for m in members), sorted([romeo, tybalt]))


class OpenRegistrationTest(MucHelpers, ClientTestCase):
    settings = ("modules.muc.allow_unaffiliated_register=true",)

    async def test_registering_makes_a_member_where_the_service_allows_it(self):
        owner, romeo = self.accounts("owner", "romeo")
        o, r = await self.client(owner), await self.client(romeo)
        room = await self.create(o, "Boss")
        await register_nick(r, room, "Romeo")
        self.assertEqual(await self.muc(o).get_affiliation_list(room, "member", timeout=TIMEOUT),
                         [slixmpp.JID(romeo)])
        closed = await self.create(o, "Boss", membersonly=True)
        with self.assertRaises(IqError) as refused:
            await register_nick(r, closed, "Romeo")
        self.assertEqual(refused.exception.iq["error"]["condition"], "registration-required")


class MaxRoomsTest(MucHelpers, ClientTestCase):
    """max_rooms bounds the rooms in memory: at the bound the persistent room empty longest makes
    way; with none empty, creating or loading a room is refused (resource-constraint, logged).
    One worker: a room makes way only for one on its own worker."""

    settings = ("modules.muc.max_rooms=2", "server.workers=1")

    async def test_an_empty_persistent_room_makes_way_and_a_full_service_refuses(self):
        owner, guest = self.accounts("owner", "guest")
        o, g = await self.client(owner), await self.client(guest)
        kept = await self.create(o, "Boss", persistentroom=True)
        self.muc(o).leave_muc(kept, "Boss")
        await self.create(o, "Boss")  # stays occupied
        third = await self.create(o, "Boss")  # 'kept' (empty) makes way
        await asyncio.to_thread(self.server.wait_for_output, rf"room\.unloaded.*{kept}")

        # Both rooms in memory have someone in them: the stored room cannot come back, and no
        # new room can be made.
        self.assertEqual(await self.refused(g, kept, "Guest"), "resource-constraint")
        await asyncio.to_thread(self.server.wait_for_output,
                                rf"stored room not loaded: max_rooms reached.*{kept}")
        self.assertEqual(await self.refused(g, self.new_room(), "Guest"), "resource-constraint")

        self.muc(o).leave_muc(third, "Boss")  # temporary: gone with its last occupant
        # Gone once the owner hears itself leave: the room's worker ends it in the same turn.
        await next_matching(o.all_presence, lambda p: p["from"].full == f"{third}/Boss" and
                            p["type"] == "unavailable", "the owner's own leaving")
        presence, _, _, _ = await self.join(g, kept, "Guest")
        self.assertEqual(statuses(presence), [110, 170])


class InvitationLimitTest(MucHelpers, ClientTestCase):
    settings = ("modules.muc.invitations_per_minute=2",)

    async def test_invitations_past_the_limit_get_resource_constraint(self):
        owner, *friends = self.accounts("owner", "f1", "f2", "f3")
        o = await self.client(owner)
        room = await self.create(o, "Boss")
        for friend in friends:
            self.muc(o).invite(room, slixmpp.JID(friend))
        refused = await next_matching(o.all_messages, lambda m: m["type"] == "error",
                                      "the third invitation refused")
        self.assertEqual(refused["from"].full, room)
        self.assertEqual(refused["error"]["condition"], "resource-constraint")
        self.assertIn("2 invitations a minute", refused["error"]["text"])
        f3 = await self.client(friends[2])
        await nothing_matching(f3.all_messages, lambda m: m.xml.find(
            f"{{{MUC_USER}}}x/{{{MUC_USER}}}invite") is not None, 0.5)
        f1 = await self.client(friends[0])  # the first two went (offline: queued for them)
        await next_matching(f1.all_messages, lambda m: m.xml.find(
            f"{{{MUC_USER}}}x/{{{MUC_USER}}}invite") is not None, "f1's invitation")


class FanOutTest(MucHelpers, ClientTestCase):
    """A room's message is serialised once and written to every occupant's session (the fan-out
    path): what a routed copy would meet still holds — an occupant's blocklist (XEP-0191), stream
    management's counting, and a session waiting for its resumption (XEP-0198)."""

    settings = ("c2s.resume_timeout=5",)

    async def test_a_blocked_occupant_is_not_heard(self):
        juliet, romeo, tybalt = self.accounts("juliet", "romeo", "tybalt")
        j, r, t = await self.client(juliet), await self.client(romeo), await self.client(tybalt)
        room = await self.create(j, "Juliet")
        for client, nick in ((r, "Romeo"), (t, "Tybalt")):
            await self.join(client, room, nick)
        block = j.make_iq_set()
        ET.SubElement(ET.SubElement(block.xml, "{urn:xmpp:blocking}block"),
                      "{urn:xmpp:blocking}item", jid=f"{room}/Tybalt")
        await block.send(timeout=TIMEOUT)
        t.send_message(mto=room, mbody="a plague", mtype="groupchat")
        r.send_message(mto=room, mbody="peace", mtype="groupchat")
        for client in (r, t):
            await next_matching(client.all_messages, groupchat_body("a plague"), "Tybalt heard")
        heard = []  # everything Juliet gets up to Romeo's line, which came after Tybalt's

        def up_to_peace(m):
            heard.append(m["body"])
            return groupchat_body("peace")(m)
        await next_matching(j.all_messages, up_to_peace, "Romeo heard by Juliet")
        self.assertNotIn("a plague", heard)
        await nothing_matching(j.all_messages, groupchat_body("a plague"), 0.5)

    async def test_stream_management_counts_and_resumes_room_messages(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        j = await self.client(juliet)
        room = await self.create(j, "Juliet")
        phone = await asyncio.to_thread(RawClient, self.server.port, f"{romeo}/phone", PASSWORD)
        previd = (await asyncio.to_thread(phone.enable_sm, True)).get("id")
        phone.send(f"<presence to='{room}/Romeo'><x xmlns='http://jabber.org/protocol/muc'>"
                   "<history maxstanzas='0'/></x></presence>")
        seen, stanzas = [], 0
        while True:  # up to its own presence (110)
            element = await asyncio.to_thread(phone.next)
            self.assertIsNotNone(element, "no self-presence")
            stanzas += element.tag.startswith("{jabber:client}")
            codes = element.findall(f"{{{MUC_USER}}}x/{{{MUC_USER}}}status")
            if element.tag == "{jabber:client}presence" and "110" in [c.get("code")
                                                                      for c in codes]:
                break
        for i in range(10):
            j.send_message(mto=room, mbody=f"{i}", mtype="groupchat")

        async def read(client, count):
            nonlocal stanzas
            while len(seen) < count:
                element = await asyncio.to_thread(client.next)
                self.assertIsNotNone(element, f"only {len(seen)} of {count} messages arrived")
                stanzas += element.tag.startswith("{jabber:client}")
                if element.tag == "{jabber:client}message" and element.find(
                        "{jabber:client}body") is not None:  # (not the subject)
                    self.assertEqual(element.get("to"), f"{romeo}/phone")
                    seen.append(element.findtext("{jabber:client}body"))
        await read(phone, 6)
        phone.vanish()  # six read, none acknowledged
        for i in range(10, 15):  # the room goes on while the session waits to be resumed
            j.send_message(mto=room, mbody=f"{i}", mtype="groupchat")
        await next_matching(j.all_messages, groupchat_body("14"), "the last one")
        back = await asyncio.to_thread(RawClient, self.server.port, f"{romeo}/phone", PASSWORD,
                                       bind=False)
        resumed = await asyncio.to_thread(back.resume, previd, stanzas)
        self.assertEqual(resumed.tag, f"{{{SM}}}resumed", resumed)
        await read(back, 15)
        self.assertEqual(seen, [str(i) for i in range(15)])  # in order, none twice, none lost
        element = await asyncio.to_thread(back.next, 1.0)
        while element is not None and element.find("{jabber:client}body") is None:
            element = await asyncio.to_thread(back.next, 1.0)
        self.assertIsNone(element, "a message arrived twice")
        back.vanish()


if __name__ == "__main__":
    unittest.main()
