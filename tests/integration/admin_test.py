#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The live admin interface (docs/operations.md): ternctl against a running ternd over its admin
# socket, each command with real clients connected — status, sessions, kick (the kicked client
# gets a stream error with the reason, others stay), queues (a slow reader first), modules,
# announce (every online session gets the headline), top — and the refusals: another user is
# kept out by the socket's mode, and by the server's own check of the peer's credentials when the
# mode lets it in; without a server, ternctl says so.
import os
import pwd
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import BUILD, SharedServer, TernServer  # noqa: E402
from raw_client import RawClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "admin-password-1"
STREAMS = "{http://etherx.jabber.org/streams}"
TERNCTL = os.path.join(BUILD, "tools", "ternctl")


def run_ternctl(server, *args, user=None):
    """ternctl with `server`'s settings, as `user` (a name) when given: (status, out, err)."""
    command = [TERNCTL, *server._args(), *args]
    if user is not None:
        entry = pwd.getpwnam(user)
        command = ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}",
                   "--clear-groups", *command]
    run = subprocess.run(command, capture_output=True, text=True, timeout=30)
    return run.returncode, run.stdout, run.stderr


class AdminTest(SharedServer, unittest.TestCase):
    settings = ["c2s.max_output_bytes=33554432"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("juliet", "romeo", "nurse", "slow", "flooder"):
            cls.server.adduser(f"{name}@{DOMAIN}", PASSWORD)

    def ternctl(self, *args):
        status, out, err = run_ternctl(self.server, *args)
        self.assertEqual(status, 0, f"ternctl {' '.join(args)}: {err}")
        return out

    def test_status_and_modules(self):
        client = RawClient(self.server.port, f"nurse@{DOMAIN}/status", PASSWORD)
        status = self.ternctl("status")
        self.assertRegex(status, r"ternd up \d+d \d\dh \d\dm \d\ds, 2 workers, hosts: localhost")
        self.assertRegex(status, r"sessions: [1-9]\d* established")
        self.assertIn("alerts firing: none", status)
        modules = self.ternctl("modules")
        self.assertRegex(modules, r"(?m)^offline  XEP-0160")
        self.assertRegex(modules, r"(?m)^roster  RFC 6121")
        client.close()

    def test_sessions_lists_and_filters(self):
        phone = RawClient(self.server.port, f"juliet@{DOMAIN}/phone", PASSWORD)
        laptop = RawClient(self.server.port, f"juliet@{DOMAIN}/laptop", PASSWORD)
        romeo = RawClient(self.server.port, f"romeo@{DOMAIN}/list", PASSWORD)
        everyone = self.ternctl("sessions")
        for jid in ("juliet@localhost/phone", "juliet@localhost/laptop", "romeo@localhost/list"):
            self.assertIn(jid, everyone)
        juliet = self.ternctl("sessions", f"juliet@{DOMAIN}")
        self.assertIn("juliet@localhost/phone", juliet)
        self.assertIn("juliet@localhost/laptop", juliet)
        self.assertNotIn("romeo@", juliet)
        self.assertIn("2 sessions", juliet)
        one = self.ternctl("sessions", f"juliet@{DOMAIN}/laptop")
        self.assertIn("1 session\n", one)
        self.assertRegex(one, r"juliet@localhost/laptop +w\d +established +xml +tcp +127\.0\.0\.1")
        for c in (phone, laptop, romeo):
            c.close()

    def test_kick_closes_that_jids_sessions_only(self):
        juliet = RawClient(self.server.port, f"juliet@{DOMAIN}/kicked", PASSWORD)
        romeo = RawClient(self.server.port, f"romeo@{DOMAIN}/stays", PASSWORD)
        out = self.ternctl("kick", f"juliet@{DOMAIN}", "spamming")
        self.assertIn("closed 1 session of juliet@localhost", out)
        error = juliet.next()
        self.assertEqual(error.tag, f"{STREAMS}error")
        self.assertIsNotNone(error.find("{urn:ietf:params:xml:ns:xmpp-streams}policy-violation"))
        self.assertIn("spamming", error.find("{urn:ietf:params:xml:ns:xmpp-streams}text").text)
        romeo.send(f"<message to='romeo@{DOMAIN}/stays'><body>still here</body></message>")
        self.assertEqual(romeo.next().find("{jabber:client}body").text, "still here")
        status, _, err = run_ternctl(self.server, "kick", f"nobody@{DOMAIN}")
        self.assertEqual(status, 1)
        self.assertIn("no session of nobody@localhost", err)
        self.server.wait_for_output(r"admin\.kick: sessions closed by the operator "
                                    r"jid=juliet@localhost reason=spamming sessions=1")
        romeo.close()

    def test_queues_show_the_slow_reader_first(self):
        slow = RawClient(self.server.port, f"slow@{DOMAIN}/phone", PASSWORD, receive_buffer=4096)
        flooder = RawClient(self.server.port, f"flooder@{DOMAIN}/pc", PASSWORD)
        body = "x" * 4000
        count = 2500  # about 10 MB: past the socket buffers
        for i in range(count):
            flooder.send(f"<message to='slow@{DOMAIN}/phone' type='chat'><body>{i} {body}"
                         "</body></message>")
        first = ""
        for _ in range(50):
            lines = self.ternctl("queues", "--top", "1").splitlines()
            first = lines[0]
            if first.startswith("slow@localhost/phone") and "out=0 " not in first:
                break
        self.assertTrue(first.startswith("slow@localhost/phone"), first)
        self.assertEqual(lines[-1], "1 session")
        received = 0
        while received < count:
            element = slow.next(timeout=10)
            self.assertIsNotNone(element, f"only {received} of {count} arrived")
            received += element.tag == "{jabber:client}message"
        slow.close()
        flooder.close()

    def test_announce_reaches_every_online_session(self):
        clients = [RawClient(self.server.port, f"{name}@{DOMAIN}/announce", PASSWORD)
                   for name in ("juliet", "romeo", "nurse")]
        out = self.ternctl("announce", "maintenance", "at", "noon")
        sent = int(out.split()[2])
        self.assertGreaterEqual(sent, 3)
        for client in clients:
            message = client.next()
            self.assertEqual((message.tag, message.get("type"), message.get("from")),
                             ("{jabber:client}message", "headline", DOMAIN))
            self.assertEqual(message.find("{jabber:client}body").text, "maintenance at noon")
            client.close()

    def test_top_prints_a_line_per_worker(self):
        out = self.ternctl("top", "--count", "1")
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^worker +sessions +in/s +out/s")
        self.assertEqual([line.split()[0] for line in lines[1:]], ["0", "1"])

    def test_another_user_is_refused(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to run ternctl as another user")
        socket_path = os.path.join(self.server.store, "ternd.sock")
        self.assertEqual(stat.S_IMODE(os.stat(socket_path).st_mode), 0o600)
        # With the directories open to everyone, nobody is kept out by the socket's mode...
        for directory in (self.server.dir.name, self.server.store):
            os.chmod(directory, 0o755)
        status, _, err = run_ternctl(self.server, "status", user="nobody")
        self.assertEqual(status, 2, err)
        self.assertIn("Permission denied", err)
        # ...and if the mode were opened by mistake, ternd itself refuses: SO_PEERCRED.
        os.chmod(socket_path, 0o666)
        try:
            status, _, err = run_ternctl(self.server, "status", user="nobody")
        finally:
            os.chmod(socket_path, 0o600)
        self.assertEqual(status, 1, err)
        self.assertIn("only ternd's own user and root may use the admin socket", err)
        self.server.wait_for_output(r"limit\.refused: admin connection refused: another user "
                                    rf"uid={pwd.getpwnam('nobody').pw_uid}")


class NoServerTest(unittest.TestCase):
    def test_without_a_running_server_ternctl_says_so(self):
        server = TernServer(workers=1)
        server.ensure_store()  # a store, but no ternd
        status, _, err = run_ternctl(server, "status")
        self.assertEqual(status, 2)
        self.assertIn("ternd is not running on this store", err)
        status, out, _ = run_ternctl(server, "users")  # the store's commands work as before
        self.assertEqual(status, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
