-- The audit log becomes several hash chains, chosen by the subject, each with its own head row,
-- so that writers about different subjects no longer queue behind one head row; a chain of
-- periodic anchors (chain -1) records every chain's head. The entries of the single chain so far
-- become the first positions of chain 0 and keep their old hashes; how many there are is recorded
-- so that verification knows which hash rule applies.

ALTER TABLE audit_log ADD COLUMN chain BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT NOT NULL DEFAULT 0;
UPDATE audit_log SET chain_seq = seq;
CREATE UNIQUE INDEX audit_log_chain_position ON audit_log (chain, chain_seq);
CREATE INDEX audit_log_subject ON audit_log (subject, seq);

-- Fixed facts about the log: the number of entity chains and of entries from the single chain.
CREATE TABLE audit_config (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    chains BIGINT NOT NULL,
    legacy_entries BIGINT NOT NULL
);
INSERT INTO audit_config (id, chains, legacy_entries) SELECT 1, 16, seq FROM audit_head;

-- One head per chain: the position and hash of its newest entry.
CREATE TABLE audit_chains (
    chain BIGINT PRIMARY KEY,
    chain_seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chains (chain, chain_seq, hash) SELECT 0, seq, hash FROM audit_head;
INSERT INTO audit_chains (chain, chain_seq, hash) VALUES
    (-1, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (1, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (2, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (3, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (4, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (5, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (6, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (7, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (8, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (9, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (10, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (11, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (12, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (13, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (14, 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    (15, 0, '0000000000000000000000000000000000000000000000000000000000000000');

DROP TABLE audit_head;

-- Log-wide sequence numbers come from a sequence: it hands out numbers without a lock held to
-- commit (a rolled-back transaction leaves a gap, which the chains make harmless).
CREATE SEQUENCE audit_log_seq;
SELECT setval('audit_log_seq', COALESCE(MAX(seq), 0) + 1, false) FROM audit_log;
