#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Clients that do not keep up must not make ternd grow without limit, and must not cost a message
# (bounded-resources issue, defects 2, 3 and 7), against the real ternd on raw sockets while two
# bystander accounts chat (they must lose nothing; their longest gap is printed, not asserted):
#   - c2s.max_output_bytes: a client that stops reading is treated as gone once that much output
#     waits for it — detached when resumable (and resumed with everything), closed otherwise (what
#     never reached its socket stays in the offline queue);
#   - c2s.write_timeout: output that waits that long without the client taking a byte, the same;
#   - c2s.max_unacked_stanzas: at the limit a session lives on, one past it ends with
#     resource-constraint, connected or detached, and everything it held reaches the account's
#     next session from the offline queue;
#   - a resumption resends a large queue in slices (all at once would pass max_output_bytes);
#   - an offline queue of 10,000 messages goes out in slices paced by the client's acks (all at
#     once would pass max_unacked_stanzas).
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bystanders import Bystanders  # noqa: E402
from harness import TernServer  # noqa: E402
from raw_client import SM, RawClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "bp-pw"
CLIENT = "{jabber:client}"
PAD = "x" * 4000  # a body of about 4 KB


def rss_kib(server):
    with open(f"/proc/{server.process.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def flood(sender, to, count, pad=PAD, chunk=100, first=0):
    """`count` messages numbered from `first` to `to`, written in chunks."""
    for start in range(first, first + count, chunk):
        sender.send("".join(f"<message to='{to}' type='chat'><body>{i}:{pad}</body></message>"
                            for i in range(start, min(first + count, start + chunk))))


def wait_detached(server, full_jid):
    """Waits until the connection of `full_jid` closed and left its session resumable."""
    bound = server.wait_for_output(rf"session\.bound: .*jid={re.escape(full_jid)} conn=")
    conn = re.search(r"conn=(\S+)", bound).group(1)
    server.wait_for_output(rf"conn\.closed: .*conn={re.escape(conn)} .*reason=detached")


def numbers(elements):
    """The numbers of the flood's messages among `elements`, in order."""
    out = []
    for e in elements:
        if e.tag == f"{CLIENT}message":
            body = e.find(f"{CLIENT}body")
            if body is not None and ":" in (body.text or ""):
                out.append(int(body.text.split(":")[0]))
    return out


def receive_acking(client, count, timeout=120):
    """Reads until `count` flood messages arrived, answering the server's <r/> (XEP-0198);
    returns their numbers in order."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        element = client.next_acking(timeout=5)
        if element is None:
            break
        if element.tag.startswith(CLIENT):
            got += numbers([element])
        elif element.tag.endswith("error"):
            raise AssertionError(f"stream error after {len(got)} messages: "
                                 f"{[c.tag for c in element]}")
    return got


class OutputCapTest(unittest.TestCase):
    """c2s.max_output_bytes at 256 KiB, and resumption's resend in slices."""

    @classmethod
    def setUpClass(cls):
        cls.server = TernServer("c2s.max_output_bytes=262144", "c2s.write_timeout=60",
                                "c2s.max_unacked_bytes=134217728").start()
        for name in ("juliet", "romeo", "flooder", "slow", "closed", "away"):
            cls.server.adduser(f"{name}@{DOMAIN}", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_a_non_reader_with_resumption_is_detached_and_resumes_everything(self):
        count = 1500  # about 6 MB: far past the cap and the socket buffers
        bystanders = Bystanders(self.server.port, PASSWORD)
        slow = RawClient(self.server.port, f"slow@{DOMAIN}/phone", PASSWORD, receive_buffer=4096)
        previd = slow.enable_sm(resume=True).get("id")
        flooder = RawClient(self.server.port, f"flooder@{DOMAIN}/pc", PASSWORD)
        before = rss_kib(self.server)
        flood(flooder, f"slow@{DOMAIN}/phone", count)
        self.server.wait_for_output(r"limit\.refused: output over c2s\.max_output_bytes.*"
                                    r"slow@localhost/phone", timeout=30)
        _, ended = slow.drain(timeout=20)
        self.assertTrue(ended, "the connection of the client that did not read stays open")
        print(f"ternd RSS {before} KiB before the flood, {rss_kib(self.server)} KiB after "
              f"({count} messages of 4 KB kept for resumption)", file=sys.stderr)
        # Resumed with h=0: everything again, in order, in slices that fit under the cap.
        again = RawClient(self.server.port, f"slow@{DOMAIN}", PASSWORD, bind=False)
        self.assertEqual(again.resume(previd, 0).tag, f"{{{SM}}}resumed")
        self.assertEqual(receive_acking(again, count), list(range(count)))
        again.close()
        flooder.close()
        bystanders.finish(self)

    def test_a_non_reader_without_stream_management_is_closed_and_loses_nothing(self):
        count = 1500
        bystanders = Bystanders(self.server.port, PASSWORD)
        closed = RawClient(self.server.port, f"closed@{DOMAIN}/phone", PASSWORD,
                           receive_buffer=4096)
        flooder = RawClient(self.server.port, f"flooder@{DOMAIN}/sm", PASSWORD)
        flooder.enable_sm()  # the sender waits for acks: its messages are committed first
        flood(flooder, f"closed@{DOMAIN}/phone", count)
        flooder.send(f"<r xmlns='{SM}'/>")
        while True:
            element = flooder.next(timeout=60)
            self.assertIsNotNone(element, "the sender's messages were never acknowledged")
            if element.tag == f"{{{SM}}}a" and element.get("h") == str(count):
                break
        self.server.wait_for_output(r"limit\.refused: output over c2s\.max_output_bytes.*"
                                    r"closed@localhost/phone", timeout=30)
        # What reached the old socket is still in it; the rest waits in the offline queue.
        elements, ended = closed.drain(timeout=30)
        self.assertTrue(ended)
        got = numbers(elements)
        later = RawClient(self.server.port, f"closed@{DOMAIN}/phone", PASSWORD)
        later.send("<presence/>")
        while set(got) != set(range(count)):
            element = later.next(timeout=10)
            self.assertIsNotNone(element, f"lost: {sorted(set(range(count)) - set(got))[:20]}…")
            got += numbers([element])
        print(f"{len(numbers(elements))} messages reached the old socket, the rest came from the "
              f"offline queue", file=sys.stderr)
        later.close()
        flooder.close()
        bystanders.finish(self)

    def test_a_large_resend_goes_out_in_slices(self):
        count = 4000  # about 6.4 MB of XML: more than the socket buffers hold on loopback
        away = RawClient(self.server.port, f"away@{DOMAIN}/phone", PASSWORD)
        previd = away.enable_sm(resume=True).get("id")
        away.vanish()
        wait_detached(self.server, f"away@{DOMAIN}/phone")
        flooder = RawClient(self.server.port, f"flooder@{DOMAIN}/resend", PASSWORD)
        flood(flooder, f"away@{DOMAIN}/phone", count, pad="y" * 1500)
        flooder.send("<iq type='get' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>")
        while (element := flooder.next()) is not None and element.get("id") != "sync":
            pass
        bystanders = Bystanders(self.server.port, PASSWORD)
        # A phone on a slow link: it resumes, then takes a second before it reads on. All at
        # once, the resend would wait in ternd past max_output_bytes; in slices, one at a time.
        back = RawClient(self.server.port, f"away@{DOMAIN}", PASSWORD, bind=False,
                         receive_buffer=4096)
        self.assertEqual(back.resume(previd, 0).tag, f"{{{SM}}}resumed")
        time.sleep(1)
        self.assertEqual(receive_acking(back, count), list(range(count)))
        self.assertFalse([line for line in self.server.output_lines()
                          if "output over" in line and "away@" in line],
                         "the resend passed max_output_bytes: it was not sliced")
        back.close()
        flooder.close()
        bystanders.finish(self)


class WriteTimeoutTest(unittest.TestCase):
    """c2s.write_timeout at 2 s, with an output cap too large to be reached."""

    def test_a_stalled_reader_is_dropped_after_the_write_timeout(self):
        with TernServer("c2s.write_timeout=2", "c2s.max_output_bytes=268435456") as server:
            for name in ("juliet", "romeo", "flooder", "stalled"):
                server.adduser(f"{name}@{DOMAIN}", PASSWORD)
            bystanders = Bystanders(server.port, PASSWORD)
            stalled = RawClient(server.port, f"stalled@{DOMAIN}/phone", PASSWORD,
                                receive_buffer=4096)
            flooder = RawClient(server.port, f"flooder@{DOMAIN}/pc", PASSWORD)
            flood(flooder, f"stalled@{DOMAIN}/phone", 3000)  # 12 MB: more than the kernel holds
            started = time.monotonic()
            server.wait_for_output(r"limit\.refused: output waited c2s\.write_timeout.*"
                                   r"stalled@localhost/phone", timeout=30)
            print(f"dropped {time.monotonic() - started:.1f} s after the flood was sent",
                  file=sys.stderr)
            _, ended = stalled.drain(timeout=30)
            self.assertTrue(ended)
            server.wait_for_output(r"conn\.closed.*stalled@localhost/phone.*write-timeout")
            flooder.close()
            bystanders.finish(self)


class UnackedLimitTest(unittest.TestCase):
    """c2s.max_unacked_stanzas at 200 (its minimum)."""

    LIMIT = 200

    @classmethod
    def setUpClass(cls):
        cls.server = TernServer(f"c2s.max_unacked_stanzas={cls.LIMIT}").start()
        for name in ("juliet", "romeo", "sender", "silent", "gone", "busy"):
            cls.server.adduser(f"{name}@{DOMAIN}", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def offline_numbers(self, user, count):
        """Logs `user` in and collects `count` flood messages from its offline queue."""
        client = RawClient(self.server.port, f"{user}@{DOMAIN}/next", PASSWORD)
        client.send("<presence/>")
        got = []
        while len(got) < count:
            element = client.next(timeout=10)
            self.assertIsNotNone(element, f"only {sorted(got)} came back")
            got += numbers([element])
        client.close()
        return sorted(got)

    def test_at_the_limit_a_session_lives_one_past_it_ends(self):
        bystanders = Bystanders(self.server.port, PASSWORD)
        silent = RawClient(self.server.port, f"silent@{DOMAIN}/phone", PASSWORD)
        silent.enable_sm()
        sender = RawClient(self.server.port, f"sender@{DOMAIN}/pc", PASSWORD)
        flood(sender, f"silent@{DOMAIN}/phone", self.LIMIT - 1, pad="")
        got = []
        while len(got) < self.LIMIT - 1:
            element = silent.next(timeout=10)
            self.assertIsNotNone(element)
            got += numbers([element])
        # The ping's result is the 200th unacknowledged stanza: at the limit, the session lives.
        silent.send("<iq type='get' id='alive'><ping xmlns='urn:xmpp:ping'/></iq>")
        while (element := silent.next(timeout=10)) is not None and element.get("id") != "alive":
            pass
        self.assertIsNotNone(element, "the session ended at the limit")
        self.assertEqual(element.get("type"), "result")
        # One more: past the limit.
        flood(sender, f"silent@{DOMAIN}/phone", 1, pad="", first=self.LIMIT - 1)
        while (element := silent.next(timeout=10)) is not None and not element.tag.endswith(
                "}error"):
            pass
        self.assertIsNotNone(element, "no stream error past max_unacked_stanzas")
        self.assertIsNotNone(element.find(
            "{urn:ietf:params:xml:ns:xmpp-streams}resource-constraint"))
        # Nothing is lost: all 200 messages are in the offline queue.
        self.assertEqual(self.offline_numbers("silent", self.LIMIT), list(range(self.LIMIT)))
        sender.close()
        bystanders.finish(self)

    def test_a_detached_session_past_the_limit_ends_and_loses_nothing(self):
        bystanders = Bystanders(self.server.port, PASSWORD)
        gone = RawClient(self.server.port, f"gone@{DOMAIN}/phone", PASSWORD)
        previd = gone.enable_sm(resume=True).get("id")
        gone.vanish()
        wait_detached(self.server, f"gone@{DOMAIN}/phone")
        sender = RawClient(self.server.port, f"sender@{DOMAIN}/detached", PASSWORD)
        count = self.LIMIT + 10
        flood(sender, f"gone@{DOMAIN}/phone", count, pad="")
        self.server.wait_for_output(r"session\.expired.*gone@localhost/phone.*unacked-overflow")
        again = RawClient(self.server.port, f"gone@{DOMAIN}", PASSWORD, bind=False)
        failed = again.resume(previd, 0)
        self.assertEqual(failed.tag, f"{{{SM}}}failed")
        again.close()
        self.assertEqual(self.offline_numbers("gone", count), list(range(count)))
        sender.close()
        bystanders.finish(self)

    def test_crossing_the_limit_while_the_offline_queue_is_delivered(self):
        # The slice of the offline queue that crosses the limit ends the session on the next
        # loop turn, outside the delivery (it once deadlocked the worker: ending the session
        # re-entered the offline module, which held its lock while sending).
        bystanders = Bystanders(self.server.port, PASSWORD)
        sender = RawClient(self.server.port, f"sender@{DOMAIN}/queue", PASSWORD)
        queued, live = 100, self.LIMIT - 50
        flood(sender, f"busy@{DOMAIN}", queued, pad="")
        self.assertEqual(self.server.wait_offline_count(f"busy@{DOMAIN}", queued), queued)
        busy = RawClient(self.server.port, f"busy@{DOMAIN}/phone", PASSWORD)
        busy.enable_sm()
        flood(sender, f"busy@{DOMAIN}/phone", live, pad="", first=queued)
        got = []
        while len(got) < live:
            element = busy.next(timeout=10)
            self.assertIsNotNone(element)
            got += numbers([element])
        busy.send("<presence/>")  # the queue's first slice takes it past the limit
        while (element := busy.next(timeout=10)) is not None and not element.tag.endswith(
                "}error"):
            pass
        self.assertIsNotNone(element, "no stream error past max_unacked_stanzas")
        self.assertEqual(self.offline_numbers("busy", queued + live),
                         list(range(queued + live)))
        sender.close()
        bystanders.finish(self)


class OfflineFlushTest(unittest.TestCase):
    """10,000 offline messages with c2s.max_unacked_stanzas at 500."""

    def test_a_large_offline_queue_goes_out_in_slices(self):
        count = 10000
        with TernServer("c2s.max_unacked_stanzas=500") as server:
            for name in ("juliet", "romeo", "sender", "offline"):
                server.adduser(f"{name}@{DOMAIN}", PASSWORD)
            sender = RawClient(server.port, f"sender@{DOMAIN}/pc", PASSWORD)
            for start in range(0, count, 500):
                sender.send("".join(f"<message to='offline@{DOMAIN}' type='chat'>"
                                    f"<body>{i}:</body></message>"
                                    for i in range(start, start + 500)))
            self.assertEqual(server.wait_offline_count(f"offline@{DOMAIN}", count, timeout=120),
                             count)
            bystanders = Bystanders(server.port, PASSWORD)
            time.sleep(0.5)
            client = RawClient(server.port, f"offline@{DOMAIN}/phone", PASSWORD)
            client.enable_sm()
            started = time.monotonic()
            client.send("<presence/>")
            self.assertEqual(receive_acking(client, count), list(range(count)))
            print(f"{count} offline messages delivered in {time.monotonic() - started:.1f} s",
                  file=sys.stderr)
            client.close()
            sender.close()
            bystanders.finish(self)


if __name__ == "__main__":
    unittest.main()
