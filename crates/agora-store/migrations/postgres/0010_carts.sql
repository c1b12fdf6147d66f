-- Carts: one per buyer account, and guest carts kept by a cookie (only its hash is stored) until
-- the guest logs in and the cart merges into the account's.

CREATE TABLE carts (
    id TEXT PRIMARY KEY,
    account_id TEXT UNIQUE REFERENCES accounts(id),
    guest_token_hash TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((account_id IS NULL) <> (guest_token_hash IS NULL))
);

-- One line per variant; the unit price the buyer saw when adding it is kept so that the cart can
-- say when the price changed since.
CREATE TABLE cart_lines (
    id TEXT PRIMARY KEY,
    cart_id TEXT NOT NULL REFERENCES carts(id),
    variant_id TEXT NOT NULL REFERENCES variants(id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    seen_unit_price BIGINT NOT NULL,
    currency TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    UNIQUE (cart_id, variant_id)
);
CREATE INDEX cart_lines_cart ON cart_lines (cart_id, added_at);
