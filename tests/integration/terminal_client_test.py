#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Terminal clients as a person uses them: Profanity and mcabber (Debian's packages) run in tmux
# against the real ternd; the test types commands with send-keys and reads the screen with
# capture-pane. Each logs in over STARTTLS, sends a message to a slixmpp client and shows the
# answer. Every wait is bounded; the tmux sessions are the test's own and are killed at the end.
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TernServer  # noqa: E402
from slix import PASSWORD, ClientTestCase, next_matching  # noqa: E402


class Tmux:
    """One detached tmux session running `command`, on a server socket of the test's own."""

    def __init__(self, name, command, env):
        self.socket = os.path.join(env["HOME"], "tmux.sock")
        self.name = name
        self.tmux(["new-session", "-d", "-s", name, "-x", "200", "-y", "50",
                   "env " + " ".join(f"{k}={v}" for k, v in env.items()) + " " + command])

    def tmux(self, args):
        return subprocess.run(["tmux", "-S", self.socket, *args], check=True, timeout=10,
                              capture_output=True, text=True).stdout

    def type(self, text):
        if text:
            self.tmux(["send-keys", "-t", self.name, "-l", text])
        self.tmux(["send-keys", "-t", self.name, "Enter"])

    def screen(self):
        return self.tmux(["capture-pane", "-t", self.name, "-p", "-S", "-200"])

    def wait_for(self, text, timeout=20, poke=None):
        """Until `text` is on the screen; `poke` (commands) is typed each second meanwhile."""
        deadline = time.monotonic() + timeout
        next_poke = time.monotonic()
        while time.monotonic() < deadline:
            if text in self.screen():
                return
            if poke and time.monotonic() >= next_poke:
                for command in poke:
                    self.type(command)
                next_poke = time.monotonic() + 1.0
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared on {self.name}'s screen:\n{self.screen()}")

    def kill(self):
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], timeout=10,
                       capture_output=True)


class TerminalClientTest(ClientTestCase):
    @classmethod
    def setUpClass(cls):
        for program in ("tmux", "profanity", "mcabber"):
            if shutil.which(program) is None:
                raise AssertionError(f"{program} is not installed (scripts/setup.sh installs it)")
        cls.server = TernServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def home(self):
        home = tempfile.TemporaryDirectory(prefix="tern-term-")
        self.addCleanup(home.cleanup)
        return home.name

    async def chat_with(self, screen, me, romeo, poke=None):
        """`me` (in the terminal) has said hello; romeo answers and the answer shows (`poke`:
        the command that brings the conversation on screen)."""
        r = await self.login(f"{romeo}/desk", PASSWORD)
        hello = await next_matching(r.messages, lambda m: m["from"].bare == me,
                                    "the terminal client's message")
        self.assertEqual(hello["body"], f"hello from {screen.name}")
        r.send_message(mto=hello["from"], mbody=f"answer to {screen.name}", mtype="chat")
        await asyncio.to_thread(screen.wait_for, f"answer to {screen.name}", 20, poke)

    async def test_profanity(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        home = self.home()
        screen = Tmux("profanity", "profanity", {"HOME": home, "TERM": "xterm"})
        self.addCleanup(screen.kill)
        await asyncio.to_thread(screen.wait_for, "Type '/help'")
        # "tls trust": STARTTLS, and the self-signed certificate accepted.
        screen.type(f"/connect {juliet} server 127.0.0.1 port {self.server.port} tls trust")
        await asyncio.to_thread(screen.wait_for, "password")
        screen.type(PASSWORD)
        await asyncio.to_thread(screen.wait_for, "logged in successfully")
        chat = asyncio.ensure_future(self.chat_with(screen, juliet, romeo))
        await asyncio.sleep(1.0)  # romeo logs in first, so the message is not stored offline
        screen.type(f"/msg {romeo} hello from profanity")
        await asyncio.wait_for(chat, 40)

    async def test_mcabber(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        home = self.home()
        config = os.path.join(home, ".mcabber")
        os.makedirs(config, mode=0o700)
        with open(os.path.join(config, "mcabberrc"), "w") as f:
            f.write(f"set jid = {juliet}\nset password = {PASSWORD}\nset server = 127.0.0.1\n"
                    f"set port = {self.server.port}\nset tls = 1\nset ssl_ignore_checks = 1\n"
                    "set resource = mcabber\n")
        os.chmod(os.path.join(config, "mcabberrc"), 0o600)
        screen = Tmux("mcabber", "mcabber", {"HOME": home, "TERM": "xterm"})
        self.addCleanup(screen.kill)
        await asyncio.to_thread(screen.wait_for, "Your status has been set")
        # The answer goes to romeo's buffer: /roster unread_first selects him, and Enter on an
        # empty line opens his buffer (chat mode).
        chat = asyncio.ensure_future(self.chat_with(screen, juliet, romeo,
                                                    poke=["/roster unread_first", ""]))
        await asyncio.sleep(1.0)
        screen.type(f"/say_to {romeo} hello from mcabber")
        await asyncio.wait_for(chat, 40)


if __name__ == "__main__":
    unittest.main(verbosity=2)
