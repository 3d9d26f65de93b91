#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Running out of file descriptors must not wedge ternd (issue: with two workers, accept4()
# failing with EMFILE spun each worker for good). ternd runs under a low descriptor limit (as with
# `ulimit -n 512`) with two workers while two bystander accounts chat; an attacker without an
# account opens 2,000 connections in waves, holds them, and resets them. Checked: the bystanders
# lose nothing, the refusals are logged, a new client logs in once the flood is over, and SIGTERM
# stops the server. The longest gap the bystanders saw is printed (measured, not asserted).
import os
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TernServer  # noqa: E402
from bystanders import Bystanders  # noqa: E402
from raw_client import RawClient  # noqa: E402

DOMAIN = "localhost"
PASSWORD = "fd-pw"
DESCRIPTORS = 512
FLOOD = 2000
WAVE = 250


def flood(port):
    """FLOOD connections in waves, held, then reset (SO_LINGER 0)."""
    sockets = []
    for _ in range(FLOOD // WAVE):
        for _ in range(WAVE):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            sockets.append(s)
        time.sleep(0.2)
    time.sleep(2.0)
    for s in sockets:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


class DescriptorExhaustionTest(unittest.TestCase):
    def test_flood_past_the_descriptor_limit(self):
        server = TernServer(workers=2)
        server.adduser(f"juliet@{DOMAIN}", PASSWORD)
        server.adduser(f"romeo@{DOMAIN}", PASSWORD)
        server.start(max_descriptors=DESCRIPTORS)
        try:
            bystanders = Bystanders(server.port, PASSWORD)
            time.sleep(0.5)
            flood(server.port)
            time.sleep(1.0)
            bystanders.finish(self)
            server.wait_for_output(r"server\.descriptors.*soft_limit=512 max_connections=448")
            server.wait_for_output(r"limit\.refused: connections paused: the server holds "
                                   r"max_connections")
            refused = [line for line in server.output_lines() if "limit.refused" in line]
            print(f"{len(refused)} refusal lines logged (rate-limited)", file=sys.stderr)
            # The flood is over: a new client gets in.
            deadline = time.monotonic() + 15
            while True:
                try:
                    late = RawClient(server.port, f"juliet@{DOMAIN}/late", PASSWORD, timeout=5)
                    break
                except (OSError, RuntimeError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            self.assertTrue(late.jid.endswith("/late"))
            late.vanish()
        finally:
            problem = server._terminate()
            server.dir.cleanup()
        self.assertIsNone(problem, "ternd must stop on SIGTERM after the flood")


if __name__ == "__main__":
    unittest.main(verbosity=2)
