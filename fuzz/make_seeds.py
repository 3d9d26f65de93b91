#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Builds the seed corpora of the fuzz targets from the mobile traffic corpus
# (tests/data/mobile-stanzas.xml, a copy of shared/corpus/mobile-stanzas.xml):
#   OUT/stream_parser/  a chunking byte + a client stream header + 1 to 3 consecutive elements
#   OUT/jid/            every distinct JID-valued attribute (to, from, jid, by)
# Usage: make_seeds.py CORPUS OUT
import os
import re
import sys

corpus, out = sys.argv[1], sys.argv[2]
header = ("<stream:stream xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' to='s.example.net' version='1.0'>")
with open(corpus, encoding="utf-8") as f:
    lines = [line.rstrip("\n") for line in f if line.strip()]

stream_dir = os.path.join(out, "stream_parser")
jid_dir = os.path.join(out, "jid")
os.makedirs(stream_dir, exist_ok=True)
os.makedirs(jid_dir, exist_ok=True)

elements = [l for l in lines if not l.startswith("<?xml") and not l.startswith("</stream")]
count = 0
for i, line in enumerate(elements):
    window = elements[i:i + 1 + i % 3]
    chunking = bytes([i % 17])  # 0 = all at once, else 1..16-byte pieces
    with open(os.path.join(stream_dir, f"seed-{i:05d}"), "wb") as f:
        f.write(chunking + (header + "".join(window)).encode("utf-8"))
    count += 1
for i, line in enumerate(l for l in lines if l.startswith("<?xml")):
    with open(os.path.join(stream_dir, f"header-{i:02d}"), "wb") as f:
        f.write(b"\x00" + line.encode("utf-8"))

jids = set()
for line in lines:
    for m in re.finditer(r"""\b(?:to|from|jid|by)=['"]([^'"]+)['"]""", line):
        jids.add(m.group(1))
for i, jid in enumerate(sorted(jids)):
    with open(os.path.join(jid_dir, f"seed-{i:05d}"), "wb") as f:
        f.write(jid.encode("utf-8"))
print(f"seeds: {count} stream, {len(jids)} jid")
