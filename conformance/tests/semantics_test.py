#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The runner's matching rules, played against the real ternd: the scenarios in semantics/ each
# end as their title says (passes, fails or warns). Romeo sends Juliet two messages, A then B,
# over one stream, so they arrive in that order; the steps then claim them in ways the rules
# must accept or refuse (conformance/README.md, "Writing a scenario").
# usage: semantics_test.py TERN_CONFORMANCE SEMANTICS_DIR
import os
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "integration"))
from harness import BUILD, TernServer  # noqa: E402

OUTCOME = {"passes": "PASS", "fails": "FAIL", "warns": "WARN"}


def main():
    runner, folder = sys.argv[1], sys.argv[2]
    wanted = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name)) as f:
            title = f.readline()
        wanted[name[:-len(".scs")]] = OUTCOME[re.search(r"\((\w+)\)$", title.strip()).group(1)]
    server = TernServer().start()
    try:
        ternctl = [os.path.join(BUILD, "tools", "ternctl"), *server._args()]
        provision = " ".join(shlex.quote(a) for a in ternctl) + " adduser {jid} {password}"
        run = subprocess.run([runner, "--port", str(server.port), "--domain", "localhost",
                              "--provision", provision, "--timeout", "1500", folder],
                             capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    print(run.stdout)
    got = dict((m.group(2), m.group(1))
               for m in re.finditer(r"^(PASS|FAIL|WARN|SKIP) ([\w/-]+)", run.stdout, re.M))
    wrong = {name: (want, got.get(name)) for name, want in wanted.items()
             if got.get(name) != want}
    for name, (want, seen) in wrong.items():
        print(f"semantics: {name} should end {want}, ended {seen}")
    expected_status = 1 if "FAIL" in wanted.values() else 0
    if run.returncode != expected_status:
        print(f"semantics: exit status {run.returncode}, expected {expected_status}")
        return 1
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
