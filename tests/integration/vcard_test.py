#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0054 vCards and XEP-0153 avatar hashes with real slixmpp clients (xep_0054) against the real
# ternd: an account stores its own vCard and anyone on the server reads it at its bare JID; another
# account's is refused to a writer; a vCard past max_bytes is refused and nothing stored; an
# account's available presence reaches its contacts with the SHA-1 of its vCard photo when the
# client did not say it itself.
import hashlib
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from slix import (PASSWORD, TIMEOUT, Client, ClientTestCase, next_matching,  # noqa: E402
                  presence_of)

import slixmpp  # noqa: E402

UPDATE = "vcard-temp:x:update"


def nickname(iq):
    return iq.xml.findtext("{vcard-temp}vCard/{vcard-temp}NICKNAME")


class VCardClient(Client):
    def __init__(self, *args, **kw):
        super().__init__(*args, plugins=("xep_0054",), **kw)


async def condition_of(awaitable):
    try:
        await awaitable
    except slixmpp.exceptions.IqError as e:
        return e.iq["error"]["condition"]
    raise AssertionError("the request succeeded")


def make_vcard(client, nickname, photo=None):
    vcard = client.plugin["xep_0054"].make_vcard()
    vcard["NICKNAME"] = nickname
    if photo is not None:
        vcard["PHOTO"]["TYPE"] = "image/png"
        vcard["PHOTO"]["BINVAL"] = photo
    return vcard


class VCardTest(ClientTestCase):

    async def test_own_vcard_is_stored_and_read_by_others(self):
        juliet, romeo, nobody = self.accounts("juliet", "romeo", "nobody")
        j = await self.login(f"{juliet}/phone", PASSWORD, VCardClient)
        r = await self.login(f"{romeo}/garden", PASSWORD, VCardClient)
        mine = await j.plugin["xep_0054"].get_vcard(juliet, local=False, timeout=TIMEOUT)
        self.assertEqual(len(mine.xml.find("{vcard-temp}vCard")), 0)  # none yet: an empty one
        await j.plugin["xep_0054"].publish_vcard(make_vcard(j, "Jules", b"\x89PNG-1"),
                                                 timeout=TIMEOUT)
        got = await r.plugin["xep_0054"].get_vcard(juliet, local=False, timeout=TIMEOUT)
        self.assertEqual(nickname(got), "Jules")
        self.assertEqual(got["vcard_temp"]["PHOTO"]["BINVAL"], b"\x89PNG-1")
        self.assertEqual(await condition_of(r.plugin["xep_0054"].get_vcard(
            nobody, local=False, timeout=TIMEOUT)), "service-unavailable")
        self.assertEqual(await condition_of(r.plugin["xep_0054"].publish_vcard(
            make_vcard(r, "Not Jules"), jid=juliet, timeout=TIMEOUT)), "forbidden")
        got = await r.plugin["xep_0054"].get_vcard(juliet, local=False, timeout=TIMEOUT)
        self.assertEqual(nickname(got), "Jules")

    async def test_presence_carries_the_photo_hash(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        j = await self.login(f"{juliet}/phone", PASSWORD, VCardClient)
        r = await self.login(f"{romeo}/garden", PASSWORD, VCardClient)
        r.send_presence(pto=juliet, ptype="subscribe")
        await next_matching(j.all_presence, presence_of("subscribe", romeo), "subscribe")
        j.send_presence(pto=romeo, ptype="subscribed")
        photo = bytes(range(200))
        await j.plugin["xep_0054"].publish_vcard(make_vcard(j, "Jules", photo), timeout=TIMEOUT)
        j.send_presence()  # slixmpp without xep_0153 says nothing of its avatar
        seen = await next_matching(
            r.all_presence,
            lambda p: p["from"].bare == juliet and p["type"] == "available"
            and p.xml.find(f"{{{UPDATE}}}x") is not None, "presence with a photo hash")
        self.assertEqual(seen.xml.findtext(f"{{{UPDATE}}}x/{{{UPDATE}}}photo"),
                         hashlib.sha1(photo).hexdigest())


class VCardLimitTest(ClientTestCase):
    settings = ("modules.vcard.max_bytes=2048",)

    async def test_an_oversize_vcard_is_refused_and_nothing_stored(self):
        juliet, = self.accounts("juliet")
        j = await self.login(f"{juliet}/phone", PASSWORD, VCardClient)
        await j.plugin["xep_0054"].publish_vcard(make_vcard(j, "Small"), timeout=TIMEOUT)
        self.assertEqual(await condition_of(j.plugin["xep_0054"].publish_vcard(
            make_vcard(j, "Big", bytes(3000)), timeout=TIMEOUT)), "not-acceptable")
        got = await j.plugin["xep_0054"].get_vcard(juliet, local=False, timeout=TIMEOUT)
        self.assertEqual(nickname(got), "Small")
        await self.server_output("vCard refused: larger than max_bytes")


if __name__ == "__main__":
    unittest.main()
