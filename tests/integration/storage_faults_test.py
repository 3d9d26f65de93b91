#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# A full disk must never cost an acknowledged message (storage-faults issue). ternd runs with its
# store on a small tmpfs the test mounts (root only: skipped with the reason otherwise) and a
# sender with stream management floods 2 KB messages until the disk is full:
#   - to an offline recipient: every message is either in the queue (delivered later) or answered
#     with an error — resource-constraint, "storage is full" — counted per message, none both,
#     none lost, and the sender's h covers every one;
#   - to an online recipient that acknowledges: everything is delivered live even though the
#     write-ahead commits fail, and the sender's acks still come;
#   - to an online recipient that vanishes without acknowledging: the messages whose commit failed
#     are answered with errors once it is gone, and the rest come from the queue;
#   - [storage] min_room: below it (a filler file) offline storage is refused at once while live
#     messages flow, and it resumes by itself once the filler is gone;
#   - storage.map_size: a full map (MDB_MAP_FULL, no mount needed) is answered like a full disk,
#     and a map that may grow (storage.max_map_size) grows instead, every message stored;
#   - an I/O error on a few commits (TERN_STORE_FAULTS, plenty of room) is answered with
#     internal-server-error, the rest stored;
#   - with every commit failing, roster, blocklist and password changes get internal-server-error
#     and leave nothing half-done;
#   - a damaged store stops ternd before it listens, with a message naming the file.
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, TernServer  # noqa: E402
from raw_client import SM, RawClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "sf-pw"
CLIENT = "{jabber:client}"
STANZAS = "{urn:ietf:params:xml:ns:xmpp-stanzas}"
PAD = "z" * 2000


def try_mount(path, size):
    """Mounts a tmpfs of `size` at `path`; returns why not, or None."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    run = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                         capture_output=True, text=True)
    return None if run.returncode == 0 else f"mount failed: {run.stderr.strip()}"


def number(element):
    body = element.find(f"{CLIENT}body")
    if body is None or ":" not in (body.text or ""):
        return None
    return int(body.text.split(":")[0])


def send_numbered(sender, to, count, first=0):
    """`count` messages numbered first.. (ids m<number>), written in chunks."""
    for start in range(first, first + count, 100):
        sender.send("".join(f"<message to='{to}' type='chat' id='m{i}'>"
                            f"<body>{i}:{PAD}</body></message>"
                            for i in range(start, min(first + count, start + 100))))


def flood(test, server, to, count, rounds=1):
    """Sends `count` numbered messages with stream management, in `rounds` rounds each waiting
    for h to cover it (a round takes at least one commit of its own: group commit may otherwise
    take a whole flood in two); returns {number: error condition} for the messages answered
    with an error."""
    sender = RawClient(server.port, f"sender@{DOMAIN}/flood", PASSWORD)
    sender.enable_sm()
    errors = {}
    for r in range(rounds):
        first, last = count * r // rounds, count * (r + 1) // rounds
        send_numbered(sender, to, last - first, first)
        errors |= wait_for_h(test, sender, last)
    sender.close()
    return errors


def wait_for_h(test, sender, count, timeout=120):
    """Asks for acks until h covers `count` stanzas (asserted); returns {number: error condition}
    for the messages answered with an error meanwhile."""
    errors, h = {}, 0
    deadline = time.monotonic() + timeout
    while h < count and time.monotonic() < deadline:
        sender.send(f"<r xmlns='{SM}'/>")
        while True:
            element = sender.next(timeout=10)
            test.assertIsNotNone(element, f"h stopped at {h} of {count}")
            if element.tag == f"{{{SM}}}a":
                h = int(element.get("h"))
                break
            if element.tag == f"{CLIENT}message" and element.get("type") == "error":
                condition = [c.tag.replace(STANZAS, "") for c in element.find(f"{CLIENT}error")
                             if c.tag.startswith(STANZAS) and not c.tag.endswith("text")]
                errors[int(element.get("id")[1:])] = condition[0]
    test.assertEqual(h, count, "the sender's h does not cover every message")
    return errors


def queued_numbers(server, user):
    """Logs `user` in and collects the numbered messages its queue delivers."""
    client = RawClient(server.port, f"{user}@{DOMAIN}/later", PASSWORD)
    client.send("<presence/>")
    got = []
    while (element := client.next(timeout=5)) is not None:
        if (n := number(element)) is not None:
            got.append(n)
    client.close()
    return got


class FullDiskTest(unittest.TestCase):
    def setUp(self):
        self.mount = tempfile.mkdtemp(prefix="tern-full-")
        why = try_mount(self.mount, "6m")
        if why:
            os.rmdir(self.mount)
            self.skipTest(why)
        store = os.path.join(self.mount, "store")
        # The room watch would refuse offline storage early on so small a disk; here the commits
        # themselves must fail (test_room_watch sets its own threshold).
        self.server = TernServer(f"server.storage_path={store}", *self.overrides())
        self.server.store = store  # where the harness looks for it
        for name in ("sender", "offline", "online", "vanishing"):
            self.server.adduser(f"{name}@{DOMAIN}", PASSWORD)
        self.server.start()

    def overrides(self):
        return ["storage.min_room=0"]

    def tearDown(self):
        self.server.stop()
        subprocess.run(["umount", self.mount], check=False)
        shutil.rmtree(self.mount, ignore_errors=True)

    def test_offline_recipient(self):
        count = 4000  # 8 MB for a 6 MB disk
        errors = flood(self, self.server, f"offline@{DOMAIN}", count)
        self.assertTrue(errors, "the disk never filled up")
        self.assertEqual(set(errors.values()), {"resource-constraint"})
        got = queued_numbers(self.server, "offline")
        print(f"{len(got)} queued and delivered, {len(errors)} refused with an error",
              file=sys.stderr)
        self.assertFalse(set(got) & set(errors), "delivered and refused")
        self.assertEqual(sorted(set(got) | set(errors)), list(range(count)),
                         "acknowledged, never delivered, never refused")
        self.server.wait_for_output(r"offline store\.refused: message not queued: store failed")

    def test_online_recipient_that_acknowledges(self):
        # Fill the disk first, so that every write-ahead commit fails.
        flood(self, self.server, f"offline@{DOMAIN}", 4000)
        online = RawClient(self.server.port, f"online@{DOMAIN}/phone", PASSWORD)
        online.enable_sm()
        online.send("<presence/>")
        count = 300
        got, stop = [], threading.Event()

        def read():  # a client that keeps answering <r/>
            while not stop.is_set():
                element = online.next_acking(timeout=0.5)
                if element is not None and (n := number(element)) is not None:
                    got.append(n)
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        errors = flood(self, self.server, f"online@{DOMAIN}/phone", count)
        stop.set()
        reader.join(timeout=30)
        self.assertEqual(errors, {}, "delivered live, yet refused")
        self.assertEqual(sorted(got), list(range(count)))
        online.close()

    def test_online_recipient_that_vanishes(self):
        flood(self, self.server, f"offline@{DOMAIN}", 4000)
        vanishing = RawClient(self.server.port, f"vanishing@{DOMAIN}/phone", PASSWORD)
        vanishing.enable_sm()
        vanishing.send("<presence/>")
        count = 200
        sender = RawClient(self.server.port, f"sender@{DOMAIN}/v", PASSWORD)
        sender.enable_sm()
        send_numbered(sender, f"vanishing@{DOMAIN}/phone", count)
        time.sleep(1)
        vanishing.vanish()  # never acknowledged a thing
        errors = wait_for_h(self, sender, count, timeout=60)
        got = queued_numbers(self.server, "vanishing")
        print(f"{len(errors)} answered with an error, {len(got)} from the queue", file=sys.stderr)
        self.assertEqual(set(errors.values()) - {"resource-constraint"}, set())
        self.assertEqual(sorted(set(got) | set(errors)), list(range(count)))
        sender.close()


class RoomWatchTest(FullDiskTest):
    """[storage] min_room at 2 MiB on the 6 MB tmpfs, filled and emptied by the test."""

    def overrides(self):
        return ["storage.min_room=2097152"]

    # The full-disk scenarios are FullDiskTest's; this class checks only the watch.
    test_offline_recipient = test_online_recipient_that_acknowledges = None
    test_online_recipient_that_vanishes = None

    def send(self, sender, to, ident):
        sender.send(f"<message to='{to}' type='chat' id='{ident}'><body>{ident}:x</body>"
                    f"</message>")

    def test_room_watch(self):
        online = RawClient(self.server.port, f"online@{DOMAIN}/phone", PASSWORD)
        online.send("<presence/>")
        sender = RawClient(self.server.port, f"sender@{DOMAIN}/w", PASSWORD)
        filler = os.path.join(self.mount, "filler")
        with open(filler, "wb") as f:  # leave about 1 MiB
            f.write(b"f" * (os.statvfs(self.mount).f_bavail * os.statvfs(self.mount).f_frsize
                            - (1 << 20)))
        self.server.wait_for_output(r"server storage\.low: the store is short of room")
        self.send(sender, f"offline@{DOMAIN}", "1")
        error = sender.next()
        self.assertEqual((error.get("id"), error.get("type")), ("1", "error"))
        self.assertIsNotNone(error.find(f"{CLIENT}error/{STANZAS}resource-constraint"))
        self.send(sender, f"online@{DOMAIN}/phone", "2")  # live messages still flow
        while (element := online.next()) is not None and element.get("id") != "2":
            pass
        self.assertIsNotNone(element, "a live message was not delivered while short of room")
        os.remove(filler)
        self.server.wait_for_output(r"server storage\.recovered: the store has room again")
        self.send(sender, f"offline@{DOMAIN}", "3")
        self.assertEqual(self.server.wait_offline_count(f"offline@{DOMAIN}", 1), 1)
        online.close()
        sender.close()


class MapFullTest(unittest.TestCase):
    """storage.map_size and storage.max_map_size at 2 MiB: the store's map fills up (MDB_MAP_FULL)
    like a full disk, and needs no mount. (The room watch is off: the commits themselves must
    fail.)"""

    def test_offline_recipient_with_a_full_map(self):
        with TernServer("storage.map_size=2097152", "storage.max_map_size=2097152",
                        "storage.min_room=0") as server:
            for name in ("sender", "offline"):
                server.adduser(f"{name}@{DOMAIN}", PASSWORD)
            count = 2000  # 4 MB for a 2 MiB map
            errors = flood(self, server, f"offline@{DOMAIN}", count)
            self.assertTrue(errors, "the map never filled up")
            self.assertEqual(set(errors.values()), {"resource-constraint"})
            got = queued_numbers(server, "offline")
            print(f"{len(got)} queued and delivered, {len(errors)} refused with an error",
                  file=sys.stderr)
            self.assertFalse(set(got) & set(errors))
            self.assertEqual(sorted(set(got) | set(errors)), list(range(count)))
            server.wait_for_output(r"commit\.failed: .*MDB_MAP_FULL")


class MapGrowthTest(unittest.TestCase):
    """A 1 MiB map that may grow to 64 MiB: 4 MB of offline messages are all stored, the map
    grows as they come (logged), and ternctl shows the grown map."""

    def test_the_map_grows_instead_of_filling_up(self):
        with TernServer("storage.map_size=1048576", "storage.max_map_size=67108864",
                        "storage.min_room=0") as server:
            for name in ("sender", "offline"):
                server.adduser(f"{name}@{DOMAIN}", PASSWORD)
            count = 2000
            errors = flood(self, server, f"offline@{DOMAIN}", count)
            self.assertEqual(errors, {}, "messages refused although the map could grow")
            server.wait_for_output(r"storage map\.grown: the store's map grew .*from=1048576")
            shown = server.ternctl("store")
            used, size = re.search(r"map:  ([0-9.]+ [KM]iB) used of ([0-9.]+ MiB) \(grows up to "
                                   r"64\.0 MiB", shown).groups()
            print(f"map: {used} used of {size}", file=sys.stderr)
            self.assertGreaterEqual(float(size.split()[0]), 4.0)
            self.assertEqual(queued_numbers(server, "offline"), list(range(count)))


class InjectedFaultTest(unittest.TestCase):
    """TERN_STORE_FAULTS: a few commits fail with EIO while the disk has plenty of room."""

    def test_an_io_error_is_answered_with_internal_server_error(self):
        server = TernServer("storage.min_room=0")
        for name in ("sender", "offline"):
            server.adduser(f"{name}@{DOMAIN}", PASSWORD)
        server.start(env={"TERN_STORE_FAULTS": "commit:3:EIO:2"})
        try:
            server.wait_for_output(r"storage\.faults: store fault injection is on .*"
                                   r"commits 3 to 4 fail with EIO")
            count = 300  # in 5 rounds: at least 5 commits, so commits 3 and 4 are among them
            errors = flood(self, server, f"offline@{DOMAIN}", count, rounds=5)
            self.assertTrue(errors, "no commit failed")
            self.assertEqual(set(errors.values()), {"internal-server-error"})
            got = queued_numbers(server, "offline")
            print(f"{len(got)} queued and delivered, {len(errors)} answered with "
                  f"internal-server-error", file=sys.stderr)
            self.assertFalse(set(got) & set(errors))
            self.assertEqual(sorted(set(got) | set(errors)), list(range(count)))
        finally:
            server.stop()


class StoredDataWritesTest(unittest.TestCase):
    """Every commit fails (TERN_STORE_FAULTS): an IQ that changes stored data gets an error, and
    nothing of it is half-done."""

    def test_roster_blocklist_and_password_writes_answer_errors(self):
        server = TernServer()
        server.adduser(f"juliet@{DOMAIN}", PASSWORD)
        server.start(env={"TERN_STORE_FAULTS": "commit:1:ENOSPC:1000000000"})
        try:
            client = RawClient(server.port, f"juliet@{DOMAIN}/desk", PASSWORD)

            def ask(iq_id, payload, kind="set"):
                client.send(f"<iq type='{kind}' id='{iq_id}'>{payload}</iq>")
                while (answer := client.next()) is not None and answer.get("id") != iq_id:
                    pass
                self.assertIsNotNone(answer, f"{iq_id} was never answered")
                return answer

            for iq_id, payload in [
                    ("roster", "<query xmlns='jabber:iq:roster'>"
                               f"<item jid='romeo@{DOMAIN}'/></query>"),
                    ("block", "<block xmlns='urn:xmpp:blocking'>"
                              f"<item jid='tybalt@{DOMAIN}'/></block>"),
                    ("password", "<query xmlns='jabber:iq:register'>"
                                 "<username>juliet</username><password>new</password></query>")]:
                answer = ask(iq_id, payload)
                self.assertEqual(answer.get("type"), "error", f"{iq_id}: {answer.attrib}")
                self.assertIsNotNone(answer.find(f"{CLIENT}error/{STANZAS}internal-server-error"),
                                     iq_id)
            roster = ask("get", "<query xmlns='jabber:iq:roster'/>", kind="get")
            self.assertEqual(roster.findall(".//{jabber:iq:roster}item"), [])
            blocklist = ask("list", "<blocklist xmlns='urn:xmpp:blocking'/>", kind="get")
            self.assertEqual(blocklist.findall(".//{urn:xmpp:blocking}item"), [])
            client.close()
            # The password did not change: the old one still logs in.
            RawClient(server.port, f"juliet@{DOMAIN}/again", PASSWORD).close()
        finally:
            server.stop()


class DamagedStoreTest(unittest.TestCase):
    def test_a_damaged_store_stops_ternd_with_advice(self):
        with tempfile.TemporaryDirectory(prefix="tern-damaged-") as store:
            with open(os.path.join(store, "data.mdb"), "wb") as f:
                f.write(os.urandom(64 * 1024))
            run = subprocess.run([os.path.join(BUILD, "ternd", "ternd"), "--set",
                                  f"server.storage_path={store}", "--set",
                                  'c2s.starttls=["127.0.0.1:0"]', "--set",
                                  'c2s.direct_tls=["127.0.0.1:0"]', "--set",
                                  'http.listen=[]', "--set", 'http.tls_listen=[]'],
                                 capture_output=True, text=True, timeout=30)
            self.assertNotEqual(run.returncode, 0)
            output = run.stdout + run.stderr
            self.assertIn(f"{store}/data.mdb is not a Tern store or is damaged: restore it from "
                          f"a backup", output)
            self.assertNotIn("ternd: ready", output)  # never half-started


if __name__ == "__main__":
    unittest.main(verbosity=2)
