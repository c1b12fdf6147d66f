-- Negotiation deals: offers and counter-offers on a listing, requests for quotation with their
-- quotes, and the signed contracts (with the orders) an accepted offer or quote produces.

-- Whether a product takes offers, and the floor under which a buyer's offer is declined (never
-- shown to buyers). Amount in integer minor units of the product's currency.
CREATE TABLE product_offer_settings (
    product_id TEXT PRIMARY KEY REFERENCES products(id),
    enabled BIGINT NOT NULL,
    floor_amount BIGINT CHECK (floor_amount > 0),
    floor_currency TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE negotiations (
    id TEXT PRIMARY KEY,
    buyer_account_id TEXT NOT NULL REFERENCES accounts(id),
    company_id TEXT REFERENCES companies(id),
    shop_id TEXT NOT NULL REFERENCES shops(id),
    product_id TEXT NOT NULL REFERENCES products(id),
    variant_id TEXT NOT NULL REFERENCES variants(id),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    turn TEXT NOT NULL,
    -- How many rounds it has: every move checks it did not change meanwhile.
    rounds BIGINT NOT NULL,
    payment_method TEXT NOT NULL,
    shipping_address TEXT,
    expires_at BIGINT NOT NULL,
    contract_id TEXT,
    order_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX negotiations_buyer ON negotiations (buyer_account_id, created_at);
CREATE INDEX negotiations_shop ON negotiations (shop_id, created_at);

-- Every offer and counter-offer, kept.
CREATE TABLE negotiation_rounds (
    negotiation_id TEXT NOT NULL REFERENCES negotiations(id),
    position BIGINT NOT NULL,
    by_side TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    -- The token or session the offer came with: the proposer's acceptance of these terms.
    session_id TEXT NOT NULL,
    unit_price BIGINT NOT NULL CHECK (unit_price > 0),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    delivery_terms TEXT,
    message TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (negotiation_id, position)
);

CREATE TABLE rfqs (
    id TEXT PRIMARY KEY,
    buyer_account_id TEXT NOT NULL REFERENCES accounts(id),
    company_id TEXT REFERENCES companies(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL REFERENCES categories(slug),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    target_amount BIGINT,
    target_currency TEXT,
    -- Whether sellers see the target price.
    target_shown BIGINT NOT NULL,
    delivery_country TEXT,
    payment_method TEXT NOT NULL,
    shipping_address TEXT,
    deadline BIGINT NOT NULL,
    visibility TEXT NOT NULL,
    status TEXT NOT NULL,
    accepted_quote_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rfqs_buyer ON rfqs (buyer_account_id, created_at);
CREATE INDEX rfqs_category ON rfqs (category, deadline);

CREATE TABLE rfq_invitations (
    rfq_id TEXT NOT NULL REFERENCES rfqs(id),
    shop_id TEXT NOT NULL REFERENCES shops(id),
    PRIMARY KEY (rfq_id, shop_id)
);
CREATE INDEX rfq_invitations_shop ON rfq_invitations (shop_id);

-- One quote per shop and RFQ, revised in place (revision counts the versions).
CREATE TABLE quotes (
    id TEXT PRIMARY KEY,
    rfq_id TEXT NOT NULL REFERENCES rfqs(id),
    shop_id TEXT NOT NULL REFERENCES shops(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    session_id TEXT NOT NULL,
    variant_id TEXT REFERENCES variants(id),
    unit_price BIGINT NOT NULL CHECK (unit_price > 0),
    currency TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    shipping BIGINT NOT NULL CHECK (shipping >= 0),
    lead_time_days BIGINT NOT NULL CHECK (lead_time_days >= 0),
    valid_until BIGINT NOT NULL,
    note TEXT,
    status TEXT NOT NULL,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (rfq_id, shop_id)
);

-- The platform's signing key, shared by every node of the platform.
CREATE TABLE platform_keys (
    id TEXT PRIMARY KEY,
    secret_key TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A signed contract: the canonical document, its SHA-256 and the platform's signature. One per
-- accepted negotiation or quote.
CREATE TABLE contracts (
    id TEXT PRIMARY KEY,
    source_kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    buyer_account_id TEXT NOT NULL REFERENCES accounts(id),
    shop_id TEXT NOT NULL REFERENCES shops(id),
    document TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    platform_signature TEXT NOT NULL,
    platform_key_id TEXT NOT NULL REFERENCES platform_keys(id),
    created_at BIGINT NOT NULL,
    UNIQUE (source_kind, source_id)
);

-- Each party's acceptance of a contract: who, when, with which session or token.
CREATE TABLE contract_acceptances (
    contract_id TEXT NOT NULL REFERENCES contracts(id),
    party TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    session_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (contract_id, party)
);

-- The order a contract produced (an order has at most one contract, a contract one order).
CREATE TABLE order_contracts (
    order_id TEXT PRIMARY KEY REFERENCES orders(id),
    contract_id TEXT NOT NULL UNIQUE REFERENCES contracts(id)
);
