#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XMPP over BOSH (XEP-0124, XEP-0206) at /http-bind on ternd's HTTP service, with a small BOSH
# client on http.client (what a polished client will not do: repeat a rid, jump past the window,
# vanish, send garbage): session creation with its attributes and the stream features, SASL, the
# restart and bind, chat both ways with slixmpp through held requests, a repeated rid answered
# the same, a rid past the window and an unknown sid refused, 'wait' expiry, CORS for browsers,
# requests of one session spread over both workers, a client's terminate and the inactivity
# timeout ending the c2s session, XEP-0198 resumption after a BOSH session times out, and plain
# http:// treated like plain ws://. Converse.js over BOSH in Chromium is in browser_test.py.
import asyncio
import base64
import concurrent.futures
import http.client
import re
import ssl
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import SharedServer  # noqa: E402
from interop import server_certificate  # noqa: E402
from slix import DOMAIN, PASSWORD, TIMEOUT, ClientTestCase, next_matching  # noqa: E402

BOSH = "http://jabber.org/protocol/httpbind"
XBOSH = "urn:xmpp:xbosh"
STREAMS = "http://etherx.jabber.org/streams"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND = "urn:ietf:params:xml:ns:xmpp-bind"
SM = "urn:xmpp:sm:3"


class Bosh:
    """One BOSH session's client side: each request on a fresh HTTP connection (so that
    requests land on either worker), rids counted here."""

    def __init__(self, server, secure=True, wait=10, hold=1, rid=None):
        self.server = server
        self.secure = secure
        self.rid = rid if rid is not None else 1_000_000 + int(time.time() * 1000) % 1_000_000
        self.sid = None
        self.wait = wait
        self.hold = hold
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)

    def close(self):
        self.pool.shutdown(wait=False, cancel_futures=True)

    def connection(self, secure=None):
        secure = self.secure if secure is None else secure
        if secure:
            context = ssl.create_default_context(cafile=server_certificate(self.server))
            return http.client.HTTPSConnection(DOMAIN, self.server.ports["https"],
                                               timeout=TIMEOUT + 60, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.server.ports["http"],
                                          timeout=TIMEOUT + 60)

    def post(self, body, headers=None, secure=None):
        """(status, response headers, parsed body or None, text) of one POST."""
        connection = self.connection(secure)
        try:
            connection.request("POST", "/http-bind", body=body.encode(),
                               headers={"Content-Type": "text/xml; charset=utf-8",
                                        **(headers or {})})
            response = connection.getresponse()
            text = response.read().decode()
            parsed = None
            try:
                parsed = ET.fromstring(text)
            except ET.ParseError:
                pass
            return response.status, dict(response.getheaders()), parsed, text
        finally:
            connection.close()

    def body(self, payload="", rid=None, **attrs):
        if rid is None:
            self.rid += 1
            rid = self.rid
        extra = "".join(f" {name.replace('__', ':')}='{value}'" for name, value in attrs.items())
        sid = f" sid='{self.sid}'" if self.sid else ""
        return (f"<body xmlns='{BOSH}' xmlns:xmpp='{XBOSH}' rid='{rid}'{sid}{extra}>"
                f"{payload}</body>")

    def request(self, payload="", **attrs):
        return self.post(self.body(payload, **attrs))

    def later(self, payload="", **attrs):
        """A request sent now from another thread (held by the server): a future of post()."""
        text = self.body(payload, **attrs)
        return self.pool.submit(self.post, text)

    def create(self, headers=None):
        self.rid += 1
        status, response_headers, body, text = self.post(
            f"<body xmlns='{BOSH}' xmlns:xmpp='{XBOSH}' rid='{self.rid}' to='{DOMAIN}' "
            f"wait='{self.wait}' hold='{self.hold}' ver='1.6' xml:lang='en' "
            "xmpp:version='1.0' content='text/xml; charset=utf-8'/>", headers)
        assert status == 200, (status, text)
        self.sid = body.get("sid")
        self.created = body
        return body, response_headers, text

    def login(self, user, password=PASSWORD, resource="bosh"):
        self.create()
        token = base64.b64encode(f"\0{user.split('@')[0]}\0{password}".encode()).decode()
        _, _, body, text = self.request(f"<auth xmlns='{SASL}' mechanism='PLAIN'>{token}</auth>")
        assert body.find(f"{{{SASL}}}success") is not None, text
        _, _, body, text = self.request(to=DOMAIN, xmpp__restart="true")
        assert body.find(f"{{{STREAMS}}}features") is not None, text
        _, _, body, text = self.request(
            f"<iq type='set' id='b1' xmlns='jabber:client'><bind xmlns='{BIND}'>"
            f"<resource>{resource}</resource></bind></iq>")
        return body.find(f".//{{{BIND}}}jid").text


class BoshTest(ClientTestCase):
    def bosh(self, **kw):
        client = Bosh(self.server, **kw)
        self.addCleanup(client.close)
        return client

    def test_session_creation_announces_the_session_and_the_stream_features(self):
        client = self.bosh()
        body, headers, text = client.create(headers={"Origin": "https://chat.example"})
        self.assertEqual(body.tag, f"{{{BOSH}}}body")
        self.assertEqual(len(client.sid), 32)
        self.assertEqual((body.get("wait"), body.get("hold"), body.get("requests")),
                         ("10", "1", "2"))
        self.assertEqual(body.get("from"), DOMAIN)
        self.assertEqual(body.get("secure"), "true")
        self.assertTrue(body.get("authid"))
        self.assertEqual(body.get("inactivity"), "60")
        self.assertEqual(body.get(f"{{{XBOSH}}}version"), "1.0")
        self.assertEqual(body.get(f"{{{XBOSH}}}restartlogic"), "true")
        self.assertTrue(headers["Content-Type"].startswith("text/xml"), headers)
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")
        features = body.find(f"{{{STREAMS}}}features")
        self.assertIsNotNone(features, text)
        mechanisms = [m.text for m in features.iter(f"{{{SASL}}}mechanism")]
        self.assertIn("PLAIN", mechanisms)
        self.assertIn("SCRAM-SHA-256", mechanisms)
        self.server.wait_for_output(r"conn\.accepted.*listener=bosh-secure")

    def test_a_browser_preflight_is_answered(self):
        connection = self.bosh().connection()
        connection.request("OPTIONS", "/http-bind", headers={
            "Origin": "https://chat.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        response = connection.getresponse()
        response.read()
        connection.close()
        self.assertEqual(response.status, 204)
        self.assertEqual(response.getheader("Access-Control-Allow-Origin"), "*")
        self.assertIn("POST", response.getheader("Access-Control-Allow-Methods"))

    async def test_a_bosh_session_chats_with_slixmpp(self):
        bosh_user, slix_user = self.accounts("boshuser", "slixuser")
        client = self.bosh()
        jid = await asyncio.to_thread(client.login, bosh_user)
        self.assertEqual(jid, f"{bosh_user}/bosh")
        juliet = await self.login(f"{slix_user}/balcony", PASSWORD)
        # A message in a request that is held, released by the client's next request.
        held = client.later(f"<message to='{slix_user}/balcony' type='chat'>"
                            "<body>over BOSH &amp; back</body></message>")
        got = await next_matching(juliet.messages, lambda m: m["from"].bare == bosh_user,
                                  "the message over BOSH")
        self.assertEqual((got["body"], got["from"].full), ("over BOSH & back", jid))
        waiting = client.later()  # the client's next request: the held one is answered empty
        status, _, body, _ = await asyncio.wrap_future(held)
        self.assertEqual((status, list(body)), (200, []))
        # A message to the BOSH user answers the request the server holds.
        juliet.send_message(mto=jid, mbody="reply <ok/>", mtype="chat")
        status, _, body, text = await asyncio.wrap_future(waiting)
        message = body.find("{jabber:client}message")
        self.assertIsNotNone(message, text)
        self.assertEqual(message.find("{jabber:client}body").text, "reply <ok/>")
        self.assertEqual(message.get("from"), f"{slix_user}/balcony")

    def test_a_repeated_rid_gets_the_same_answer(self):
        client = self.bosh()
        user, = self.accounts("repeat")
        client.login(user)
        ping = (f"<iq xmlns='jabber:client' type='get' id='p1' to='{DOMAIN}'>"
                "<ping xmlns='urn:xmpp:ping'/></iq>")
        first = client.request(ping)
        self.assertIsNotNone(first[2].find("{jabber:client}iq"), first[3])
        again = client.post(client.body(ping, rid=client.rid))  # its answer was "lost"
        self.assertEqual(again[3], first[3])

    def test_an_early_request_waits_for_the_one_before_it(self):
        client = self.bosh()
        user, = self.accounts("reorder")
        client.login(user)

        def ping(name):
            return (f"<iq xmlns='jabber:client' type='get' id='{name}' to='{DOMAIN}'>"
                    "<ping xmlns='urn:xmpp:ping'/></iq>")
        client.rid += 2
        second = client.later(ping("second"), rid=client.rid)  # overtakes the one before it
        time.sleep(0.3)
        self.assertFalse(second.done())  # waits for the gap
        status, _, body, text = client.post(client.body(ping("first"), rid=client.rid - 1))
        self.assertEqual(status, 200)
        ids = [iq.get("id") for iq in body.iter("{jabber:client}iq")]
        status, _, body, text = second.result(timeout=TIMEOUT)
        self.assertEqual(status, 200)
        ids += [iq.get("id") for iq in body.iter("{jabber:client}iq")]
        self.assertEqual(ids, ["first", "second"])  # taken in rid order

    def test_an_early_request_sent_twice_answers_the_first_copy(self):
        client = self.bosh(wait=2)
        user, = self.accounts("twice")
        client.login(user)
        client.rid += 2
        first_copy = client.later(rid=client.rid)
        time.sleep(0.3)
        second_copy = client.later(rid=client.rid)  # the client gave up on the first one
        status, _, body, _ = first_copy.result(timeout=TIMEOUT)
        self.assertEqual((status, list(body), body.get("type")), (200, [], None))
        self.assertFalse(second_copy.done())  # still waits for the gap
        client.post(client.body(rid=client.rid - 1))
        status, _, body, _ = second_copy.result(timeout=TIMEOUT)
        self.assertEqual((status, body.get("type")), (200, None))

    def test_wait_zero_still_opens_the_stream(self):
        client = self.bosh(wait=0)
        body, _, text = client.create()
        self.assertEqual(body.get("wait"), "0")
        self.assertIsNotNone(body.find(f"{{{STREAMS}}}features"), text)

    def test_a_rid_past_the_window_ends_the_session(self):
        client = self.bosh()
        client.create()
        client.rid += 5
        status, _, body, text = client.request()
        self.assertEqual((status, body.get("type"), body.get("condition")),
                         (200, "terminate", "item-not-found"), text)
        status, _, body, _ = client.request()
        self.assertEqual((status, body.get("condition")), (404, "item-not-found"))
        self.server.wait_for_output(r"bosh\.ended.*reason=rid-window")

    def test_unknown_sessions_and_bad_bodies_are_refused(self):
        client = self.bosh()
        client.sid = "0" * 32
        status, _, body, _ = client.request()
        self.assertEqual((status, body.get("type"), body.get("condition")),
                         (404, "terminate", "item-not-found"))
        for text in ("not xml", "<body rid='1'/>", f"<body xmlns='{BOSH}'/>",
                     f"<body xmlns='{BOSH}' rid='x'/>", f"<body xmlns='{BOSH}' rid='1'>",
                     f"<!DOCTYPE body><body xmlns='{BOSH}' rid='1'/>",
                     f"<body xmlns='{BOSH}' rid='1'/><body xmlns='{BOSH}' rid='2'/>"):
            status, _, body, _ = client.post(text)
            self.assertEqual((status, body.get("condition")), (400, "bad-request"), text)
        self.server.wait_for_output(r"limit\.refused.*BOSH request refused")
        connection = client.connection()
        connection.request("GET", "/http-bind")
        self.assertEqual(connection.getresponse().status, 405)
        connection.close()

    def test_wait_expires_with_an_empty_answer(self):
        client = self.bosh(wait=1)
        user, = self.accounts("waiter")
        client.login(user)
        start = time.monotonic()
        status, _, body, _ = client.request()
        self.assertEqual((status, list(body), body.get("type")), (200, [], None))
        self.assertLess(time.monotonic() - start, 5)

    async def test_a_terminate_ends_the_session(self):
        bosh_user, slix_user = self.accounts("leaver", "watcher")
        client = self.bosh()
        await asyncio.to_thread(client.login, bosh_user)
        status, _, body, _ = await asyncio.to_thread(
            client.request, "<presence type='unavailable'/>", type="terminate")
        self.assertEqual((status, body.get("type"), body.get("condition")),
                         (200, "terminate", None))
        await self.server_output(rf"conn\.closed.*jid={bosh_user}/bosh")
        status, _, body, _ = await asyncio.to_thread(client.request)
        self.assertEqual((status, body.get("condition")), (404, "item-not-found"))

    def test_a_session_created_over_tls_takes_no_plain_request(self):
        client = self.bosh(wait=1)
        client.create()
        status, _, body, _ = client.post(client.body(), secure=False)
        self.assertEqual((status, body.get("condition")), (403, "policy-violation"))
        start = time.monotonic()
        status, _, body, _ = client.post(client.body(rid=client.rid))  # the same rid, over TLS
        self.assertEqual((status, body.get("type")), (200, None))  # the session is unharmed
        self.assertLess(time.monotonic() - start, 5)  # held for 'wait', not waiting for a gap


class BoshWorkersTest(ClientTestCase):
    """A session lives on one worker; requests reaching the other are posted to it."""

    settings = ("log.level=debug",)

    def test_requests_of_one_session_on_both_workers(self):
        client = Bosh(self.server)
        self.addCleanup(client.close)
        user, = self.accounts("spread")
        client.login(user)
        for n in range(12):  # each on a new connection: the kernel spreads them over the workers
            status, _, body, text = client.request(
                f"<iq xmlns='jabber:client' type='get' id='w{n}' to='{DOMAIN}'>"
                "<ping xmlns='urn:xmpp:ping'/></iq>")
            self.assertEqual(status, 200)
            self.assertEqual(body.find("{jabber:client}iq").get("id"), f"w{n}", text)
        routes = set()
        for line in self.server.output_lines():
            found = re.search(r"bosh\.request.*worker=(\d+).*owner=(\d+)", line)
            if found:
                routes.add(found.groups())
        # Some were taken by the session's own worker, some posted to it by the other.
        self.assertTrue(any(worker != owner for worker, owner in routes), routes)
        self.assertTrue(any(worker == owner for worker, owner in routes), routes)


class BoshLargeOutputTest(ClientTestCase):
    """An element the server builds may be larger than the stanza limit clients are held to: a
    roster of 100 contacts under a 4 KiB limit still reaches a BOSH client."""

    settings = ("limits.max_stanza_bytes=4096",)

    def test_a_roster_larger_than_the_stanza_limit(self):
        client = Bosh(self.server, wait=2)
        self.addCleanup(client.close)
        user, = self.accounts("popular")
        client.login(user)
        sets = "".join(
            f"<iq xmlns='jabber:client' type='set' id='r{n}'><query xmlns='jabber:iq:roster'>"
            f"<item jid='contact-number-{n:03d}@example.net' name='Contact {n}'/></query></iq>"
            for n in range(100))
        # The sets' results first (each commits on its own): then the roster has them all.
        answered = set()
        status, _, body, text = client.request(sets)
        for _ in range(200):
            answered |= {iq.get("id") for iq in body.iter("{jabber:client}iq")
                         if iq.get("type") == "result"}
            if len(answered & {f"r{n}" for n in range(100)}) == 100:
                break
            status, _, body, text = client.request()
        self.assertEqual(len(answered & {f"r{n}" for n in range(100)}), 100)
        roster = None
        status, _, body, text = client.request(
            "<iq xmlns='jabber:client' type='get' id='all'><query xmlns='jabber:iq:roster'/></iq>")
        for _ in range(200):  # pushes may come first, in as many answers as it takes
            self.assertEqual((status, body.get("type")), (200, None), text[:300])
            for iq in body.iter("{jabber:client}iq"):
                if iq.get("id") == "all":
                    roster = iq
            if roster is not None:
                break
            status, _, body, text = client.request()
        self.assertIsNotNone(roster)
        self.assertGreater(len(ET.tostring(roster)), 4096 + 2048)
        self.assertEqual(len(list(roster.iter("{jabber:iq:roster}item"))), 100)


class BoshInactivityTest(ClientTestCase):
    settings = ("http.bosh_inactivity=2", "http.bosh_max_wait=1")

    async def test_an_idle_session_ends_and_can_be_resumed(self):
        user, sender = self.accounts("idle", "sender")
        client = Bosh(self.server)
        self.addCleanup(client.close)
        jid = await asyncio.to_thread(client.login, user)
        _, _, body, text = await asyncio.to_thread(
            client.request, f"<enable xmlns='{SM}' resume='true'/>")
        enabled = body.find(f"{{{SM}}}enabled")
        self.assertIsNotNone(enabled, text)
        self.assertEqual(client.created.get("wait"), "1")  # asked for 10, capped at bosh_max_wait
        # No request for longer than bosh_inactivity: the session is gone, the c2s session waits
        # to be resumed like one whose TCP connection dropped.
        await self.server_output(r"bosh\.ended.*reason=inactive", timeout=15)
        await self.server_output(r"conn\.closed.*reason=detached")
        status, _, body, _ = await asyncio.to_thread(client.request)
        self.assertEqual((status, body.get("condition")), (404, "item-not-found"))
        juliet = await self.login(sender, PASSWORD)
        juliet.send_message(mto=jid, mbody="while you were away", mtype="chat")
        again = Bosh(self.server)
        self.addCleanup(again.close)
        await asyncio.to_thread(again.create)
        token = base64.b64encode(f"\0{user.split('@')[0]}\0{PASSWORD}".encode()).decode()
        await asyncio.to_thread(again.request,
                                f"<auth xmlns='{SASL}' mechanism='PLAIN'>{token}</auth>")
        await asyncio.to_thread(again.request, to=DOMAIN, xmpp__restart="true")
        _, _, body, text = await asyncio.to_thread(
            again.request, f"<resume xmlns='{SM}' previd='{enabled.get('id')}' h='0'/>")
        self.assertIsNotNone(body.find(f"{{{SM}}}resumed"), text)
        received = list(body.iter("{jabber:client}body"))
        while not received:
            _, _, body, _ = await asyncio.to_thread(again.request)
            received = list(body.iter("{jabber:client}body"))
        self.assertEqual(received[0].text, "while you were away")


class PlainBoshTest(SharedServer, unittest.TestCase):
    """http:// on the plain listener is not encrypted: no authentication is offered."""

    def test_plain_bosh_offers_no_login(self):
        client = Bosh(self.server, secure=False)
        self.addCleanup(client.close)
        body, _, text = client.create()
        self.assertEqual(body.get("secure"), "false")
        features = body.find(f"{{{STREAMS}}}features")
        self.assertIsNotNone(features, text)
        self.assertEqual(list(features.iter(f"{{{SASL}}}mechanism")), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
