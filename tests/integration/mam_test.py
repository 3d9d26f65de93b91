#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The account's sync archive (XEP-0313, docs/mam.md) with real slixmpp clients against ternd: a
# 1:1 message is kept only until every device of the account seen recently has it.
#   - two devices: the laptop is away while messages arrive and are read on the phone; back, the
#     laptop fetches exactly those through MAM, and once it has them they are gone from the
#     store (ternctl archive);
#   - both away: the offline queue delivers to the first that returns, the archive does not
#     show it the same messages again, and the other gets them from the archive under the same
#     stanza ids;
#   - what a device sent reaches its other devices through the archive; nothing is kept when
#     every device of the account gets a message live, nor once the device it was not addressed
#     to has acknowledged its carbon copy (XEP-0280);
#   - a message the offline queue refuses (its quota) is not kept;
#   - max_age deletes a message a device never came back for; the archive survives kill -9;
#   - one's own archive only, unknown form fields refused, preferences answered.
import asyncio
import sys
import time
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from carbons_test import CarbonsClient  # noqa: E402
from muc_test import MucClient, mam_query  # noqa: E402
from slix import PASSWORD, TIMEOUT, ClientTestCase, next_matching  # noqa: E402

from slixmpp.exceptions import IqError  # noqa: E402
from slixmpp.xmlstream import ET  # noqa: E402

SID = "urn:xmpp:sid:0"
MAM = "urn:xmpp:mam:2"


def body_is(text):
    return lambda m: m["body"] == text


class ArchiveHelpers:
    async def device(self, jid, resource):
        return await self.login(f"{jid}/{resource}", PASSWORD, MucClient)

    def archive_count(self, jid):
        return int(self.server.ternctl("archive", jid).strip())

    async def wait_count(self, jid, count, timeout=10):
        deadline = time.monotonic() + timeout
        while self.archive_count(jid) != count:
            if time.monotonic() > deadline:
                self.fail(f"{jid}'s archive keeps {self.archive_count(jid)}, not {count}")
            await asyncio.sleep(0.1)


class SyncArchiveTest(ArchiveHelpers, ClientTestCase):
    async def test_returning_device_fetches_what_it_missed_then_it_is_gone(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        phone = await self.device(juliet, "phone")
        laptop = await self.device(juliet, "laptop")  # seen: a device the archive keeps for
        await self.logout(laptop)
        r = await self.device(romeo, "pc")
        for i in range(3):
            r.send_message(mto=juliet, mbody=f"while away {i}", mtype="chat")
            await next_matching(phone.messages, body_is(f"while away {i}"), "read on the phone")
        await self.wait_count(juliet, 3)  # the phone has them; the laptop does not yet

        laptop = await self.device(juliet, "laptop")
        got = await mam_query(laptop, juliet)
        self.assertEqual([b for _, b, _ in got["results"]],
                         ["while away 0", "while away 1", "while away 2"])
        self.assertTrue(got["complete"])
        self.assertEqual({f for _, _, f in got["results"]}, {f"{romeo}/pc"})
        # Every recent device has them now: nothing is kept, nothing shown twice.
        await self.wait_count(juliet, 0)
        again = await mam_query(laptop, juliet)
        self.assertEqual(again["results"], [])
        self.assertEqual(await mam_query(phone, juliet), again)

    async def test_offline_queue_and_archive_never_deliver_twice(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        for resource in ("phone", "laptop"):
            await self.logout(await self.device(juliet, resource))
        r = await self.device(romeo, "pc")
        for i in range(2):
            r.send_message(mto=juliet, mbody=f"queued {i}", mtype="chat")
        self.assertEqual(await asyncio.to_thread(self.server.wait_offline_count, juliet, 2), 2)

        phone = await self.device(juliet, "phone")
        ids = []
        for i in range(2):
            m = await next_matching(phone.messages, body_is(f"queued {i}"), "from the queue")
            ids.append(m.xml.find(f"{{{SID}}}stanza-id").get("id"))
        # The queue brought them: the archive does not show them to the phone again.
        self.assertEqual((await mam_query(phone, juliet))["results"], [])
        laptop = await self.device(juliet, "laptop")
        got = await mam_query(laptop, juliet)
        # The laptop gets them from the archive, under the ids the phone saw.
        self.assertEqual([(i, b) for i, b, _ in got["results"]],
                         [(ids[0], "queued 0"), (ids[1], "queued 1")])
        await self.wait_count(juliet, 0)

    async def test_nothing_is_kept_when_every_device_gets_it_live(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        phone = await self.device(juliet, "phone")
        r = await self.device(romeo, "pc")
        for i in range(3):
            r.send_message(mto=juliet, mbody=f"live {i}", mtype="chat")
            await next_matching(phone.messages, body_is(f"live {i}"), "live")
            phone.send_message(mto=romeo, mbody=f"reply {i}", mtype="chat")
            await next_matching(r.messages, body_is(f"reply {i}"), "reply")
        # Neither account has another device: no archive write at all.
        self.assertEqual(self.archive_count(juliet), 0)
        self.assertEqual(self.archive_count(romeo), 0)

    async def test_a_carbon_copy_counts_as_received(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        phone = await self.login(f"{juliet}/phone", PASSWORD, CarbonsClient)
        laptop = await self.login(f"{juliet}/laptop", PASSWORD, CarbonsClient)
        for device in (phone, laptop):
            await device.plugin["xep_0280"].enable(timeout=TIMEOUT)
        r = await self.device(romeo, "pc")
        r.send_message(mto=f"{juliet}/phone", mbody="to the phone", mtype="chat")
        await next_matching(phone.messages, body_is("to the phone"), "the original")
        kind, wrapper = await next_matching(laptop.carbons, lambda c: True, "the laptop's carbon")
        self.assertEqual((kind, wrapper["carbon_received"]["body"]), ("received", "to the phone"))
        # The laptop has it from its carbon: the archive keeps it for nobody, shows it nobody.
        await self.wait_count(juliet, 0)
        self.assertEqual((await mam_query(laptop, juliet))["results"], [])

    async def test_what_a_device_sent_reaches_the_others(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        tablet = await self.device(juliet, "tablet")
        await self.logout(tablet)
        phone = await self.device(juliet, "phone")
        await self.device(romeo, "pc")
        phone.send_message(mto=romeo, mbody="sent from the phone", mtype="chat")
        await self.wait_count(juliet, 1)
        tablet = await self.device(juliet, "tablet")
        got = await mam_query(tablet, juliet)
        self.assertEqual([b for _, b, _ in got["results"]], ["sent from the phone"])
        # The phone is not shown what it sent itself.
        self.assertEqual((await mam_query(phone, juliet))["results"], [])
        await self.wait_count(juliet, 0)

    async def test_own_archive_only_bad_fields_and_preferences(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        j = await self.device(juliet, "phone")
        with self.assertRaises(IqError) as caught:
            await mam_query(j, romeo)
        self.assertEqual(caught.exception.iq["error"]["condition"], "forbidden")
        iq = j.make_iq_set()
        x = ET.SubElement(ET.SubElement(iq.xml, f"{{{MAM}}}query"), "{jabber:x:data}x",
                          type="submit")
        ET.SubElement(ET.SubElement(x, "{jabber:x:data}field", var="FORM_TYPE"),
                      "{jabber:x:data}value").text = MAM
        ET.SubElement(ET.SubElement(x, "{jabber:x:data}field", var="fulltext"),
                      "{jabber:x:data}value").text = "love"
        with self.assertRaises(IqError) as caught:
            await iq.send(timeout=TIMEOUT)
        self.assertEqual(caught.exception.iq["error"]["condition"], "feature-not-implemented")
        prefs = j.make_iq_get()
        ET.SubElement(prefs.xml, f"{{{MAM}}}prefs")
        answer = await prefs.send(timeout=TIMEOUT)
        self.assertEqual(answer.xml.find(f"{{{MAM}}}prefs").get("default"), "always")
        form = j.make_iq_get()
        ET.SubElement(form.xml, f"{{{MAM}}}query")
        answer = await form.send(timeout=TIMEOUT)
        fields = [f.get("var") for f in answer.xml.iter("{jabber:x:data}field")]
        self.assertIn("with", fields)
        self.assertIn("after-id", fields)
        info = await j.plugin["xep_0030"].get_info(jid=juliet, timeout=TIMEOUT)
        self.assertIn(MAM, info["disco_info"]["features"])


class OfflineQuotaTest(ArchiveHelpers, ClientTestCase):
    """A message the offline queue refuses (its quota) went back to its sender as an error: the
    archive does not keep it either."""

    settings = ("modules.offline.max_messages=1",)

    async def test_a_message_over_the_offline_quota_is_not_kept(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        for resource in ("phone", "laptop"):
            await self.logout(await self.device(juliet, resource))
        r = await self.device(romeo, "pc")
        r.send_message(mto=juliet, mbody="queued", mtype="chat")
        self.assertEqual(await asyncio.to_thread(self.server.wait_offline_count, juliet, 1), 1)
        r.send_message(mto=juliet, mbody="over the quota", mtype="chat")
        error = await next_matching(r.messages, lambda m: m["type"] == "error", "refused")
        self.assertEqual(error["error"]["condition"], "resource-constraint")
        await self.wait_count(juliet, 1)

        phone = await self.device(juliet, "phone")
        await next_matching(phone.messages, body_is("queued"), "from the queue")
        laptop = await self.device(juliet, "laptop")
        got = await mam_query(laptop, juliet)
        self.assertEqual([b for _, b, _ in got["results"]], ["queued"])


class ArchiveLimitsTest(ClientTestCase):
    settings = ("modules.mam.max_age=2", "modules.mam.sweep_interval=1")

    async def test_max_age_deletes_what_a_device_never_fetched(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        await self.logout(await self.login(f"{juliet}/laptop", PASSWORD, MucClient))
        phone = await self.login(f"{juliet}/phone", PASSWORD, MucClient)
        r = await self.login(f"{romeo}/pc", PASSWORD, MucClient)
        r.send_message(mto=juliet, mbody="soon gone", mtype="chat")
        await next_matching(phone.messages, body_is("soon gone"), "live")
        self.assertEqual(int(self.server.ternctl("archive", juliet).strip()), 1)
        deadline = time.monotonic() + 10
        while int(self.server.ternctl("archive", juliet).strip()) != 0:
            self.assertLess(time.monotonic(), deadline, "max_age did not delete the message")
            await asyncio.sleep(0.2)

    async def test_the_archive_survives_kill_9(self):
        juliet, romeo = self.accounts("juliet", "romeo")
        await self.logout(await self.login(f"{juliet}/laptop", PASSWORD, MucClient))
        phone = await self.login(f"{juliet}/phone", PASSWORD, MucClient)
        r = await self.login(f"{romeo}/pc", PASSWORD, MucClient)
        r.send_message(mto=juliet, mbody="kept through a crash", mtype="chat")
        await next_matching(phone.messages, body_is("kept through a crash"), "live")
        await asyncio.sleep(0.3)  # committed (group commit takes milliseconds)
        self.server.kill_and_restart(env={})
        laptop = await self.login(f"{juliet}/laptop", PASSWORD, MucClient)
        got = await mam_query(laptop, juliet)
        self.assertEqual([b for _, b, _ in got["results"]], ["kept through a crash"])


if __name__ == "__main__":
    unittest.main()
