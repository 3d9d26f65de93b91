#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0049 private XML storage with real slixmpp clients against the real ternd: legacy bookmarks
# (XEP-0048, storage:bookmarks) stored by one resource are read by another and survive a restart;
# another account gets forbidden; the feature is on the account's disco#info.
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from slix import PASSWORD, TIMEOUT, ClientTestCase  # noqa: E402

import slixmpp  # noqa: E402
from slixmpp.xmlstream import ET  # noqa: E402

PRIVATE = "jabber:iq:private"
BOOKMARKS = "storage:bookmarks"


async def private(client, kind, fragment, to=None):
    """A jabber:iq:private get or set with `fragment` (XML text); the reply's fragment, as an
    element, or the error condition as a string."""
    iq = client.make_iq_get(ito=to) if kind == "get" else client.make_iq_set(ito=to)
    query = ET.Element(f"{{{PRIVATE}}}query")
    query.append(ET.fromstring(fragment))
    iq.append(query)
    try:
        reply = await iq.send(timeout=TIMEOUT)
    except slixmpp.exceptions.IqError as e:
        return e.iq["error"]["condition"]
    answer = reply.xml.find(f"{{{PRIVATE}}}query")
    children = list(answer) if answer is not None else []
    return children[0] if children else None


class PrivateStorageTest(ClientTestCase):

    async def test_bookmarks_are_kept_for_the_account_only(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        phone = await self.login(f"{juliet}/phone", PASSWORD)
        laptop = await self.login(f"{juliet}/laptop", PASSWORD)
        stored = await private(phone, "set",
                               f"<storage xmlns='{BOOKMARKS}'><conference name='Council' "
                               f"jid='council@chat.localhost' autojoin='true'><nick>J</nick>"
                               f"</conference></storage>")
        self.assertIsNone(stored)  # an empty result
        got = await private(laptop, "get", f"<storage xmlns='{BOOKMARKS}'/>")
        conference = got.find(f"{{{BOOKMARKS}}}conference")
        self.assertEqual(conference.get("jid"), "council@chat.localhost")
        self.assertEqual(conference.findtext(f"{{{BOOKMARKS}}}nick"), "J")
        r = await self.login(f"{romeo}/garden", PASSWORD)
        self.assertEqual(await private(r, "get", f"<storage xmlns='{BOOKMARKS}'/>", to=juliet),
                         "forbidden")
        mine = await private(r, "get", f"<storage xmlns='{BOOKMARKS}'/>")
        self.assertEqual(len(list(mine)), 0)  # Romeo's own: nothing stored
        info = await phone.plugin["xep_0030"].get_info(jid=juliet, timeout=TIMEOUT)
        self.assertIn(PRIVATE, info["disco_info"]["features"])


class PrivateStorageRestartTest(ClientTestCase):
    start_shared_server = False  # the test starts and restarts its own

    async def test_bookmarks_survive_a_restart(self):
        server = TernServer()
        type(self).server = server.start()
        try:
            server.adduser("juliet@localhost", PASSWORD)
            phone = await self.login("juliet@localhost/phone", PASSWORD)
            await private(phone, "set", f"<storage xmlns='{BOOKMARKS}'><conference "
                                        f"jid='council@chat.localhost'/></storage>")
            await self.logout(phone)
            server.restart()
            phone = await self.login("juliet@localhost/phone", PASSWORD)
            got = await private(phone, "get", f"<storage xmlns='{BOOKMARKS}'/>")
            self.assertEqual(got.find(f"{{{BOOKMARKS}}}conference").get("jid"),
                             "council@chat.localhost")
            await self.logout(phone)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
