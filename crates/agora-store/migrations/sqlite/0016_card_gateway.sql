-- The card gateway: the secret its callbacks are signed with, the callbacks processed (a replay is
-- refused), the card refunds sent through it, and the built-in sandbox gateway's own books.

-- Secrets every node must share, generated once by whichever node starts first.
CREATE TABLE platform_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Gateway callbacks processed, by the gateway's event id.
CREATE TABLE gateway_events (
    event_id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    payment_id TEXT NOT NULL REFERENCES payments(id),
    kind TEXT NOT NULL,
    processed_at INTEGER NOT NULL
);
CREATE INDEX gateway_events_payment ON gateway_events (payment_id);

-- Card refunds the gateway confirmed: one per refund id, with the provider's reference.
CREATE TABLE gateway_refunds (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments(id),
    order_id TEXT NOT NULL REFERENCES orders(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    provider TEXT NOT NULL,
    -- Sent with every attempt, so that the provider refunds once however often we ask.
    idempotency_key TEXT NOT NULL UNIQUE,
    provider_reference TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX gateway_refunds_payment ON gateway_refunds (payment_id);

-- The sandbox gateway plays an outside provider inside the binary; these are its books, not
-- Agora's (no foreign keys into Agora's tables). A session is one hosted payment page.
CREATE TABLE sandbox_sessions (
    id TEXT PRIMARY KEY,
    -- The merchant's idempotency key: asking again with it returns the same session.
    idempotency_key TEXT NOT NULL UNIQUE,
    merchant_reference TEXT NOT NULL,
    merchant TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    return_url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'approved', 'declined')),
    card_token TEXT,
    card_brand TEXT,
    last4 TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Refunds the sandbox made, by the merchant's idempotency key: a retried call refunds once.
CREATE TABLE sandbox_refunds (
    idempotency_key TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL REFERENCES sandbox_sessions(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX sandbox_refunds_session ON sandbox_refunds (session_id);
