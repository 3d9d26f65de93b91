#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# ternd with a client of another family: go-sendxmpp (Debian's package, on the Go xmpp library
# mattn/go-xmpp, its own XML, TLS and SASL code) logs in over STARTTLS and over direct TLS and
# sends a message that a slixmpp client must receive, body and sender intact; a wrong password is
# refused and sends nothing; in --listen mode it prints what slixmpp sends it; with -c it enters
# a room of ternd's group chat service and talks there (XEP-0045).
#
# go-xmpp writes a newline and then "<?xml version='1.0'?><stream:stream …>" after SASL
# <success/>: ternd once answered that restart with not-well-formed, so every login here goes
# through that restart.
#
# go-sendxmpp verifies the server's certificate for real: SSL_CERT_FILE is ternd's self-signed
# certificate (it names localhost and 127.0.0.1) and SSL_CERT_DIR an empty directory, so it is
# the only trust anchor. HOME is an empty directory, so no ~/.config/go-sendxmpp/sendxmpprc is
# read: every option is on the command line. Every process is killed after PROCESS_TIMEOUT.
import asyncio
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from interop import ChildProcess, require_program, run, server_certificate  # noqa: E402
from slix import (PASSWORD, TIMEOUT, ClientTestCase, next_matching,  # noqa: E402
                  nothing_matching)

# XML-special characters and non-ASCII text must survive go-xmpp's escaping and ternd's parser.
TRICKY = "a <rose> & 'any' \"other\" name — süß"


class GoSendxmppTest(ClientTestCase):
    @classmethod
    def setUpClass(cls):
        cls.program = require_program("go-sendxmpp", "Debian package go-sendxmpp")
        cls.server = TernServer().start()
        cls.home = tempfile.TemporaryDirectory(prefix="tern-go-sendxmpp-")
        cls.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": cls.home.name,
            "SSL_CERT_FILE": server_certificate(cls.server),
            "SSL_CERT_DIR": cls.home.name,
        }

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.home.cleanup()

    def argv(self, jid, password, *options, direct_tls=False):
        port = self.server.ports["direct_tls" if direct_tls else "starttls"]
        return [self.program, "-u", jid, "-p", password, "-j", f"127.0.0.1:{port}",
                *(["--tls"] if direct_tls else []), "--timeout", "15", *options]

    async def send_and_receive(self, direct_tls):
        juliet_jid, romeo_jid = self.accounts("juliet", "romeo")
        juliet = await self.login(f"{juliet_jid}/balcony", PASSWORD)
        status, out, err = await run(self.argv(romeo_jid, PASSWORD, juliet_jid,
                                               direct_tls=direct_tls),
                                     self.env, stdin=TRICKY)
        self.assertEqual(status, 0, f"go-sendxmpp failed:\n{out}\n{err}")
        got = await next_matching(juliet.messages, lambda m: m["from"].bare == romeo_jid,
                                  f"the message from go-sendxmpp ({romeo_jid})")
        self.assertEqual(got["body"], TRICKY)
        self.assertEqual(got["type"], "chat")
        # The server stamps the sender's full JID: go-sendxmpp's own resource, not a spoof.
        self.assertTrue(got["from"].resource, got["from"].full)

    async def test_starttls_message_reaches_slixmpp(self):
        await self.send_and_receive(direct_tls=False)

    async def test_direct_tls_message_reaches_slixmpp(self):
        await self.send_and_receive(direct_tls=True)

    async def test_wrong_password_is_refused_and_nothing_is_sent(self):
        juliet_jid, romeo_jid = self.accounts("juliet", "romeo")
        juliet = await self.login(f"{juliet_jid}/balcony", PASSWORD)
        status, out, err = await run(self.argv(romeo_jid, "not-the-password", juliet_jid),
                                     self.env, stdin="should never arrive")
        self.assertNotEqual(status, 0, out + err)
        self.assertIn("not-authorized", err)
        await nothing_matching(juliet.messages, lambda m: True, seconds=1.0)
        self.assertTrue(self.server.alive())

    async def test_chatroom_message_reaches_the_room(self):
        juliet_jid, romeo_jid = self.accounts("juliet", "romeo")
        juliet = await self.login(f"{juliet_jid}/balcony", PASSWORD,
                                  plugins=("xep_0004", "xep_0045"))
        muc = juliet.plugin["xep_0045"]
        room = f"gopherhole{os.getpid()}@conference.localhost"
        await muc.join_muc_wait(room, "Juliet", timeout=TIMEOUT)
        await muc.set_room_config(room, await muc.get_room_config(room, timeout=TIMEOUT),
                                  timeout=TIMEOUT)
        status, out, err = await run(self.argv(romeo_jid, PASSWORD, "-c", "-a", "gopher", room),
                                     self.env, stdin=TRICKY)
        self.assertEqual(status, 0, f"go-sendxmpp failed:\n{out}\n{err}")
        got = await next_matching(
            juliet.all_messages, lambda m: m["type"] == "groupchat" and m["body"] == TRICKY,
            "go-sendxmpp's message in the room")
        self.assertEqual(got["from"].full, f"{room}/gopher")
        # It entered and left: the room saw both.
        left = await next_matching(
            juliet.all_presence,
            lambda p: p["from"].full == f"{room}/gopher" and p["type"] == "unavailable",
            "go-sendxmpp leaving the room")
        self.assertIsNotNone(left)

    async def test_listen_prints_what_slixmpp_sends(self):
        juliet_jid, romeo_jid = self.accounts("juliet", "romeo")
        juliet = await self.login(f"{juliet_jid}/balcony", PASSWORD)
        # -d: go-xmpp logs what it receives on stderr, which shows when its session is up (the
        # server's echo of its initial presence). -r is deprecated for the resource but still
        # sets it.
        listener = await ChildProcess.start(
            self, self.argv(romeo_jid, PASSWORD, "-d", "--listen", "-r", "listen"), self.env)
        full = f"{romeo_jid}/listen"
        await self.wait_for_stderr(listener, re.compile(
            r"<presence[^>]*from='" + re.escape(full) + "'"), "go-sendxmpp's initial presence")
        juliet.send_message(mto=full, mbody=TRICKY, mtype="chat")
        deadline = time.monotonic() + TIMEOUT
        while True:
            line = await listener.line(timeout=max(0.1, deadline - time.monotonic()))
            self.assertIsNotNone(line, f"go-sendxmpp exited\n{listener.errors()}")
            # "<RFC 3339 time> <sender's bare JID>: <body>"
            if line.endswith(f" {juliet_jid}: {TRICKY}"):
                break
            self.assertNotIn(f"{juliet_jid}:", line, "a different body arrived")

    async def wait_for_stderr(self, child, pattern, what, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pattern.search(child.errors(limit=1 << 20)):
                return
            if child.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}\n{child.errors()}")


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
