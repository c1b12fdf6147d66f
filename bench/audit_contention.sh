#!/usr/bin/env bash
# What the audit append costs concurrent writers on PostgreSQL: 32 tasks updating 32 different
# products (one transaction each: the product row, its outbox event, and by phase no audit entry,
# an entry in the subject's chain, or an entry in one shared chain as before the chains). Phases
# alternate within each round; prints each round's rates, the medians and the ratios to "bare".
# Needs PostgreSQL at $BENCH_POSTGRES_URL (default: local, user postgres).
# Extra arguments: [seconds per phase] [rounds].
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p agora --example audit_contention
PG_BASE=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
db=agora_bench_audit
psql -q "$PG_BASE/postgres" -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
trap 'psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
AGORA_LOG=error "${CARGO_TARGET_DIR:-target}/release/examples/audit_contention" "$PG_BASE/$db" "${1:-4}" "${2:-5}"
