#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Two accounts log in to a Tern server with slixmpp (Debian's python3-slixmpp) and chat: the
# first sends a message, the second answers, both print what they receive, then both leave.
#
#   ./scripts/start.sh &                                  # the server on localhost
#   build/tools/ternctl adduser juliet@localhost balcony
#   build/tools/ternctl adduser romeo@localhost orchard
#   /usr/bin/python3 examples/chat.py                     # or: --port 5222 --host 127.0.0.1
#
# The self-signed certificate of the embedded default is accepted without verification here;
# with a real certificate, drop the two ssl_context lines.
import argparse
import asyncio
import ssl

import slixmpp


class Chatter(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.ready = asyncio.Event()
        self.inbox = asyncio.Queue()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.inbox.put_nowait)

    async def on_start(self, _):
        self.send_presence()
        self.ready.set()


async def main(args):
    juliet = Chatter("juliet@localhost/balcony", "balcony")
    romeo = Chatter("romeo@localhost/garden", "orchard")
    for client in (juliet, romeo):
        client.connect(address=(args.host, args.port), force_starttls=True)
    await asyncio.wait_for(asyncio.gather(juliet.ready.wait(), romeo.ready.wait()), 15)

    juliet.send_message(mto="romeo@localhost/garden", mbody="Romeo, Romeo! wherefore art thou?",
                        mtype="chat")
    got = await asyncio.wait_for(romeo.inbox.get(), 10)
    print(f"romeo got from {got['from']}: {got['body']}")
    romeo.send_message(mto="juliet@localhost", mbody="By a name I know not how to tell thee.",
                       mtype="chat")
    got = await asyncio.wait_for(juliet.inbox.get(), 10)
    print(f"juliet got from {got['from']}: {got['body']}")

    for client in (juliet, romeo):
        client.disconnect()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5222)
    asyncio.run(main(parser.parse_args()))
