#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# XEP-0077 in-band registration with real slixmpp clients against the real ternd: a client signs up
# through the stream feature exactly as slixmpp's register bot does and then logs in; a taken name
# gets <conflict/>, missing fields and bad usernames <not-acceptable/>, a flood <resource-constraint/>;
# an authenticated user changes the password (the old one stops working) and deletes the account
# (contacts are unsubscribed, every session gets <not-authorized/>, the account is gone). With
# registration disabled (the default) and without phone sign-up (the phone module, which offers
# its own form: phone_test.py) the feature is not offered and a request is refused with
# <service-unavailable/>. Every wait is bounded.
import asyncio
import ssl
import sys
import unittest

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import TernServer, default_modules, modules_enabled  # noqa: E402
from slix import (  # noqa: E402
    DOMAIN, PASSWORD, TIMEOUT, Client, ClientTestCase, next_matching, wait,
)

import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError  # noqa: E402

REGISTER = "jabber:iq:register"
_names = iter(range(1_000_000))


def fresh(name):
    return f"{name}{next(_names)}"


class Registrant(slixmpp.ClientXMPP):
    """A slixmpp client that signs up through the XEP-0077 stream feature before it authenticates:
    it fetches the form, sends each (username, password) attempt in turn and records the outcome of
    each ("result" or the error condition), then logs in with its own JID and password."""

    def __init__(self, jid, password, port, attempts):
        super().__init__(jid, password)
        self.port = port
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        for plugin in ("xep_0030", "xep_0004", "xep_0066", "xep_0077"):
            self.register_plugin(plugin)
        self.attempts = attempts
        self.form = None
        self.outcomes = []
        self.features_seen = []
        self.registered = asyncio.Event()
        self.started = asyncio.Event()
        self.auth_failed = asyncio.Event()
        self.disconnected_event = asyncio.Event()
        self.add_event_handler("register", self._register)
        self.add_event_handler("session_start", lambda _: self.started.set())
        self.add_event_handler("failed_auth", lambda _: self.auth_failed.set())
        self.add_event_handler("disconnected", lambda _: self.disconnected_event.set())
        self.add_filter("in", self._note_features)
        # slixmpp 1.8.3 holds back every stanza but bind until the session starts, the
        # registration IQs too (a client bug, not a protocol rule): let them through.
        self._always_send_everything = True

    def _note_features(self, stanza):
        if isinstance(stanza, slixmpp.stanza.StreamFeatures):
            self.features_seen.append(
                {child.tag for child in stanza.xml})
        return stanza

    async def _register(self, form):
        self.form = form
        try:
            for username, password in self.attempts:
                iq = self.Iq()
                iq["type"] = "set"
                if username is not None:
                    iq["register"]["username"] = username
                if password is not None:
                    iq["register"]["password"] = password
                try:
                    await iq.send(timeout=TIMEOUT)
                    self.outcomes.append("result")
                except IqError as e:
                    self.outcomes.append(e.iq["error"]["condition"])
        finally:
            self.registered.set()

    def start(self):
        self.connect(address=("127.0.0.1", self.port), force_starttls=True)


class RegistrationTestCase(ClientTestCase):
    async def sign_up(self, username, password, attempts=None, expect_login=True):
        """Connects a Registrant for username@DOMAIN; returns it once it logged in (or, with
        expect_login=False, once its authentication failed)."""
        client = Registrant(f"{username}@{DOMAIN}", password, self.server.port,
                            attempts if attempts is not None else [(username, password)])
        client.start()
        self.addAsyncCleanup(self.logout, client)
        await wait(client.registered, f"{username} to get the registration form")
        if expect_login:
            await wait(client.started, f"{username} to log in after registering")
        else:
            await wait(client.auth_failed, f"{username} to fail authentication")
        return client


class EnabledTest(RegistrationTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TernServer("modules.register.allow_registration=true",
                                "modules.register.registrations_per_minute=0").start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    async def test_a_new_user_signs_up_and_logs_in(self):
        name = fresh("newcomer")
        client = await self.sign_up(name, "first-password")
        self.assertEqual(client.outcomes, ["result"])
        query = client.form.xml.find(f"{{{REGISTER}}}query")
        self.assertIsNotNone(query.find(f"{{{REGISTER}}}username"))
        self.assertIsNotNone(query.find(f"{{{REGISTER}}}password"))
        self.assertIsNotNone(query.find(f"{{{REGISTER}}}instructions"))
        self.assertIsNone(query.find(f"{{{REGISTER}}}registered"))
        # The feature is offered after TLS, before authentication.
        self.assertTrue(any(f"{{http://jabber.org/features/iq-register}}register" in seen
                            for seen in client.features_seen), client.features_seen)
        self.assertEqual(client.boundjid.bare, f"{name}@{DOMAIN}")
        # The account exists for everyone else too: a second login works.
        again = await self.login(f"{name}@{DOMAIN}/again", "first-password")
        self.assertTrue(again.started.is_set())

    async def test_a_taken_username_is_a_conflict_and_the_owner_keeps_the_account(self):
        (taken,) = self.accounts("taken")
        name = taken.split("@")[0]
        client = await self.sign_up(name, "intruder", expect_login=False)
        self.assertEqual(client.outcomes, ["conflict"])
        owner = await self.login(taken, PASSWORD)
        self.assertTrue(owner.started.is_set())

    async def test_missing_fields_and_bad_usernames_are_not_acceptable(self):
        name = fresh("careful")
        client = await self.sign_up(name, "good-password", attempts=[
            (name, None),
            (None, "good-password"),
            ("", "good-password"),
            ("has space", "good-password"),
            ("a" * 1100, "good-password"),
            (name, "good-password"),
        ])
        self.assertEqual(client.outcomes, ["not-acceptable"] * 5 + ["result"])

    async def test_a_password_change_replaces_the_old_password(self):
        (user,) = self.accounts("changer")
        client = await self.login(user, PASSWORD, plugins=("xep_0004", "xep_0066", "xep_0077"))
        form = await client["xep_0077"].get_registration(timeout=TIMEOUT)
        self.assertIsNotNone(form.xml.find(f"{{{REGISTER}}}query/{{{REGISTER}}}registered"))
        self.assertEqual(form["register"]["username"], user.split("@")[0])
        await client["xep_0077"].change_password("the-new-one", timeout=TIMEOUT)

        fresh_login = await self.login(f"{user}/new", "the-new-one")
        self.assertTrue(fresh_login.started.is_set())
        stale = Client(f"{user}/old", PASSWORD, self.server.port)
        stale.start()
        self.addAsyncCleanup(self.logout, stale)
        await wait(stale.auth_failed, "the old password to be refused")

    async def test_changing_someone_elses_password_is_not_authorized(self):
        user, other = self.accounts("mallory", "victim")
        client = await self.login(user, PASSWORD, plugins=("xep_0004", "xep_0066", "xep_0077"))
        iq = client.Iq()
        iq["type"] = "set"
        iq["register"]["username"] = other.split("@")[0]
        iq["register"]["password"] = "stolen"
        with self.assertRaises(IqError) as caught:
            await iq.send(timeout=TIMEOUT)
        self.assertEqual(caught.exception.iq["error"]["condition"], "not-authorized")
        victim = await self.login(other, PASSWORD)
        self.assertTrue(victim.started.is_set())

    async def test_removing_the_account_unsubscribes_contacts_and_closes_every_session(self):
        leaver, friend = self.accounts("leaver", "friend")
        a = await self.login(f"{leaver}/one", PASSWORD,
                             plugins=("xep_0004", "xep_0066", "xep_0077"))
        a2 = await self.login(f"{leaver}/two", PASSWORD)
        b = await self.login(friend, PASSWORD)
        # Mutual subscription.
        for x, y, y_jid, x_jid in ((a, b, friend, leaver), (b, a, leaver, friend)):
            x.send_presence(pto=y_jid, ptype="subscribe")
            await next_matching(y.all_presence, lambda p: p["type"] == "subscribe",
                                "subscription request")
            y.send_presence(pto=x_jid, ptype="subscribed")
            await next_matching(x.all_presence, lambda p: p["type"] == "subscribed",
                                "subscription approval")

        stream_errors = []
        a2.add_event_handler("stream_error", stream_errors.append)
        await a["xep_0077"].cancel_registration(timeout=TIMEOUT)

        seen = set()
        while not {"unsubscribed", "unsubscribe"} <= seen:
            p = await next_matching(
                b.all_presence, lambda p: p["from"].bare == leaver and
                p["type"] in ("unsubscribed", "unsubscribe", "unavailable"),
                "the contact to be unsubscribed")
            seen.add(p["type"])
        await wait(a2.disconnected_event, "the other session to be closed")
        self.assertEqual([e["condition"] for e in stream_errors], ["not-authorized"])
        roster = await b.roster_query()
        self.assertNotIn(leaver, {item for item in roster["roster"]["items"]
                                  if roster["roster"]["items"][item]["subscription"]
                                  in ("to", "from", "both")})
        gone = Client(leaver, PASSWORD, self.server.port)
        gone.start()
        self.addAsyncCleanup(self.logout, gone)
        await wait(gone.auth_failed, "the deleted account to be refused")

    async def test_the_name_of_a_deleted_account_can_be_registered_again(self):
        (user,) = self.accounts("recycled")
        client = await self.login(user, PASSWORD, plugins=("xep_0004", "xep_0066", "xep_0077"))
        await client["xep_0077"].cancel_registration(timeout=TIMEOUT)
        await wait(client.disconnected_event, "the session to close")
        again = await self.sign_up(user.split("@")[0], "second-life")
        self.assertEqual(again.outcomes, ["result"])


class ThrottledTest(RegistrationTestCase):
    @classmethod
    def setUpClass(cls):
        # One worker, so the per-worker budget is the server's budget.
        cls.server = TernServer("modules.register.allow_registration=true",
                                "modules.register.registrations_per_minute=2", workers=1).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    async def test_a_flood_of_sign_ups_is_refused_with_resource_constraint(self):
        names = [fresh("flood") for _ in range(3)]
        client = await self.sign_up(names[0], PASSWORD, expect_login=False,
                                    attempts=[(n, PASSWORD) for n in names])
        self.assertEqual(client.outcomes, ["result", "result", "resource-constraint"])


class DisabledTest(RegistrationTestCase):
    settings = (modules_enabled(order=[name for name in default_modules() if name != "phone"]),)

    async def test_the_feature_is_not_offered_and_requests_are_refused(self):
        name = fresh("hopeful")
        client = Registrant(f"{name}@{DOMAIN}", PASSWORD, self.server.port, [(name, PASSWORD)])
        client["xep_0077"].force_registration = True  # ask although the server does not offer it
        client.start()
        self.addAsyncCleanup(self.logout, client)
        await wait(client.auth_failed, "authentication of an account that was never created")
        self.assertFalse(any("{http://jabber.org/features/iq-register}register" in seen
                             for seen in client.features_seen), client.features_seen)
        self.assertIsNone(client.form)  # the form request was refused, so no form

    async def test_an_authenticated_user_can_still_change_the_password(self):
        (user,) = self.accounts("keeper")
        client = await self.login(user, PASSWORD, plugins=("xep_0004", "xep_0066", "xep_0077"))
        await client["xep_0077"].change_password("rotated", timeout=TIMEOUT)
        again = await self.login(f"{user}/2", "rotated")
        self.assertTrue(again.started.is_set())


if __name__ == "__main__":
    unittest.main(verbosity=2)
