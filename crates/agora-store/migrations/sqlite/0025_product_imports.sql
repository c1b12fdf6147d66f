-- Catalog imports started from the seller centre or the API: the uploaded file (a blob), the
-- column map the seller chose, and the progress and report of the job that runs the import, so
-- that any node may run it and any node can show how far it got.

CREATE TABLE product_imports (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    file_name TEXT NOT NULL,
    blob_key TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('uploaded', 'queued', 'running', 'done', 'failed')),
    -- JSON: [[canonical column, the file's header], ...]
    column_map TEXT,
    rows_total INTEGER NOT NULL DEFAULT 0,
    rows_done INTEGER NOT NULL DEFAULT 0,
    -- JSON: the counts, the ignored columns and the row errors (by line), once done.
    report TEXT,
    -- Why the import could not run at all.
    message TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX product_imports_shop ON product_imports (shop_id, created_at);
