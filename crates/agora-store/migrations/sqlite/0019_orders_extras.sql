-- Orders extras: a shop's named shipping methods, the buyer's address book, the method an order
-- shipped by, and coupon uses given back when their orders are cancelled.

-- A way a shop ships ("Standard", "Express"): its rule is agora_core::shipping::ShippingMethod as
-- JSON (flat or by weight band, free from an amount, destination countries). Checkout offers a
-- shop's methods in position order; a shop without any ships by its shipping_rates as before.
CREATE TABLE shipping_methods (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    method TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX shipping_methods_shop ON shipping_methods (shop_id, position);

-- The name of the shipping method the buyer chose, as it was at checkout (NULL: the shop's rate).
ALTER TABLE orders ADD COLUMN shipping_method TEXT;

-- A buyer's saved addresses (agora_core::address::Address as JSON); at most one is the default.
CREATE TABLE addresses (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    address TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX addresses_account ON addresses (account_id, created_at);

-- Set when the orders of the checkout were cancelled or declined and the use went back to the
-- coupon (its used_count counts the redemptions without it).
ALTER TABLE coupon_redemptions ADD COLUMN returned_at INTEGER;
