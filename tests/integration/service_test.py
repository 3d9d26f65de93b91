#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# ternd under a service manager (etc/systemd/ternd.service, docs/operations.md): what it tells
# systemd through sd_notify, read from a datagram socket this test binds as NOTIFY_SOCKET, the
# way systemd does — READY=1 once it serves, WATCHDOG=1 pings at half of WATCHDOG_USEC while its
# workers turn, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 when it stops. And the
# layout `meson install` makes (FHS).
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import BUILD, TernServer  # noqa: E402


class NotifyTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="tern-notify-")
        self.path = os.path.join(self.dir.name, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(10)

    def tearDown(self):
        self.sock.close()
        self.dir.cleanup()

    def next_message(self, wanted):
        """Messages until one holding `wanted`; the ones before it."""
        seen = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = self.sock.recv(4096).decode()
            if wanted in message.split("\n"):
                return seen
            seen.append(message)
        self.fail(f"no {wanted} from ternd (saw {seen})")

    def test_ready_watchdog_reload_and_stop(self):
        server = TernServer(workers=2)
        server.start(env={"NOTIFY_SOCKET": self.path, "WATCHDOG_USEC": "1000000"})
        try:
            self.next_message("READY=1")
            started = time.monotonic()
            self.next_message("WATCHDOG=1")
            self.next_message("WATCHDOG=1")  # every half second
            self.assertLess(time.monotonic() - started, 3)
            server.process.send_signal(signal.SIGHUP)
            before_ready = self.next_message("RELOADING=1")
            self.assertFalse(any("READY=1" in m.split("\n") for m in before_ready))
            self.next_message("READY=1")
        finally:
            server.stop()
        self.next_message("STOPPING=1")


class InstallLayoutTest(unittest.TestCase):
    def test_meson_install_follows_the_fhs(self):
        with tempfile.TemporaryDirectory(prefix="tern-install-") as destdir:
            subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                            "--destdir", destdir], check=True, capture_output=True, timeout=300)
            prefix = os.path.join(destdir, "usr", "local")
            for path in ("sbin/ternd", "bin/ternctl", "etc/tern/tern.toml",
                         "lib/systemd/system/ternd.service",
                         "share/tern/prometheus/tern-alerts.yml",
                         "share/doc/tern/operations.md"):
                self.assertTrue(os.path.exists(os.path.join(prefix, path)), path)
            with open(os.path.join(prefix, "etc/tern/tern.toml")) as f:
                # The state directory (/var/lib/tern for prefix /usr; /var/local/lib/tern here).
                self.assertRegex(f.read(), r'(?m)^storage_path = "/var/(local/)?lib/tern"$')
            with open(os.path.join(prefix, "lib/systemd/system/ternd.service")) as f:
                unit = f.read()
            self.assertIn("ExecStart=/usr/local/sbin/ternd --config /usr/local/etc/tern/tern.toml",
                          unit)
            self.assertIn("Type=notify", unit)
            self.assertNotIn("@", unit.replace("@system-service", "").replace("@privileged", ""))
            # The installed configuration is valid as it is.
            checked = subprocess.run([os.path.join(prefix, "sbin/ternd"), "--config",
                                      os.path.join(prefix, "etc/tern/tern.toml"),
                                      "--check-config"], capture_output=True, text=True,
                                     timeout=30)
            self.assertEqual(checked.returncode, 0, checked.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
