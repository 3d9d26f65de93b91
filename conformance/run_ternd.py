#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The conformance suite against the real ternd (meson test suite 'conformance'): starts ternd on
# free loopback ports with a temporary store (tests/integration/harness.py), gives the runner a
# ternctl provisioning command (or, with --register among the runner options, lets it register
# its accounts in-band; with --binary, it plays over binary sessions on the direct TLS port),
# plays every scenario, and fails on any failed scenario.
# usage: run_ternd.py TERN_CONFORMANCE SCENARIOS_DIR [runner options...]
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from harness import BUILD, TernServer, http_upload_settings  # noqa: E402


def main():
    runner, scenarios, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
    # In-band registration on (XEP-0077 scenarios), without the sign-up throttle; upload slots
    # on (XEP-0363 scenarios: only slots are asked for, nothing is uploaded).
    server = TernServer("modules.register.allow_registration=true",
                        "modules.register.registrations_per_minute=0",
                        *http_upload_settings("https://upload.localhost")).start()
    try:
        ternctl = [os.path.join(BUILD, "tools", "ternctl"), *server._args()]
        provision = " ".join(shlex.quote(a) for a in ternctl) + " adduser {jid} {password}"
        accounts = [] if "--register" in extra else ["--provision", provision]
        name = "ternd" + "".join(f"-{flag[2:]}" for flag in ("--register", "--binary")
                                 if flag in extra)
        junit = os.path.join(BUILD, "conformance", name + "-junit.xml")
        port = server.ports["direct_tls"] if "--binary" in extra else server.port
        run = subprocess.run([runner, "--port", str(port), "--domain", "localhost",
                              *accounts, "--jobs", "8", "--server", "tern",
                              "--junit", junit, *extra, scenarios], timeout=200)
    finally:
        server.stop()
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
