# Shared by the bench/order_*.sh scripts: builds the bench in release and runs one scenario of
# it on SQLite (a file in a temporary folder) and on PostgreSQL ($BENCH_POSTGRES_URL, default the
# local server, user postgres; each run in a schema of its own, dropped afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p agora --example order_bench
PG_BASE=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
bin="${CARGO_TARGET_DIR:-target}/release/examples/order_bench"
db=agora_bench_orders
tmp=$(mktemp -d)
cleanup() {
  rm -rf "$tmp"
  psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql -q "$PG_BASE/postgres" -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null

# run_order_bench SCENARIO [N]: the scenario on both engines, one after the other.
run_order_bench() {
  AGORA_LOG=error "$bin" "sqlite://$tmp/bench.db" "$@"
  AGORA_LOG=error "$bin" "$PG_BASE/$db" "$@"
}
