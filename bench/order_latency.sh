#!/usr/bin/env bash
# p99 checkout latency with 64 concurrent buyers on distinct products (3 lines per checkout), on
# SQLite and on PostgreSQL (goal: under 50 ms).
source "$(dirname "$0")/order_common.sh"
run_order_bench latency
