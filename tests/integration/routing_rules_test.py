#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Routing and discovery rules that real clients tripped over, with slixmpp and a raw socket
# against the real ternd:
#   - RFC 6121 §8.5.3.2.1, row by row: a message to a full JID whose resource is gone — chat and
#     normal go to the bare JID (online resources, or the offline queue), groupchat gets
#     service-unavailable, error and headline are silently ignored (they must not reach the
#     account's other clients);
#   - XEP-0115: disco#info on the node#ver the server advertises answers like the plain query,
#     and its hash verifies;
#   - XEP-0359: the account advertises urn:xmpp:sid:0 (its offline messages carry stanza-ids);
#   - RFC 6121 §3.1.5–3.1.6: on approval the subscriber gets `subscribed` and the roster push
#     before the contact's available presence, and that presence once.
import asyncio
import base64
import hashlib
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TernServer  # noqa: E402
from raw_client import RawClient  # noqa: E402
from slix import (  # noqa: E402
    DOMAIN, PASSWORD, Client, ClientTestCase, next_matching, nothing_matching,
)

from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

DISCO_INFO = "http://jabber.org/protocol/disco#info"
CAPS = "http://jabber.org/protocol/caps"


def message(sender, to, mtype, body):
    m = sender.make_message(mto=to, mbody=body, mtype=mtype)
    m["id"] = f"{mtype}-{to}"
    if mtype == "error":
        m["error"]["condition"] = "service-unavailable"
        m["error"]["type"] = "cancel"
    return m


class SequenceClient(Client):
    """Records subscription presence, available presence and roster pushes in arrival order."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.sequence = []
        self.register_handler(Callback("seq presence", MatchXPath("{jabber:client}presence"),
                                       self._presence))
        self.register_handler(Callback(
            "seq push", MatchXPath("{jabber:client}iq/{jabber:iq:roster}query"), self._push))

    def _presence(self, p):
        self.sequence.append(("presence", p["type"], p["from"].full))

    def _push(self, iq):
        if iq["type"] == "set":
            item = iq.xml.find("{jabber:iq:roster}query/{jabber:iq:roster}item")
            self.sequence.append(("push", item.get("subscription"), item.get("jid")))


def caps_ver(query):
    """XEP-0115 §5.1 verification string of a disco#info result, hashed with SHA-1."""
    ids = sorted((i.get("category", ""), i.get("type", ""), i.get("{http://www.w3.org/XML/1998/"
                                                                   "namespace}lang", ""),
                  i.get("name", "")) for i in query.findall(f"{{{DISCO_INFO}}}identity"))
    s = "".join("/".join(i) + "<" for i in ids)
    s += "".join(f + "<" for f in sorted(f.get("var") for f in
                                         query.findall(f"{{{DISCO_INFO}}}feature")))
    forms = []
    for x in query.findall("{jabber:x:data}x"):
        fields = {f.get("var"): [v.text or "" for v in f.findall("{jabber:x:data}value")]
                  for f in x.findall("{jabber:x:data}field")}
        form_type = fields.pop("FORM_TYPE")[0]
        text = form_type + "<" + "".join(var + "<" + "".join(v + "<" for v in sorted(values))
                                         for var, values in sorted(fields.items()))
        forms.append((form_type, text))
    s += "".join(text for _, text in sorted(forms))
    return base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()


class RoutingRulesTest(ClientTestCase):

    async def test_message_to_a_vanished_resource_online(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        staying = await self.login(f"{juliet}/balcony", PASSWORD)
        r = await self.login(f"{romeo}/orchard", PASSWORD)
        gone = f"{juliet}/gone"
        for mtype in ("error", "headline", "groupchat", "chat", "normal"):
            message(r, gone, mtype, f"{mtype} to a vanished resource").send()
        r.send_message(mto=f"{juliet}/balcony", mbody="marker", mtype="chat")
        received = []
        while True:
            m = await next_matching(staying.all_messages, lambda m: True, "messages at balcony")
            if m["body"] == "marker":
                break
            received.append((m["type"], m["body"]))
        # chat and normal as if to the bare JID; error and headline never reach another client.
        self.assertEqual(received, [("chat", "chat to a vanished resource"),
                                    ("normal", "normal to a vanished resource")])
        bounce = await next_matching(r.all_messages, lambda m: m["type"] == "error",
                                     "the groupchat bounce")
        self.assertEqual(bounce["id"], f"groupchat-{gone}")
        self.assertEqual(bounce["error"]["condition"], "service-unavailable")
        await nothing_matching(r.all_messages, lambda m: m["type"] == "error", seconds=1.0)

    async def test_message_to_a_vanished_resource_offline(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        r = await self.login(f"{romeo}/orchard", PASSWORD)
        gone = f"{juliet}/gone"
        for mtype in ("error", "headline", "groupchat", "chat", "normal"):
            message(r, gone, mtype, f"{mtype} for later").send()
        bounce = await next_matching(r.all_messages, lambda m: m["type"] == "error",
                                     "the groupchat bounce")
        self.assertEqual((bounce["id"], bounce["error"]["condition"]),
                         (f"groupchat-{gone}", "service-unavailable"))
        self.assertEqual(await asyncio.to_thread(self.server.wait_offline_count, juliet, 2), 2)
        j = await self.login(f"{juliet}/balcony", PASSWORD)
        bodies = []
        for _ in range(2):
            m = await next_matching(j.all_messages, lambda m: m["body"], "offline messages")
            bodies.append((m["type"], m["body"]))
        self.assertEqual(bodies, [("chat", "chat for later"), ("normal", "normal for later")])
        await nothing_matching(j.all_messages, lambda m: True, seconds=1.0)
        await nothing_matching(r.all_messages, lambda m: m["type"] == "error", seconds=0.2)
        self.assertEqual(self.server.offline_count(juliet), 0)

    def test_caps_node_answers_like_the_plain_query(self):
        (juliet,) = self.accounts("juliet")
        client = RawClient(self.server.port, f"{juliet}/caps", PASSWORD)
        try:
            c = client.features.find(f"{{{CAPS}}}c")
            self.assertIsNotNone(c, "the server advertises its capabilities")
            node = f"{c.get('node')}#{c.get('ver')}"
            answers = {}
            for asked in (None, node, c.get("node") + "#not-the-hash"):
                attr = f" node='{asked}'" if asked else ""
                client.send(f"<iq type='get' id='d' to='{DOMAIN}'><query xmlns='{DISCO_INFO}'"
                            f"{attr}/></iq>")
                answers[asked] = client.next()
            plain, by_node, wrong = answers.values()
            self.assertEqual(by_node.get("type"), "result", ET.tostring(by_node))
            query = by_node.find(f"{{{DISCO_INFO}}}query")
            self.assertEqual(query.get("node"), node)
            self.assertEqual(caps_ver(query), c.get("ver"), "the hash of the answer")
            self.assertEqual(caps_ver(plain.find(f"{{{DISCO_INFO}}}query")), c.get("ver"))
            self.assertEqual(wrong.get("type"), "error")
            self.assertIsNotNone(wrong.find(".//{urn:ietf:params:xml:ns:xmpp-stanzas}"
                                            "item-not-found"))
        finally:
            client.vanish()

    async def test_account_advertises_stanza_ids(self):
        (juliet,) = self.accounts("juliet")
        j = await self.login(f"{juliet}/r", PASSWORD)
        info = await j["xep_0030"].get_info(jid=juliet, timeout=10)
        self.assertIn("urn:xmpp:sid:0", info["disco_info"]["features"])

    async def test_approval_brings_subscribed_and_push_before_presence_once(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        j = await self.login(f"{juliet}/balcony", PASSWORD)
        await j.roster_query()
        r = await self.login(f"{romeo}/orchard", PASSWORD, client_class=SequenceClient)
        await r.roster_query()
        r.send_presence(pto=juliet, ptype="subscribe")
        await next_matching(j.all_presence, lambda p: p["type"] == "subscribe", "the request")
        r.sequence.clear()
        j.send_presence(pto=romeo, ptype="subscribed")
        await next_matching(r.presences, lambda p: p["from"].bare == juliet, "juliet's presence")
        await asyncio.sleep(1.0)  # anything that would come twice
        seen = [e for e in r.sequence if juliet in e[2]]
        available = [i for i, e in enumerate(seen) if e[:2] == ("presence", "available")]
        subscribed = [i for i, e in enumerate(seen) if e[:2] == ("presence", "subscribed")]
        push = [i for i, e in enumerate(seen) if e[:2] == ("push", "to")]
        self.assertEqual(len(available), 1, seen)
        self.assertEqual(len(subscribed), 1, seen)
        self.assertEqual(len(push), 1, seen)
        self.assertLess(subscribed[0], available[0], seen)
        self.assertLess(push[0], available[0], seen)


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
