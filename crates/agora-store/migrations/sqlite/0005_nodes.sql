-- Several nodes, one platform: uploads kept in the database (for nodes without a shared file
-- system), and each node's progress through the outbox (so rows every node has seen are pruned).

CREATE TABLE blobs (
    key TEXT PRIMARY KEY,
    bytes BLOB NOT NULL,
    size_bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    applied_outbox_id INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);
