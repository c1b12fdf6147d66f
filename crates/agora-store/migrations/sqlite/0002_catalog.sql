-- The seller catalog: volume price tiers, per-company prices, stock movements, shipping rates,
-- product images.

ALTER TABLE variants ADD COLUMN weight_grams INTEGER;
ALTER TABLE variants ADD COLUMN low_stock_threshold INTEGER NOT NULL DEFAULT 5;
CREATE INDEX variants_gtin ON variants (gtin);

CREATE TABLE price_tiers (
    variant_id TEXT NOT NULL REFERENCES variants(id),
    min_qty INTEGER NOT NULL CHECK (min_qty >= 2),
    unit_price_amount INTEGER NOT NULL CHECK (unit_price_amount >= 0),
    PRIMARY KEY (variant_id, min_qty)
);

CREATE TABLE company_prices (
    variant_id TEXT NOT NULL REFERENCES variants(id),
    company_id TEXT NOT NULL REFERENCES companies(id),
    unit_price_amount INTEGER NOT NULL CHECK (unit_price_amount >= 0),
    PRIMARY KEY (variant_id, company_id)
);

-- Append-only: every change of a variant's stock, with who and why.
CREATE TABLE stock_movements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    variant_id TEXT NOT NULL REFERENCES variants(id),
    kind TEXT NOT NULL,
    delta INTEGER NOT NULL,
    stock_after INTEGER NOT NULL,
    actor TEXT,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX stock_movements_variant ON stock_movements (variant_id, id);

-- What a shop charges to ship an order to a country ('*' for everywhere else).
CREATE TABLE shipping_rates (
    shop_id TEXT NOT NULL REFERENCES shops(id),
    country TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    PRIMARY KEY (shop_id, country)
);

CREATE TABLE product_images (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    blob_key TEXT NOT NULL,
    thumb_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX product_images_product ON product_images (product_id, position);
