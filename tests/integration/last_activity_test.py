#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0012 last activity (modules/last_activity, the module guide's example) with real slixmpp
# clients (its xep_0012 plugin) against the real ternd: the account offline event of the server
# records a logout, which a contact with a subscription can ask about and a stranger cannot; an
# account online answers 0; a logout just before a clean stop is still known after the restart
# (the module's stop() writes it, the server commits it on the way out); and the server's uptime.
import asyncio
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from slix import (  # noqa: E402
    DOMAIN, PASSWORD, TIMEOUT, Client, ClientTestCase, next_matching, presence_of,
)

import slixmpp  # noqa: E402


class LastClient(Client):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.register_plugin("xep_0012")

    async def last(self, jid):
        """(seconds, None) or (None, error condition) for a last activity query to `jid`."""
        try:
            iq = await self.plugin["xep_0012"].get_last_activity(jid, timeout=TIMEOUT)
            return int(iq["last_activity"]["seconds"]), None
        except slixmpp.exceptions.IqError as e:
            return None, e.iq["error"]["condition"]


class LastActivityTest(ClientTestCase):

    async def subscribed(self, romeo, juliet):
        """Romeo subscribes to Juliet's presence; she approves (Juliet's roster: 'from')."""
        r = await self.login(f"{romeo}/garden", PASSWORD, client_class=LastClient)
        j = await self.login(f"{juliet}/balcony", PASSWORD)
        r.send_presence(pto=juliet, ptype="subscribe")
        await next_matching(j.all_presence, presence_of("subscribe", romeo), "subscribe")
        j.send_presence(pto=romeo, ptype="subscribed")
        await next_matching(r.all_presence, presence_of("subscribed", juliet), "subscribed")
        return r, j

    async def eventually_offline(self, asker, jid):
        """The answer once the server has seen the account's last session end."""
        for _ in range(50):
            seconds, error = await asker.last(jid)
            if error is not None or seconds != 0:
                return seconds, error
            await asyncio.sleep(0.1)
        return seconds, error

    async def test_a_contact_learns_when_the_account_was_last_online(self):
        romeo, juliet = self.accounts("romeo", "juliet")
        r, j = await self.subscribed(romeo, juliet)
        self.assertEqual(await r.last(juliet), (0, None))  # online now
        await self.logout(j)
        await asyncio.sleep(2.2)
        seconds, error = await self.eventually_offline(r, juliet)
        self.assertIsNone(error)
        self.assertGreaterEqual(seconds, 2)
        self.assertLess(seconds, 30)

    async def test_a_stranger_is_forbidden(self):
        stranger, juliet = self.accounts("stranger", "juliet")
        s = await self.login(f"{stranger}/x", PASSWORD, client_class=LastClient)
        self.assertEqual(await s.last(juliet), (None, "forbidden"))

    async def test_the_server_answers_its_uptime(self):
        (romeo,) = self.accounts("romeo")
        r = await self.login(f"{romeo}/garden", PASSWORD, client_class=LastClient)
        seconds, error = await r.last(DOMAIN)
        self.assertIsNone(error)
        self.assertGreaterEqual(seconds, 0)


class LastActivityRestartTest(ClientTestCase):
    """A logout the timer has not written yet when ternd stops cleanly is written by stop()."""

    start_shared_server = False  # the test starts and restarts its own

    async def test_a_logout_just_before_a_stop_is_known_after_the_restart(self):
        server = TernServer()
        type(self).server = server.start()
        try:
            romeo, juliet = f"romeo@{DOMAIN}", f"juliet@{DOMAIN}"
            server.adduser(romeo, PASSWORD)
            server.adduser(juliet, PASSWORD)
            r, j = await LastActivityTest.subscribed(self, romeo, juliet)
            await self.logout(r)
            await self.logout(j)  # her session ends as the server stops, or just before
            server.restart()
            r = await self.login(f"{romeo}/again", PASSWORD, client_class=LastClient)
            seconds, error = await r.last(juliet)
            self.assertIsNone(error, "the logout was lost in the stop")
            self.assertLess(seconds, 60)
            await self.logout(r)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
