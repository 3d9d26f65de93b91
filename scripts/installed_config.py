#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# meson install: etc/tern.toml as installed in SYSCONFDIR/tern, with its store (and so the admin
# socket) under the state directory (FHS: /var/lib/tern) instead of the source tree's tern-data.
import re
import sys

source, output, state_dir = sys.argv[1:4]
with open(source) as f:
    text = f.read()
text, count = re.subn(r'(?m)^storage_path = "tern-data"$', f'storage_path = "{state_dir}"', text)
if count != 1:
    sys.exit("installed_config.py: storage_path not found in " + source)
with open(output, "w") as f:
    f.write(text)
