#!/usr/bin/env bash
# Flash sale: 32 buyers on 20 hot variants against 32 buyers on distinct variants, in the same run
# (3 lines per checkout): throughput ratio (goal >= 0.5x) and p99 ratio (goal <= 5x), on SQLite
# and on PostgreSQL. Extra argument: [rounds].
source "$(dirname "$0")/order_common.sh"
run_order_bench flash "${1:-3}"
