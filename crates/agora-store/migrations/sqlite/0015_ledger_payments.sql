-- The double-entry ledger and payments. Every movement of value is one ledger transaction whose
-- postings sum to zero per currency; postings are append-only (corrections are reversing
-- transactions). An account's stored balance is the sum of its postings, kept up to date in the
-- transaction that posts, by conditional updates that never take a user-owned balance below zero.

-- One account per kind, owner and currency; its id is 'kind:owner:currency'.
CREATE TABLE ledger_accounts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    -- 1: the account holds value for somebody and never goes below zero.
    user_owned INTEGER NOT NULL,
    balance INTEGER NOT NULL DEFAULT 0 CHECK (user_owned = 0 OR balance >= 0),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (kind, owner_id, currency)
);
CREATE INDEX ledger_accounts_owner ON ledger_accounts (owner_id);

CREATE TABLE ledger_transactions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    -- What caused it: a payment, order, refund or payout id.
    reference TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ledger_transactions_reference ON ledger_transactions (reference);

CREATE TABLE ledger_postings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions(id),
    account_id TEXT NOT NULL REFERENCES ledger_accounts(id),
    -- Positive: into the account; negative: out of it. Minor units of the account's currency.
    amount INTEGER NOT NULL CHECK (amount <> 0),
    created_at INTEGER NOT NULL
);
CREATE INDEX ledger_postings_account ON ledger_postings (account_id, id);
CREATE INDEX ledger_postings_transaction ON ledger_postings (transaction_id);

CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger postings are append-only'); END;
CREATE TRIGGER ledger_postings_no_delete BEFORE DELETE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger postings are append-only'); END;

-- A payment: the money for one checkout's orders (purpose 'order_group') or a wallet top-up
-- ('top_up'), by card, from the wallet or by bank transfer.
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('order_group', 'top_up')),
    method TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    payer_account_id TEXT NOT NULL REFERENCES accounts(id),
    group_id TEXT REFERENCES order_groups(id),
    -- The reference a bank transfer must carry, for matching it to this payment.
    bank_reference TEXT UNIQUE,
    -- The card gateway, its reference for the payment, and what it tells of the card (never the number).
    provider TEXT,
    provider_reference TEXT,
    card_brand TEXT,
    last4 TEXT,
    -- Sent with every call to the provider about this payment, so that a retried call acts once.
    provider_idempotency_key TEXT,
    failure_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX payments_payer ON payments (payer_account_id, created_at);
CREATE INDEX payments_group ON payments (group_id);
CREATE INDEX payments_status ON payments (status, method);
