#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# ternctl against a real store in a temporary directory: every command, its output and its exit
# status, passwords from arguments and from standard input, and the refusals.
# Usage: ternctl_test.py PATH_TO_TERNCTL
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

TERNCTL = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tools/ternctl"


class TernctlTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="tern-ternctl-")
        self.store = os.path.join(self.dir.name, "store")
        r = self.run_ctl("init")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"created an empty store at {self.store}\n")

    def tearDown(self):
        self.dir.cleanup()

    def run_ctl(self, *args, stdin=None):
        return subprocess.run([TERNCTL, "--set", f"server.storage_path={self.store}", *args],
                              input=stdin, capture_output=True, text=True, timeout=30)

    def test_adduser_users_passwd_deluser(self):
        r = self.run_ctl("adduser", "juliet@localhost", "s3cret")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "created juliet@localhost\n")
        r = self.run_ctl("adduser", "Romeo@LocalHost", stdin="from stdin\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "created romeo@localhost\n")  # prepared JID
        self.assertEqual(self.run_ctl("users").stdout, "juliet@localhost\nromeo@localhost\n")
        self.assertEqual(self.run_ctl("passwd", "juliet@localhost", "new").returncode, 0)
        self.assertEqual(self.run_ctl("deluser", "juliet@localhost").returncode, 0)
        self.assertEqual(self.run_ctl("users").stdout, "romeo@localhost\n")

    def test_store_shows_the_room_left(self):
        # A new store: one that exists keeps the map it has (or grew to) when that is larger.
        store = self.store + "-small-map"
        self.addCleanup(shutil.rmtree, store, ignore_errors=True)
        settings = ["--set", f"server.storage_path={store}", "--set", "storage.map_size=8388608",
                    "--set", "storage.max_map_size=16777216"]
        subprocess.run([TERNCTL, *settings, "init"], check=True, capture_output=True, timeout=30)
        r = subprocess.run([TERNCTL, *settings, "store"], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertRegex(lines[0], r"^disk: [0-9.]+ [KMGT]?i?B free of [0-9.]+ [KMGT]?i?B$")
        self.assertRegex(lines[1], r"^map:  [0-9.]+ KiB used of 8\.0 MiB "
                                   r"\(grows up to 16\.0 MiB, storage\.max_map_size\)$")
        self.assertRegex(lines[2], r"^room: [0-9.]+ (KiB|MiB)$")

    def test_store_holds_no_password(self):
        self.run_ctl("adduser", "juliet@localhost", "a-very-distinct-password")
        for name in os.listdir(self.store):
            with open(os.path.join(self.store, name), "rb") as f:
                self.assertNotIn(b"a-very-distinct-password", f.read())

    def test_refusals(self):
        self.run_ctl("adduser", "juliet@localhost", "pw")
        cases = [
            (("adduser", "juliet@localhost", "pw"), 1, "already exists"),
            (("passwd", "nobody@localhost", "pw"), 1, "no account"),
            (("deluser", "nobody@localhost"), 1, "no account"),
            (("adduser", "a@example.com", "pw"), 1, "not a host"),
            (("adduser", "localhost", "pw"), 1, "bare JID with a localpart"),
            (("adduser", "juliet@localhost/phone", "pw"), 1, "bare JID with a localpart"),
            (("adduser", "a b@localhost", "pw"), 1, "invalid JID"),
            (("adduser", "empty@localhost", ""), 1, "password refused"),
            (("offline", "nobody@localhost"), 1, "no account nobody@localhost"),
            (("init",), 1, "a store already exists at " + self.store),
            (("frobnicate",), 2, "unknown command"),
            ((), 2, "usage"),
        ]
        for args, status, message in cases:
            r = self.run_ctl(*args)
            self.assertEqual(r.returncode, status, (args, r.stderr))
            self.assertIn(message, r.stderr, args)

    def test_adduser_range_creates_a_numbered_range_and_keeps_existing_ones(self):
        self.run_ctl("adduser", "load3@localhost", "kept")
        r = self.run_ctl("adduser-range", "load@localhost", "2", "4", "pw")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("created 3 of 4 accounts (1 existed)", r.stdout)
        self.assertEqual(self.run_ctl("users").stdout,
                         "load2@localhost\nload3@localhost\nload4@localhost\nload5@localhost\n")
        self.assertEqual(self.run_ctl("adduser-range", "load@example.com", "0", "1", "pw").returncode, 1)
        self.assertEqual(self.run_ctl("adduser-range", "load@localhost", "x", "1", "pw").returncode, 2)

    def test_no_store_is_created_implicitly(self):
        elsewhere = os.path.join(self.dir.name, "elsewhere")
        for command in (("adduser", "juliet@localhost", "pw"), ("users",),
                        ("offline", "juliet@localhost")):
            r = subprocess.run([TERNCTL, "--set", f"server.storage_path={elsewhere}", *command],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, command)
            self.assertIn(f"no store at {elsewhere}", r.stderr)
            self.assertFalse(os.path.exists(elsewhere), command)

    def test_store_path_printed_and_resolved_like_ternd(self):
        # A relative storage_path in a configuration file is relative to that file, so the
        # working directory does not matter; ternctl says which store it used.
        config = os.path.join(self.dir.name, "tern.toml")
        with open(config, "w") as f:
            f.write('[server]\nstorage_path = "store"\n')
        for cwd in ("/", self.dir.name):
            r = subprocess.run([TERNCTL, "--config", config, "adduser", f"u{len(cwd)}@localhost",
                                "pw"], capture_output=True, text=True, timeout=30, cwd=cwd)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"ternctl: store {self.store}\n", r.stderr)
        self.assertEqual(self.run_ctl("users").stdout.split(),
                         sorted(["u1@localhost", f"u{len(self.dir.name)}@localhost"]))
        ternd = os.path.join(os.path.dirname(TERNCTL), "..", "ternd", "ternd")
        r = subprocess.run([ternd, "--config", config, "--set", "server.workers=1",
                            "--check-config"], capture_output=True, text=True, timeout=30, cwd="/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{config} with --set server.workers: configuration is valid (store "
                      f"{self.store})", r.stdout)

    def test_bad_config_is_refused_with_its_location(self):
        config = os.path.join(self.dir.name, "bad.toml")
        with open(config, "w") as f:
            f.write("[server]\nworkers = 'many'\n")
        r = subprocess.run([TERNCTL, "--config", config, "users"], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{config}:2:", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
