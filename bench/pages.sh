#!/usr/bin/env bash
# The pages people see against a bare axum "hello" (examples/hello_axum.rs), in one run, on SQLite
# and PostgreSQL, for an anonymous visitor: the home page, a search results page, a product page
# and the search API. Prints requests/s and each one's ratio to hello (goals: pages >= 0.15, the
# search API >= 0.08). With CACHE_COUNTS=1 it also prints how often the whole-response cache drew
# each page anew (read from the node's /metrics; recording metrics costs a little on every request,
# so the ratios of such a run are not comparable with those of a plain one).
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

# The whole-response cache's counters (agora_public_cache_requests_total by outcome) as
# "hit miss expired outdated joined".
cache_counts() {
  [ -n "$1" ] || return 0
  curl -s "$1/metrics" | awk '
    /^agora_public_cache_requests_total/ { match($0, /outcome="[a-z]+"/); o = substr($0, RSTART + 9, RLENGTH - 10); n[o] = $NF }
    END { printf "%d %d %d %d %d\n", n["hit"], n["miss"], n["expired"], n["outdated"], n["joined"] }'
}

# What the cache did for one page between two `cache_counts`: how often the page was drawn.
cache_delta() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    printf "hits %d; found no entry %d, an expired one %d, an outdated one %d; of those, served what another request drew %d; pages drawn %d",
      y[1] - x[1], y[2] - x[2], y[3] - x[3], y[4] - x[4], y[5] - x[5],
      (y[2] - x[2]) + (y[3] - x[3]) + (y[4] - x[4]) - (y[5] - x[5])
  }'
}

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
  local metrics="" serve_metrics=()
  if [ "${CACHE_COUNTS:-0}" = 1 ]; then
    metrics="http://127.0.0.1:$((port + 1))"
    serve_metrics=(--metrics-addr "127.0.0.1:$((port + 1))")
  fi
  AGORA_LOG=warn "$BIN" --data-dir "$dir" "$@" serve --demo --addr "127.0.0.1:$port" "${serve_metrics[@]}" >"$dir/log" 2>&1 &
  local pid=$!
  wait_for "http://127.0.0.1:$port/healthz"
  local base="http://127.0.0.1:$port"
  local id
  id=$(curl -s "$base/search?q=grinder" | grep -o 'href="/p/prd_[0-9a-f]*' | head -1 | cut -d/ -f3)
  for path in / "/search?q=grinder" "/p/$id" "/api/v1/search?q=grinder"; do curl -sf "$base$path" >/dev/null; done
  local hello home search product api c0 c1 c2 c3 c4
  hello=$(rps "http://127.0.0.1:$hello_port/")
  c0=$(cache_counts "$metrics")
  home=$(rps "$base/")
  c1=$(cache_counts "$metrics")
  search=$(rps "$base/search?q=grinder")
  c2=$(cache_counts "$metrics")
  product=$(rps "$base/p/$id")
  c3=$(cache_counts "$metrics")
  api=$(rps "$base/api/v1/search?q=grinder")
  c4=$(cache_counts "$metrics")
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
  if [ -n "$metrics" ]; then
    printf '%-10s cache, home page:    %s\n' "$engine" "$(cache_delta "$c0" "$c1")"
    printf '%-10s cache, search page:  %s\n' "$engine" "$(cache_delta "$c1" "$c2")"
    printf '%-10s cache, product page: %s\n' "$engine" "$(cache_delta "$c2" "$c3")"
    printf '%-10s cache, search API:   %s\n' "$engine" "$(cache_delta "$c3" "$c4")"
  fi
}

run sqlite
psql -q "$PG_BASE/postgres" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" >/dev/null
run postgres --database-url "$PG_BASE/$PG_DB"
