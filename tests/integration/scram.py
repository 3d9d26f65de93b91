# SPDX-License-Identifier: MIT
# The client side of SCRAM (RFC 5802) without channel binding, written once for the raw-socket
# tests that must control every byte a client sends (slixmpp and libstrophe hide the exchange):
# raw_client.py and stream_restart_test.py use it.
import base64
import hashlib
import hmac
import os


class ScramClient:
    def __init__(self, username, password, hash_name="sha1"):
        self.hash_name = hash_name
        self.password = password.encode()
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.first_bare = f"n={username},r={self.nonce}"
        self.server_signature = None
        self.proof = None  # the ClientProof sent, base64 (tests look for it in the log)

    @property
    def mechanism(self):
        return "SCRAM-" + {"sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}[self.hash_name]

    def first(self):
        """client-first-message, base64 (the <auth/> text)."""
        return base64.b64encode(("n,," + self.first_bare).encode()).decode()

    def final(self, challenge_b64):
        """client-final-message for the server's challenge, base64 (the <response/> text)."""
        server_first = base64.b64decode(challenge_b64).decode()
        fields = dict(part.split("=", 1) for part in server_first.split(","))
        if not fields["r"].startswith(self.nonce):
            raise ValueError("server nonce does not extend ours")
        salted = hashlib.pbkdf2_hmac(self.hash_name, self.password, base64.b64decode(fields["s"]),
                                     int(fields["i"]))
        client_key = self._hmac(salted, b"Client Key")
        stored_key = hashlib.new(self.hash_name, client_key).digest()
        without_proof = f"c=biws,r={fields['r']}"
        auth_message = f"{self.first_bare},{server_first},{without_proof}".encode()
        signature = self._hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self.server_signature = self._hmac(self._hmac(salted, b"Server Key"), auth_message)
        self.proof = base64.b64encode(proof).decode()
        final = f"{without_proof},p={self.proof}"
        return base64.b64encode(final.encode()).decode()

    def verify(self, success_b64):
        """Whether the server's <success/> carries the signature only it could compute."""
        outcome = base64.b64decode(success_b64).decode()
        return outcome == "v=" + base64.b64encode(self.server_signature).decode()

    def _hmac(self, key, message):
        return hmac.new(key, message, self.hash_name).digest()
