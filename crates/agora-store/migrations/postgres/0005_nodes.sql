-- Several nodes, one platform: uploads kept in the database (for nodes without a shared file
-- system), and each node's progress through the outbox (so rows every node has seen are pruned).

CREATE TABLE blobs (
    key TEXT PRIMARY KEY,
    bytes BYTEA NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    applied_outbox_id BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);

-- Every node LISTENs on agora_outbox; the notification is sent when the inserting transaction
-- commits, and names the schema so nodes of other Agora databases sharing the server ignore it.
CREATE FUNCTION agora_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('agora_outbox', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION agora_outbox_notify();
