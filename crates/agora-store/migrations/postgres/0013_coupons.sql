-- Coupons a shop (shop_id set) or the operator (shop_id NULL) creates, and each checkout that
-- used one. A code is stored upper-cased, so the unique indexes make codes case-insensitive:
-- unique among one shop's coupons, and among the operator's. A deactivated coupon keeps its code.

CREATE TABLE coupons (
    id TEXT PRIMARY KEY,
    shop_id TEXT REFERENCES shops(id),
    code TEXT NOT NULL CHECK (code = UPPER(code)),
    -- 'percentage' (percentage_bp, basis points of the goods) or 'fixed' (amount in currency).
    kind TEXT NOT NULL CHECK (kind IN ('percentage', 'fixed')),
    percentage_bp BIGINT CHECK (percentage_bp > 0 AND percentage_bp <= 10000),
    amount BIGINT CHECK (amount > 0),
    -- The currency of amount and min_spend.
    currency TEXT,
    min_spend BIGINT CHECK (min_spend >= 0),
    -- Usable from valid_from (inclusive) until valid_until (exclusive), Unix ms.
    valid_from BIGINT,
    valid_until BIGINT,
    total_limit BIGINT CHECK (total_limit >= 1),
    per_buyer_limit BIGINT CHECK (per_buyer_limit >= 1),
    used_count BIGINT NOT NULL DEFAULT 0 CHECK (used_count >= 0 AND (total_limit IS NULL OR used_count <= total_limit)),
    active INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX coupons_shop_code ON coupons (shop_id, code) WHERE shop_id IS NOT NULL;
CREATE UNIQUE INDEX coupons_operator_code ON coupons (code) WHERE shop_id IS NULL;
CREATE INDEX coupons_code ON coupons (code);

-- One row per checkout (order group) that used a coupon: the per-buyer count, and the discount given.
CREATE TABLE coupon_redemptions (
    coupon_id TEXT NOT NULL REFERENCES coupons(id),
    buyer_account_id TEXT NOT NULL REFERENCES accounts(id),
    group_id TEXT NOT NULL REFERENCES order_groups(id),
    amount BIGINT NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (coupon_id, group_id)
);
CREATE INDEX coupon_redemptions_buyer ON coupon_redemptions (coupon_id, buyer_account_id);
