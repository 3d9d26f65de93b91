#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# ternctl against a real store in a temporary directory: every command, its output and its exit
# status, passwords from arguments and from standard input, and the refusals.
# Usage: ternctl_test.py PATH_TO_TERNCTL
import os
import subprocess
import sys
import tempfile
import unittest

TERNCTL = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tools/ternctl"


class TernctlTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="tern-ternctl-")
        self.store = os.path.join(self.dir.name, "store")

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
