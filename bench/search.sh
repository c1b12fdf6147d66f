#!/usr/bin/env bash
# Benchmark of agora-search: rebuild throughput, single-client latency, 16-client throughput and
# memory on 100,000 generated products. Extra arguments: [products] [client threads].
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -p agora-search --example search_bench -- "$@"
