-- Company invitations become something the invited person answers: each has an id and a status
-- (pending, accepted, declined, withdrawn), and nobody joins a company until they accept.
-- Portable types only: TEXT ids, BIGINT times (Unix ms).

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    invited_by TEXT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
-- One open invitation per company and email; inviting again updates it.
CREATE UNIQUE INDEX invitations_one_pending ON invitations (company_id, email) WHERE status = 'pending';
CREATE INDEX invitations_email ON invitations (email, status);

-- Earlier invitations are kept, pending: their emails now answer them instead of joining on registration.
INSERT INTO invitations (id, company_id, email, role, status, invited_by, created_at)
SELECT 'inv_' || md5(company_id || ' ' || email), company_id, email, role, 'pending', invited_by, created_at
FROM company_invitations;

DROP TABLE company_invitations;
