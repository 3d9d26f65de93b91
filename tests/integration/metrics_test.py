#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# /metrics (docs/operations.md) scraped from the real ternd over HTTP while clients log in, chat
# and fall behind: the output passes `promtool check metrics` (Debian's prometheus package), the
# figures move with what the clients do (logins by mechanism, failures, stanzas, bytes, commits,
# a slow reader's output queue growing and draining), and an address outside [metrics] allow
# gets 403, which is itself counted as a refusal. An [alerts] threshold fires and clears with a
# slow recipient's queue.
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import SharedServer, TernServer  # noqa: E402
from bystanders import Bystanders  # noqa: E402
from prometheus_text import metric_total as total  # noqa: E402
from prometheus_text import metric_value as value  # noqa: E402
from raw_client import AuthFailed, RawClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "metrics-password-1"


def scrape(server, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.ports['http']}{path}",
                                timeout=10) as response:
        return response.headers.get("Content-Type"), response.read().decode()


def flood(sender, to, count, size=4000):
    body = "x" * size
    for i in range(count):
        sender.send(f"<message to='{to}' type='chat'><body>{i} {body}</body></message>")


class MetricsTest(SharedServer, unittest.TestCase):
    # Room for a slow reader's backlog beyond what the kernel's socket buffers take (up to
    # tcp_wmem's 4 MiB on loopback).
    settings = ["c2s.max_output_bytes=33554432"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("juliet", "romeo", "slow", "flooder"):
            cls.server.adduser(f"{name}@{DOMAIN}", PASSWORD)

    def test_the_output_passes_promtool(self):
        client = RawClient(self.server.port, f"juliet@{DOMAIN}/promtool", PASSWORD)
        content_type, text = scrape(self.server)
        client.close()
        self.assertTrue(content_type.startswith("text/plain; version=0.0.4"), content_type)
        checked = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                                 capture_output=True, timeout=30)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertEqual(checked.stdout.strip() + checked.stderr.strip(), "",
                         "promtool found problems")
        for family in ("tern_sessions", "tern_logins_total", "tern_login_failures_total",
                       "tern_stanzas_received_total", "tern_stanzas_sent_total",
                       "tern_tls_handshakes_total", "tern_event_loop_lag_seconds",
                       "tern_session_output_queue_bytes", "tern_session_unacked_stanzas",
                       "tern_store_writer_queue_length", "tern_store_commit_batch_size",
                       "tern_store_commit_duration_seconds", "tern_store_map_used_bytes",
                       "tern_module_handler_seconds", "tern_offline_messages",
                       "tern_refusals_total"):
            self.assertIn(f"# TYPE {family} ", text)

    def test_figures_follow_what_clients_do(self):
        _, before = scrape(self.server)
        with self.assertRaises(AuthFailed):
            RawClient(self.server.port, f"romeo@{DOMAIN}/wrong", "not-the-password")
        juliet = RawClient(self.server.port, f"juliet@{DOMAIN}/figures", PASSWORD)
        romeo = RawClient(self.server.port, f"romeo@{DOMAIN}/figures", PASSWORD,
                          mechanism="SCRAM-SHA-256")
        for i in range(3):
            juliet.send(f"<message to='romeo@{DOMAIN}/figures' type='chat'><body>{i}</body>"
                        "</message>")
        for _ in range(3):
            self.assertEqual(romeo.next().tag, "{jabber:client}message")
        # An offline message: committed by the store's writer.
        juliet.send(f"<message to='flooder@{DOMAIN}' type='chat'><body>later</body></message>")
        self.server.wait_offline_count(f"flooder@{DOMAIN}", 1)
        time.sleep(0.6)  # two probes of the loop-lag timer
        _, after = scrape(self.server)

        def grew(name, by, **labels):
            was, now = total(before, name, **labels), total(after, name, **labels)
            self.assertGreaterEqual(now - was, by, f"{name} {labels}: {was} → {now}")

        grew("tern_logins_total", 1, mechanism="PLAIN")
        grew("tern_logins_total", 1, mechanism="SCRAM-SHA-256")
        grew("tern_login_failures_total", 1, mechanism="PLAIN", reason="not-authorized")
        grew("tern_stanzas_received_total", 4, kind="message")
        grew("tern_stanzas_sent_total", 3, kind="message")
        grew("tern_tls_handshakes_total", 3, result="ok")
        grew("tern_connections_opened_total", 3)
        grew("tern_received_bytes_total", 1000)
        grew("tern_sent_bytes_total", 1000)
        grew("tern_store_commit_duration_seconds_count", 1)
        grew("tern_event_loop_lag_seconds_count", 2)
        grew("tern_module_handler_seconds_count", 4, module="offline")  # its message hooks
        self.assertGreaterEqual(total(after, "tern_sessions", state="established"), 2)
        self.assertEqual(value(after, "tern_up"), 1)
        juliet.close()
        romeo.close()

    def test_a_slow_readers_queue_shows_and_drains(self):
        slow = RawClient(self.server.port, f"slow@{DOMAIN}/phone", PASSWORD, receive_buffer=4096)
        flooder = RawClient(self.server.port, f"flooder@{DOMAIN}/pc", PASSWORD)
        count = 2500  # about 10 MB: past the socket buffers, under c2s.max_output_bytes
        flood(flooder, f"slow@{DOMAIN}/phone", count)
        deadline = time.monotonic() + 15
        queued = 0
        while time.monotonic() < deadline and queued < 1000000:
            queued = value(scrape(self.server)[1], "tern_session_output_queue_max_bytes")
            time.sleep(0.2)
        print(f"slow reader: {queued:.0f} bytes queued at most", file=sys.stderr)
        self.assertGreaterEqual(queued, 1000000, "the slow reader's queue never showed")
        received = 0
        while received < count:
            element = slow.next(timeout=10)
            self.assertIsNotNone(element, f"only {received} of {count} arrived")
            received += element.tag == "{jabber:client}message"
        _, text = scrape(self.server)
        self.assertLess(value(text, "tern_session_output_queue_max_bytes"), 100000)
        slow.close()
        flooder.close()


class AlertsTest(SharedServer, unittest.TestCase):
    # Checked every second; a session's output queue past 1 MB fires.
    settings = ["c2s.max_output_bytes=33554432", "alerts.interval=1",
                "alerts.session_output_bytes=1000000"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("slow", "flooder"):
            cls.server.adduser(f"{name}@{DOMAIN}", PASSWORD)

    def firing(self):
        return value(scrape(self.server)[1], "tern_alert_firing", alert="session_output_bytes")

    def test_a_slow_recipient_fires_the_queue_alert_which_clears_after(self):
        self.assertEqual(self.firing(), 0)
        self.assertEqual(value(scrape(self.server)[1], "tern_alert_firing", alert="loop_lag_ms"),
                         0)
        slow = RawClient(self.server.port, f"slow@{DOMAIN}/phone", PASSWORD, receive_buffer=4096)
        flooder = RawClient(self.server.port, f"flooder@{DOMAIN}/pc", PASSWORD)
        count = 2500  # about 10 MB: past the socket buffers
        flood(flooder, f"slow@{DOMAIN}/phone", count)
        self.server.wait_for_output(r"warn  alerts alert\.firing: .* alert=session_output_bytes "
                                    r"value=\d+ threshold=1000000")
        self.assertEqual(self.firing(), 1)
        received = 0
        while received < count:
            element = slow.next(timeout=10)
            self.assertIsNotNone(element, f"only {received} of {count} arrived")
            received += element.tag == "{jabber:client}message"
        self.server.wait_for_output(r"info  alerts alert\.cleared: .* alert=session_output_bytes")
        self.assertEqual(self.firing(), 0)
        slow.close()
        flooder.close()


class OfflineFiguresTest(unittest.TestCase):
    @staticmethod
    def offline_figures(server, expected):
        """(accounts, messages, largest) once they are `expected` (counted every second), or
        what they were after 10 s."""
        deadline = time.monotonic() + 10
        while True:
            text = scrape(server)[1]
            figures = tuple(value(text, f"tern_offline_{name}")
                            for name in ("accounts", "messages", "largest_queue_messages"))
            if figures == expected or time.monotonic() > deadline:
                return figures
            time.sleep(0.3)

    def test_offline_queues_are_counted(self):
        with TernServer('metrics.allow=["*"]', "modules.offline.count_interval=1",
                        workers=2) as server:
            for name in ("juliet", "romeo", "nurse"):
                server.adduser(f"{name}@{DOMAIN}", PASSWORD)
            juliet = RawClient(server.port, f"juliet@{DOMAIN}/sender", PASSWORD)
            for to, count in (("romeo", 3), ("nurse", 1)):
                for i in range(count):
                    juliet.send(f"<message to='{to}@{DOMAIN}' type='chat'><body>{i}</body>"
                                "</message>")
                server.wait_offline_count(f"{to}@{DOMAIN}", count)
            self.assertEqual(self.offline_figures(server, (2, 4, 3)), (2, 4, 3))
            # romeo reads his queue: the figures follow.
            romeo = RawClient(server.port, f"romeo@{DOMAIN}/reader", PASSWORD)
            romeo.send("<presence/>")
            server.wait_offline_count(f"romeo@{DOMAIN}", 0)
            self.assertEqual(self.offline_figures(server, (1, 1, 1)), (1, 1, 1))
            juliet.close()
            romeo.close()


class ActivityRecordTest(unittest.TestCase):
    def test_a_line_a_second_rotated_past_its_size(self):
        with tempfile.TemporaryDirectory(prefix="tern-activity-") as directory:
            record = os.path.join(directory, "activity.log")
            with TernServer(f'activity.file="{record}"', "activity.max_bytes=300",
                            "activity.keep=2", workers=2) as server:
                for name in ("juliet", "romeo"):
                    server.adduser(f"{name}@{DOMAIN}", PASSWORD)
                bystanders = Bystanders(server.port, PASSWORD)
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and not os.path.exists(record + ".2"):
                    time.sleep(0.2)
                bystanders.finish(self)
            self.assertTrue(os.path.exists(record + ".2"), "never rotated twice")
            self.assertFalse(os.path.exists(record + ".3"), "keeps at most 2 old files")
            lines = []
            for path in (record + ".2", record + ".1", record):
                if os.path.exists(path):
                    with open(path) as f:
                        text = f.read()
                    self.assertTrue(text.startswith("# tern activity"), text)
                    self.assertLessEqual(len(text), 300)
                    lines += [line.split() for line in text.splitlines()[1:]]
            self.assertGreaterEqual(len(lines), 4)
            for fields in lines:
                self.assertEqual(len(fields), 12, fields)
                self.assertEqual(len(fields[11].split(",")), 2)  # sessions on each worker
            # The bystanders chat at 50 messages a second: the rates show it.
            self.assertTrue(any(float(f[2]) >= 20 and float(f[3]) >= 20 for f in lines), lines)
            self.assertTrue(any(int(f[1]) >= 2 for f in lines), lines)


class MetricsAccessTest(unittest.TestCase):
    def test_an_address_outside_allow_is_refused_and_counted(self):
        with TernServer('metrics.allow=["192.0.2.1"]', workers=1) as server:
            with self.assertRaises(urllib.error.HTTPError) as refused:
                scrape(server)
            self.assertEqual(refused.exception.code, 403)
            server.wait_for_output(r"limit\.refused: metrics refused: address not in")
        with TernServer('metrics.allow=["*"]', 'metrics.path="/stats"', workers=1) as server:
            with self.assertRaises(urllib.error.HTTPError) as missing:
                scrape(server)  # /metrics: not there any more
            self.assertEqual(missing.exception.code, 404)
            _, text = scrape(server, "/stats")
            self.assertEqual(value(text, "tern_up"), 1)

    def test_refusals_are_counted_by_reason(self):
        with TernServer('metrics.allow=["*"]', workers=1) as server:
            server.adduser(f"juliet@{DOMAIN}", PASSWORD)
            # A stanza over the size limit before authentication: refused, and counted.
            client = RawClient(server.port, f"juliet@{DOMAIN}", PASSWORD, authenticate=False)
            client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                        + "A" * 20000 + "</auth>")
            client.next()
            client.vanish()
            server.wait_for_output(r"limit\.refused: refused by a limit")
            _, text = scrape(server)
            refused = total(text, "tern_refusals_total", component="c2s", event="limit.refused")
            self.assertGreaterEqual(refused, 1, text)

    def test_a_listener_of_its_own_serves_metrics_only(self):
        with TernServer('metrics.listen=["127.0.0.1:0"]', workers=2) as server:
            port = server.ports["metrics"]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                self.assertEqual(value(r.read().decode(), "tern_up"), 1)
            for path in ("/xmpp-websocket", "/.well-known/host-meta", "/http-bind",
                         "/upload/x/y"):
                with self.assertRaises(urllib.error.HTTPError) as missing:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
                self.assertEqual(missing.exception.code, 404, path)
            # The main HTTP service keeps serving it too, and discovery.
            self.assertEqual(value(scrape(server)[1], "tern_up"), 1)
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{server.ports['http']}/.well-known/host-meta",
                    timeout=10) as r:
                self.assertEqual(r.status, 200)

    def test_a_forwarded_request_is_refused(self):
        # Behind a reverse proxy on this machine every client comes from 127.0.0.1.
        with TernServer(workers=1) as server:
            self.assertEqual(value(scrape(server)[1], "tern_up"), 1)  # loopback: allowed
            for header in ("X-Forwarded-For", "Forwarded"):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{server.ports['http']}/metrics",
                    headers={header: "203.0.113.7"})
                with self.assertRaises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(request, timeout=10)
                self.assertEqual(refused.exception.code, 403, header)
            server.wait_for_output(r"limit\.refused: metrics refused: a forwarded request")

    def test_off_when_disabled(self):
        with TernServer("metrics.enabled=false", workers=1) as server:
            with self.assertRaises(urllib.error.HTTPError) as missing:
                scrape(server)
            self.assertEqual(missing.exception.code, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
