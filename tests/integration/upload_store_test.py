#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0363 with ternd as the upload server (the default, docs/http-upload.md): real clients
# upload to ternd's own HTTP service and the file comes back identical — slixmpp's plugin (its
# aiohttp PUT) over HTTPS, verified against ternd's self-signed certificate, and go-sendxmpp -h
# (Go's HTTP client, also verifying). Then every status a client can meet, over real sockets:
# a second PUT 409, a wrong token 403, a body larger than granted 413 (and smaller 400), a slot
# over the quota refused in XMPP with the quota in its text, Range (206, 416), HEAD, ETag (304),
# the safety headers of user content, names that try to leave the upload directory, CORS, expiry
# (410, then the sweeper deletes the file), and an account's files going with the account.
# Messages that carry media (XEP-0066, XEP-0385 with a thumbnail, XEP-0447) pass untouched.
# Every wait is bounded.
import asyncio
import glob
import hashlib
import io
import os
import ssl
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import SharedServer  # noqa: E402
from interop import require_program, run, server_certificate  # noqa: E402
from slix import DOMAIN, PASSWORD, TIMEOUT, ClientTestCase, next_matching  # noqa: E402

from slixmpp.exceptions import IqError  # noqa: E402

UPLOAD = "urn:xmpp:http:upload:0"
MAX_SIZE = 1 << 20
QUOTA = 3 * MAX_SIZE


def upload_dir(server):
    return os.path.join(server.store, "files", "http_upload")


def stored_files(server):
    """The stored uploads' files on disk (not the temporary ones)."""
    return [p for p in glob.glob(os.path.join(upload_dir(server), "??", "*"))]


class Http:
    """Requests to ternd's HTTP service, HTTPS verified against its own certificate."""

    def __init__(self, server):
        self.context = ssl.create_default_context(cafile=server_certificate(server))

    def request(self, method, url, data=None, headers=None):
        """(status, headers, body); HTTP errors are statuses, not exceptions."""
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT, context=self.context) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


class StoredUploadTest(ClientTestCase):
    settings = (f"modules.http_upload.max_file_size={MAX_SIZE}",
                f"modules.http_upload.quota={QUOTA}")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.http = Http(cls.server)

    async def client(self, *plugins):
        (user,) = self.accounts("uploader")
        return user, await self.login(user, PASSWORD, plugins=("xep_0363", *plugins))

    async def slot(self, client, filename, size, content_type="application/octet-stream"):
        iq = await client["xep_0363"].request_slot(DOMAIN, filename, size, content_type,
                                                   timeout=TIMEOUT)
        return iq["http_upload_slot"]["put"]["url"], iq["http_upload_slot"]["get"]["url"]

    async def call(self, method, url, data=None, headers=None):
        return await asyncio.to_thread(self.http.request, method, url, data, headers)

    async def upload(self, client, name, data, content_type="application/octet-stream"):
        put, get = await self.slot(client, name, len(data), content_type)
        status, _, _ = await self.call("PUT", put, data, {"Content-Type": content_type})
        self.assertEqual(status, 201)
        return put, get

    async def test_slixmpp_uploads_over_https_and_the_file_comes_back(self):
        _, client = await self.client()
        client["xep_0363"].upload_service = DOMAIN
        client["xep_0363"].max_file_size = MAX_SIZE
        data = os.urandom(MAX_SIZE - 7)  # several of the server's 256 KiB slices, and a rest
        # aiohttp (slixmpp's HTTP) verifies with the default trust store: ternd's certificate is
        # made the only anchor for this process.
        os.environ["SSL_CERT_FILE"] = server_certificate(self.server)
        try:
            url = await client["xep_0363"].upload_file("holiday photo é.jpg",
                                                       input_file=io.BytesIO(data),
                                                       content_type="image/jpeg", timeout=TIMEOUT)
        finally:
            del os.environ["SSL_CERT_FILE"]
        port = self.server.ports["https"]
        self.assertTrue(url.startswith(f"https://{DOMAIN}:{port}/upload/"), url)
        self.assertTrue(url.endswith("/holiday%20photo%20%C3%A9.jpg"), url)
        status, headers, body = await self.call("GET", url)
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(data).hexdigest())
        self.assertEqual(headers["Content-Type"], "image/jpeg")
        self.assertEqual(headers["Content-Length"], str(len(data)))
        # And over plain HTTP on the other listener, the same bytes.
        plain = url.replace(f"https://{DOMAIN}:{port}", f"http://127.0.0.1:{self.server.ports['http']}")
        status, _, body = await self.call("GET", plain)
        self.assertEqual((status, body == data), (200, True))
        # On disk: one file, named by the slot id only, with nothing left in tmp/.
        slot_id = url.split("/")[4]
        self.assertTrue(os.path.isfile(os.path.join(upload_dir(self.server), slot_id[:2], slot_id)))
        self.assertFalse(glob.glob(os.path.join(upload_dir(self.server), "tmp", slot_id + "*")))

    async def test_a_slot_takes_one_upload(self):
        _, client = await self.client()
        put, get = await self.upload(client, "notes.txt", b"12345", "text/plain")
        status, _, _ = await self.call("PUT", put, b"54321", {"Content-Type": "text/plain"})
        self.assertEqual(status, 409)
        status, _, body = await self.call("GET", get)
        self.assertEqual((status, body), (200, b"12345"))

    async def test_what_was_not_granted_is_refused(self):
        _, client = await self.client()
        put, get = await self.slot(client, "notes.txt", 5, "text/plain")
        headers = {"Content-Type": "text/plain"}
        status, _, _ = await self.call("GET", get)
        self.assertEqual(status, 404)  # nothing uploaded yet
        bad_token = put[:-4] + ("0000" if not put.endswith("0000") else "1111")
        for url, data, hdrs, expected in (
                (bad_token, b"12345", headers, 403),
                (put.split("?")[0], b"12345", headers, 403),
                (put.replace("notes.txt", "other.txt"), b"12345", headers, 404),
                (put, b"123456", headers, 413),
                (put, b"1234", headers, 400),
                (put, b"12345", {"Content-Type": "text/html"}, 400)):
            status, _, body = await self.call("PUT", url, data, hdrs)
            self.assertEqual(status, expected, (url, data, hdrs, body))
        status, _, _ = await self.call("PUT", put, b"12345", headers)
        self.assertEqual(status, 201)  # still usable: none of those took it

    async def test_quota_is_refused_with_its_size_in_the_text(self):
        _, client = await self.client()
        for i in range(3):
            await self.upload(client, f"part{i}.bin", os.urandom(MAX_SIZE))
        with self.assertRaises(IqError) as caught:
            await self.slot(client, "one-more.bin", 10)
        error = caught.exception.iq["error"]
        self.assertEqual((error["type"], error["condition"]), ("wait", "resource-constraint"))
        self.assertIn(f"quota of {QUOTA} bytes", error["text"])
        _, other = await self.client()  # another account has its own quota
        await self.slot(other, "fine.bin", 10)

    async def test_too_large_is_not_acceptable_with_the_limit(self):
        _, client = await self.client()
        with self.assertRaises(IqError) as caught:
            await self.slot(client, "big.bin", MAX_SIZE + 1)
        self.assertEqual(caught.exception.iq["error"]["condition"], "not-acceptable")

    async def test_range_head_and_etag(self):
        _, client = await self.client()
        data = bytes(range(256)) * 40
        _, get = await self.upload(client, "data.bin", data)
        status, headers, body = await self.call("GET", get, headers={"Range": "bytes=100-199"})
        self.assertEqual((status, body), (206, data[100:200]))
        self.assertEqual(headers["Content-Range"], f"bytes 100-199/{len(data)}")
        status, headers, body = await self.call("GET", get, headers={"Range": "bytes=-10"})
        self.assertEqual((status, body), (206, data[-10:]))
        status, headers, _ = await self.call("GET", get, headers={"Range": "bytes=99999-"})
        self.assertEqual((status, headers["Content-Range"]), (416, f"bytes */{len(data)}"))
        status, headers, body = await self.call("HEAD", get)
        self.assertEqual((status, body, headers["Content-Length"]), (200, b"", str(len(data))))
        self.assertEqual(headers["Accept-Ranges"], "bytes")
        etag = headers["ETag"]
        self.assertTrue(etag.startswith('"'), etag)
        status, _, body = await self.call("GET", get, headers={"If-None-Match": etag})
        self.assertEqual((status, body), (304, b""))

    async def test_user_content_cannot_act_as_a_page(self):
        _, client = await self.client()
        _, get = await self.upload(client, "page.html", b"<script>alert(1)</script>", "text/html")
        status, headers, _ = await self.call("GET", get)
        self.assertEqual(status, 200)
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertIn("sandbox", headers["Content-Security-Policy"])
        self.assertIn("default-src 'none'", headers["Content-Security-Policy"])
        self.assertTrue(headers["Content-Disposition"].startswith("attachment;"),
                        headers["Content-Disposition"])
        _, get = await self.upload(client, "photo.png", b"\x89PNG....", "image/png")
        _, headers, _ = await self.call("GET", get)
        self.assertTrue(headers["Content-Disposition"].startswith("inline;"))

    async def test_names_cannot_leave_the_upload_directory(self):
        _, client = await self.client()
        _, get = await self.upload(client, "a.txt", b"abc", "text/plain")
        base = get.rsplit("/", 2)[0]
        slot_id = get.split("/")[4]
        for path in ("/../../../etc/passwd", f"/{slot_id}/..%2f..%2fetc%2fpasswd",
                     f"/{slot_id}/%00", f"/{slot_id}", "/", f"/{slot_id}/a.txt/x",
                     f"/{slot_id.upper()}/a.txt", f"/..%2f{slot_id}/a.txt"):
            status, _, _ = await self.call("GET", base + path)
            self.assertEqual(status, 404, path)
        self.assertEqual((await self.call("GET", get))[0], 200)

    async def test_cors_preflight_and_origin(self):
        _, client = await self.client()
        put, get = await self.slot(client, "c.txt", 3, "text/plain")
        status, headers, _ = await self.call("OPTIONS", put, headers={
            "Origin": "https://chat.example.org", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type"})
        self.assertEqual(status, 204)
        self.assertEqual(headers["Access-Control-Allow-Origin"], "*")
        self.assertIn("PUT", headers["Access-Control-Allow-Methods"])
        self.assertEqual(headers["Access-Control-Allow-Headers"], "content-type")
        status, headers, _ = await self.call("PUT", put, b"abc", {
            "Content-Type": "text/plain", "Origin": "https://chat.example.org"})
        self.assertEqual((status, headers["Access-Control-Allow-Origin"]), (201, "*"))

    async def test_media_messages_pass_untouched(self):
        sender, receiver = self.accounts("sender", "receiver")
        alice = await self.login(sender, PASSWORD)
        bob = await self.login(receiver, PASSWORD)
        media = (
            "<x xmlns='jabber:x:oob'><url>https://localhost:5281/upload/x/a.jpg</url></x>"
            "<reference xmlns='urn:xmpp:reference:0' type='data' begin='0' end='0'>"
            "<media-sharing xmlns='urn:xmpp:sims:1'>"
            "<file xmlns='urn:xmpp:jingle:apps:file-transfer:5'><media-type>image/jpeg</media-type>"
            "<name>a.jpg</name><size>3032449</size>"
            "<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>"
            "A+yr5yLJ5o3QP8jgNzS/Iv5g1CyFu2vZLjDSs8YMqgQ=</hash>"
            "<thumbnail xmlns='urn:xmpp:thumbs:1' uri='data:image/jpeg;base64,/9j/4AAQSkZJRg=='"
            " media-type='image/jpeg' width='32' height='24'/></file>"
            "<sources><reference xmlns='urn:xmpp:reference:0' type='data' "
            "uri='https://localhost:5281/upload/x/a.jpg'/></sources></media-sharing></reference>"
            "<file-sharing xmlns='urn:xmpp:sfs:0' disposition='inline'>"
            "<file xmlns='urn:xmpp:file:metadata:0'><media-type>image/jpeg</media-type>"
            "<name>a.jpg</name><size>3032449</size></file>"
            "<sources><url-data xmlns='http://jabber.org/protocol/url-data' "
            "target='https://localhost:5281/upload/x/a.jpg'/></sources></file-sharing>")
        import xml.etree.ElementTree as ET
        message = alice.make_message(mto=receiver, mbody="https://localhost:5281/upload/x/a.jpg",
                                     mtype="chat")
        wrapper = ET.fromstring(f"<w xmlns='jabber:client'>{media}</w>")
        for child in list(wrapper):
            message.xml.append(child)
        message.send()
        got = await next_matching(bob.messages, lambda m: m["from"].bare == sender, "the media")
        for tag in ("{jabber:x:oob}x", "{urn:xmpp:reference:0}reference",
                    "{urn:xmpp:sfs:0}file-sharing"):
            sent = ET.tostring(wrapper.find(tag))
            received = got.xml.find(tag)
            self.assertIsNotNone(received, tag)
            self.assertEqual(ET.tostring(received), sent)

    async def test_an_account_s_files_go_with_the_account(self):
        user, client = await self.client("xep_0077")
        _, get = await self.upload(client, "mine.bin", b"x" * 100)
        slot_id = get.split("/")[4]
        path = os.path.join(upload_dir(self.server), slot_id[:2], slot_id)
        self.assertTrue(os.path.isfile(path))
        await client["xep_0077"].cancel_registration(timeout=TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while os.path.exists(path) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.assertFalse(os.path.exists(path))
        status, _, _ = await self.call("GET", get)
        self.assertEqual(status, 404)


class GoSendxmppUploadTest(ClientTestCase):
    """go-sendxmpp -h: Go's HTTP client uploads to ternd over HTTPS (verifying its certificate),
    and the receiver gets the URL, whose file is the one sent."""

    @classmethod
    def setUpClass(cls):
        cls.program = require_program("go-sendxmpp", "Debian package go-sendxmpp")
        super().setUpClass()
        cls.home = tempfile.TemporaryDirectory(prefix="tern-go-sendxmpp-")
        cls.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": cls.home.name,
                   "SSL_CERT_FILE": server_certificate(cls.server), "SSL_CERT_DIR": cls.home.name}
        cls.http = Http(cls.server)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.home.cleanup()

    async def test_go_sendxmpp_uploads_and_the_file_comes_back(self):
        sender, receiver = self.accounts("gosender", "goreceiver")
        bob = await self.login(f"{receiver}/desk", PASSWORD)
        data = os.urandom(300_000)
        path = os.path.join(self.home.name, "report.pdf")
        with open(path, "wb") as f:
            f.write(data)
        status, out, err = await run(
            [self.program, "-u", sender, "-p", PASSWORD, "-j",
             f"localhost:{self.server.port}", "--timeout", "15", "-h", path, receiver],
            self.env)
        self.assertEqual(status, 0, f"go-sendxmpp failed:\n{out}\n{err}")
        got = await next_matching(bob.messages, lambda m: m["from"].bare == sender, "the URL")
        url = got["body"].strip()
        self.assertTrue(url.startswith(f"https://{DOMAIN}:{self.server.ports['https']}/upload/"),
                        url)
        status, _, body = await asyncio.to_thread(self.http.request, "GET", url)
        self.assertEqual((status, body == data), (200, True))


class ExpiryTest(SharedServer, unittest.IsolatedAsyncioTestCase):
    """A file past expire_after is gone (410) while its record is kept."""

    settings = ("modules.http_upload.expire_after=1", "modules.http_upload.sweep_interval=3600")

    async def test_an_expired_file_is_gone(self):
        http = Http(self.server)
        put, get = await granted_slot(self.server, "expiring")
        status, _, _ = await asyncio.to_thread(http.request, "PUT", put, b"old",
                                               {"Content-Type": "text/plain"})
        self.assertEqual(status, 201)
        await asyncio.sleep(2.1)
        self.assertEqual((await asyncio.to_thread(http.request, "GET", get))[0], 410)
        self.assertEqual(len(stored_files(self.server)), 1)  # the sweeper has not run


class SweeperTest(SharedServer, unittest.IsolatedAsyncioTestCase):
    """The sweeper deletes expired files and their records."""

    settings = ("modules.http_upload.expire_after=1", "modules.http_upload.sweep_interval=1")

    async def test_the_sweeper_deletes_expired_files(self):
        http = Http(self.server)
        put, get = await granted_slot(self.server, "swept")
        status, _, _ = await asyncio.to_thread(http.request, "PUT", put, b"old",
                                               {"Content-Type": "text/plain"})
        self.assertEqual(status, 201)
        self.assertEqual(len(stored_files(self.server)), 1)
        deadline = time.monotonic() + TIMEOUT
        while stored_files(self.server) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        self.assertEqual(stored_files(self.server), [])
        await self.server_line(r"upload\.removed.*count=1")
        status, _, _ = await asyncio.to_thread(http.request, "GET", get)
        self.assertEqual(status, 404)  # not even its record is left

    async def server_line(self, pattern):
        await asyncio.to_thread(self.server.wait_for_output, pattern)


async def granted_slot(server, name):
    """A slot for a fresh account `name` (3 bytes of text/plain): (put URL, get URL)."""
    from slix import Client, wait
    jid = f"{name}@{DOMAIN}"
    server.adduser(jid, PASSWORD)
    client = Client(jid, PASSWORD, server.port, plugins=("xep_0363",))
    client.start()
    try:
        await wait(client.started, "login")
        iq = await client["xep_0363"].request_slot(DOMAIN, "old.txt", 3, "text/plain",
                                                   timeout=TIMEOUT)
        return iq["http_upload_slot"]["put"]["url"], iq["http_upload_slot"]["get"]["url"]
    finally:
        client.disconnect()


if __name__ == "__main__":
    unittest.main(verbosity=2)
