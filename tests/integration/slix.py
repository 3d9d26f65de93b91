# SPDX-License-Identifier: MIT
# What the slixmpp-driven integration tests share: a client that records everything it receives
# (messages, every presence including subscription requests, roster pushes) and a test case base
# class that logs clients in and out with bounded waits.
import asyncio
import itertools
import re
import ssl
import unittest

import slixmpp

from harness import SharedServer  # noqa: E402
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

DOMAIN = "localhost"
PASSWORD = "secret"
TIMEOUT = 15


class Client(slixmpp.ClientXMPP):
    """A slixmpp client that records what happens to it. It answers nothing on its own: no
    automatic subscription approval, so the tests decide every step."""

    def __init__(self, jid, password, port, send_presence=True, priority=None, plugins=()):
        super().__init__(jid, password)
        self.port = port
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.auto_authorize = None
        self.auto_subscribe = False
        self.started = asyncio.Event()
        self.auth_failed = asyncio.Event()
        self.disconnected_event = asyncio.Event()
        self.messages = asyncio.Queue()
        self.presences = asyncio.Queue()  # available and unavailable
        self.all_presence = asyncio.Queue()  # every presence stanza, subscriptions included
        self.all_messages = asyncio.Queue()  # every message stanza ("message" needs a body)
        self.pushes = asyncio.Queue()  # roster pushes (<iq type='set'><query/></iq>)
        self.send_initial_presence = send_presence
        self.priority = priority
        for plugin in ("xep_0030", "xep_0199", "xep_0092", "xep_0202", *plugins):
            self.register_plugin(plugin)
        self.add_event_handler("session_start", self._on_start)
        self.add_event_handler("failed_auth", lambda _: self.auth_failed.set())
        self.add_event_handler("disconnected", lambda _: self.disconnected_event.set())
        self.add_event_handler("message", self.messages.put_nowait)
        self.add_event_handler("message_error", self.messages.put_nowait)
        self.add_event_handler("presence_available", self.presences.put_nowait)
        self.add_event_handler("presence_unavailable", self.presences.put_nowait)
        self.register_handler(Callback("all presence", MatchXPath("{jabber:client}presence"),
                                       self.all_presence.put_nowait))
        self.register_handler(Callback("all messages", MatchXPath("{jabber:client}message"),
                                       self.all_messages.put_nowait))
        self.add_event_handler("roster_update", self.pushes.put_nowait)

    async def _on_start(self, _):
        if self.send_initial_presence:
            self.send_presence(ppriority=self.priority)
        self.started.set()

    def start(self):
        self.connect(address=("127.0.0.1", self.port), force_starttls=True)

    async def roster_query(self, ver=None):
        """A roster get; returns the result stanza."""
        iq = self.make_iq_get(queryxmlns="jabber:iq:roster")
        if ver is not None:
            iq["roster"]["ver"] = ver
        return await iq.send(timeout=TIMEOUT)


def presence_of(kind, sender_bare):
    """A predicate for next_matching: a presence of type `kind` from `sender_bare`."""
    return lambda p: p["type"] == kind and p["from"].bare == sender_bare


async def wait(event, what):
    try:
        await asyncio.wait_for(event.wait(), TIMEOUT)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out waiting for {what}")


async def next_matching(queue, predicate, what, timeout=TIMEOUT):
    """The next item of `queue` for which predicate holds (others are skipped)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {what}")
        try:
            item = await asyncio.wait_for(queue.get(), left)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out waiting for {what}")
        if predicate(item):
            return item


async def nothing_matching(queue, predicate, seconds=1.0):
    """Asserts that nothing matching arrives within `seconds`; returns what else arrived."""
    deadline = asyncio.get_running_loop().time() + seconds
    others = []
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return others
        try:
            item = await asyncio.wait_for(queue.get(), left)
        except asyncio.TimeoutError:
            return others
        if predicate(item):
            raise AssertionError(f"unexpected: {item}")
        others.append(item)


_account_ids = itertools.count()


class ClientTestCase(SharedServer, unittest.IsolatedAsyncioTestCase):
    """A ternd for the class (SharedServer: set `settings`), and fresh accounts and logged-in
    slixmpp clients per test."""

    def accounts(self, *names):
        """Fresh accounts for one test (password PASSWORD): returns their bare JIDs."""
        n = next(_account_ids)
        jids = [f"{name}{n}@{DOMAIN}" for name in names]
        for jid in jids:
            self.server.adduser(jid, PASSWORD)
        return jids

    async def login(self, jid, password, client_class=Client, **kw):
        client = client_class(jid, password, self.server.port, **kw)
        client.start()
        self.addAsyncCleanup(self.logout, client)
        await wait(client.started, f"{jid} to log in")
        return client

    async def logout(self, client):
        client.disconnect()
        try:
            await asyncio.wait_for(client.disconnected_event.wait(), 5)
        except asyncio.TimeoutError:
            pass

    async def server_output(self, pattern, timeout=TIMEOUT):
        """The first line of ternd's output matching `pattern`, waiting for it without blocking
        the clients (they may have to answer ternd first)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for line in self.server.output_lines():
                if re.search(pattern, line):
                    return line
            await asyncio.sleep(0.05)
        raise AssertionError(f"no output line of ternd matches {pattern!r}")

    async def next_presence(self, client, sender):
        return await next_matching(client.presences, lambda p: p["from"].full == sender,
                                   f"presence from {sender}")
