#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# ternd's HTTP service (docs/http.md) on raw sockets, with the upload route as the route under
# test: keep-alive and pipelining, chunked bodies, Expect: 100-continue, and what a hostile
# client meets — request smuggling (Content-Length with Transfer-Encoding), oversized headers and
# targets, invalid chunk sizes, a client that drips its headers (slowloris) or stops sending its
# body, idle connections, the connection caps it shares with XMPP, and ALPN over TLS. Each
# refusal has its status and a log line, and a well-behaved client on another connection is
# served meanwhile. Timeouts are set to seconds so that every wait is short and bounded.
import asyncio
import os
import select
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from interop import server_certificate  # noqa: E402
from slix import DOMAIN, PASSWORD, TIMEOUT, ClientTestCase  # noqa: E402

MISSING = "/upload/0b7f6a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c/none.txt"


def read_response(sock, deadline=5.0):
    """One response from `sock`: (status, headers dict, body), or None at EOF. Reads exactly its
    Content-Length, so the next response stays in the socket."""
    sock.settimeout(deadline)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            return None
        head += chunk
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = b""
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            break
        body += chunk
    return status, headers, body


def closed_by_server(sock, deadline=5.0):
    sock.settimeout(deadline)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return False


class HttpServiceTest(ClientTestCase):
    settings = ("http.header_timeout=2", "http.body_timeout=2", "http.idle_timeout=3",
                "http.max_header_fields=20", "http.max_target_bytes=1024",
                "c2s.max_connections_per_address=40")

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.server.ports["http"]), timeout=5)
        self.addCleanup(sock.close)
        return sock

    def get(self, path=MISSING):
        """A well-behaved request on a new connection: its status."""
        sock = self.connect()
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
        return read_response(sock)[0]

    async def slot(self, size, content_type="text/plain"):
        (user,) = self.accounts("uploader")
        client = await self.login(user, PASSWORD, plugins=("xep_0363",))
        iq = await client["xep_0363"].request_slot(DOMAIN, "f.txt", size, content_type,
                                                   timeout=TIMEOUT)
        put = iq["http_upload_slot"]["put"]["url"]
        return "/" + put.split("/", 3)[3], "/" + iq["http_upload_slot"]["get"]["url"].split("/", 3)[3]

    def test_keep_alive_and_pipelining_answer_in_order(self):
        sock = self.connect()
        sock.sendall(f"GET {MISSING} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
        first = read_response(sock)
        self.assertEqual(first[0], 404)
        self.assertEqual(first[1]["connection"], "keep-alive")
        # Three at once: answered one after the other, the last closing as asked.
        sock.sendall((f"GET {MISSING} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n"
                      f"GET /nothing-here HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n"
                      f"DELETE {MISSING} HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n"
                      ).encode())
        statuses = [read_response(sock) for _ in range(3)]
        self.assertEqual([s[0] for s in statuses], [404, 404, 405])
        self.assertIn("PUT", statuses[2][1]["allow"])
        self.assertEqual(statuses[2][1]["connection"], "close")
        self.assertTrue(closed_by_server(sock))

    def test_request_smuggling_is_refused_and_what_follows_is_never_read(self):
        for conflict in ("Content-Length: 4\r\nTransfer-Encoding: chunked",
                         "Transfer-Encoding: chunked\r\nContent-Length: 4",
                         "Content-Length: 4\r\nContent-Length: 40"):
            sock = self.connect()
            sock.sendall((f"POST {MISSING} HTTP/1.1\r\nHost: {DOMAIN}\r\n{conflict}\r\n\r\n"
                          f"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n").encode())
            status, headers, _ = read_response(sock)
            self.assertEqual((status, headers["connection"]), (400, "close"), conflict)
            self.assertIsNone(read_response(sock))  # the smuggled request got no answer
        self.server.wait_for_output(r"limit\.refused.*status=400")

    def test_oversized_requests_get_their_status(self):
        for request, status in (
                (f"GET /{'a' * 2000} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n", 414),
                (f"GET / HTTP/1.1\r\nHost: {DOMAIN}\r\n" + "X-A: b\r\n" * 30 + "\r\n", 431),
                (f"GET / HTTP/1.1\r\nHost: {DOMAIN}\r\nX-Big: {'b' * 20000}\r\n\r\n", 431),
                (f"GET / HTTP/1.1\r\nHost: {DOMAIN}\r\nHost: other\r\n\r\n", 400),
                ("GET / HTTP/1.1\r\n\r\n", 400),
                (f"GET / HTTP/3.0\r\nHost: {DOMAIN}\r\n\r\n", 505)):
            sock = self.connect()
            sock.sendall(request.encode())
            response = read_response(sock)
            self.assertIsNotNone(response, request[:40])
            self.assertEqual(response[0], status, request[:40])
            self.assertTrue(closed_by_server(sock))
        self.assertEqual(self.get(), 404)  # and the service goes on

    async def test_chunked_upload_and_100_continue(self):
        put, get = await self.slot(10)
        sock = self.connect()
        sock.sendall((f"PUT {put} HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Type: text/plain\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n7\r\ndefghij\r\n0\r\n\r\n"
                      ).encode())
        self.assertEqual(read_response(sock)[0], 201)
        put, _ = await self.slot(4)
        sock.sendall((f"PUT {put} HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 4\r\nExpect: 100-continue\r\n\r\n").encode())
        self.assertEqual(read_response(sock)[0], 100)  # go on: only now is the body sent
        sock.sendall(b"wxyz")
        self.assertEqual(read_response(sock)[0], 201)
        sock.sendall(f"GET {get} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
        self.assertEqual(read_response(sock)[2], b"abcdefghij")

    async def test_invalid_chunk_sizes_are_refused_and_the_slot_stays_usable(self):
        put, _ = await self.slot(3)
        sock = self.connect()
        sock.sendall((f"PUT {put} HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Type: text/plain\r\n"
                      "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n").encode())
        self.assertEqual(read_response(sock)[0], 400)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the refused upload lets go of its slot
            sock = self.connect()
            sock.sendall((f"PUT {put} HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Type: text/plain\r\n"
                          "Content-Length: 3\r\n\r\nabc").encode())
            status = read_response(sock)[0]
            if status != 409:
                break
            await asyncio.sleep(0.1)
        self.assertEqual(status, 201)

    def test_slowloris_gets_408_while_others_are_served(self):
        sock = self.connect()
        started = time.monotonic()
        sock.sendall(f"GET {MISSING} HTTP/1.1\r\nHost: {DOMAIN}\r\n".encode())
        statuses = []
        got = None
        for _ in range(20):  # a header byte every 0.25 s: always busy, never done
            try:
                sock.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                break
            statuses.append(self.get())
            sock.settimeout(0.25)
            try:
                got = sock.recv(65536)
                if got:
                    break
            except socket.timeout:
                pass
        elapsed = time.monotonic() - started
        self.assertIsNotNone(got)
        self.assertTrue(got.startswith(b"HTTP/1.1 408 "), got[:60])
        self.assertLess(elapsed, 2.9)  # the header timeout (2 s), not the idle one (3 s)
        self.assertGreaterEqual(elapsed, 1.9)
        self.assertTrue(statuses and all(s == 404 for s in statuses), statuses)

    async def test_a_stalled_body_times_out_and_its_file_is_removed(self):
        put, _ = await self.slot(10)
        sock = self.connect()
        sock.sendall((f"PUT {put} HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 10\r\n\r\nabc").encode())
        response = await asyncio.to_thread(read_response, sock, 6)
        self.assertEqual(response[0], 408)
        tmp = os.path.join(self.server.store, "files", "http_upload", "tmp")
        deadline = time.monotonic() + 5
        while os.listdir(tmp) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.assertEqual(os.listdir(tmp), [])

    def test_an_idle_connection_is_closed(self):
        sock = self.connect()
        sock.sendall(f"GET {MISSING} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
        self.assertEqual(read_response(sock)[0], 404)
        started = time.monotonic()
        self.assertTrue(closed_by_server(sock, deadline=8))
        self.assertGreaterEqual(time.monotonic() - started, 2.5)

    def test_the_connection_caps_of_xmpp_apply(self):
        # c2s.max_connections_per_address is 40 (the test process holds a few already). Opened
        # at once, well within the header timeout that would otherwise free places.
        held = [socket.create_connection(("127.0.0.1", self.server.ports["http"]), timeout=5)
                for _ in range(45)]
        try:
            time.sleep(0.5)  # refused ones are closed at once; the others wait for a request
            readable, _, _ = select.select(held, [], [], 0)
            refused = 0
            for sock in readable:
                try:
                    refused += sock.recv(1) == b""
                except ConnectionResetError:
                    refused += 1
            self.assertGreaterEqual(refused, 5)
            self.assertLessEqual(refused, 10)
        finally:
            for sock in held:
                sock.close()
        self.server.wait_for_output(r"limit\.refused.*HTTP connection refused")

    def test_tls_speaks_http_1_1_only(self):
        context = ssl.create_default_context(cafile=server_certificate(self.server))
        context.set_alpn_protocols(["h2", "http/1.1"])
        port = self.server.ports["https"]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
                self.assertEqual(tls.selected_alpn_protocol(), "http/1.1")
                tls.sendall(f"GET {MISSING} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
                self.assertEqual(read_response(tls)[0], 404)
        context = ssl.create_default_context(cafile=server_certificate(self.server))
        context.set_alpn_protocols(["h2"])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with self.assertRaises(ssl.SSLError):
                context.wrap_socket(raw, server_hostname=DOMAIN)


class PipelinedFloodTest(unittest.TestCase):
    """ternd holds at most one response per connection in memory: a client that pipelines
    requests and never reads leaves them in the kernel's buffers. A server of its own, so that
    its memory is this test's alone; under AddressSanitizer, without the quarantine that would
    keep every freed block (RSS would then count what ternd freed)."""

    @classmethod
    def setUpClass(cls):
        asan = os.environ.get("ASAN_OPTIONS", "")
        cls.server = TernServer().start(env={"ASAN_OPTIONS": f"{asan}:quarantine_size_mb=0"})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_a_client_that_pipelines_and_never_reads_costs_little_memory(self):
        def rss_kib():
            with open(f"/proc/{self.server.process.pid}/status") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

        before = rss_kib()
        sock = socket.create_connection(("127.0.0.1", self.server.ports["http"]), timeout=5)
        self.addCleanup(sock.close)
        get = socket.create_connection(("127.0.0.1", self.server.ports["http"]), timeout=5)
        self.addCleanup(get.close)
        request = f"GET /.well-known/host-meta HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode()
        sock.settimeout(0.5)
        sent = 0
        try:
            while sent < 60000:  # ~3 MB of requests whose answers would be ~25 MB
                sock.sendall(request * 100)
                sent += 100
        except (socket.timeout, BlockingIOError):
            pass  # ternd stopped reading: the requests wait in the kernel, not in ternd
        time.sleep(0.5)
        grown_mib = (rss_kib() - before) / 1024
        print(f"grown {grown_mib:.1f} MiB after {sent} requests", file=sys.stderr)
        self.assertLess(grown_mib, 8, f"{sent} requests sent")
        get.sendall(f"GET {MISSING} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
        self.assertEqual(read_response(get)[0], 404)  # everyone else is served meanwhile


if __name__ == "__main__":
    unittest.main(verbosity=2)
