#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Turns bench/compare.sh's results file ("SERVER SCENARIO tern-bench: key=value ...", one line per
# run) into the side-by-side table of docs/performance.md, with Tern's ratio to the better peer.
# Usage: compare_table.py RESULTS
import sys

# (label, scenario, key, higher is better)
ROWS = [
    ("idle sessions held (TLS)", "idle-tls", "up", None),
    ("RSS per idle session, TLS (KiB)", "idle-tls", "server_rss_kb_per_session", False),
    ("RSS per idle session, plain TCP (KiB)", "idle-plain", "server_rss_kb_per_session", False),
    ("logins/s (TLS, SCRAM, bind, presence)", "idle-tls", "logins_per_s", True),
    ("server CPU per login (us)", "idle-tls", "server_cpu_us_per_login", False),
    ("generator CPU in the logins (s)", "idle-tls", "gen_cpu_setup_s", None),
    ("chat, pairs, saturated: msg/s", "chat-max", "msgs_per_s", True),
    ("server CPU per message (us)", "chat-max", "server_cpu_us_per_msg", False),
    ("generator CPU, % of a core per process", "chat-max", "gen_cpu_phase_pct", None),
    ("p99 latency at saturation (ms)", "chat-max", "lat_p99_ms", False),
    ("messages lost (saturated)", "chat-max", "lost", False),
    ("p99 latency at half the max rate (ms)", "chat-half", "lat_p99_ms", False),
    ("rate of that run (msg/s)", "chat-half", "msgs_per_s", None),
    # Group chat (XEP-0045): msgs_per_s counts deliveries (a message reaches every occupant).
    ("room of 1,000, saturated: deliveries/s", "muc-1000-max", "msgs_per_s", True),
    ("  server CPU per delivery (us)", "muc-1000-max", "server_cpu_us_per_msg", False),
    ("  p99 latency at half the max rate (ms)", "muc-1000-half", "lat_p99_ms", False),
    ("  deliveries lost", "muc-1000-max", "lost", False),
    ("100 rooms of 50, saturated: deliveries/s", "muc-100x50-max", "msgs_per_s", True),
    ("  server CPU per delivery (us)", "muc-100x50-max", "server_cpu_us_per_msg", False),
    ("  p99 latency at half the max rate (ms)", "muc-100x50-half", "lat_p99_ms", False),
    ("  RSS per occupant session, rooms entered (KiB)", "muc-100x50-max",
     "server_rss_kb_per_session", False),
    ("  deliveries lost", "muc-100x50-max", "lost", False),
]


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            words = line.split()
            if len(words) < 3:
                continue
            server, scenario = words[0], words[1]
            values = dict(w.split("=", 1) for w in words[2:] if "=" in w)
            runs[(server, scenario)] = values
    return runs


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def fmt(value):
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def main():
    runs = load(sys.argv[1])
    servers = [s for s in ("tern", "prosody", "ejabberd") if any(k[0] == s for k in runs)]
    header = "| | " + " | ".join(servers) + " | Tern vs better peer |"
    print(header)
    print("|---" + "|---:" * (len(servers) + 1) + "|")
    for label, scenario, key, higher in ROWS:
        values = {s: number(runs.get((s, scenario), {}).get(key)) for s in servers}
        cells = [fmt(values[s]) for s in servers]
        ratio = "–"
        peers = [values[s] for s in servers if s != "tern" and values[s] is not None]
        tern = values.get("tern")
        if higher is not None and tern and peers:
            best = max(peers) if higher else min(peers)
            if best > 0 and tern > 0:
                if higher:
                    ratio = f"{tern / best:.1f}×"
                elif best >= tern:
                    ratio = f"{best / tern:.1f}× less"
                else:
                    ratio = f"{tern / best:.1f}× more"
        print(f"| {label} | " + " | ".join(cells) + f" | {ratio} |")
    # The highest swept rate whose p99 stayed under 10 ms (chat-rate-N scenarios).
    cells = []
    best = {}
    for s in servers:
        ok = [int(k[1].split("-")[-1]) for k, v in runs.items()
              if k[0] == s and k[1].startswith("chat-rate-")
              and number(v.get("lat_p99_ms")) is not None and number(v.get("lat_p99_ms")) < 10
              and number(v.get("lost")) == 0]
        best[s] = max(ok) if ok else None
        cells.append(fmt(best[s]) if ok else "below the lowest rate swept")
    peers = [best[s] for s in servers if s != "tern" and best[s]]
    ratio = f"{best['tern'] / max(peers):.1f}×" if best.get("tern") and peers else "–"
    if any(k[1].startswith("chat-rate-") for k in runs):
        print("| highest swept rate with p99 < 10 ms (msg/s) | " + " | ".join(cells) +
              f" | {ratio} |")
    extra = [("tern", "idle-tls-small", "server_rss_kb_per_session", "Tern RSS per idle TLS session at the small count (KiB)"),
             ("tern", "idle-tls-small", "up", "  sessions in that run"),
             ("tern-1w", "chat-max", "msgs_per_s", "Tern, 1 worker: chat saturated msg/s"),
             ("tern-1w", "chat-max", "server_cpu_us_per_msg", "Tern, 1 worker: server CPU per message (us)")]
    print()
    for server, scenario, key, label in extra:
        value = number(runs.get((server, scenario), {}).get(key))
        if value is not None:
            print(f"{label}: {fmt(value)}")


if __name__ == "__main__":
    main()
