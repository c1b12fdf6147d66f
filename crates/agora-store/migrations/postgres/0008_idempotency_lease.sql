-- A claimed Idempotency-Key is held until its lease runs out; a running request renews it. A key
-- whose request died (its lease ran out, no response kept) can be claimed again by a retry.
-- Keys claimed before this migration have lease 0: whatever ran them is gone.
ALTER TABLE idempotency_keys ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
