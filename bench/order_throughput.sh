#!/usr/bin/env bash
# Checkouts per second with 32 concurrent buyers on distinct products (3 lines each, through the
# application's checkout use case in-process: reservation, tax, shipping, order rows, audit,
# idempotency), against a bare "place order" transaction (an order, 3 lines with conditional stock
# decrements, one ledger row) on the same engine in the same run, phases alternating; prints both
# rates and the ratio (goals: 0.30x on SQLite, 0.50x on PostgreSQL). Extra argument: [rounds].
source "$(dirname "$0")/order_common.sh"
run_order_bench throughput "${1:-3}"
