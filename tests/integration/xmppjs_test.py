#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# ternd with a client of another family: xmpp.js (@xmpp/client from npm, pinned in
# tests/interop/package-lock.json, on Node) chats with slixmpp both ways, over STARTTLS and over
# direct TLS, bodies and senders intact; a wrong password fails its login. The client is
# tests/interop/xmppjs_client.mjs, one process per session, which prints one JSON object per line.
# Over WebSocket too (RFC 7395, wss:// on ternd's HTTP service), with xmpp.js's @xmpp/websocket.
#
# TLS is verified for real: NODE_EXTRA_CA_CERTS is ternd's self-signed certificate, which names
# localhost and 127.0.0.1.
#
# xmpp.js's per-step timeout is raised from its 2 s default to 10 s (--timeout-ms). Its
# Connection#open() starts waiting for the server's stream header only once the socket has
# reported the header it wrote as written. On a TLS socket Node reports that from a setImmediate
# callback, after the loop has polled for input, so on a busy machine ternd's answer is read
# and its "open" event emitted first: open() then waits for an event that has already happened,
# and its timer fires 2 s later, failing start() whenever the rest of the login (mostly SCRAM's
# 10000 HMAC calls, each through WebCrypto) takes longer than that. ternd's answers come within
# milliseconds all the same; the client's own traces show it (xmppjs_client.mjs --trace).
import json
import os
import subprocess
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from interop import ChildProcess, require_program, server_certificate  # noqa: E402
from slix import DOMAIN, PASSWORD, TIMEOUT, ClientTestCase, next_matching  # noqa: E402

INTEROP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "interop"))
SCRIPT = os.path.join(INTEROP, "xmppjs_client.mjs")
TRICKY = "a <rose> & 'any' \"other\" name — süß"
REPLY = "Here, by the orchard wall: <ok/> & done"


def install_xmppjs():
    """node_modules as package-lock.json says (scripts/setup.sh normally did it already)."""
    require_program("node", "Debian package nodejs")
    require_program("npm", "Debian package npm")
    run = subprocess.run(["bash", os.path.join(INTEROP, "install.sh")], capture_output=True,
                         text=True, timeout=300)
    if run.returncode != 0:
        raise AssertionError(f"cannot install xmpp.js in {INTEROP}:\n{run.stdout}{run.stderr}")


class XmppJs:
    """One xmppjs_client.mjs process and its JSON events."""

    def __init__(self, child):
        self.child = child

    async def event(self, timeout=TIMEOUT):
        line = await self.child.line(timeout)
        if line is None:
            raise AssertionError(f"xmpp.js exited early\n{self.child.errors()}")
        try:
            return json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON line from xmpp.js: {line!r}\n{self.child.errors()}")

    async def expect(self, name, timeout=TIMEOUT):
        got = await self.event(timeout)
        if got.get("event") != name:
            raise AssertionError(f"expected {name} from xmpp.js, got {got}\n{self.child.errors()}")
        return got


class XmppJsTest(ClientTestCase):
    @classmethod
    def setUpClass(cls):
        install_xmppjs()
        cls.server = TernServer().start()
        cls.env = dict(os.environ, NODE_EXTRA_CA_CERTS=server_certificate(cls.server))
        cls.env.pop("NODE_TLS_REJECT_UNAUTHORIZED", None)  # verification stays on

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    async def xmppjs(self, username, password, direct_tls, *options, websocket=False):
        node = ["node"]
        if websocket:
            # RFC 7395 on ternd's HTTPS listener; Node 20's WebSocket (undici) is behind a flag.
            service = f"wss://{DOMAIN}:{self.server.ports['https']}/xmpp-websocket"
            node.append("--experimental-websocket")
        elif direct_tls:
            service = f"xmpps://127.0.0.1:{self.server.ports['direct_tls']}"
        else:
            service = f"xmpp://127.0.0.1:{self.server.ports['starttls']}"
        child = await ChildProcess.start(
            self, [*node, SCRIPT, "--service", service, "--domain", DOMAIN, "--username",
                   username, "--password", password, "--timeout-ms", "10000", "--trace",
                   *options], self.env, cwd=INTEROP)
        return XmppJs(child)

    async def chat_both_ways(self, direct_tls, websocket=False):
        juliet_jid, romeo_jid = self.accounts("juliet", "romeo")
        juliet = await self.login(f"{juliet_jid}/balcony", PASSWORD)
        romeo = await self.xmppjs(romeo_jid.split("@")[0], PASSWORD, direct_tls,
                                  "--resource", "xmppjs", "--send-to", f"{juliet_jid}/balcony",
                                  "--body", TRICKY, "--expect-from", juliet_jid,
                                  websocket=websocket)
        online = await romeo.expect("online")
        self.assertEqual(online["jid"], f"{romeo_jid}/xmppjs")
        await romeo.expect("sent")
        # xmpp.js → slixmpp
        got = await next_matching(juliet.messages, lambda m: m["from"].bare == romeo_jid,
                                  f"the message from xmpp.js ({romeo_jid})")
        self.assertEqual(got["body"], TRICKY)
        self.assertEqual(got["from"].full, f"{romeo_jid}/xmppjs")
        self.assertEqual(got["type"], "chat")
        # slixmpp → xmpp.js
        juliet.send_message(mto=f"{romeo_jid}/xmppjs", mbody=REPLY, mtype="chat")
        message = await romeo.expect("message")
        self.assertEqual(message["body"], REPLY)
        self.assertEqual(message["from"], f"{juliet_jid}/balcony")
        self.assertEqual(message["type"], "chat")
        await romeo.expect("offline")
        self.assertEqual(await romeo.child.wait(), 0, romeo.child.errors())

    async def test_starttls_chat_both_ways(self):
        await self.chat_both_ways(direct_tls=False)

    async def test_direct_tls_chat_both_ways(self):
        await self.chat_both_ways(direct_tls=True)

    async def test_websocket_chat_both_ways(self):
        await self.chat_both_ways(direct_tls=False, websocket=True)
        await self.server_output(r"conn\.accepted.*listener=wss")

    async def test_wrong_password_fails_the_login(self):
        (romeo_jid,) = self.accounts("romeo")
        romeo = await self.xmppjs(romeo_jid.split("@")[0], "not-the-password", False)
        failure = await romeo.expect("error")
        self.assertEqual(failure["stage"], "start", failure)
        self.assertEqual(failure["name"], "SASLError", failure)
        self.assertIn("not-authorized", failure["message"] + romeo.child.errors())
        self.assertEqual(await romeo.child.wait(), 2, romeo.child.errors())
        self.assertTrue(self.server.alive())


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
