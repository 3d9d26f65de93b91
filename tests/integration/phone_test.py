#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Sign-up by phone number (the phone module, docs/phone-signup.md) against the real ternd:
#   - the HTTP API end to end with the development gateway (the PIN read from its file) and, in
#     another server, with a local HTTP receiver as the webhook gateway (bearer auth, JSON, a
#     failed first attempt retried); slixmpp then logs in with the returned credentials;
#   - in-band: XEP-0077 with the data form over a raw stream, number then PIN, then login;
#   - 5 wrong PINs lock it, an expired PIN is refused, the per-number and per-address limits and
#     the SMS budget, invalid, fixed-line and not-allowed numbers refused;
#   - verifying again moves the account: the old session ends with a stream error, the old
#     password stops working, the offline messages stay;
#   - contact discovery finds exactly the registered numbers and stops at its daily limit.
# Every wait is bounded; nothing leaves the machine.
import asyncio
import hashlib
import http.client
import http.server
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

import slixmpp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from interop import server_certificate  # noqa: E402
from slix import DOMAIN, PASSWORD, TIMEOUT, Client, ClientTestCase, next_matching, wait  # noqa: E402
from websocket_test import WebSocket  # noqa: E402

CONTACTS = "urn:tern:contacts:0"
REGISTER = "jabber:iq:register"
DATA = "jabber:x:data"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"

# Valid mobile numbers (libphonenumber's metadata), one per test so that limits do not meet.
_serial = iter(range(1000, 9999))


def mobile():
    """A fresh valid German mobile number in E.164."""
    return f"+49151{next(_serial):04d}{next(_serial):04d}"


def contact_hash(e164):
    return hashlib.sha256(e164.encode()).hexdigest()[:20]


class PinFile:
    """The development gateway's file: one "NUMBER<TAB>TEXT" line per SMS."""

    def __init__(self):
        handle, self.path = tempfile.mkstemp(prefix="tern-sms-", suffix=".txt")
        os.close(handle)

    def pin_for(self, number, timeout=TIMEOUT, after=0):
        """The PIN of the (after+1)-th SMS to `number`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.path, encoding="utf-8") as f:
                pins = [re.search(r"\b(\d{6})\b", line).group(1)
                        for line in f if line.startswith(number + "\t")]
            if len(pins) > after:
                return pins[after]
            time.sleep(0.05)
        raise AssertionError(f"no SMS to {number} in {self.path}")


class Api:
    """The sign-up API over HTTPS."""

    def __init__(self, server):
        self.server = server

    def post(self, path, body, raw=None, content_type="application/json", secure=True):
        if secure:
            context = ssl.create_default_context(cafile=server_certificate(self.server))
            connection = http.client.HTTPSConnection(DOMAIN, self.server.ports["https"],
                                                     timeout=TIMEOUT + 30, context=context)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.server.ports["http"],
                                                    timeout=TIMEOUT + 30)
        try:
            data = raw if raw is not None else json.dumps(body).encode()
            connection.request("POST", path, body=data, headers={"Content-Type": content_type})
            response = connection.getresponse()
            text = response.read().decode()
            return response.status, json.loads(text), dict(response.getheaders())
        finally:
            connection.close()

    def request_pin(self, number):
        return self.post("/api/v1/verification/request", {"number": number})

    def verify(self, number, pin):
        return self.post("/api/v1/verification/verify", {"number": number, "pin": pin})


class PhoneTestCase(ClientTestCase):
    pin_file = PinFile()
    # Every request comes from 127.0.0.1: the per-address limit has a class of its own.
    settings = (f'modules.phone.dev_file="{pin_file.path}"',
                "modules.phone.pins_per_address_per_hour=0")

    def setUp(self):
        self.api = Api(self.server)

    def sign_up(self, number=None):
        """A verified number: (number, jid, password)."""
        number = number or mobile()
        status, body, _ = self.api.request_pin(number)
        self.assertEqual(status, 200, body)
        status, body, _ = self.api.verify(number, self.pin_file.pin_for(number))
        self.assertEqual(status, 200, body)
        return number, body["jid"], body["password"]

    async def contacts(self, client, hashes):
        iq = client.make_iq_get(ito=DOMAIN)
        query = ET.Element(f"{{{CONTACTS}}}query")
        for value in hashes:
            ET.SubElement(query, f"{{{CONTACTS}}}item", hash=value)
        iq.xml.append(query)
        try:
            result = await iq.send(timeout=TIMEOUT)
        except slixmpp.exceptions.IqError as e:
            return e.iq.xml
        return result.xml


class HttpFlowTest(PhoneTestCase):
    async def test_request_verify_and_log_in(self):
        number = mobile()
        status, body, headers = await asyncio.to_thread(self.api.request_pin, number)
        self.assertEqual((status, body), (200, {"number": number, "expires_in": 600}))
        self.assertEqual(headers["Cache-Control"], "no-store")
        pin = await asyncio.to_thread(self.pin_file.pin_for, number)
        status, body, _ = await asyncio.to_thread(self.api.verify, number, pin)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["jid"], f"{number[1:]}@{DOMAIN}")
        self.assertTrue(body["new_account"])
        self.assertGreaterEqual(len(body["password"]), 24)
        client = await self.login(body["jid"] + "/phone", body["password"])
        self.assertTrue(client.started.is_set())
        # The PIN is spent.
        status, body, _ = await asyncio.to_thread(self.api.verify, number, pin)
        self.assertEqual((status, body["error"]["code"]), (404, "no_pending_pin"))

    def test_five_wrong_pins_lock_it(self):
        number = mobile()
        self.api.request_pin(number)
        pin = self.pin_file.pin_for(number)
        wrong = "000000" if pin != "000000" else "111111"
        for left in (4, 3, 2, 1):
            status, body, _ = self.api.verify(number, wrong)
            self.assertEqual((status, body["error"]["code"], body["error"]["attempts_left"]),
                             (401, "wrong_pin", left))
        status, body, _ = self.api.verify(number, wrong)
        self.assertEqual((status, body["error"]["code"]), (403, "pin_locked"))
        status, body, _ = self.api.verify(number, pin)  # even the right PIN: a new one is needed
        self.assertEqual((status, body["error"]["code"]), (403, "pin_locked"))
        self.api.request_pin(number)
        status, body, _ = self.api.verify(number, self.pin_file.pin_for(number, after=1))
        self.assertEqual(status, 200, body)

    def test_three_pins_per_number_per_hour(self):
        number = mobile()
        for _ in range(3):
            self.assertEqual(self.api.request_pin(number)[0], 200)
        status, body, headers = self.api.request_pin(number)
        self.assertEqual((status, body["error"]["code"]), (429, "rate_limited"))
        self.assertGreater(int(headers["Retry-After"]), 3000)
        self.server.wait_for_output(r"limit\.refused.*pins_per_number_per_hour")

    def test_numbers_that_cannot_sign_up(self):
        for number, status, code in (("4915112345678", 400, "invalid_number"),
                                     ("+99912345", 400, "invalid_number"),
                                     ("+4930123456", 400, "not_mobile")):
            got, body, _ = self.api.request_pin(number)
            self.assertEqual((got, body["error"]["code"]), (status, code), number)
        for raw in (b"not json", b'{"number": 4915112345678}', b'{"number":"+49","x":"y"}'):
            got, body, _ = self.api.post("/api/v1/verification/request", None, raw=raw)
            self.assertEqual((got, body["error"]["code"]), (400, "invalid_request"), raw)

    def test_plain_http_and_other_bodies_are_refused(self):
        number = mobile()
        status, body, _ = self.api.post("/api/v1/verification/request", {"number": number},
                                        secure=False)
        self.assertEqual((status, body["error"]["code"]), (403, "tls_required"))
        # A page posting from its visitors' browsers without a preflight can send text/plain.
        status, body, _ = self.api.post("/api/v1/verification/request", {"number": number},
                                        content_type="text/plain")
        self.assertEqual((status, body["error"]["code"]), (415, "unsupported_media_type"))
        status, _, _ = self.api.post("/api/v1/verification/request", {"number": number},
                                     content_type="application/json; charset=utf-8")
        self.assertEqual(status, 200)

    def test_a_pin_for_nobody(self):
        status, body, _ = self.api.verify(mobile(), "123456")
        self.assertEqual((status, body["error"]["code"]), (404, "no_pending_pin"))

    async def test_verifying_again_moves_the_account_to_the_new_device(self):
        number, jid, old_password = await asyncio.to_thread(self.sign_up)
        (sender,) = self.accounts("friend")
        friend = await self.login(sender, PASSWORD)
        # The old device is online without presence: messages to the bare JID wait offline.
        old = await self.login(jid + "/old", old_password, send_presence=False)
        friend.send_message(mto=jid, mbody="kept for the new phone", mtype="chat")
        await asyncio.sleep(0.3)
        status, _, _ = await asyncio.to_thread(self.api.request_pin, number)
        self.assertEqual(status, 200)
        pin = await asyncio.to_thread(self.pin_file.pin_for, number, TIMEOUT, 1)
        status, body, _ = await asyncio.to_thread(self.api.verify, number, pin)
        self.assertEqual(status, 200, body)
        self.assertFalse(body["new_account"])
        self.assertEqual(body["jid"], jid)
        # The old session is closed with a stream error; its password no longer works.
        await wait(old.disconnected_event, "the old device's session to end")
        await self.server_output(r"stream\.error\.sent.*condition=not-authorized"
                                 r".*verified on another device")
        stale = Client(jid + "/old", old_password, self.server.port)
        stale.start()
        self.addAsyncCleanup(self.logout, stale)
        await wait(stale.auth_failed, "the old password to be refused")
        # The new device has the account: its offline message is there.
        new = await self.login(jid + "/new", body["password"])
        got = await next_matching(new.messages, lambda m: m["from"].bare == sender,
                                  "the offline message")
        self.assertEqual(got["body"], "kept for the new phone")

    async def test_contact_discovery_finds_exactly_the_registered_numbers(self):
        first, first_jid, _ = await asyncio.to_thread(self.sign_up)
        second, second_jid, _ = await asyncio.to_thread(self.sign_up)
        (user,) = self.accounts("seeker")
        client = await self.login(user, PASSWORD)
        reply = await self.contacts(client, [contact_hash(first), contact_hash(second),
                                             contact_hash(mobile())])
        items = {item.get("hash"): item.get("jid")
                 for item in reply.iter(f"{{{CONTACTS}}}item")}
        self.assertEqual(items, {contact_hash(first): first_jid,
                                 contact_hash(second): second_jid})
        reply = await self.contacts(client, ["not-a-hash"])
        self.assertIsNotNone(reply.find(f".//{{{STANZAS}}}bad-request"))

    async def test_in_band_sign_up_with_the_data_form(self):
        number = mobile()
        ws = WebSocket(self.server)
        self.addCleanup(ws.close)
        _, features, _ = ws.open_stream()
        self.assertIsNotNone(features.find("{http://jabber.org/features/iq-register}register"))
        ws.send("<iq xmlns='jabber:client' type='get' id='f1'>"
                f"<query xmlns='{REGISTER}'/></iq>")
        form, _ = ws.element()
        x = form.find(f"{{{REGISTER}}}query/{{{DATA}}}x")
        self.assertIsNotNone(x, ET.tostring(form))
        self.assertEqual({f.get("var") for f in x.iter(f"{{{DATA}}}field")},
                         {"FORM_TYPE", "phone", "pin", "password"})
        # Registration by username is off here: only the phone form is offered.
        self.assertIsNone(form.find(f"{{{REGISTER}}}query/{{{REGISTER}}}username"))

        def submit(id_, **fields):
            values = "".join(f"<field var='{var}'><value>{value}</value></field>"
                             for var, value in fields.items())
            ws.send(f"<iq xmlns='jabber:client' type='set' id='{id_}'>"
                    f"<query xmlns='{REGISTER}'><x xmlns='{DATA}' type='submit'>"
                    f"<field var='FORM_TYPE'><value>{REGISTER}</value></field>{values}"
                    "</x></query></iq>")
            reply, _ = ws.element()
            return reply

        reply = await asyncio.to_thread(submit, "s1", phone=number)
        self.assertEqual(reply.get("type"), "error")
        self.assertIsNotNone(reply.find(f".//{{{STANZAS}}}not-acceptable"))
        self.assertIn("A PIN was sent", reply.find(f".//{{{STANZAS}}}text").text)
        pin = await asyncio.to_thread(self.pin_file.pin_for, number)
        wrong = "000000" if pin != "000000" else "111111"
        reply = await asyncio.to_thread(submit, "s2", phone=number, pin=wrong,
                                        password="chosen-pw")
        self.assertIsNotNone(reply.find(f".//{{{STANZAS}}}not-authorized"))
        reply = await asyncio.to_thread(submit, "s3", phone=number, pin=pin,
                                        password="chosen-pw")
        self.assertEqual(reply.get("type"), "result")
        self.assertEqual(reply.find(f"{{{REGISTER}}}query/{{{REGISTER}}}username").text,
                         number[1:])
        client = await self.login(f"{number[1:]}@{DOMAIN}/inband", "chosen-pw")
        self.assertTrue(client.started.is_set())


class TernctlTest(PhoneTestCase):
    async def test_accounts_by_number(self):
        number, jid, _ = await asyncio.to_thread(self.sign_up)
        out = self.server.ternctl("phone", "lookup", number)
        self.assertIn(f"{number}  {jid}  account  findable", out)
        pending = mobile()
        await asyncio.to_thread(self.api.request_pin, pending)
        out = self.server.ternctl("phone", "pending")
        self.assertRegex(out, rf"{re.escape(pending)}  {DOMAIN}  expires in \d+ s  0 wrong  1 sent")
        self.assertNotIn(number, out)  # verified: no longer pending
        # Registered by the operator: the account works and is findable.
        other = mobile()
        out = self.server.ternctl("phone", "register", other, "operator-pw")
        self.assertIn(f"created {other[1:]}@{DOMAIN}", out)
        client = await self.login(f"{other[1:]}@{DOMAIN}", "operator-pw")
        reply = await self.contacts(client, [contact_hash(number), contact_hash(other)])
        self.assertEqual(len(list(reply.iter(f"{{{CONTACTS}}}item"))), 2)
        # Removed: gone from the accounts and from contact discovery.
        self.assertIn(f"deleted {jid}", self.server.ternctl("phone", "remove", number))
        reply = await self.contacts(client, [contact_hash(number)])
        self.assertEqual(list(reply.iter(f"{{{CONTACTS}}}item")), [])
        with self.assertRaises(subprocess.CalledProcessError) as refused:
            self.server.ternctl("phone", "lookup", "+4930123456")
        self.assertIn("not_mobile", refused.exception.stderr)


class BothWaysTest(PhoneTestCase):
    """Usernames may be registered too: the data form, which a client that takes forms submits
    instead of the plain fields (XEP-0077 §4), offers a username as well."""

    pin_file = PinFile()
    settings = (f'modules.phone.dev_file="{pin_file.path}"',
                "modules.register.allow_registration=true")

    async def test_the_form_takes_a_username_or_a_number(self):
        ws = WebSocket(self.server)
        self.addCleanup(ws.close)
        ws.open_stream()
        ws.send("<iq xmlns='jabber:client' type='get' id='f1'>"
                f"<query xmlns='{REGISTER}'/></iq>")
        form, _ = ws.element()
        query = form.find(f"{{{REGISTER}}}query")
        self.assertIsNotNone(query.find(f"{{{REGISTER}}}username"))  # the plain fields stay
        fields = {f.get("var") for f in query.iter(f"{{{DATA}}}field")}
        self.assertEqual(fields, {"FORM_TYPE", "username", "phone", "pin", "password"})
        ws.send(f"<iq xmlns='jabber:client' type='set' id='s1'><query xmlns='{REGISTER}'>"
                f"<x xmlns='{DATA}' type='submit'>"
                f"<field var='FORM_TYPE'><value>{REGISTER}</value></field>"
                "<field var='username'><value>formuser</value></field>"
                "<field var='password'><value>form-pw</value></field></x></query></iq>")
        reply, _ = await asyncio.to_thread(ws.element)
        self.assertEqual(reply.get("type"), "result", ET.tostring(reply))
        client = await self.login(f"formuser@{DOMAIN}", "form-pw")
        self.assertTrue(client.started.is_set())
        # A username of digits is a number: only its SMS can claim it.
        ws.send(f"<iq xmlns='jabber:client' type='set' id='s2'><query xmlns='{REGISTER}'>"
                "<username>4915112345678</username><password>pw</password></query></iq>")
        reply, _ = await asyncio.to_thread(ws.element)
        self.assertIsNotNone(reply.find(f".//{{{STANZAS}}}not-acceptable"), ET.tostring(reply))


class AddressLimitTest(PhoneTestCase):
    pin_file = PinFile()
    settings = (f'modules.phone.dev_file="{pin_file.path}"',
                "modules.phone.pins_per_address_per_hour=3",
                "modules.phone.verifications_per_address_per_hour=3")

    def test_pins_tried_per_address(self):
        for _ in range(3):
            self.assertEqual(self.api.verify(mobile(), "123456")[0], 404)
        status, body, headers = self.api.verify(mobile(), "123456")
        self.assertEqual((status, body["error"]["code"]), (429, "rate_limited"))
        self.assertIn("Retry-After", headers)
        self.server.wait_for_output(r"limit\.refused.*verifications_per_address_per_hour")

    def test_per_address_limit(self):
        for _ in range(3):
            self.assertEqual(self.api.request_pin(mobile())[0], 200)
        status, body, headers = self.api.request_pin(mobile())
        self.assertEqual((status, body["error"]["code"]), (429, "rate_limited"))
        self.assertIn("Retry-After", headers)
        self.server.wait_for_output(r"limit\.refused.*pins_per_address_per_hour")


class LimitsTest(PhoneTestCase):
    pin_file = PinFile()
    settings = (f'modules.phone.dev_file="{pin_file.path}"',
                "modules.phone.pins_per_address_per_hour=0", "modules.phone.pin_lifetime=1",
                "modules.phone.discovery_per_day=5", 'modules.phone.deny_prefixes="+4917"')

    def test_an_expired_pin_is_refused(self):
        number = mobile()
        self.api.request_pin(number)
        pin = self.pin_file.pin_for(number)
        time.sleep(2.2)
        status, body, _ = self.api.verify(number, pin)
        self.assertEqual((status, body["error"]["code"]), (410, "pin_expired"))

    def test_a_denied_country_prefix(self):
        status, body, _ = self.api.request_pin("+4917612345678")
        self.assertEqual((status, body["error"]["code"]), (403, "country_not_allowed"))

    async def test_contact_discovery_stops_at_its_daily_limit(self):
        (user,) = self.accounts("counter")
        client = await self.login(user, PASSWORD)
        reply = await self.contacts(client, [contact_hash(mobile()) for _ in range(3)])
        self.assertEqual(reply.get("type"), "result")
        reply = await self.contacts(client, [contact_hash(mobile()) for _ in range(3)])
        self.assertEqual(reply.get("type"), "error")
        self.assertIsNotNone(reply.find(f".//{{{STANZAS}}}policy-violation"))
        self.assertIn("2 left today", reply.find(f".//{{{STANZAS}}}text").text)
        reply = await self.contacts(client, [contact_hash(mobile()) for _ in range(2)])
        self.assertEqual(reply.get("type"), "result")


class BudgetTest(PhoneTestCase):
    pin_file = PinFile()
    settings = (f'modules.phone.dev_file="{pin_file.path}"', "modules.phone.sms_per_hour=2",
                "modules.phone.pins_per_address_per_hour=0")

    def test_the_sms_budget_of_the_server(self):
        for _ in range(2):
            self.assertEqual(self.api.request_pin(mobile())[0], 200)
        status, body, headers = self.api.request_pin(mobile())
        self.assertEqual((status, body["error"]["code"]), (503, "sms_budget_exhausted"))
        self.assertIn("Retry-After", headers)
        self.server.wait_for_output(r"limit\.refused.*sms_per_hour")


class Webhook(http.server.ThreadingHTTPServer):
    """The operator's SMS provider: records each POST; fails the first `failures` with 503."""

    def __init__(self, failures=0):
        self.received = []
        self.failures = failures
        webhook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                failing = webhook.failures > 0
                webhook.failures -= 1 if failing else 0
                webhook.received.append((self.path, dict(self.headers), body, failing))
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class WebhookTest(ClientTestCase):
    webhook = Webhook(failures=1)
    settings = ('modules.phone.gateway="webhook"',
                f'modules.phone.webhook_url="http://127.0.0.1:{webhook.server_address[1]}/sms"',
                'modules.phone.webhook_auth="bearer"', 'modules.phone.webhook_secret="s3cret"',
                "modules.phone.webhook_backoff_ms=50")

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.webhook.shutdown()
        cls.webhook.server_close()

    async def test_the_pin_reaches_the_webhook_and_the_number_logs_in(self):
        api = Api(self.server)
        number = mobile()
        status, body, _ = await asyncio.to_thread(api.request_pin, number)
        self.assertEqual(status, 200, body)
        # The first attempt got 503 and was retried.
        self.assertEqual([failing for *_, failing in self.webhook.received], [True, False])
        path, headers, raw, _ = self.webhook.received[-1]
        self.assertEqual(path, "/sms")
        self.assertEqual(headers["Authorization"], "Bearer s3cret")
        self.assertEqual(headers["Content-Type"], "application/json")
        sms = json.loads(raw)
        self.assertEqual(sms["to"], number)
        self.assertIn(DOMAIN, sms["text"])
        pin = re.search(r"\b(\d{6})\b", sms["text"]).group(1)
        status, body, _ = await asyncio.to_thread(api.verify, number, pin)
        self.assertEqual(status, 200, body)
        client = await self.login(body["jid"], body["password"])
        self.assertTrue(client.started.is_set())
        await self.server_output(r"sms\.retry")



class FormWebhookTest(ClientTestCase):
    """The other webhook flavour: a form body with basic authentication and field names of the
    provider's choosing."""

    webhook = Webhook()
    settings = ('modules.phone.gateway="webhook"',
                f'modules.phone.webhook_url="http://127.0.0.1:{webhook.server_address[1]}/send"',
                'modules.phone.webhook_format="form"', 'modules.phone.webhook_to_field="To"',
                'modules.phone.webhook_text_field="Body"', 'modules.phone.webhook_auth="basic"',
                'modules.phone.webhook_user="tern"', 'modules.phone.webhook_secret="pa:ss"',
                'modules.phone.message="{pin} is your code for {host}"')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.webhook.shutdown()
        cls.webhook.server_close()

    def test_a_form_with_basic_authentication(self):
        number = mobile()
        status, body, _ = Api(self.server).request_pin(number)
        self.assertEqual(status, 200, body)
        path, headers, raw, _ = self.webhook.received[-1]
        self.assertEqual(headers["Content-Type"], "application/x-www-form-urlencoded")
        self.assertEqual(headers["Authorization"], "Basic dGVybjpwYTpzcw==")  # tern:pa:ss
        fields = urllib.parse.parse_qs(raw.decode())
        self.assertEqual(fields["To"], [number])
        self.assertRegex(fields["Body"][0], rf"^\d{{6}} is your code for {DOMAIN}$")


class LogGatewayTest(PhoneTestCase):
    """The embedded default: no dev_file, the SMS goes to the log."""

    settings = ("modules.phone.pins_per_address_per_hour=0",)

    def test_the_pin_is_in_the_log(self):
        self.server.wait_for_output(r"phone\.dev_gateway")  # the warning at start
        number = mobile()
        self.assertEqual(self.api.request_pin(number)[0], 200)
        line = self.server.wait_for_output(rf"sms\.dev.*{re.escape(number)}")
        pin = re.search(r"code: (\d{6})", line).group(1)
        status, body, _ = self.api.verify(number, pin)
        self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
