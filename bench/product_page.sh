#!/usr/bin/env bash
# Product page API vs a bare /healthz of the same server, in one run, on SQLite and PostgreSQL.
# Prints requests/s for both and their ratio (the target: >= 0.35 on SQLite, >= 0.12 on PostgreSQL).
# Needs: wrk (Debian package `wrk`); PostgreSQL at $BENCH_POSTGRES_URL (default: local, user postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p agora
BIN=target/release/agora
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
PG_BASE=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}

rps() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" "$1" | awk '/Requests\/sec/ {print $2}'; }

run() { # engine, extra args...
  local engine=$1; shift
  local dir; dir=$(mktemp -d)
  local port=$((20000 + RANDOM % 20000))
  AGORA_LOG=warn "$BIN" --data-dir "$dir" "$@" serve --demo --addr "127.0.0.1:$port" >"$dir/log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  local id
  id=$(curl -s "http://127.0.0.1:$port/search?q=grinder" | grep -o 'href="/p/prd_[0-9a-f]*' | head -1 | cut -d/ -f3)
  curl -sf "http://127.0.0.1:$port/api/v1/products/$id" >/dev/null
  local health product
  health=$(rps "http://127.0.0.1:$port/healthz")
  product=$(rps "http://127.0.0.1:$port/api/v1/products/$id")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  awk -v e="$engine" -v h="$health" -v p="$product" \
    'BEGIN { printf "%-10s healthz %9.0f req/s   product page %9.0f req/s   ratio %.2f\n", e, h, p, p / h }'
}

run sqlite
psql -q "$PG_BASE/postgres" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS agora_bench" -c "CREATE DATABASE agora_bench" >/dev/null
run postgres --database-url "$PG_BASE/agora_bench"
