#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# ternd with real clients: slixmpp (Debian's python3-slixmpp) logs in over STARTTLS with SCRAM,
# chats, is refused with a wrong password, and raw sockets send malformed input. Every wait is
# bounded; the server is started per test class on free loopback ports.
import asyncio
import logging
import ssl
import sys
import time
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer, SharedServer  # noqa: E402
from slix import DOMAIN, TIMEOUT, Client, ClientTestCase, wait  # noqa: E402

import slixmpp  # noqa: E402

class ServerTest(ClientTestCase):
    accounts_at_start = ((f"juliet@{DOMAIN}", "balcony"), (f"romeo@{DOMAIN}", "orchard"))

    async def test_two_clients_chat_both_ways(self):
        juliet = await self.login(f"juliet@{DOMAIN}/balcony", "balcony")
        romeo = await self.login(f"romeo@{DOMAIN}/garden", "orchard")
        juliet.send_message(mto=f"romeo@{DOMAIN}/garden", mbody="Wherefore art thou?", mtype="chat")
        got = await asyncio.wait_for(romeo.messages.get(), TIMEOUT)
        self.assertEqual(got["body"], "Wherefore art thou?")
        self.assertEqual(got["from"].full, f"juliet@{DOMAIN}/balcony")
        romeo.send_message(mto=f"juliet@{DOMAIN}", mbody="Here, by the orchard wall", mtype="chat")
        got = await asyncio.wait_for(juliet.messages.get(), TIMEOUT)
        self.assertEqual(got["body"], "Here, by the orchard wall")
        self.assertEqual(got["from"].full, f"romeo@{DOMAIN}/garden")

    async def test_presence_reaches_own_resources_and_unavailable_on_disconnect(self):
        phone = await self.login(f"juliet@{DOMAIN}/phone", "balcony")
        laptop = await self.login(f"juliet@{DOMAIN}/laptop", "balcony")
        got = await self.next_presence(phone, f"juliet@{DOMAIN}/laptop")
        self.assertEqual(got["type"], "available")
        laptop.abort()  # an abrupt end: no unavailable presence from the client itself
        got = await self.next_presence(phone, f"juliet@{DOMAIN}/laptop")
        self.assertEqual(got["type"], "unavailable")

    async def test_spoofed_from_is_replaced(self):
        juliet = await self.login(f"juliet@{DOMAIN}/spoof", "balcony")
        romeo = await self.login(f"romeo@{DOMAIN}/spoof", "orchard")
        msg = juliet.make_message(mto=f"romeo@{DOMAIN}/spoof", mbody="trust me", mtype="chat")
        msg["from"] = f"mallory@{DOMAIN}/evil"
        msg.send()
        got = await asyncio.wait_for(romeo.messages.get(), TIMEOUT)
        self.assertEqual(got["from"].full, f"juliet@{DOMAIN}/spoof")

    async def test_malformed_input_elsewhere_leaves_sessions_unaffected(self):
        juliet = await self.login(f"juliet@{DOMAIN}/steady", "balcony")
        romeo = await self.login(f"romeo@{DOMAIN}/steady", "orchard")
        header = MalformedInputTest.HEADER
        for bad in (b"\x00\x01garbage", header + b"<message><<",
                    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>",
                    header + b"<message><body>" + b"x" * 300000,
                    header + b"<message><body>never finished"):
            await asyncio.to_thread(self.server.raw, bad, 0.2)
        self.assertTrue(self.server.alive())
        juliet.send_message(mto=f"romeo@{DOMAIN}/steady", mbody="still here?", mtype="chat")
        got = await asyncio.wait_for(romeo.messages.get(), TIMEOUT)
        self.assertEqual(got["body"], "still here?")
        romeo.send_message(mto=f"juliet@{DOMAIN}/steady", mbody="still here.", mtype="chat")
        got = await asyncio.wait_for(juliet.messages.get(), TIMEOUT)
        self.assertEqual(got["body"], "still here.")

    async def test_wrong_password_is_refused(self):
        client = Client(f"juliet@{DOMAIN}/x", "wrong", self.server.port)
        client.start()
        self.addAsyncCleanup(self.logout, client)
        await wait(client.auth_failed, "the authentication failure")
        self.assertFalse(client.started.is_set())

    async def test_ping_and_disco_of_the_server(self):
        juliet = await self.login(f"juliet@{DOMAIN}/disco", "balcony")
        await juliet["xep_0199"].ping(jid=DOMAIN, timeout=TIMEOUT)
        info = await juliet["xep_0030"].get_info(jid=DOMAIN, timeout=TIMEOUT)
        features = info["disco_info"]["features"]
        self.assertIn("urn:xmpp:ping", features)
        self.assertIn(("server", "im", None, "Tern"), info["disco_info"]["identities"])

    async def test_version_and_time_of_the_server(self):
        juliet = await self.login(f"juliet@{DOMAIN}/vt", "balcony")
        version = await juliet["xep_0092"].get_version(DOMAIN, timeout=TIMEOUT)
        self.assertEqual(version["software_version"]["name"], "Tern")
        when = await juliet["xep_0202"].get_entity_time(DOMAIN, timeout=TIMEOUT)
        # Read the XML itself: slixmpp 1.8's tzo accessor misparses "+00:00".
        xml = when["entity_time"].xml
        self.assertEqual(xml.find("{urn:xmpp:time}tzo").text, "+00:00")
        self.assertRegex(xml.find("{urn:xmpp:time}utc").text,
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        info = await juliet["xep_0030"].get_info(jid=DOMAIN, timeout=TIMEOUT)
        for feature in ("urn:xmpp:time", "jabber:iq:version", "urn:xmpp:ping",
                        "http://jabber.org/protocol/disco#items"):
            self.assertIn(feature, info["disco_info"]["features"])

    async def test_iq_to_unknown_user_is_service_unavailable(self):
        juliet = await self.login(f"juliet@{DOMAIN}/iq", "balcony")
        with self.assertRaises(slixmpp.exceptions.IqError) as caught:
            await juliet["xep_0030"].get_info(jid=f"nobody@{DOMAIN}/x", timeout=TIMEOUT)
        self.assertEqual(caught.exception.condition, "service-unavailable")

    async def test_message_to_unknown_user_is_service_unavailable(self):
        romeo = await self.login(f"romeo@{DOMAIN}/solo", "orchard")
        romeo.send_message(mto=f"nobody@{DOMAIN}", mbody="are you there?", mtype="chat")
        got = await asyncio.wait_for(romeo.messages.get(), TIMEOUT)
        self.assertEqual(got["type"], "error")
        self.assertEqual(got["error"]["condition"], "service-unavailable")


class TimeoutTest(unittest.TestCase):
    """A client that never finishes negotiating is cut off with connection-timeout."""

    def test_negotiation_timeout(self):
        with TernServer("c2s.negotiation_timeout=1") as server:
            started = time.monotonic()
            answer = server.raw(MalformedInputTest.HEADER, read_for=4)
            elapsed = time.monotonic() - started
            self.assertIn("<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>",
                          answer)
            self.assertTrue(answer.endswith("</stream:stream>"), answer)
            self.assertLess(elapsed, 4)  # cut off by the server, not by our read timeout


class ExampleTest(unittest.TestCase):
    """examples/chat.py, the documented first chat, works against a fresh server."""

    def test_example_chat_script(self):
        import os
        import subprocess
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with TernServer() as server:
            server.adduser(f"juliet@{DOMAIN}", "balcony")
            server.adduser(f"romeo@{DOMAIN}", "orchard")
            result = subprocess.run(
                [sys.executable, os.path.join(root, "examples", "chat.py"), "--port",
                 str(server.port)], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("romeo got from juliet@localhost/balcony: Romeo, Romeo!", result.stdout)
        self.assertIn("juliet got from romeo@localhost/garden: By a name", result.stdout)


class MalformedInputTest(SharedServer, unittest.TestCase):
    HEADER = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              b"xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>")

    def assert_stream_error(self, data, condition):
        answer = self.server.raw(data)
        self.assertIn(f"<{condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", answer)
        self.assertTrue(answer.endswith("</stream:stream>"), answer)
        self.assertTrue(self.server.alive())

    def test_garbage(self):
        self.assert_stream_error(b"\x00\x01garbage", "not-well-formed")

    def test_broken_xml(self):
        self.assert_stream_error(self.HEADER + b"<message><<", "not-well-formed")

    def test_dtd(self):
        self.assert_stream_error(b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>",
                                 "restricted-xml")

    def test_oversize_stanza(self):
        self.assert_stream_error(self.HEADER + b"<message><body>" + b"x" * 300000,
                                 "policy-violation")

    def test_unknown_host(self):
        self.assert_stream_error(self.HEADER.replace(b"localhost", b"elsewhere.example"),
                                 "host-unknown")

    def test_unclosed_tag_then_disconnect_leaves_server_serving(self):
        self.server.raw(self.HEADER + b"<message><body>never finished", read_for=0.2)
        answer = self.server.raw(self.HEADER)
        self.assertIn("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>", answer)


if __name__ == "__main__":
    logging.basicConfig(level=logging.CRITICAL)
    unittest.main(verbosity=2)
