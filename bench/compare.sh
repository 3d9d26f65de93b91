#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The side-by-side benchmark of issue #7: the same tern-bench scenarios against ternd (release
# build), Prosody and ejabberd (Debian's packages, installed with apt-get if missing), each started
# here on loopback ports with a generated configuration whose rate limits and shapers are lifted,
# its accounts provisioned, and stopped afterwards. Prints one table with the ratios
# (bench/compare_table.py) and keeps every summary line in $BENCH_DIR/results.txt.
#
#   bench/compare.sh                      # everything, full size (about 30 minutes)
#   bench/compare.sh --quick              # small numbers, a few minutes: checks the plumbing
#   SERVERS="tern" bench/compare.sh       # only some servers
#   ONLY=muc bench/compare.sh             # only the group chat scenarios
#   ONLY=muc MUC_SHAPES=1000 MUC_WINDOW=32 bench/compare.sh   # the big room, 32 in flight
#
# Sizes (environment): IDLE_TERN (19000), IDLE_PEER (15000), IDLE_SMALL (1000), PAIRS (1000),
# DURATION (10 s), GENERATORS (2 tern-bench processes). The machine is assumed to be idle: figures
# taken while something else runs are not worth keeping.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD=${BUILD:-build-release}
BENCH_DIR=${BENCH_DIR:-/tmp/tern-compare}
SERVERS=${SERVERS:-"tern prosody ejabberd"}
IDLE_TERN=${IDLE_TERN:-19000}
IDLE_PEER=${IDLE_PEER:-15000}
IDLE_SMALL=${IDLE_SMALL:-1000}
PAIRS=${PAIRS:-1000}
DURATION=${DURATION:-10}
HOLD=${HOLD:-5}
GENERATORS=${GENERATORS:-2}
# Open-loop rates (msg/s over all pairs) for the "highest rate with p99 < 10 ms" row.
SWEEP_RATES=${SWEEP_RATES:-"500 2000 8000 32000"}
SWEEP_DURATION=${SWEEP_DURATION:-5}
# Group chat: the big room's occupants, the small rooms' count and occupants, messages in flight
# per room.
MUC_BIG=${MUC_BIG:-1000}
MUC_ROOMS=${MUC_ROOMS:-100}
MUC_SMALL=${MUC_SMALL:-50}
MUC_WINDOW=${MUC_WINDOW:-2}
# Which of the two shapes run: "1000" (the big room) and "100x50" (the small rooms).
MUC_SHAPES=${MUC_SHAPES:-"1000 100x50"}
if [[ ${1:-} == "--quick" ]]; then
  IDLE_TERN=400 IDLE_PEER=300 IDLE_SMALL=100 PAIRS=50 DURATION=3 HOLD=1
  SWEEP_RATES="500 1000" SWEEP_DURATION=2 MUC_BIG=50 MUC_ROOMS=5 MUC_SMALL=10
fi
PASSWORD=bench-password
TERN_BENCH=$ROOT/$BUILD/tools/tern-bench/tern-bench
TERNCTL=$ROOT/$BUILD/tools/ternctl
TERND=$ROOT/$BUILD/ternd/ternd
RESULTS=$BENCH_DIR/results.txt
ACCOUNTS=$(( IDLE_TERN > IDLE_PEER ? IDLE_TERN : IDLE_PEER ))
(( ACCOUNTS < 2 * PAIRS )) && ACCOUNTS=$(( 2 * PAIRS ))
[[ ${ONLY:-} == muc ]] && ACCOUNTS=0  # only what the rooms need
(( ACCOUNTS < MUC_ROOMS * MUC_SMALL )) && ACCOUNTS=$(( MUC_ROOMS * MUC_SMALL ))
(( ACCOUNTS < MUC_BIG )) && ACCOUNTS=$MUC_BIG

mkdir -p "$BENCH_DIR"
: > "$RESULTS"

if [[ ! -x $TERN_BENCH || ! -x $TERND ]]; then
  [[ -f $BUILD/build.ninja ]] || meson setup "$BUILD" -Dbuildtype=release -Dtests=false
  ninja -C "$BUILD" ternd/ternd tools/ternctl tools/tern-bench/tern-bench
fi

BENCH_NAME=compare
# shellcheck source=bench/lib.sh
source bench/lib.sh  # (the script runs from the repository root)

# bench SERVER SCENARIO ARGS...: one tern-bench run against the running server, its summary line
# kept as "SERVER SCENARIO tern-bench: ...".
bench() {
  local server=$1 scenario=$2
  shift 2
  echo "== $server $scenario: tern-bench $*" >&2
  local line
  line=$("$TERN_BENCH" "$@" --password "$PASSWORD" --server-pid "$SERVER_PID" \
           --setup-timeout 600 | grep '^tern-bench: ') || true
  echo "$line" >&2
  echo "$server $scenario $line" >> "$RESULTS"
}

# The half-of-maximum rate of the last saturated run of SERVER in SCENARIO (chat-max), divided
# by DIVISOR (1; for group chat the occupants: the rate is of messages, the maximum of deliveries).
half_rate() {
  awk -v s="$1" -v sc="${2:-chat-max}" -v d="${3:-1}" '$1 == s && $2 == sc { for (i = 3; i <= NF; i++) if ($i ~ /^msgs_per_s=/) { split($i, kv, "="); r = kv[2] } } END { printf "%d", r / 2 / d }' "$RESULTS"
}

# Group chat (XEP-0045): one room of MUC_BIG occupants, and MUC_ROOMS rooms of MUC_SMALL, each
# flat out (MUC_WINDOW messages in flight per room) and at half that rate for the latency.
run_muc_scenarios() {
  local server=$1 port=$2 mech=$3
  local shape name rooms occupants rate
  for shape in "1000 1 $MUC_BIG" "100x50 $MUC_ROOMS $MUC_SMALL"; do
    read -r name rooms occupants <<< "$shape"
    [[ " $MUC_SHAPES " == *" $name "* ]] || continue
    "start_$server"
    warm_up "$port" "$mech"
    bench "$server" "muc-$name-max" muc --port "$port" --mechanism "$mech" --rooms "$rooms" \
      --occupants "$occupants" --duration "$DURATION" --window "$MUC_WINDOW" \
      --processes "$GENERATORS" --concurrency 100
    rate=$(half_rate "$server" "muc-$name-max" "$occupants")
    if (( rate > 0 )); then
      bench "$server" "muc-$name-half" muc --port "$port" --mechanism "$mech" --rooms "$rooms" \
        --occupants "$occupants" --duration "$DURATION" --rate "$rate" \
        --processes "$GENERATORS" --concurrency 100
    fi
    "stop_$server"
  done
}

warm_up() {  # warm_up PORT MECH: allocators, TLS, first store reads; not recorded
  "$TERN_BENCH" connect --port "$1" --sessions 50 --hold 0 --mechanism "$2" \
    --password "$PASSWORD" > /dev/null || true
}

# The scenarios every server runs, each memory figure on a freshly started server (an allocator
# keeps what an earlier run freed, which would hide the next run's growth). start_SERVER and
# stop_SERVER start and stop it; PORT is its STARTTLS port; MECH the SCRAM variant it stores.
run_scenarios() {
  local server=$1 port=$2 mech=$3 idle=$4
  if [[ ${ONLY:-} == muc ]]; then
    run_muc_scenarios "$server" "$port" "$mech"
    return
  fi
  local kind
  for kind in tls plain; do
    "start_$server"
    warm_up "$port" "$mech"
    local tls=starttls
    [[ $kind == plain ]] && tls=none
    bench "$server" "idle-$kind" connect --port "$port" --mechanism "$mech" --tls "$tls" \
      --sessions "$idle" --hold "$HOLD" --processes "$GENERATORS"
    "stop_$server"
  done
  "start_$server"
  warm_up "$port" "$mech"
  bench "$server" chat-max chat --port "$port" --mechanism "$mech" --pairs "$PAIRS" \
    --duration "$DURATION" --processes "$GENERATORS"
  local rate
  rate=$(half_rate "$server")
  if (( rate > 0 )); then
    bench "$server" chat-half chat --port "$port" --mechanism "$mech" --pairs "$PAIRS" \
      --duration "$DURATION" --rate "$rate" --processes "$GENERATORS"
  fi
  # Latency against load: the same pairs at fixed rates, lowest first; the table reports the
  # highest rate whose p99 stayed under 10 ms.
  for rate in $SWEEP_RATES; do
    bench "$server" "chat-rate-$rate" chat --port "$port" --mechanism "$mech" --pairs "$PAIRS" \
      --duration "$SWEEP_DURATION" --rate "$rate" --processes "$GENERATORS"
  done
  "stop_$server"
  run_muc_scenarios "$server" "$port" "$mech"
}

# ---------------------------------------------------------------------------------------- Tern
TERN_WORKERS=2
start_tern() {
  local dir=$BENCH_DIR/tern
  mkdir -p "$dir"
  local set=(--set "server.storage_path=$dir/store" --set "server.workers=$TERN_WORKERS"
             --set 'c2s.starttls=["127.0.0.1:25222"]' --set 'c2s.direct_tls=["127.0.0.1:25223"]'
             --set 'http.listen=[]' --set 'http.tls_listen=[]'
             --set c2s.require_encryption=false --set log.level=warn)
  # One process per account would take minutes: one transaction for the whole range (accounts
  # that exist are kept, so only the first run pays).
  [[ -f $dir/store/data.mdb ]] || "$TERNCTL" "${set[@]}" init >&2
  "$TERNCTL" "${set[@]}" adduser-range "bench@localhost" 0 "$ACCOUNTS" "$PASSWORD" >&2
  "$TERND" "${set[@]}" > "$dir/ternd.log" 2>&1 &
  SERVER_PID=$!
  wait_port 25222
}
stop_tern() { stop_server; }

run_tern() {
  TERN_WORKERS=2
  run_scenarios tern 25222 SCRAM-SHA-256 "$IDLE_TERN"
  [[ ${ONLY:-} == muc ]] && return
  # Idle cost must be flat in the number of sessions: the same measure at IDLE_SMALL.
  start_tern
  warm_up 25222 SCRAM-SHA-256
  bench tern idle-tls-small connect --port 25222 --sessions "$IDLE_SMALL" --hold "$HOLD"
  stop_tern
  TERN_WORKERS=1
  start_tern
  warm_up 25222 SCRAM-SHA-256
  bench tern-1w chat-max chat --port 25222 --pairs "$PAIRS" --duration "$DURATION" \
    --processes "$GENERATORS"
  stop_tern
  TERN_WORKERS=2
}

# ------------------------------------------------------------------------------------- Prosody
ensure_package() {  # ensure_package PACKAGE
  dpkg -s "$1" > /dev/null 2>&1 && return 0
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$1" >&2
}

make_certificate() {  # make_certificate DIR: an ECDSA P-256 self-signed certificate for localhost
  [[ -f $1/localhost.crt ]] && return 0
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout "$1/localhost.key" -out "$1/localhost.crt" 2>/dev/null
}

PROSODY_DIR=$BENCH_DIR/prosody
start_prosody() {
  # As its own user (it refuses root); setpriv execs, so $! is Prosody's own PID.
  setpriv --reuid=prosody --regid=prosody --init-groups \
    prosody --config "$PROSODY_DIR/prosody.cfg.lua" >> "$PROSODY_DIR/stdout.log" 2>&1 &
  SERVER_PID=$!
  wait_port 25322
}
stop_prosody() { stop_server; }

run_prosody() {
  ensure_package prosody
  local dir=$PROSODY_DIR
  mkdir -p "$dir/data" "$dir/certs"
  make_certificate "$dir/certs"
  # mod_limits is not loaded (no c2s rate limit); registration is open and unthrottled from
  # loopback, for provisioning by in-band registration.
  cat > "$dir/prosody.cfg.lua" <<EOF
daemonize = false
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
log = { warn = "$dir/prosody.log" }
c2s_ports = { 25322 }
c2s_direct_tls_ports = { }
s2s_ports = { }
modules_enabled = { "disco", "roster", "saslauth", "tls", "blocklist", "carbons", "ping",
  "register", "time", "version" }
authentication = "internal_hashed"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = true
min_seconds_between_registrations = 0
registration_whitelist = { "127.0.0.1" }
certificates = "$dir/certs"
VirtualHost "localhost"
  ssl = { certificate = "$dir/certs/localhost.crt", key = "$dir/certs/localhost.key" }
-- Group chat as Prosody ships it (rooms locked until configured); no history kept for the
-- bench's rooms' newcomers beyond what they ask (none).
Component "conference.localhost" "muc"
  max_history_messages = 20
EOF
  chown -R prosody:prosody "$dir"
  if (( $(ls "$dir/data/localhost/accounts" 2>/dev/null | wc -l) < ACCOUNTS )); then
    start_prosody
    "$TERN_BENCH" register --port 25322 --sessions "$ACCOUNTS" --sources 0 --concurrency 50 \
      --password "$PASSWORD" --setup-timeout 1800 >&2 || true
    stop_prosody
  fi
  # Prosody 0.12's internal_hashed keeps SCRAM-SHA-1 credentials only.
  run_scenarios prosody 25322 "${PROSODY_MECH:-SCRAM-SHA-1}" "$IDLE_PEER"
}

# ------------------------------------------------------------------------------------ ejabberd
EJABBERD_DIR=$BENCH_DIR/ejabberd
# As the ejabberd user directly (setpriv): ejabberdctl run by root goes through su, whose PAM
# session lowers the open-file limit to 1024, and the Erlang VM sizes its poll set from it.
EJABBERDCTL=(env HOME="$EJABBERD_DIR/spool" setpriv --reuid=ejabberd --regid=ejabberd
             --init-groups ejabberdctl --config-dir "$EJABBERD_DIR/etc"
             --spool "$EJABBERD_DIR/spool" --logs "$EJABBERD_DIR/logs" --node bench@localhost)
start_ejabberd() {
  "${EJABBERDCTL[@]}" foreground >> "$EJABBERD_DIR/stdout.log" 2>&1 &
  wait_port 25422
  SERVER_PID=$(pgrep -f "beam.smp.*bench@localhost" | head -n 1)
}
stop_ejabberd() {
  "${EJABBERDCTL[@]}" stop > /dev/null 2>&1 || true
  for _ in $(seq 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
  stop_server
}

run_ejabberd() {
  ensure_package ejabberd
  # Erlang starts epmd (its port mapper) as a daemon; stop it afterwards if this run started it.
  local epmd_before
  epmd_before=$(pgrep -x epmd || true)
  local dir=$EJABBERD_DIR
  mkdir -p "$dir/etc" "$dir/spool" "$dir/logs"
  make_certificate "$dir/etc"
  cat "$dir/etc/localhost.crt" "$dir/etc/localhost.key" > "$dir/etc/localhost.pem"
  cat > "$dir/etc/ejabberdctl.cfg" <<EOF
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
ERL_MAX_PORTS=65536
ERL_PROCESSES=1000000
EJABBERD_CONFIG_PATH=$dir/etc/ejabberd.yml
EOF
  cp /etc/ejabberd/inetrc "$dir/etc/inetrc"
  # Shapers off (shaper: none, no max_fsm_queue), registration open, no limits per IP.
  cat > "$dir/etc/ejabberd.yml" <<EOF
hosts:
  - localhost
loglevel: warning
certfiles:
  - $dir/etc/localhost.pem
auth_method: internal
auth_password_format: scram
auth_scram_hash: sha256
registration_timeout: infinity
listen:
  -
    port: 25422
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: true
    shaper: none
    access: c2s
    max_stanza_size: 262144
    backlog: 4096
acl:
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  c2s:
    allow: all
  register:
    allow: all
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_carboncopy: {}
  mod_offline: {}
  mod_blocking: {}
  mod_privacy: {}
  mod_register:
    ip_access: all
    access: register
  mod_stream_mgmt: {}
  mod_version: {}
  mod_muc:
    host: conference.localhost
    access_create: all
    max_users: 2000
    max_users_presence: 2000
    min_message_interval: 0
    min_presence_interval: 0
    default_room_options:
      max_users: 2000
EOF
  chown -R ejabberd:ejabberd "$dir"
  start_ejabberd
  if (( $("${EJABBERDCTL[@]}" registered_users localhost | wc -l) < ACCOUNTS )); then
    "$TERN_BENCH" register --port 25422 --sessions "$ACCOUNTS" --sources 0 --concurrency 50 \
      --password "$PASSWORD" --setup-timeout 1800 >&2 || true
  fi
  stop_ejabberd
  run_scenarios ejabberd 25422 "${EJABBERD_MECH:-SCRAM-SHA-256}" "$IDLE_PEER"
  local epmd_now
  sleep 1
  epmd_now=$(pgrep -x epmd || true)
  if [[ -z $epmd_before && -n $epmd_now ]]; then
    kill "$epmd_now"
  fi
}

for server in $SERVERS; do
  "run_$server"
done
python3 "$ROOT/bench/compare_table.py" "$RESULTS"
