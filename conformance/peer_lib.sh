# SPDX-License-Identifier: MIT
# Shared by run-prosody.sh and run-ejabberd.sh (sourced): loopback ports and waiting for a peer.

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to SECONDS for something to listen on 127.0.0.1:PORT; says so and fails otherwise.
wait_for_port() {  # wait_for_port PORT SECONDS NAME
  local port=$1 seconds=$2 name=$3
  for _ in $(seq $((seconds * 10))); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "$name did not listen on 127.0.0.1:$port within $seconds s" >&2
  return 1
}
