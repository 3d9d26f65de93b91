#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The delivery promise under SIGKILL: senders with XEP-0198 stream management send uniquely
# numbered messages while ternd is killed with SIGKILL and restarted several times; afterwards
# every message whose acknowledgement a sender received must have reached its recipient. One
# recipient stays online throughout (acknowledging what it reads, reconnecting after each
# crash); the others are offline and log in at the end. Between two kills, ternd runs once with
# a "full disk" (every store commit fails with ENOSPC, TERN_STORE_FAULTS): a message the server
# could not store may be answered with an error instead of delivered, but never acknowledged and
# lost. The counts are printed.
import sys
import threading
import time
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer  # noqa: E402
from raw_client import SM, RawClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "secret"
SENDERS = 3
KILLS = 3
RUN_BETWEEN_KILLS = 1.5  # seconds of traffic before each SIGKILL


def connect(server, jid, stop, **kw):
    """A RawClient to the server as it is now, retrying while it restarts."""
    while not stop.is_set():
        try:
            return RawClient(server.port, jid, PASSWORD, timeout=5, **kw)
        except (OSError, RuntimeError, KeyError, AttributeError):
            time.sleep(0.1)
    return None


class Sender(threading.Thread):
    """Sends "<name>-<n>" messages, asks for acks, and records which ones were acknowledged."""

    def __init__(self, server, name, to, stop):
        super().__init__(daemon=True)
        self.server, self.name, self.to, self.stop = server, name, to, stop
        self.acked = set()
        self.refused = set()  # answered with an error (the "full disk" phase)
        self.sent = 0

    def run(self):
        n = 0
        while not self.stop.is_set():
            client = connect(self.server, f"{self.name}@{DOMAIN}/s", self.stop)
            if client is None:
                return
            try:
                client.enable_sm()
                in_flight = []  # sent on this connection, oldest first, not yet acknowledged
                acked_here = 0
                while not self.stop.is_set():
                    for _ in range(10):
                        body = f"{self.name}-{n}"
                        client.send(f"<message to='{self.to}@{DOMAIN}' type='chat' "
                                    f"id='{body}'><body>{body}</body></message>")
                        in_flight.append(body)
                        n += 1
                        self.sent += 1
                    client.send(f"<r xmlns='{SM}'/>")
                    while True:
                        element = client.next(2.0)
                        if element is None:
                            raise OSError("no answer")
                        if element.get("type") == "error" and element.get("id"):
                            self.refused.add(element.get("id"))
                        if element.tag == f"{{{SM}}}a":
                            h = int(element.get("h"))
                            newly = h - acked_here
                            self.acked.update(in_flight[:newly])
                            del in_flight[:newly]
                            acked_here = h
                            break
                    time.sleep(0.01)
            except (OSError, ValueError):
                pass  # the server died: what was not acknowledged is not counted
            finally:
                try:
                    client.vanish()
                except OSError:
                    pass


class Receiver(threading.Thread):
    """An online recipient that acknowledges what it reads (slowly, in batches) and reconnects
    after crashes; what it received counts as delivered."""

    def __init__(self, server, name, stop):
        super().__init__(daemon=True)
        self.server, self.name, self.stop = server, name, stop
        self.bodies = set()

    def run(self):
        while not self.stop.is_set():
            client = connect(self.server, f"{self.name}@{DOMAIN}/online", self.stop,
                             receive_buffer=4096)
            if client is None:
                return
            try:
                client.enable_sm()
                client.send("<presence/>")
                count = 0
                while not self.stop.is_set():
                    element = client.next(0.5)
                    if element is None:
                        if client.sock.fileno() < 0:
                            break
                        continue
                    if element.tag.startswith("{jabber:client}"):
                        count += 1
                        if element.tag == "{jabber:client}message":
                            self.bodies.add(element.findtext("{jabber:client}body"))
                        if count % 50 == 0:  # a slow phone on a small window: acks in batches
                            client.send(f"<a xmlns='{SM}' h='{count}'/>")
                            time.sleep(0.2)  # and reads slowly, so a backlog waits in the server
                    elif element.tag == f"{{{SM}}}r":
                        client.send(f"<a xmlns='{SM}' h='{count}'/>")
            except OSError:
                pass
            finally:
                try:
                    client.vanish()
                except OSError:
                    pass


def drain(server, name):
    """Logs `name` in and reads until nothing more arrives; returns the message bodies."""
    client = RawClient(server.port, f"{name}@{DOMAIN}/final", PASSWORD)
    client.enable_sm()
    client.send("<presence/>")
    bodies, count = set(), 0
    while True:
        element = client.next(3.0)
        if element is None:
            break
        if element.tag.startswith("{jabber:client}"):
            count += 1
            if element.tag == "{jabber:client}message":
                bodies.add(element.findtext("{jabber:client}body"))
            client.send(f"<a xmlns='{SM}' h='{count}'/>")
    client.vanish()
    return bodies


class CrashTest(unittest.TestCase):
    def test_nothing_acknowledged_is_lost_across_sigkills(self):
        server = TernServer().start()
        try:
            for i in range(SENDERS):
                server.adduser(f"sender{i}@{DOMAIN}", PASSWORD)
                server.adduser(f"recipient{i}@{DOMAIN}", PASSWORD)
            stop = threading.Event()
            online = Receiver(server, "recipient0", stop)
            senders = [Sender(server, f"sender{i}", f"recipient{i}", stop)
                       for i in range(SENDERS)]
            online.start()
            time.sleep(0.5)
            for s in senders:
                s.start()
            for kill in range(KILLS):
                time.sleep(RUN_BETWEEN_KILLS)
                # The second run after a kill has a full disk; the next one has room again.
                server.kill_and_restart(
                    env={"TERN_STORE_FAULTS": "commit:1:ENOSPC:1000000000"} if kill == 1 else None)
            time.sleep(RUN_BETWEEN_KILLS)
            stop.set()
            for thread in [*senders, online]:
                thread.join(timeout=15)
            received = {0: set(online.bodies)}
            received[0] |= drain(server, "recipient0")
            for i in range(1, SENDERS):
                received[i] = drain(server, f"recipient{i}")
            lost_total = acked_total = refused_total = 0
            for i, s in enumerate(senders):
                lost = s.acked - received[i] - s.refused
                acked_total += len(s.acked)
                lost_total += len(lost)
                refused_total += len(s.refused)
                print(f"crash test: sender{i}: sent {s.sent}, acknowledged {len(s.acked)}, "
                      f"delivered {len(received[i])}, refused (full disk) {len(s.refused)}, "
                      f"acknowledged but lost {len(lost)}"
                      + (f" e.g. {sorted(lost)[:5]}" if lost else ""))
            print(f"crash test: {KILLS} SIGKILLs, one run on a full disk, {acked_total} "
                  f"acknowledged messages, {refused_total} refused, {lost_total} acknowledged "
                  f"but lost")
            self.assertGreater(acked_total, 100, "too little traffic to prove anything")
            self.assertGreater(refused_total, 0, "the full-disk run refused nothing")
            self.assertEqual(lost_total, 0)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
