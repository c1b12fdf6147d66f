#!/usr/bin/env bash
# The pages people see against a bare axum "hello" (examples/hello_axum.rs), in one run, on SQLite
# and PostgreSQL, for an anonymous visitor: the home page, a search results page, a product page
# and the search API. Prints requests/s and each one's ratio to hello (goals: pages >= 0.15, the
# search API >= 0.08).
# Needs: wrk (Debian package `wrk`); PostgreSQL at $BENCH_POSTGRES_URL (default: local, user postgres),
# where it drops and creates the database $BENCH_DATABASE (default agora_bench).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p agora --bin agora --example hello_axum
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release/agora
HELLO=$TARGET/release/examples/hello_axum
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
PG_BASE=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
PG_DB=${BENCH_DATABASE:-agora_bench}

rps() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" "$1" | awk '/Requests\/sec/ {print $2}'; }

wait_for() { for _ in $(seq 1 150); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }

hello_port=$((20000 + RANDOM % 20000))
"$HELLO" "127.0.0.1:$hello_port" &
hello_pid=$!
trap 'kill $hello_pid 2>/dev/null || true' EXIT
wait_for "http://127.0.0.1:$hello_port/"

run() { # engine, extra args...
  local engine=$1; shift
  local dir; dir=$(mktemp -d)
  local port=$((20000 + RANDOM % 20000))
  AGORA_LOG=warn "$BIN" --data-dir "$dir" "$@" serve --demo --addr "127.0.0.1:$port" >"$dir/log" 2>&1 &
  local pid=$!
  wait_for "http://127.0.0.1:$port/healthz"
  local base="http://127.0.0.1:$port"
  local id
  id=$(curl -s "$base/search?q=grinder" | grep -o 'href="/p/prd_[0-9a-f]*' | head -1 | cut -d/ -f3)
  for path in / "/search?q=grinder" "/p/$id" "/api/v1/search?q=grinder"; do curl -sf "$base$path" >/dev/null; done
  local hello home search product api
  hello=$(rps "http://127.0.0.1:$hello_port/")
  home=$(rps "$base/")
  search=$(rps "$base/search?q=grinder")
  product=$(rps "$base/p/$id")
  api=$(rps "$base/api/v1/search?q=grinder")
  local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  awk -v e="$engine" -v h="$hello" -v a="$home" -v b="$search" -v c="$product" -v d="$api" -v l="$load" 'BEGIN {
    printf "%-10s hello %8.0f req/s  (load average %s)\n", e, h, l
    printf "%-10s home page      %8.0f req/s  %.3f x hello (goal 0.15)\n", e, a, a / h
    printf "%-10s search page    %8.0f req/s  %.3f x hello (goal 0.15)\n", e, b, b / h
    printf "%-10s product page   %8.0f req/s  %.3f x hello (goal 0.15)\n", e, c, c / h
    printf "%-10s search API     %8.0f req/s  %.3f x hello (goal 0.08)\n", e, d, d / h
  }'
}

run sqlite
psql -q "$PG_BASE/postgres" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" >/dev/null
run postgres --database-url "$PG_BASE/$PG_DB"
