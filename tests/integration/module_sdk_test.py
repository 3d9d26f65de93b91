#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The module SDK and hot module upgrades (docs/module-guide.md "Modules outside the tree"):
# `meson install` puts the SDK (headers and tern-module.pc) in a staging directory; the example
# module examples/module-hello builds against it, out of the tree, with its own meson.build;
# ternd loads it ([modules] load) and it answers. During a chat, a new build of it replaces the
# running code with `ternctl module reload hello`: the new greeting answers, its count goes on
# (state handed over), no session is closed and no message lost. A build against another API
# version is refused, at start and at a reload, naming both versions.
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bystanders import Bystanders  # noqa: E402
from harness import BUILD, TernServer, modules_enabled  # noqa: E402
from raw_client import RawClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "sdk-password-1"
EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                       "module-hello")
TERNCTL = os.path.join(BUILD, "tools", "ternctl")
NS = "urn:tern:example:hello"


def hello(client, n):
    """The module's answer: (greeting, how many it answered)."""
    client.send(f"<iq type='get' to='{DOMAIN}' id='h{n}'><hello xmlns='{NS}'/></iq>")
    while True:
        answer = client.next()
        if answer.tag == "{jabber:client}iq" and answer.get("id") == f"h{n}":
            payload = answer.find(f"{{{NS}}}hello")
            if payload is None:
                return answer.get("type"), None
            return payload.text, int(payload.get("answered"))


class ModuleSdkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="tern-sdk-")
        staging = os.path.join(cls.dir.name, "staging")
        subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                        "--destdir", staging], check=True, capture_output=True, timeout=300)
        pc = glob.glob(os.path.join(staging, "**", "tern-module.pc"), recursive=True)
        assert len(pc) == 1, pc
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pc[0]),
                   PKG_CONFIG_SYSROOT_DIR=staging)

        def build(name, *options):
            out = os.path.join(cls.dir.name, name)
            for command in (["meson", "setup", out, EXAMPLE, *options], ["ninja", "-C", out]):
                run = subprocess.run(command, env=env, capture_output=True, text=True,
                                     timeout=300)
                assert run.returncode == 0, run.stdout + run.stderr
            return os.path.join(out, "module_hello.so")

        cls.v1 = build("v1")
        cls.v2 = build("v2", "-Dgreeting=hello from module-hello 2.0")
        cls.other_api = build("other-api", "-Dcpp_args=-DTERN_MODULE_API_VERSION=999")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def start_server(self, module_path):
        server = TernServer(modules_enabled("hello"), f'modules.load=["{module_path}"]')
        server.start()
        self.addCleanup(server.stop)
        for name in ("juliet", "romeo", "nurse"):
            server.adduser(f"{name}@{DOMAIN}", PASSWORD)
        return server

    def test_the_example_builds_loads_and_answers(self):
        server = self.start_server(self.v1)
        client = RawClient(server.port, f"nurse@{DOMAIN}/sdk", PASSWORD)
        self.assertEqual(hello(client, 1), ("hello from module-hello 1.0", 1))
        modules = subprocess.run([TERNCTL, *server._args(), "modules"], capture_output=True,
                                 text=True, timeout=30, check=True).stdout
        self.assertIn("hello  an example module built outside the tree", modules)
        client.close()

    def test_hot_upgrade_during_a_chat_loses_nothing(self):
        loaded = os.path.join(self.dir.name, "hot", "module_hello.so")
        os.makedirs(os.path.dirname(loaded), exist_ok=True)
        shutil.copy(self.v1, loaded)
        server = self.start_server(loaded)
        bystanders = Bystanders(server.port, PASSWORD)
        client = RawClient(server.port, f"nurse@{DOMAIN}/sdk", PASSWORD)
        self.assertEqual(hello(client, 1), ("hello from module-hello 1.0", 1))
        self.assertEqual(hello(client, 2), ("hello from module-hello 1.0", 2))
        time.sleep(1)  # the chat goes on around the swap
        shutil.copy(self.v2, loaded + ".new")
        os.replace(loaded + ".new", loaded)  # a new build, installed the way a package does
        run = subprocess.run([TERNCTL, *server._args(), "module", "reload", "hello"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn(f"module hello reloaded from {loaded}", run.stdout)
        # The new code answers, and the count it kept in ModuleContext::shared goes on.
        self.assertEqual(hello(client, 3), ("hello from module-hello 2.0", 3))
        # A build for another API: refused, the running code stays.
        shutil.copy(self.other_api, loaded + ".new")
        os.replace(loaded + ".new", loaded)
        run = subprocess.run([TERNCTL, *server._args(), "module", "reload", "hello"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertIn("module reload refused, the running code stays: ", run.stderr)
        self.assertIn("built against module API version 999, this ternd has version 1",
                      run.stderr)
        self.assertEqual(hello(client, 4), ("hello from module-hello 2.0", 4))
        # A built-in module has no shared object to load again.
        run = subprocess.run([TERNCTL, *server._args(), "module", "reload", "version"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 1)
        self.assertIn("was not loaded from a shared object", run.stderr)
        # Nobody was dropped and the chat lost nothing. The log is read before the bystanders
        # finish: finishing closes their connections.
        time.sleep(1)
        lines = server.output_lines()
        chatting = {re.search(r"conn=(\S+)", line).group(1) for line in lines
                    if "session.bound" in line and ("/bystander" in line or "/sdk" in line)}
        self.assertEqual(len(chatting), 3)
        self.assertEqual([line for line in lines if "conn.closed" in line
                          and re.search(r"conn=(\S+)", line).group(1) in chatting], [],
                         "a session was closed by the upgrade")
        bystanders.finish(self)
        self.assertGreater(bystanders.sent, 50)
        self.assertEqual(hello(client, 5)[1], 5)
        client.close()

    def test_a_build_for_another_api_is_refused_at_start(self):
        server = TernServer(modules_enabled("hello"), f'modules.load=["{self.other_api}"]')
        run = subprocess.run([os.path.join(BUILD, "ternd", "ternd"), *server._args()],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 2)
        self.assertIn(f"ternd: [modules] load: {self.other_api}: built against module API "
                      "version 999, this ternd has version 1: rebuild it against this ternd's "
                      "SDK (pkg-config tern-module)", run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
