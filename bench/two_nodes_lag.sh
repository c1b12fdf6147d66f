#!/usr/bin/env bash
# Lag from a product created on node A to it being searchable on node B: two release `agora serve`
# on one fresh PostgreSQL database and one data folder, the demo data, 200 products created on A
# through the API, each searched for on B until found. Prints p50, p99 and the maximum.
# Needs PostgreSQL at $BENCH_POSTGRES_URL (default: local, user postgres); PRODUCTS=200 by default;
# PROFILE=debug measures debug builds instead (quicker to build, slower to run).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release -q -p agora --bin agora --example two_nodes_lag
else
  cargo build -q -p agora --bin agora --example two_nodes_lag
fi
release="${CARGO_TARGET_DIR:-target}/$profile"
PG_BASE=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
db=agora_bench_lag
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
sleep 1 # node B builds its index from the database after it starts listening
shop=$(psql -tA "$PG_BASE/$db" -c "SELECT id FROM shops WHERE slug = 'nordlicht-electronics'")
"$release/examples/two_nodes_lag" "http://127.0.0.1:$port_a" "http://127.0.0.1:$port_b" "$shop" "${PRODUCTS:-200}"
