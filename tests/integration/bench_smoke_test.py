#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tern-bench against the real ternd, briefly and with small numbers: provisioning through
# ternctl adduser-range, connect (STARTTLS and direct TLS), chat flat out (XML and binary XMPP
# sessions) and at a rate, presence fan-out, group chat flat out and at a rate, over two
# generator processes too. It asserts correctness only (every session up, nothing lost, the
# summary line complete, a rate's schedule kept), never speed: CI machines vary.
# Usage: bench_smoke_test.py PATH_TO_TERN_BENCH
import os
import subprocess
import sys
import unittest
import urllib.request

from harness import BUILD, TernServer
from prometheus_text import metric_total

TERN_BENCH = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(
    BUILD, "tools", "tern-bench", "tern-bench")
PASSWORD = "smoke-pw"


def summary(output):
    """The key=value pairs of the "tern-bench:" line."""
    lines = [l for l in output.splitlines() if l.startswith("tern-bench: mode=")]
    assert len(lines) == 1, output
    return dict(word.split("=", 1) for word in lines[0].split()[1:])


class BenchSmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TernServer().start()
        ternctl = os.path.join(BUILD, "tools", "ternctl")
        cls.provision = " ".join([ternctl, *(f"--set '{o}'" for o in cls.server.overrides),
                                  "adduser-range {prefix}@{domain} {first} {count} {password}"])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def bench(self, mode, *args, port_kind="starttls"):
        command = [TERN_BENCH, mode, "--port", str(self.server.ports[port_kind]),
                   "--password", PASSWORD, "--server-pid", str(self.server.process.pid),
                   "--setup-timeout", "60", "--verbose", *args]
        run = subprocess.run(command, capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertTrue(self.server.alive())
        return summary(run.stdout)

    def test_1_provision_and_connect(self):
        # Provisioning runs once, through the --provision command (20 accounts).
        s = self.bench("connect", "--sessions", "20", "--hold", "0.5",
                       "--provision", self.provision)
        self.assertEqual((s["sessions"], s["up"], s["failed"]), ("20", "20", "0"))
        for key in ("setup_s", "logins_per_s", "login_p99_ms", "gen_cpu_setup_s",
                    "server_rss_kb_per_session", "server_cpu_us_per_login"):
            self.assertIn(key, s)

    def test_2_connect_direct_tls_two_processes(self):
        s = self.bench("connect", "--sessions", "20", "--hold", "0.5", "--tls", "direct",
                       "--processes", "2", port_kind="direct_tls")
        self.assertEqual((s["up"], s["failed"]), ("20", "0"))

    def test_2b_binary_sessions_chat(self):
        # Binary XMPP sessions (docs/binary-xmpp.md): a session that fell back to XML would fail.
        s = self.bench("chat", "--pairs", "5", "--duration", "1", "--window", "2",
                       "--tls", "binary", port_kind="direct_tls")
        self.assertEqual((s["tls"], s["up"], s["failed"], s["lost"]), ("binary", "10", "0", "0"))
        self.assertGreater(int(s["sent"]), 0)
        self.assertEqual(s["sent"], s["received"])

    def test_3_chat_flat_out(self):
        before = self.scrape()
        s = self.bench("chat", "--pairs", "10", "--duration", "1", "--window", "2")
        self.assertEqual((s["up"], s["failed"], s["lost"]), ("20", "0", "0"))
        self.assertGreater(int(s["sent"]), 0)
        self.assertEqual(s["sent"], s["received"])
        self.assertIn("lat_p99_ms", s)
        # /metrics during the run (docs/operations.md): the figures moved with the bench's
        # messages, and the output still passes promtool.
        after = self.scrape()
        checked = subprocess.run(["promtool", "check", "metrics"], input=after, text=True,
                                 capture_output=True, timeout=30)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        sent = int(s["sent"])
        for name, labels in (("tern_stanzas_received_total", {"kind": "message"}),
                             ("tern_stanzas_sent_total", {"kind": "message"}),
                             ("tern_module_handler_seconds_count", {"module": "offline"})):
            grown = metric_total(after, name, **labels) - metric_total(before, name, **labels)
            self.assertGreaterEqual(grown, sent, name)
        self.assertGreater(metric_total(after, "tern_event_loop_lag_seconds_count"),
                           metric_total(before, "tern_event_loop_lag_seconds_count"))
        self.assertGreaterEqual(metric_total(after, "tern_logins_total"), 20)
        probes = metric_total(after, "tern_event_loop_lag_seconds_count")
        largest = metric_total(after, "tern_session_output_queue_max_bytes")
        print(f"metrics: {sent} messages; {probes:.0f} loop-lag probes; largest output queue "
              f"{largest:.0f} B", file=sys.stderr)

    def scrape(self):
        url = f"http://127.0.0.1:{self.server.ports['http']}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()

    def test_4_chat_at_a_rate_two_processes(self):
        s = self.bench("chat", "--pairs", "10", "--duration", "1", "--rate", "200",
                       "--processes", "2", "--mechanism", "SCRAM-SHA-1")
        self.assertEqual((s["up"], s["lost"]), ("20", "0"))
        self.assertGreater(int(s["sent"]), 100)

    def test_5_presence_fan_out(self):
        s = self.bench("presence", "--sessions", "12", "--roster", "4", "--duration", "1",
                       "--rate", "20")
        self.assertEqual((s["up"], s["lost"]), ("12", "0"))
        self.assertEqual(int(s["expected"]), 4 * int(s["sent"]))

    def test_6_group_chat_fan_out_two_processes(self):
        # XEP-0045: each process holds whole rooms; every message reaches every occupant.
        s = self.bench("muc", "--rooms", "2", "--occupants", "5", "--duration", "1",
                       "--window", "2", "--processes", "2")
        self.assertEqual((s["rooms"], s["occupants"], s["up"], s["lost"]), ("2", "5", "10", "0"))
        self.assertGreater(int(s["sent"]), 0)
        self.assertEqual(int(s["expected"]), 5 * int(s["sent"]))
        self.assertEqual(s["received"], s["expected"])

    def test_7_group_chat_at_a_rate(self):
        s = self.bench("muc", "--rooms", "2", "--occupants", "4", "--duration", "1",
                       "--rate", "40")
        self.assertEqual((s["up"], s["lost"]), ("8", "0"))
        self.assertGreater(int(s["sent"]), 20)  # the schedule's 40 in the second, give or take
        self.assertLess(int(s["sent"]), 60)
        self.assertEqual(s["received"], s["expected"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
