# SPDX-License-Identifier: MIT
# A deliberately small XMPP client on raw sockets, for tests that need what a polished client
# will not do: read stanzas and never acknowledge them (XEP-0198), then vanish without closing
# the stream. STARTTLS, SASL PLAIN or SCRAM-SHA-1/256/512 (RFC 5802, without channel binding),
# bind; stanzas are parsed with ElementTree's pull parser. It keeps what it sent in SASL (the
# base64 payloads, the SCRAM nonce and proof), so that a test can look for them in the log.
import base64
import socket
import ssl
import time
import xml.etree.ElementTree as ET

from scram import ScramClient

STREAMS = "http://etherx.jabber.org/streams"
CLIENT = "jabber:client"
SM = "urn:xmpp:sm:3"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
SCRAM_HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}


class AuthFailed(RuntimeError):
    """The server answered <failure/>; `condition` is its RFC 6120 §6.5 condition."""

    def __init__(self, condition):
        super().__init__(f"authentication failed: {condition}")
        self.condition = condition


class RawClient:
    def __init__(self, port, jid, password, host="127.0.0.1", timeout=10, bind=True,
                 receive_buffer=None, mechanism="PLAIN", authenticate=True):
        self.timeout = timeout
        self.handled = 0  # stanzas received through next_acking (XEP-0198 h)
        self.local, self.domain = jid.split("@")[0], jid.split("@")[1].split("/")[0]
        self.resource = jid.split("/")[1] if "/" in jid else None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:  # a small window makes a slow reader's backlog stay in the server
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self._open()
        self._expect_features()
        self._send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        self._next()  # <proceed/>
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.sock = context.wrap_socket(self.sock, server_hostname=self.domain)
        self._open()
        self._expect_features()
        self.sasl_payloads = []  # base64 of every SASL message sent
        self.sasl_secrets = []  # the SCRAM client nonce and proof
        self.jid = None
        if not authenticate:  # stops after TLS, with the SASL features read
            return
        if mechanism == "PLAIN":
            self._sasl("auth", f"\0{self.local}\0{password}", mechanism)
            result = self._next()
        else:
            result = self._scram(mechanism, password)
        if result is None or not result.tag.endswith("success"):
            condition = "no answer" if result is None else (
                result[0].tag.split("}")[-1] if len(result) else result.tag)
            self.sock.close()
            raise AuthFailed(condition)
        self._open()
        self._expect_features()
        self.jid = None
        if bind:
            self._bind()

    def _sasl(self, element, message, mechanism=None):
        self._send_sasl(element, base64.b64encode(message.encode()).decode(), mechanism)

    def _send_sasl(self, element, payload, mechanism=None):
        self.sasl_payloads.append(payload)
        attr = f" mechanism='{mechanism}'" if mechanism else ""
        self._send(f"<{element} xmlns='{SASL}'{attr}>{payload}</{element}>")

    def _scram(self, mechanism, password):
        """RFC 5802 §3 with gs2 header "n,," (scram.py's client); returns the server's last
        element."""
        scram = ScramClient(self.local, password, SCRAM_HASHES[mechanism])
        self._send_sasl("auth", scram.first(), mechanism)
        challenge = self._next()
        if challenge is None or not challenge.tag.endswith("challenge"):
            return challenge
        final = scram.final(challenge.text)
        self.sasl_secrets += [scram.nonce, scram.proof]
        self._send_sasl("response", final)
        return self._next()

    def close(self):
        """Ends the stream and the connection."""
        try:
            self._send("</stream:stream>")
        except OSError:
            pass
        self.sock.close()

    def _bind(self):
        resource = f"<resource>{self.resource}</resource>" if self.resource else ""
        self._send(f"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                   f"{resource}</bind></iq>")
        self.jid = self._next().find(".//{urn:ietf:params:xml:ns:xmpp-bind}jid").text

    def _open(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.ready = []
        self._send(f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                   f"xmlns:stream='{STREAMS}' to='{self.domain}' version='1.0'>")

    def _send(self, text):
        self.sock.sendall(text.encode())

    def send(self, text):
        self._send(text)

    def _next(self, timeout=None):
        """The next top-level element, or None when the time is up."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while not self.ready:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            if not data:
                return None
            self.parser.feed(data)
            for event, element in self.parser.read_events():
                if event == "start":
                    self.depth += 1
                else:
                    self.depth -= 1
                    if self.depth == 1:
                        self.ready.append(element)
        return self.ready.pop(0)

    def _expect_features(self):
        features = self._next()
        if features is None or features.tag != f"{{{STREAMS}}}features":
            raise RuntimeError(f"expected stream features, got {features}")
        self.features = features  # the latest: after authentication, the session's
        return features

    def next(self, timeout=None):
        return self._next(timeout)

    def next_acking(self, timeout=None):
        """The next element like next(), but a client with stream management that keeps up: the
        server's <r/> is answered on the way with the number of stanzas received so far
        (XEP-0198 h, counted from the first call) and not returned."""
        while True:
            element = self._next(timeout)
            if element is None:
                return None
            if element.tag == f"{{{SM}}}r":
                self._send(f"<a xmlns='{SM}' h='{self.handled}'/>")
                continue
            if element.tag.startswith("{jabber:client}"):
                self.handled += 1
            return element

    def resume(self, previd, h):
        """XEP-0198 §5 instead of binding: returns <resumed/> or <failed/>."""
        self._send(f"<resume xmlns='{SM}' previd='{previd}' h='{h}'/>")
        return self._next()

    def enable_sm(self, resume=False):
        self._send(f"<enable xmlns='{SM}'" + (" resume='true'" if resume else "") + "/>")
        while True:
            element = self._next()
            if element is None or element.tag == f"{{{SM}}}enabled":
                return element

    def drain(self, timeout=30):
        """Every top-level element until the server closes the connection (or `timeout` passes):
        (elements, whether the connection ended)."""
        elements, deadline = list(self.ready), time.monotonic() + timeout
        self.ready = []
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                break
            except OSError:  # reset: the server gave up on us
                return elements, True
            if not data:
                return elements, True
            try:
                self.parser.feed(data)
                events = self.parser.read_events()
                for event, element in events:
                    if event == "start":
                        self.depth += 1
                    else:
                        self.depth -= 1
                        if self.depth == 1:
                            elements.append(element)
            except ET.ParseError:
                pass  # after </stream:stream>: nothing more to parse
        return elements, False

    def vanish(self):
        """Drops the TCP connection without closing the stream (a phone losing coverage)."""
        self.sock.close()
