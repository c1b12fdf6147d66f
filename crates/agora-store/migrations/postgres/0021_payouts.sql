-- Money going back out: commission rates, shops' payout accounts and payouts, and refunds.

-- The operator's commission rates: per category (slug) or per shop (id). A shop's rate overrides
-- its products' categories', a category's overrides the platform's default.
CREATE TABLE commission_rates (
    scope TEXT NOT NULL CHECK (scope IN ('category', 'shop')),
    target_id TEXT NOT NULL,
    rate_bp BIGINT NOT NULL CHECK (rate_bp >= 0 AND rate_bp <= 10000),
    updated_by TEXT REFERENCES accounts(id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, target_id)
);

-- The bank account a shop's payouts go to (one per shop; its owner replaces it).
CREATE TABLE payout_accounts (
    shop_id TEXT PRIMARY KEY REFERENCES shops(id),
    holder TEXT NOT NULL,
    iban TEXT NOT NULL,
    bic TEXT,
    updated_by TEXT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A payout: requested by the shop (the money left its available balance), then sent or failed.
CREATE TABLE payouts (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id),
    status TEXT NOT NULL CHECK (status IN ('requested', 'sent', 'failed')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    -- Commission owed on cash-on-delivery orders that this payout settled from the balance.
    owed_settled BIGINT NOT NULL DEFAULT 0 CHECK (owed_settled >= 0),
    -- Where it goes, as it was when requested.
    holder TEXT NOT NULL,
    iban TEXT NOT NULL,
    bic TEXT,
    requested_by TEXT NOT NULL REFERENCES accounts(id),
    decided_by TEXT REFERENCES accounts(id),
    failure_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payouts_shop ON payouts (shop_id, created_at);
CREATE INDEX payouts_status ON payouts (status, created_at);

-- A refund of (part of) an order's money to its buyer.
CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    shop_id TEXT NOT NULL REFERENCES shops(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    -- The platform's commission given back with it (from platform fees).
    fee_returned BIGINT NOT NULL DEFAULT 0 CHECK (fee_returned >= 0),
    -- 'escrow' (before release) or 'shop' (from the shop's available balance).
    source TEXT NOT NULL,
    -- 'wallet' or 'gateway'.
    route TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- 1: the order's goods came back and went on sale again.
    restocked BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_shop ON refunds (shop_id, created_at);
