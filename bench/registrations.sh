#!/usr/bin/env bash
# Memory under a burst of registrations, in release mode on SQLite: `agora serve` on a fresh data
# folder, then 200 registrations at once (each from its own loopback address, as 200 visitors would
# be, so the per-address limit does not refuse them). Prints the resident memory (VmRSS) before,
# at its peak during the burst, right after it and 60 seconds later, and how the requests were
# answered (201 created, 503 busy: password hashing is bounded to one per core plus a short queue).
# Needs: curl. Extra arguments: [registrations] [seconds to wait before the last reading].
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200}"
settle="${2:-60}"
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p agora --bin agora
work="$(mktemp -d)"
pid=""
sampler=""
trap '[ -n "$sampler" ] && kill "$sampler" 2>/dev/null; [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
export AGORA_LOG=error
port=$((20000 + RANDOM % 20000))
"$target/release/agora" --data-dir "$work/data" serve --addr "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break
  sleep 0.1
done
rss() { echo $(( $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024 )); }
before=$(rss)
echo "resident memory before: $before MiB"

# The peak, sampled every 50 ms while the burst runs.
( peak=0; while kill -0 "$pid" 2>/dev/null; do
    r=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "$r" -gt "$peak" ] && peak=$r && echo $((peak / 1024)) > "$work/peak"
    sleep 0.05
  done ) &
sampler=$!

start=$(date +%s.%N)
seq 1 "$n" | xargs -P "$n" -I{} sh -c '
  i={}
  curl -s -o /dev/null -w "%{http_code}\n" --interface "127.0.$((1 + i / 250)).$((1 + i % 250))" \
    -H "content-type: application/json" \
    -d "{\"email\": \"bench$i@example.com\", \"password\": \"a long bench password\", \"name\": \"Bench $i\", \"kind\": \"individual\"}" \
    "http://127.0.0.1:'"$port"'/api/v1/auth/register"' > "$work/codes"
end=$(date +%s.%N)
after=$(rss)
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; sampler=""
echo "answers to $n registrations at once: $(sort "$work/codes" | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
awk -v s="$start" -v e="$end" 'BEGIN { printf "burst took %.2f s\n", e - s }'
echo "resident memory at the peak: $(cat "$work/peak") MiB"
echo "resident memory right after: $after MiB (grew $((after - before)) MiB)"
sleep "$settle"
last=$(rss)
echo "resident memory ${settle} s later: $last MiB (grew $((last - before)) MiB)"
