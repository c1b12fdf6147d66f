-- The seller catalog: volume price tiers, per-company prices, stock movements, shipping rates,
-- product images.

ALTER TABLE variants ADD COLUMN weight_grams BIGINT;
ALTER TABLE variants ADD COLUMN low_stock_threshold BIGINT NOT NULL DEFAULT 5;
CREATE INDEX variants_gtin ON variants (gtin);

CREATE TABLE price_tiers (
    variant_id TEXT NOT NULL REFERENCES variants(id),
    min_qty BIGINT NOT NULL CHECK (min_qty >= 2),
    unit_price_amount BIGINT NOT NULL CHECK (unit_price_amount >= 0),
    PRIMARY KEY (variant_id, min_qty)
);

CREATE TABLE company_prices (
    variant_id TEXT NOT NULL REFERENCES variants(id),
    company_id TEXT NOT NULL REFERENCES companies(id),
    unit_price_amount BIGINT NOT NULL CHECK (unit_price_amount >= 0),
    PRIMARY KEY (variant_id, company_id)
);

-- Append-only: every change of a variant's stock, with who and why.
CREATE TABLE stock_movements (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    variant_id TEXT NOT NULL REFERENCES variants(id),
    kind TEXT NOT NULL,
    delta BIGINT NOT NULL,
    stock_after BIGINT NOT NULL,
    actor TEXT,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX stock_movements_variant ON stock_movements (variant_id, id);

-- What a shop charges to ship an order to a country ('*' for everywhere else).
CREATE TABLE shipping_rates (
    shop_id TEXT NOT NULL REFERENCES shops(id),
    country TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    PRIMARY KEY (shop_id, country)
);

CREATE TABLE product_images (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    blob_key TEXT NOT NULL,
    thumb_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX product_images_product ON product_images (product_id, position);
