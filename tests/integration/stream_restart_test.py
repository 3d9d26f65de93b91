# SPDX-License-Identifier: MIT
# Whitespace and XML declarations at every point where a stream restarts (RFC 6120 §4.3.3: after
# STARTTLS, after SASL success), on raw sockets, so that each byte is what the test says. Real
# clients differ here: go-sendxmpp (the Go xmpp library) sends a newline and then
# "<?xml version='1.0'?>" before its new header; others send the header alone, or pipeline it in
# the same write as the element that caused the restart. Each variant is sent in one write with
# the element before it (where the protocol allows: after SASL) and split across many writes.
import base64
import os
import socket
import ssl
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TernServer  # noqa: E402
from scram import ScramClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "balcony-at-dawn"
STREAMS = "http://etherx.jabber.org/streams"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
HEADER = (f"<stream:stream xmlns='jabber:client' xmlns:stream='{STREAMS}' to='{DOMAIN}' "
          "version='1.0'>")
# What a client may send before a (re)started stream's header.
PREFIXES = {
    "header alone": "",
    "declaration": "<?xml version='1.0'?>",
    "newline and declaration (go-sendxmpp)": "\n<?xml version='1.0'?>",
    "whitespace and declaration": " \r\n\t <?xml version='1.0' encoding='UTF-8'?>",
    "whitespace only": "\n\n ",
}


class Stream:
    """One raw connection; reads top-level elements of the current stream."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.restart_parser()

    def restart_parser(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.ready = []
        self.fed = 0  # bytes of the current stream

    def feed(self, data):
        # ternd opens every stream, restarted ones too, with an XML declaration: that is where
        # our parser must restart as well, even in the middle of one read.
        while data:
            cut = data.find(b"<?xml", 1 if self.fed == 0 else 0)
            if cut < 0:
                cut = len(data)
            self.parser.feed(data[:cut])
            self.fed += cut
            for event, element in self.parser.read_events():
                self.depth += 1 if event == "start" else -1
                if event == "end" and self.depth == 1:
                    self.ready.append(element)
            data = data[cut:]
            if data:
                ready = self.ready
                self.restart_parser()
                self.ready = ready

    def send(self, *pieces):
        """Each piece in its own write, with a pause so that the server reads them apart."""
        for i, piece in enumerate(pieces):
            if i:
                time.sleep(0.03)
            self.sock.sendall(piece.encode())

    def next(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.ready:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            if not data:
                return None
            self.feed(data)
        return self.ready.pop(0)

    def expect(self, tag, what):
        element = self.next()
        if element is None or element.tag != tag:
            got = None if element is None else ET.tostring(element).decode()
            raise AssertionError(f"{what}: expected {tag}, got {got}")
        return element

    def starttls(self):
        self.send(HEADER)
        self.expect(f"{{{STREAMS}}}features", "first features")
        self.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        self.expect("{urn:ietf:params:xml:ns:xmpp-tls}proceed", "starttls")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.sock = context.wrap_socket(self.sock, server_hostname=DOMAIN)
        self.restart_parser()

    def plain_auth(self, what):
        """SASL PLAIN as juliet; returns once <success/> is read."""
        token = base64.b64encode(f"\0juliet\0{PASSWORD}".encode()).decode()
        self.send(f"<auth xmlns='{SASL}' mechanism='PLAIN'>{token}</auth>")
        self.expect(f"{{{SASL}}}success", what)

    def close(self):
        self.sock.close()


class StreamRestartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TernServer().start()
        cls.server.adduser(f"juliet@{DOMAIN}", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def assert_bound_and_serving(self, stream, what):
        """The restarted stream works: features, bind, and an IQ answered."""
        stream.expect(f"{{{STREAMS}}}features", what)
        stream.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        bound = stream.expect("{jabber:client}iq", what + ": bind")
        self.assertEqual(bound.get("type"), "result", what)
        stream.send("<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>")
        pong = stream.expect("{jabber:client}iq", what + ": ping")
        self.assertEqual((pong.get("id"), pong.get("type")), ("p", "result"), what)

    def test_after_starttls(self):
        for name, prefix in PREFIXES.items():
            for split in (False, True):
                what = f"after STARTTLS, {name}, {'split' if split else 'one write'}"
                with self.subTest(what):
                    stream = Stream(self.server.port)
                    try:
                        stream.starttls()
                        stream.send(*self.pieces(prefix, split))
                        stream.expect(f"{{{STREAMS}}}features", what)
                        stream.plain_auth(what)
                        stream.send(HEADER)
                        self.assert_bound_and_serving(stream, what)
                    finally:
                        stream.close()

    def test_after_sasl_plain(self):
        token = base64.b64encode(f"\0juliet\0{PASSWORD}".encode()).decode()
        auth = f"<auth xmlns='{SASL}' mechanism='PLAIN'>{token}</auth>"
        for name, prefix in PREFIXES.items():
            for pipelined in (True, False):
                what = f"after SASL PLAIN, {name}, " + (
                    "one write with <auth/>" if pipelined else "split")
                with self.subTest(what):
                    stream = Stream(self.server.port)
                    try:
                        stream.starttls()
                        stream.send(HEADER)
                        stream.expect(f"{{{STREAMS}}}features", what)
                        if pipelined:
                            stream.send(auth + prefix + HEADER)
                        else:
                            stream.send(auth)
                            stream.expect(f"{{{SASL}}}success", what)
                            stream.send(*self.pieces(prefix, True))
                        if pipelined:
                            stream.expect(f"{{{SASL}}}success", what)
                        self.assert_bound_and_serving(stream, what)
                    finally:
                        stream.close()

    def test_after_scram_final_step(self):
        for name, prefix in PREFIXES.items():
            for pipelined in (True, False):
                what = f"after SCRAM-SHA-1, {name}, " + (
                    "one write with the final <response/>" if pipelined else "split")
                with self.subTest(what):
                    stream = Stream(self.server.port)
                    try:
                        stream.starttls()
                        stream.send(HEADER)
                        stream.expect(f"{{{STREAMS}}}features", what)
                        scram = ScramClient("juliet", PASSWORD)
                        stream.send(f"<auth xmlns='{SASL}' mechanism='{scram.mechanism}'>"
                                    f"{scram.first()}</auth>")
                        challenge = stream.expect(f"{{{SASL}}}challenge", what)
                        response = (f"<response xmlns='{SASL}'>{scram.final(challenge.text)}"
                                    "</response>")
                        if pipelined:
                            stream.send(response + prefix + HEADER)
                        else:
                            stream.send(response)
                        success = stream.expect(f"{{{SASL}}}success", what)
                        self.assertTrue(scram.verify(success.text), what)
                        if not pipelined:
                            stream.send(*self.pieces(prefix, True))
                        self.assert_bound_and_serving(stream, what)
                    finally:
                        stream.close()

    def test_declaration_inside_a_stream_is_still_refused(self):
        # Only the start of a (re)started stream may carry a declaration: between stanzas it is
        # a processing instruction in the wrong place, and the stream fails.
        stream = Stream(self.server.port)
        try:
            stream.starttls()
            stream.send(HEADER)
            stream.expect(f"{{{STREAMS}}}features", "features")
            stream.plain_auth("auth")
            stream.send(HEADER)
            self.assert_bound_and_serving(stream, "login")
            stream.send("<iq type='get' id='x' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>\n"
                        "<?xml version='1.0'?>")
            answer = stream.expect("{jabber:client}iq", "the IQ before the declaration")
            self.assertEqual(answer.get("id"), "x")
            error = stream.expect(f"{{{STREAMS}}}error", "declaration mid-stream")
            conditions = [child.tag.split("}")[1] for child in error]
            self.assertTrue({"not-well-formed", "restricted-xml"} & set(conditions), conditions)
        finally:
            stream.close()

    def test_error_in_the_header_after_sasl_comes_with_a_new_header(self):
        # RFC 6120 §4.9.1.1: a stream error before the server's header of the restarted stream
        # is preceded by that header.
        stream = Stream(self.server.port)
        try:
            stream.starttls()
            stream.send(HEADER)
            stream.expect(f"{{{STREAMS}}}features", "features")
            stream.plain_auth("auth")
            stream.send("<not a header")
            raw = b""
            stream.sock.settimeout(5)
            while b"</stream:stream>" not in raw:
                data = stream.sock.recv(65536)
                if not data:
                    break
                raw += data
            self.assertRegex(raw.decode(), r"^(<\?xml[^>]*>)?<stream:stream [^>]*>"
                             r"<stream:error><not-well-formed ")
        finally:
            stream.close()

    @staticmethod
    def pieces(prefix, split):
        """The prefix and the header, in one piece or cut at awkward places."""
        text = prefix + HEADER
        if not split:
            return [text]
        cuts = sorted({1, len(prefix) // 2, len(prefix), len(prefix) + 3, len(text) - 1} -
                      {0, len(text)})
        bounds = [0, *[c for c in cuts if 0 < c < len(text)], len(text)]
        return [text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


if __name__ == "__main__":
    unittest.main(verbosity=2)
