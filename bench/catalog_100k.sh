#!/usr/bin/env bash
# The catalog at scale, on SQLite, in release mode: 100,000 generated variants are imported into a
# demo shop, the search index is rebuilt (`agora reindex`), then `agora serve` runs on that data and
# is measured: resident memory, and search over HTTP against a bare /healthz of the same server
# (one client: p50/p99 latency; 16 clients: throughput).
# Needs: wrk (Debian package `wrk`). Extra arguments: [variants].
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
rows="${1:-100000}"
cargo build --release -q -p agora --bin agora --example gen_catalog_csv
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
export AGORA_LOG=error
agora=(target/release/agora --data-dir "$work/data")
"${agora[@]}" demo 2>/dev/null
target/release/examples/gen_catalog_csv "$rows" > "$work/catalog.csv"
"${agora[@]}" import products --shop nordlicht-electronics "$work/catalog.csv" > /dev/null
variants=$(sqlite3 "$work/data/agora.db" "SELECT COUNT(*) FROM variants" 2>/dev/null || echo "?")
echo "catalog: $variants variants"
echo "reindex: $("${agora[@]}" reindex)"

port=$((20000 + RANDOM % 20000))
"${agora[@]}" serve --addr "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  total=$(curl -sf "http://127.0.0.1:$port/api/v1/search?limit=1" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
  [ "${total:-0}" -gt 1000 ] && break
  sleep 0.2
done
echo "serving: $total products searchable"
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "resident memory of agora serve: $((rss_kib / 1024)) MiB"

latency() { # url, connections, extra wrk args -> "p50_ms p99_ms rps"
  wrk -t1 -c"$2" -d10s --latency "${@:3}" "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /Requests\/sec/ { rps = $2 }
    END { printf "%.3f %.3f %.0f\n", p50, p99, rps }'
}
read -r h50 h99 hrps < <(latency "http://127.0.0.1:$port/healthz" 1)
read -r s50 s99 srps < <(latency "http://127.0.0.1:$port/" 1 -s bench/search_queries.lua)
read -r _ _ s16 < <(wrk -t2 -c16 -d10s --latency -s bench/search_queries.lua "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {printf "0 0 %.0f\n", $2}')
echo "healthz, 1 client:  p50 ${h50} ms  p99 ${h99} ms  ${hrps} req/s"
echo "search, 1 client:   p50 ${s50} ms  p99 ${s99} ms  ${srps} req/s"
echo "search, 16 clients: ${s16} req/s"
awk -v a="$s50" -v b="$h50" -v c="$s16" -v d="$srps" \
  'BEGIN { printf "ratios: search p50 / healthz p50 = %.1f;  16-client / 1-client throughput = %.2f\n", a / b, c / d }'
echo "resident memory of agora serve after the search load: $(( $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024 )) MiB"
