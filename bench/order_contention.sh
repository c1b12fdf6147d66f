#!/usr/bin/env bash
# 200 buyers at once each check out 1 unit of a variant with 10 in stock, on SQLite and on
# PostgreSQL, N times (default 5): each run prints PASS only with exactly 10 orders, stock 0 and
# nothing but clean 409 "out of stock" refusals. Exits non-zero when a run fails.
# Extra argument: [runs].
source "$(dirname "$0")/order_common.sh"
run_order_bench contention "${1:-5}"
