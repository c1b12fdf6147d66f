-- Orders: one checkout makes one order per shop (an order group), each with a snapshot of its
-- lines, amounts and address as they were at checkout, and a timeline of events.

-- The operator's tax rates, by destination country and tax category (basis points: 1900 = 19 %).
CREATE TABLE tax_rates (
    country TEXT NOT NULL,
    category TEXT NOT NULL,
    rate_bp BIGINT NOT NULL CHECK (rate_bp >= 0 AND rate_bp <= 10000),
    PRIMARY KEY (country, category)
);

-- Whether a shop's prices and shipping rates contain tax (tax_inclusive) or get it added (tax_exclusive).
ALTER TABLE shops ADD COLUMN price_mode TEXT NOT NULL DEFAULT 'tax_inclusive';

CREATE TABLE order_groups (
    id TEXT PRIMARY KEY,
    buyer_account_id TEXT NOT NULL REFERENCES accounts(id),
    payment_method TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES order_groups(id),
    buyer_account_id TEXT NOT NULL REFERENCES accounts(id),
    company_id TEXT REFERENCES companies(id),
    shop_id TEXT NOT NULL REFERENCES shops(id),
    status TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    currency TEXT NOT NULL,
    price_mode TEXT NOT NULL,
    subtotal BIGINT NOT NULL,
    discount BIGINT NOT NULL,
    shipping BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    total BIGINT NOT NULL CHECK (total >= 0),
    shipping_address TEXT NOT NULL,
    purchase_order TEXT,
    carrier TEXT,
    tracking_number TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orders_buyer ON orders (buyer_account_id, created_at);
CREATE INDEX orders_shop ON orders (shop_id, created_at);
CREATE INDEX orders_group ON orders (group_id);

CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders(id),
    position BIGINT NOT NULL,
    variant_id TEXT NOT NULL REFERENCES variants(id),
    product_id TEXT NOT NULL,
    title TEXT NOT NULL,
    sku TEXT NOT NULL,
    variant_label TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price BIGINT NOT NULL,
    discount BIGINT NOT NULL,
    net BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    gross BIGINT NOT NULL,
    tax_rate_bp BIGINT NOT NULL,
    PRIMARY KEY (order_id, position)
);

CREATE TABLE order_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    actor TEXT,
    party TEXT NOT NULL,
    note TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);
