#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Push to phones through FCM HTTP v1, with a local HTTPS receiver standing in for Google (both
# the OAuth token endpoint and FCM; no request leaves the machine): a phone (slixmpp) registers
# its FCM token with ternd's app server at push.localhost (the register-push-fcm command
# Conversations uses), enables XEP-0357 push with the node and secret it got, and goes offline;
# a message to it then produces one FCM request within a second — authorized with an access
# token got through a JWT the receiver verifies against the service account's public key, for the
# registered token, carrying no message content. A 404 UNREGISTERED disables the registration (no
# further request); a 503 is retried after a backoff. The receiver's certificate is trusted
# through [http] client_trust_file, so ternd's HTTP client verifies TLS for real.
import asyncio
import base64
import datetime
import http.server
import json
import os
import ssl
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer, modules_enabled  # noqa: E402
from slix import DOMAIN, PASSWORD, TIMEOUT, ClientTestCase, next_matching  # noqa: E402

PUSH = f"push.{DOMAIN}"
ACCESS_TOKEN = "ya29.tern-test-token"


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def self_signed(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(directory, "fcm.crt"), os.path.join(directory, "fcm.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


class Receiver(http.server.ThreadingHTTPServer):
    """Google's token endpoint and FCM, recording every request; FCM's answers can be queued."""

    def __init__(self, public_key):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.public_key = public_key
        self.lock = threading.Lock()
        self.requests = []  # (time, path, headers, body)
        self.answers = []   # queued (status, body) for FCM sends; 200 once empty

    def record(self, path, headers, body):
        with self.lock:
            self.requests.append((time.monotonic(), path, headers, body))

    def sends_for(self, token):
        with self.lock:
            return [r for r in self.requests
                    if r[1].endswith(":send") and json.loads(r[3])["message"]["token"] == token]

    def token_requests(self):
        with self.lock:
            return [r for r in self.requests if r[1] == "/token"]


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        self.server.record(self.path, dict(self.headers), body)
        if self.path == "/token":
            status, answer = 200, {"access_token": ACCESS_TOKEN, "expires_in": 3599,
                                   "token_type": "Bearer"}
        else:
            with self.server.lock:
                queued = self.server.answers.pop(0) if self.server.answers else None
            status, answer, delay = queued or (200, {"name": "projects/tern-test/messages/1"}, 0)
            time.sleep(delay)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FcmServerCase(ClientTestCase):
    """ternd with push_fcm pointed at the local stand-in for Google, and the helpers."""

    start_shared_server = False
    # The shared server's own settings (a subclass adds its own), and its workers.
    fcm_settings = ("modules.push_fcm.retry_base_ms=1000",
                    "http.client_max_requests=1")  # one request at a time: the boundary test's
    workers = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.TemporaryDirectory(prefix="tern-fcm-")
        cert, key = self_signed(cls.dir.name)
        account_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.receiver = Receiver(account_key.public_key())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        cls.receiver.socket = context.wrap_socket(cls.receiver.socket, server_side=True)
        threading.Thread(target=cls.receiver.serve_forever, daemon=True).start()
        port = cls.receiver.server_address[1]
        account = {
            "type": "service_account", "project_id": "tern-test",
            "client_email": "tern@tern-test.iam.gserviceaccount.com",
            "token_uri": f"https://localhost:{port}/token",
            "private_key": account_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).decode()}
        account_path = os.path.join(cls.dir.name, "service-account.json")
        with open(account_path, "w") as f:
            json.dump(account, f)
        cls.server = TernServer(
            modules_enabled("push_fcm"),
            f'modules.push_fcm.service_account="{account_path}"',
            f'modules.push_fcm.fcm_url="https://localhost:{port}/v1/projects/{{project}}/messages:send"',
            *cls.fcm_settings,
            f'http.client_trust_file="{cert}"', workers=cls.workers).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.receiver.shutdown()
        cls.receiver.server_close()
        cls.dir.cleanup()
        super().tearDownClass()

    async def phone(self, token):
        """A fresh account whose phone registered `token` and enabled push, then went offline:
        (its bare JID, the node)."""
        (user,) = self.accounts("phone")
        client = await self.login(f"{user}/android", PASSWORD)
        iq = client.make_iq_set(ito=PUSH)
        iq.append(ET.fromstring(
            "<command xmlns='http://jabber.org/protocol/commands' node='register-push-fcm' "
            "action='execute'><x xmlns='jabber:x:data' type='submit'>"
            f"<field var='token'><value>{token}</value></field>"
            "<field var='android-id'><value>0123456789abcdef</value></field></x></command>"))
        result = await iq.send(timeout=TIMEOUT)
        fields = {f.get("var"): f.findtext("{jabber:x:data}value")
                  for f in result.xml.iter("{jabber:x:data}field")}
        node, secret = fields["node"], fields["secret"]
        self.assertTrue(node and secret)
        enable = client.make_iq_set()
        enable.append(ET.fromstring(
            f"<enable xmlns='urn:xmpp:push:0' jid='{PUSH}' node='{node}'>"
            "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
            "http://jabber.org/protocol/pubsub#publish-options</value></field>"
            f"<field var='secret'><value>{secret}</value></field></x></enable>"))
        await enable.send(timeout=TIMEOUT)
        await self.logout(client)
        await self.server_output(rf"conn\.closed.*jid={user}/android")
        return user, node

    async def message_to(self, user, body):
        (sender,) = self.accounts("friend")
        friend = await self.login(sender, PASSWORD)
        friend.send_message(mto=user, mbody=body, mtype="chat")
        return time.monotonic()

    async def wait_for_sends(self, token, count, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sends = self.receiver.sends_for(token)
            if len(sends) >= count:
                return sends
            await asyncio.sleep(0.05)
        raise AssertionError(f"{count} FCM request(s) for {token} expected, got "
                             f"{len(self.receiver.sends_for(token))}")


class PushFcmTest(FcmServerCase):
    async def test_an_offline_phone_is_woken_within_a_second_without_content(self):
        user, node = await self.phone("fcm-token-1")
        sent_at = await self.message_to(user, "the secret plans")
        (arrived, path, headers, body) = (await self.wait_for_sends("fcm-token-1", 1))[0]
        self.assertLess(arrived - sent_at, 1.0)
        self.assertEqual(path, "/v1/projects/tern-test/messages:send")
        self.assertEqual(headers["Authorization"], f"Bearer {ACCESS_TOKEN}")
        message = json.loads(body)["message"]
        self.assertEqual(message["token"], "fcm-token-1")
        self.assertEqual(message["data"], {"node": node})
        self.assertEqual(message["android"]["priority"], "high")
        self.assertNotIn("secret plans", body)
        self.assertNotIn("friend", body)
        # The access token came from a JWT bearer grant signed with the service account's key.
        (_, _, token_headers, form) = self.receiver.token_requests()[0]
        fields = dict(pair.split("=", 1) for pair in form.split("&"))
        self.assertEqual(fields["grant_type"], "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer")
        head, claims, signature = fields["assertion"].split(".")
        self.receiver.public_key.verify(b64url_decode(signature), f"{head}.{claims}".encode(),
                                        padding.PKCS1v15(), hashes.SHA256())
        claims = json.loads(b64url_decode(claims))
        self.assertEqual(claims["iss"], "tern@tern-test.iam.gserviceaccount.com")
        self.assertEqual(claims["scope"], "https://www.googleapis.com/auth/firebase.messaging")
        self.assertTrue(claims["aud"].endswith("/token"))
        self.assertEqual(json.loads(b64url_decode(head))["alg"], "RS256")

    async def test_unregistered_disables_the_registration(self):
        user, node = await self.phone("fcm-token-gone")
        with self.receiver.lock:
            self.receiver.answers.append((404, {"error": {
                "code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
                "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                             "errorCode": "UNREGISTERED"}]}}, 0))
        await self.message_to(user, "first")
        await self.wait_for_sends("fcm-token-gone", 1)
        await self.server_output(rf"push\.unregistered.*node={node}")
        await self.message_to(user, "second")
        await asyncio.sleep(1.5)
        self.assertEqual(len(self.receiver.sends_for("fcm-token-gone")), 1)

    async def test_a_503_is_retried_with_backoff(self):
        user, _ = await self.phone("fcm-token-busy")
        with self.receiver.lock:
            self.receiver.answers.append((503, {"error": {"code": 503, "status": "UNAVAILABLE"}}, 0))
        await self.message_to(user, "hello")
        first, second = await self.wait_for_sends("fcm-token-busy", 2)
        self.assertGreaterEqual(second[0] - first[0], 0.9)  # retry_base_ms: 1 s
        await self.server_output(r"push\.retry.*error=\"?HTTP 503")
        await self.server_output(r"push\.sent")

    async def test_past_client_max_requests_a_push_waits_for_its_retry(self):
        first, _ = await self.phone("fcm-token-slow")
        second, _ = await self.phone("fcm-token-queued")
        with self.receiver.lock:
            self.receiver.answers.append((200, {"name": "projects/tern-test/messages/2"}, 1.5))
        await self.message_to(first, "one")
        await self.wait_for_sends("fcm-token-slow", 1)  # in flight for 1.5 s
        await self.message_to(second, "two")
        await self.server_output(r"limit\.refused.*client_max_requests.*limit=1")
        (arrived, *_rest) = (await self.wait_for_sends("fcm-token-queued", 1))[0]
        (slow, *_rest) = self.receiver.sends_for("fcm-token-slow")[0]
        self.assertGreaterEqual(arrived - slow, 0.9)  # after the backoff, not alongside


class PendingPushesTest(FcmServerCase):
    """While FCM is down, pushes waiting for their retry are bounded (one worker, so that the
    bound is the server's)."""

    fcm_settings = ("modules.push_fcm.retry_base_ms=30000", "modules.push_fcm.max_pending=1")
    workers = 1

    async def test_past_max_pending_a_push_is_dropped(self):
        first, _ = await self.phone("fcm-token-waiting")
        second, _ = await self.phone("fcm-token-dropped")
        with self.receiver.lock:
            self.receiver.answers.append((503, {"error": {"code": 503, "status": "UNAVAILABLE"}}, 0))
        await self.message_to(first, "one")
        await self.wait_for_sends("fcm-token-waiting", 1)
        await self.server_output(r"push\.retry")  # waits 30 s for its retry: pending
        await self.message_to(second, "two")
        await self.server_output(r"limit\.refused.*max_pending.*limit=1")
        await asyncio.sleep(0.5)
        self.assertEqual(self.receiver.sends_for("fcm-token-dropped"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
