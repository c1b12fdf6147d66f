-- Buyers' ratings of shops (one per completed order, 1 to 5 stars), and the lookup of the
-- conversation about a quote (by RFQ and shop).

CREATE TABLE shop_ratings (
    order_id TEXT PRIMARY KEY REFERENCES orders(id),
    shop_id TEXT NOT NULL REFERENCES shops(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX shop_ratings_shop ON shop_ratings (shop_id, created_at);

CREATE INDEX conversations_rfq ON conversations (rfq_id, shop_id);
