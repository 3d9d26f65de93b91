#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0363 HTTP upload with a real slixmpp client against the real ternd and the reference upload
# server (examples/upload_server.py) on loopback: slixmpp discovers the service on the server
# (identity store/file, the feature, max-file-size), gets a slot, PUTs a file there and the GET URL
# returns the same bytes; the upload server refuses a PUT that does not match what was granted;
# too large gets not-acceptable with <file-too-large/> and the limit, bad names and sizes
# bad-request; a configuration without its secret stops ternd. Every wait is bounded.
import asyncio
import io
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import BUILD, TernServer, http_upload_settings, modules_enabled  # noqa: E402
from slix import DOMAIN, PASSWORD, TIMEOUT, ClientTestCase  # noqa: E402

from slixmpp.exceptions import IqError  # noqa: E402

UPLOAD = "urn:xmpp:http:upload:0"
SECRET = "a-secret-for-the-tests"
MAX_SIZE = 4096
UPLOAD_SERVER = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "upload_server.py")


def start_upload_server(directory):
    process = subprocess.Popen([sys.executable, UPLOAD_SERVER, "--secret", SECRET, "--dir",
                                directory], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.startswith("upload_server: listening "):
        process.kill()
        raise RuntimeError(f"the upload server did not start: {line!r}")
    return process, int(line.split()[-1])


def http(method, url, data=None, headers=None):
    """(status, body) of one request; HTTP errors are statuses, not exceptions."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


class HttpUploadTest(ClientTestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = tempfile.TemporaryDirectory(prefix="tern-uploads-")
        cls.upload_server, port = start_upload_server(cls.files.name)
        cls.base = f"http://127.0.0.1:{port}"
        cls.server = TernServer(*http_upload_settings(cls.base, SECRET, MAX_SIZE)).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.upload_server.terminate()
        cls.upload_server.wait(timeout=10)
        cls.files.cleanup()

    async def client(self):
        (user,) = self.accounts("sender")
        return await self.login(user, PASSWORD, plugins=("xep_0363",))

    async def slot(self, client, filename, size, content_type="application/octet-stream"):
        iq = await client["xep_0363"].request_slot(DOMAIN, filename, size, content_type,
                                                   timeout=TIMEOUT)
        return iq["http_upload_slot"]["put"]["url"], iq["http_upload_slot"]["get"]["url"]

    async def test_slixmpp_finds_the_service_uploads_and_the_file_comes_back(self):
        client = await self.client()
        # What slixmpp's find_upload_service() looks for, asked directly: its own discovery
        # (get_info_from_domain) breaks on Python 3.11 in slixmpp 1.8.3 (asyncio.wait of bare
        # coroutines), a client bug.
        info = (await client["xep_0030"].get_info(DOMAIN, timeout=TIMEOUT))["disco_info"]
        self.assertIn(("store", "file", None, "HTTP File Upload"), info["identities"])
        self.assertIn(UPLOAD, info["features"])
        forms = [form["values"] for form in info.iterables]
        self.assertIn({"FORM_TYPE": [UPLOAD], "max-file-size": str(MAX_SIZE)}, forms)
        client["xep_0363"].upload_service = DOMAIN
        client["xep_0363"].max_file_size = MAX_SIZE

        data = os.urandom(3000)
        url = await client["xep_0363"].upload_file("holiday photo é.jpg",
                                                   input_file=io.BytesIO(data),
                                                   content_type="image/jpeg", timeout=TIMEOUT)
        self.assertTrue(url.startswith(self.base + "/"), url)
        self.assertTrue(url.endswith("/holiday%20photo%20%C3%A9.jpg"), url)
        status, body = await asyncio.to_thread(http, "GET", url)
        self.assertEqual(status, 200)
        self.assertEqual(body, data)

    async def test_the_upload_server_refuses_what_was_not_granted(self):
        client = await self.client()
        put, get = await self.slot(client, "notes.txt", 5, "text/plain")
        headers = {"Content-Type": "text/plain"}
        # Another size, another type, another path, no token: all refused.
        status, _ = await asyncio.to_thread(http, "PUT", put, b"123456", headers)
        self.assertEqual(status, 403)
        status, _ = await asyncio.to_thread(http, "PUT", put, b"12345",
                                            {"Content-Type": "text/html"})
        self.assertEqual(status, 403)
        status, _ = await asyncio.to_thread(http, "PUT", put.replace("notes.txt", "other.txt"),
                                            b"12345", headers)
        self.assertEqual(status, 403)
        status, _ = await asyncio.to_thread(http, "PUT", put.split("?")[0], b"12345", headers)
        self.assertEqual(status, 403)
        status, _ = await asyncio.to_thread(http, "GET", get)
        self.assertEqual(status, 404)
        # What was granted works, once.
        status, _ = await asyncio.to_thread(http, "PUT", put, b"12345", headers)
        self.assertEqual(status, 201)
        status, _ = await asyncio.to_thread(http, "PUT", put, b"12345", headers)
        self.assertEqual(status, 409)
        status, body = await asyncio.to_thread(http, "GET", get)
        self.assertEqual((status, body), (200, b"12345"))

    async def test_every_slot_is_a_new_path(self):
        client = await self.client()
        first = await self.slot(client, "same.bin", 10)
        second = await self.slot(client, "same.bin", 10)
        self.assertNotEqual(first, second)

    async def test_too_large_is_not_acceptable_with_the_limit(self):
        client = await self.client()
        with self.assertRaises(IqError) as caught:
            await self.slot(client, "big.bin", MAX_SIZE + 1)
        error = caught.exception.iq
        self.assertEqual(error["error"]["condition"], "not-acceptable")
        limit = error.xml.find(f"{{jabber:client}}error/{{{UPLOAD}}}file-too-large/"
                               f"{{{UPLOAD}}}max-file-size")
        self.assertIsNotNone(limit)
        self.assertEqual(limit.text, str(MAX_SIZE))
        put, _ = await self.slot(client, "exact.bin", MAX_SIZE)  # the limit itself is fine
        self.assertIn("?v2=", put)

    async def test_bad_names_and_sizes_are_bad_requests(self):
        client = await self.client()
        for filename, size in (("a/b.txt", 10), ("..", 10), ("", 10), ("ok.txt", 0),
                               ("ok.txt", -5), ("ok.txt", "ten")):
            iq = client.make_iq_get(ito=DOMAIN)
            request = iq["http_upload_request"]
            request["filename"] = filename
            request["size"] = str(size)
            with self.assertRaises(IqError, msg=f"{filename!r} {size!r}") as caught:
                await iq.send(timeout=TIMEOUT)
            self.assertEqual(caught.exception.iq["error"]["condition"], "bad-request")


class ConfigurationTest(unittest.TestCase):
    def test_without_a_secret_ternd_refuses_to_start(self):
        ternd = os.path.join(BUILD, "ternd", "ternd")
        run = subprocess.run([ternd, "--set", modules_enabled("http_upload"), "--set",
                              'modules.http_upload.put_url="https://upload.example.com"',
                              "--check-config"], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("secret is required", run.stdout + run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
