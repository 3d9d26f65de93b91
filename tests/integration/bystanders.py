# SPDX-License-Identifier: MIT
# Two accounts chatting while a test attacks the server: the bounded-resources tests check that
# they lose nothing, and report (never assert: that would flake) the longest gap they saw between
# two messages. A sender without stream management is enough: on a server that keeps serving,
# nothing between two live sessions is lost.
import sys
import threading
import time

from raw_client import RawClient


class Bystanders:
    """`sender` sends numbered messages to `receiver` every 20 ms; the receiver records arrivals.
    Both accounts must exist with `password`."""

    def __init__(self, port, password, domain="localhost", sender="juliet", receiver="romeo"):
        self.domain, self.receiver_name = domain, receiver
        self.sender = RawClient(port, f"{sender}@{domain}/bystander", password)
        self.receiver = RawClient(port, f"{receiver}@{domain}/bystander", password)
        self.receiver.send("<presence/>")
        self.sent = 0
        self.received = []  # (number, arrival time)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._send, daemon=True),
                        threading.Thread(target=self._receive, daemon=True)]
        for t in self.threads:
            t.start()

    def _send(self):
        while not self.stop.is_set():
            self.sender.send(f"<message to='{self.receiver_name}@{self.domain}' type='chat' "
                             f"id='b{self.sent}'><body>{self.sent}</body></message>")
            self.sent += 1
            time.sleep(0.02)

    def _receive(self):
        deadline = None
        while True:
            if self.stop.is_set():
                deadline = deadline or time.monotonic() + 10
                if len(self.received) >= self.sent or time.monotonic() > deadline:
                    return
            element = self.receiver.next(timeout=0.5)
            if element is not None and element.tag == "{jabber:client}message":
                body = element.find("{jabber:client}body")
                if body is not None and body.text.isdigit():
                    self.received.append((int(body.text), time.monotonic()))

    def finish(self, test):
        """Stops the chat; asserts (with `test`) that every message arrived in order, prints the
        longest gap and returns it."""
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)
        self.sender.vanish()
        self.receiver.vanish()
        times = [t for _, t in self.received]
        gap = max((b - a for a, b in zip(times, times[1:])), default=0.0)
        print(f"bystanders: {self.sent} sent, {len(self.received)} received, "
              f"longest gap {gap:.2f} s", file=sys.stderr)
        test.assertEqual([n for n, _ in self.received], list(range(self.sent)),
                         "the bystanders lost or reordered messages")
        return gap
