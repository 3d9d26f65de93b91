#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XMPP over WebSocket (RFC 7395) on ternd's HTTP service, with a small WebSocket client on raw
# sockets (what a polished client will not do: unmasked, binary, oversized or fragmented frames,
# vanishing mid-session): the handshake and its refusals, XEP-0156 host-meta pointing at the
# endpoint, a session over wss:// that chats with slixmpp, one element per message with every
# namespace declared, pings answered, protocol violations closed with their RFC 6455 codes, plain
# ws:// refused authentication unless configured as behind a TLS proxy, and XEP-0198 resumption
# of a WebSocket session on a new WebSocket. xmpp.js over WebSocket is in xmppjs_test.py.
import asyncio
import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import SharedServer  # noqa: E402
from interop import server_certificate  # noqa: E402
from slix import DOMAIN, PASSWORD, TIMEOUT, ClientTestCase, next_matching  # noqa: E402

FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
STREAMS = "http://etherx.jabber.org/streams"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
SM = "urn:xmpp:sm:3"
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocket:
    """A client WebSocket on a raw (or TLS) socket: frames by hand."""

    def __init__(self, server, secure=True, protocol="xmpp", headers=""):
        port = server.ports["https" if secure else "http"]
        raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        if secure:
            context = ssl.create_default_context(cafile=server_certificate(server))
            raw = context.wrap_socket(raw, server_hostname=DOMAIN)
        self.sock = raw
        self.buffer = b""
        self.key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET /xmpp-websocket HTTP/1.1\r\nHost: {DOMAIN}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
                   "Sec-WebSocket-Version: 13\r\n")
        if protocol:
            request += f"Sec-WebSocket-Protocol: {protocol}\r\n"
        self.sock.sendall((request + headers + "\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines[0] else 0
        self.headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip()
                        for line in lines[1:] if ":" in line}

    def expected_accept(self):
        return base64.b64encode(hashlib.sha1((self.key + GUID).encode()).digest()).decode()

    def send_frame(self, opcode, payload, fin=True, mask=True):
        header = bytes([(0x80 if fin else 0) | opcode])
        size = len(payload)
        bit = 0x80 if mask else 0
        if size < 126:
            header += bytes([bit | size])
        elif size < 65536:
            header += bytes([bit | 126]) + struct.pack(">H", size)
        else:
            header += bytes([bit | 127]) + struct.pack(">Q", size)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            header += key
        self.sock.sendall(header + payload)

    def send(self, text):
        self.send_frame(0x1, text.encode())

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the server closed the connection")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def frame(self):
        """(opcode, payload) of the next server frame (servers never mask)."""
        first, second = self._read(2)
        self.last_masked = bool(second & 0x80)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack(">H", self._read(2))[0]
        elif size == 127:
            size = struct.unpack(">Q", self._read(8))[0]
        return first & 0x0F, self._read(size)

    def element(self):
        """The next text message, parsed on its own (each must be a whole document)."""
        while True:
            opcode, payload = self.frame()
            if opcode == 0x1:
                return ET.fromstring(payload.decode()), payload.decode()
            if opcode == 0x8:
                raise EOFError(f"close frame {payload!r}")

    def close_code(self):
        """The status code of the server's close frame, skipping what comes before it."""
        while True:
            opcode, payload = self.frame()
            if opcode == 0x8:
                return struct.unpack(">H", payload[:2])[0]

    def open_stream(self):
        self.send(f"<open xmlns='{FRAMING}' to='{DOMAIN}' version='1.0'/>")
        opened, _ = self.element()
        assert opened.tag == f"{{{FRAMING}}}open", opened.tag
        features, text = self.element()
        return opened, features, text

    def login(self, user, password=PASSWORD, resource="ws"):
        self.open_stream()
        token = base64.b64encode(f"\0{user.split('@')[0]}\0{password}".encode()).decode()
        self.send(f"<auth xmlns='{SASL}' mechanism='PLAIN'>{token}</auth>")
        success, _ = self.element()
        assert success.tag == f"{{{SASL}}}success", success.tag
        _, features, _ = self.open_stream()
        self.send("<iq type='set' id='b1' xmlns='jabber:client'><bind "
                  f"xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{resource}</resource>"
                  "</bind></iq>")
        bound, _ = self.element()
        return bound.find(".//{urn:ietf:params:xml:ns:xmpp-bind}jid").text

    def close(self):
        self.sock.close()


class WebSocketTest(ClientTestCase):
    def websocket(self, **kw):
        ws = WebSocket(self.server, **kw)
        self.addCleanup(ws.close)
        return ws

    def test_the_handshake_agrees_on_xmpp(self):
        ws = self.websocket()
        self.assertEqual(ws.status, 101)
        self.assertEqual(ws.headers["sec-websocket-accept"], ws.expected_accept())
        self.assertEqual(ws.headers["sec-websocket-protocol"], "xmpp")
        self.assertEqual(ws.headers["upgrade"].lower(), "websocket")
        opened, features, text = ws.open_stream()
        self.assertEqual(opened.get("from"), DOMAIN)
        self.assertEqual(opened.get("version"), "1.0")
        self.assertTrue(opened.get("id"))
        # RFC 7395 §3.3.3: each message a document of its own, stream: declared where used.
        self.assertEqual(features.tag, f"{{{STREAMS}}}features")
        self.assertTrue(text.startswith("<stream:features xmlns:stream="), text)
        mechanisms = [m.text for m in features.iter(f"{{{SASL}}}mechanism")]
        self.assertIn("PLAIN", mechanisms)
        self.assertIn("SCRAM-SHA-256-PLUS", mechanisms)  # tls-exporter over wss
        self.assertIsNone(features.find("{urn:ietf:params:xml:ns:xmpp-tls}starttls"))

    def test_handshakes_that_are_not_xmpp_are_refused(self):
        self.assertEqual(self.websocket(protocol=None).status, 400)
        self.assertEqual(self.websocket(protocol="mqtt").status, 400)
        for line in ("GET /xmpp-websocket HTTP/1.1\r\nHost: localhost\r\n\r\n",
                     "GET /xmpp-websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Version: 7\r\nSec-WebSocket-Key: "
                     "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
                     "GET /xmpp-websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                     "short\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", self.server.ports["http"]), 5) as s:
                s.sendall(line.encode())
                status = int(s.recv(4096).split()[1])
                self.assertIn(status, (400, 426), line)

    def test_host_meta_points_at_the_endpoint(self):
        import urllib.request
        context = ssl.create_default_context(cafile=server_certificate(self.server))
        base = f"https://{DOMAIN}:{self.server.ports['https']}"
        with urllib.request.urlopen(base + "/.well-known/host-meta.json", context=context,
                                    timeout=TIMEOUT) as r:
            links = json.loads(r.read())["links"]
            self.assertEqual(r.headers["Access-Control-Allow-Origin"], "*")
        self.assertIn({"rel": "urn:xmpp:alt-connections:websocket",
                       "href": f"wss://{DOMAIN}:{self.server.ports['https']}/xmpp-websocket"},
                      links)
        self.assertIn({"rel": "urn:xmpp:alt-connections:xbosh",
                       "href": f"https://{DOMAIN}:{self.server.ports['https']}/http-bind"}, links)
        with urllib.request.urlopen(base + "/.well-known/host-meta", context=context,
                                    timeout=TIMEOUT) as r:
            xrd = ET.fromstring(r.read())
        xrd_links = [{"rel": link.get("rel"), "href": link.get("href")}
                     for link in xrd.iter("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")]
        self.assertEqual(xrd_links, links)  # both documents list both endpoints

    async def test_a_websocket_session_chats_with_slixmpp(self):
        ws_user, slix_user = self.accounts("wsuser", "slixuser")
        ws = self.websocket()
        jid = ws.login(ws_user)
        self.assertEqual(jid, f"{ws_user}/ws")
        juliet = await self.login(f"{slix_user}/balcony", PASSWORD)
        ws.send(f"<message xmlns='jabber:client' to='{slix_user}/balcony' type='chat'>"
                "<body>over a WebSocket &amp; back</body></message>")
        got = await next_matching(juliet.messages, lambda m: m["from"].bare == ws_user, "message")
        self.assertEqual((got["body"], got["from"].full), ("over a WebSocket & back", jid))
        juliet.send_message(mto=jid, mbody="reply <ok/>", mtype="chat")
        message, text = await asyncio.to_thread(ws.element)  # slixmpp's loop must run meanwhile
        self.assertEqual(message.tag, "{jabber:client}message")
        self.assertIn("xmlns='jabber:client'", text)
        self.assertEqual(message.find("{jabber:client}body").text, "reply <ok/>")
        # A stanza split over three frames (one message, fragmented) is one stanza.
        ping = f"<iq xmlns='jabber:client' type='get' id='p1' to='{DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>".encode()
        ws.send_frame(0x1, ping[:10], fin=False)
        ws.send_frame(0x0, ping[10:30], fin=False)
        ws.send_frame(0x9, b"keepalive")  # a control frame may come between fragments
        ws.send_frame(0x0, ping[30:], fin=True)
        opcode, payload = ws.frame()
        self.assertEqual((opcode, payload), (0xA, b"keepalive"))  # the pong echoes the ping
        result, _ = ws.element()
        self.assertEqual((result.get("type"), result.get("id")), ("result", "p1"))
        ws.send(f"<close xmlns='{FRAMING}'/>")
        closed, _ = ws.element()
        self.assertEqual(closed.tag, f"{{{FRAMING}}}close")
        self.assertEqual(ws.close_code(), 1000)

    def test_protocol_violations_close_with_their_code(self):
        for send, code in ((lambda ws: ws.send_frame(0x2, b"<a/>"), 1003),
                           (lambda ws: ws.send_frame(0x1, b"<a/>", mask=False), 1002),
                           (lambda ws: ws.send_frame(0x1, b"x" * 300_000), 1009),
                           (lambda ws: ws.send_frame(0x0, b"<a/>"), 1002)):
            ws = self.websocket()
            try:
                send(ws)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # refused as soon as the frame's header said enough: the rest may not fit
            self.assertEqual(ws.close_code(), code)
        self.server.wait_for_output(r"limit\.refused.*WebSocket framing refused")

    async def test_xep0198_resumes_on_a_new_websocket(self):
        user, sender = self.accounts("resumer", "sender")
        ws = self.websocket()
        jid = ws.login(user)
        ws.send(f"<enable xmlns='{SM}' resume='true'/>")
        enabled, _ = ws.element()
        previd = enabled.get("id")
        self.assertTrue(previd)
        ws.sock.close()  # gone without a word: the session waits to be resumed
        await self.server_output(r"conn\.closed.*reason=detached")
        juliet = await self.login(sender, PASSWORD)
        juliet.send_message(mto=jid, mbody="while you were away", mtype="chat")
        again = self.websocket()
        again.open_stream()
        token = base64.b64encode(f"\0{user.split('@')[0]}\0{PASSWORD}".encode()).decode()
        again.send(f"<auth xmlns='{SASL}' mechanism='PLAIN'>{token}</auth>")
        again.element()
        again.open_stream()
        again.send(f"<resume xmlns='{SM}' previd='{previd}' h='0'/>")
        resumed, _ = again.element()
        self.assertEqual(resumed.tag, f"{{{SM}}}resumed")
        message = None
        for _ in range(5):
            element, _ = await asyncio.to_thread(again.element)
            if element.tag == "{jabber:client}message":
                message = element
                break
        self.assertIsNotNone(message)
        self.assertEqual(message.find("{jabber:client}body").text, "while you were away")


class PlainWebSocketTest(SharedServer, unittest.TestCase):
    """ws:// on the plain listener is not encrypted: no authentication is offered."""

    def test_plain_websocket_offers_no_login(self):
        ws = WebSocket(self.server, secure=False)
        self.addCleanup(ws.close)
        self.assertEqual(ws.status, 101)
        _, features, _ = ws.open_stream()
        self.assertEqual(list(features.iter(f"{{{SASL}}}mechanism")), [])


class TrustedPlainWebSocketTest(SharedServer, unittest.TestCase):
    """[http] consider_websocket_secure: behind a TLS proxy, plain ws:// may log in."""

    settings = ("http.consider_websocket_secure=true",)

    def test_behind_a_tls_proxy_plain_websocket_logs_in(self):
        self.server.adduser(f"proxied@{DOMAIN}", PASSWORD)
        ws = WebSocket(self.server, secure=False)
        self.addCleanup(ws.close)
        self.assertEqual(ws.login(f"proxied@{DOMAIN}"), f"proxied@{DOMAIN}/ws")


if __name__ == "__main__":
    unittest.main(verbosity=2)
