# SPDX-License-Identifier: MIT
# Reading the Prometheus text format that /metrics serves (docs/operations.md), for the tests.
import re

_SAMPLE = re.compile(r"([a-z_]+)(\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')


def samples(text):
    """(name, labels dict, value) for every sample line."""
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m and not line.startswith("#"):
            yield m.group(1), dict(_LABEL.findall(m.group(3) or "")), float(m.group(4))


def metric_value(text, name, **labels):
    """The sample `name` with exactly these labels (in any order), or None."""
    wanted = {k: str(v) for k, v in labels.items()}
    for sample, found, number in samples(text):
        if sample == name and found == wanted:
            return number
    return None


def metric_total(text, name, **labels):
    """The sum of every sample of `name` whose labels include these."""
    return sum(number for sample, found, number in samples(text)
               if sample == name and all(found.get(k) == str(v) for k, v in labels.items()))
