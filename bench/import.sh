#!/usr/bin/env bash
# Benchmark of `agora import products` on SQLite: 100,000 generated CSV rows (deterministic, see
# crates/agora/examples/gen_catalog_csv.rs) into a demo shop, timed in release mode; then the same
# file again (every row unchanged); then the file with every price and stock changed (every row an
# update, each stock change a recorded movement). Prints rows per second for each run.
# Extra arguments: [rows]. Set AGORA_DATABASE_URL to a postgres:// URL of an empty database to
# measure PostgreSQL instead.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-100000}"
cargo build --release -q -p agora --bin agora --example gen_catalog_csv
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export AGORA_LOG=error
agora=(target/release/agora --data-dir "$work/data")
target/release/examples/gen_catalog_csv "$rows" > "$work/catalog.csv"
target/release/examples/gen_catalog_csv "$rows" changed > "$work/changed.csv"
echo "generated $rows rows ($(du -h "$work/catalog.csv" | cut -f1))"
"${agora[@]}" demo 2>/dev/null
measure() {
    local label="$1" file="$2" start end
    start=$(date +%s.%N)
    "${agora[@]}" import products --shop nordlicht-electronics "$file" > "$work/out.txt"
    end=$(date +%s.%N)
    echo "$label: $(cat "$work/out.txt")"
    awk -v r="$rows" -v s="$start" -v e="$end" -v l="$label" \
        'BEGIN { printf "%s: %.0f rows/s (%.2f s wall clock, including start-up)\n", l, r / (e - s), e - s }'
}
measure "first import" "$work/catalog.csv"
measure "re-import (unchanged)" "$work/catalog.csv"
measure "re-import (every price and stock changed)" "$work/changed.csv"
"${agora[@]}" export products --shop nordlicht-electronics --output "$work/export.csv" 2>/dev/null
echo "exported $(($(wc -l < "$work/export.csv"))) lines"
