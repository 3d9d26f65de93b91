# SPDX-License-Identifier: MIT
# What the benchmark scripts share (sourced by compare.sh and before_after.sh): the one server a
# script started, stopped on exit, and waiting for a port. Callers set BENCH_NAME for messages.

# The server started last, so that stop_server ends exactly that process.
SERVER_PID=
stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
  fi
  SERVER_PID=
}
trap stop_server EXIT

wait_port() {  # wait_port PORT: until something listens there (60 s)
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "${BENCH_NAME:-bench}: nothing listens on port $1" >&2
  return 1
}
