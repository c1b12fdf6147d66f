#!/usr/bin/env bash
# Chat delivery latency across nodes: two release `agora serve` on one fresh PostgreSQL database,
# the demo data; the demo buyer posts 200 messages on node A while the demo seller listens on
# node B's WebSocket. Prints p50, p99 and the maximum, from the post being sent and from A's answer.
# Needs PostgreSQL at $BENCH_POSTGRES_URL (default: local, user postgres); MESSAGES=200 by default;
# PROFILE=debug measures debug builds instead (quicker to build, slower to run).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release -q -p agora --bin agora --example chat_latency
else
  cargo build -q -p agora --bin agora --example chat_latency
fi
release="${CARGO_TARGET_DIR:-target}/$profile"
PG_BASE=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
db=agora_bench_chat
psql -q "$PG_BASE/postgres" -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

agora=("$release/agora" --data-dir "$work/data" --database-url "$PG_BASE/$db")
start() { # port, extra args...
  local port=$1; shift
  AGORA_LOG=warn "${agora[@]}" serve --addr "127.0.0.1:$port" "$@" >"$work/$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.2; done
  echo "the node on port $port did not start:" >&2; cat "$work/$port.log" >&2; exit 1
}
port_a=$((20000 + RANDOM % 20000))
port_b=$((port_a + 1))
start "$port_a" --demo
start "$port_b"
sleep 2 # node B builds its index from the database, then follows the outbox
shop=$(psql -tA "$PG_BASE/$db" -c "SELECT id FROM shops WHERE slug = 'nordlicht-electronics'")
"$release/examples/chat_latency" "http://127.0.0.1:$port_a" "http://127.0.0.1:$port_b" "$shop" "${MESSAGES:-200}"
