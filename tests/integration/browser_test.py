#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# A web client in a real browser: Converse.js (npm, pinned in tests/interop/package-lock.json) in
# Debian's headless Chromium, driven by puppeteer-core (tests/interop/converse_browser.mjs), logs
# in to ternd over WebSocket (wss://, RFC 7395), and in a second test over BOSH (XEP-0206, with
# CORS preflights, since the page has an origin of its own), and exchanges a message both ways
# with a slixmpp client. The page is served from loopback by this test (its own origin, so the WebSocket
# handshake carries a real Origin header); Chromium trusts ternd's self-signed certificate by its
# public key only. A screenshot of Converse after the exchange is saved with the test logs
# (meson-logs/browser-converse-ws.png and -bosh.png in the build directory). Every wait is bounded.
import functools
import http.server
import os
import subprocess
import sys
import threading
import urllib.parse

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import BUILD  # noqa: E402
from interop import ChildProcess, require_program, server_certificate  # noqa: E402
from slix import DOMAIN, PASSWORD, ClientTestCase, next_matching  # noqa: E402
from xmppjs_test import INTEROP, XmppJs, install_xmppjs  # noqa: E402

DRIVER = os.path.join(INTEROP, "converse_browser.mjs")
CHROMIUM = "/usr/bin/chromium"


def spki_sha256(certificate):
    """base64 SHA-256 of the certificate's public key: what Chromium may be told to trust."""
    pubkey = subprocess.run(["openssl", "x509", "-in", certificate, "-pubkey", "-noout"],
                            capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pubkey,
                         capture_output=True, check=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                            capture_output=True, check=True).stdout
    import base64
    return base64.b64encode(digest).decode()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class BrowserTest(ClientTestCase):
    @classmethod
    def setUpClass(cls):
        install_xmppjs()  # the npm packages: Converse.js and puppeteer-core with xmpp.js
        require_program(CHROMIUM, "Debian package chromium")
        super().setUpClass()
        handler = functools.partial(QuietHandler, directory=INTEROP)
        cls.pages = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=cls.pages.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.pages.shutdown()
        cls.pages.server_close()
        super().tearDownClass()

    async def test_converse_in_chromium_chats_with_slixmpp_over_websocket(self):
        await self.converse_chats(
            "ws", f"wss://{DOMAIN}:{self.server.ports['https']}/xmpp-websocket", "wss")

    async def test_converse_in_chromium_chats_with_slixmpp_over_bosh(self):
        await self.converse_chats(
            "bosh", f"https://{DOMAIN}:{self.server.ports['https']}/http-bind", "bosh-secure")

    async def converse_chats(self, transport, url, listener):
        browser_user, slix_user = self.accounts("browser", "desktop")
        juliet = await self.login(f"{slix_user}/desk", PASSWORD)
        query = urllib.parse.urlencode({
            transport: url, "jid": f"{browser_user}/converse", "password": PASSWORD})
        page = f"http://127.0.0.1:{self.pages.server_address[1]}/converse_page.html?{query}"
        logs = os.path.join(BUILD, "meson-logs")
        os.makedirs(logs, exist_ok=True)
        screenshot = os.path.join(logs, f"browser-converse-{transport}.png")
        if os.path.exists(screenshot):
            os.remove(screenshot)
        child = await ChildProcess.start(
            self, ["node", DRIVER, "--chromium", CHROMIUM, "--page", page,
                   "--spki", spki_sha256(server_certificate(self.server)),
                   "--send-to", slix_user, "--body", "Hello from Converse.js — süß & <ok>",
                   "--expect-from", slix_user, "--screenshot", screenshot, "--timeout-ms", "40000"],
            dict(os.environ), cwd=INTEROP)
        converse = XmppJs(child)  # the same one-JSON-object-per-line protocol
        await converse.expect("online", timeout=60)
        await self.server_output(rf"conn\.accepted.*listener={listener}")
        await converse.expect("sent")
        got = await next_matching(juliet.messages, lambda m: m["from"].bare == browser_user,
                                  "the message from Converse.js")
        self.assertEqual(got["body"], "Hello from Converse.js — süß & <ok>")
        self.assertEqual(got["from"].full, f"{browser_user}/converse")
        juliet.send_message(mto=f"{browser_user}/converse", mbody="Hello, browser", mtype="chat")
        message = await converse.expect("message", timeout=60)
        self.assertEqual(message["body"], "Hello, browser")
        shot = await converse.expect("screenshot")
        self.assertEqual(await child.wait(), 0, child.errors())
        self.assertTrue(os.path.getsize(shot["path"]) > 10_000, shot)
        print(f"\nbrowser test: screenshot saved as {shot['path']}", file=sys.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
