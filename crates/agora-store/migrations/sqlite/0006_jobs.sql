-- Work that happens later or elsewhere: one row per job, claimed by one node at a time under a
-- lease, retried with growing pauses, and kept as dead (for an operator to see) when it gives up.

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- At most one waiting or running job per key (a recurring job, a per-order timer).
    dedupe_key TEXT,
    -- queued, running, done or dead.
    status TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    -- The node that claimed it last, and (while it runs) until when its claim holds.
    locked_by TEXT,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE status IN ('queued', 'running');
