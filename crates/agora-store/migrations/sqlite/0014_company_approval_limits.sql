-- A company's approval limit: a purchaser's checkout whose total exceeds it waits for a company
-- admin's approval. No row: no limit. The amount is in integer minor units of the currency.
CREATE TABLE company_approval_limits (
    company_id TEXT PRIMARY KEY REFERENCES companies(id),
    amount INTEGER NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
