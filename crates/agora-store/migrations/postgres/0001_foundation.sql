-- Accounts, companies, sessions, shops and their review, the category tree, a first product
-- table, the audit chain, the outbox and idempotency keys.
-- Portable types only: TEXT ids and JSON, BIGINT money (minor units), times (Unix ms) and flags.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_operator BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE company_members (
    company_id TEXT NOT NULL REFERENCES companies(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, account_id)
);
-- An account belongs to at most one company.
CREATE UNIQUE INDEX company_members_one_company ON company_members (account_id);

CREATE TABLE company_invitations (
    company_id TEXT NOT NULL REFERENCES companies(id),
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    invited_by TEXT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, email)
);
CREATE INDEX company_invitations_email ON company_invitations (email);

CREATE TABLE auth_tokens (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX auth_tokens_account ON auth_tokens (account_id);

CREATE TABLE login_failures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_client ON login_failures (client, at);

CREATE TABLE categories (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent TEXT REFERENCES categories(slug),
    restricted BIGINT NOT NULL DEFAULT 0,
    licence_kind TEXT,
    attributes TEXT NOT NULL DEFAULT '[]',
    position BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE shops (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    legal_name TEXT NOT NULL,
    registration_number TEXT,
    owner_account_id TEXT NOT NULL REFERENCES accounts(id),
    company_id TEXT REFERENCES companies(id),
    status TEXT NOT NULL,
    decision_note TEXT,
    decided_by TEXT REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX shops_status ON shops (status, created_at);
CREATE INDEX shops_owner ON shops (owner_account_id);
CREATE INDEX shops_company ON shops (company_id);

CREATE TABLE shop_categories (
    shop_id TEXT NOT NULL REFERENCES shops(id),
    category_slug TEXT NOT NULL REFERENCES categories(slug),
    PRIMARY KEY (shop_id, category_slug)
);

CREATE TABLE qualifications (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_on TEXT,
    blob_key TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES accounts(id),
    decision_note TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX qualifications_shop ON qualifications (shop_id);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL REFERENCES categories(slug),
    status TEXT NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}',
    min_order_qty BIGINT NOT NULL DEFAULT 1,
    featured BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX products_shop ON products (shop_id);
CREATE INDEX products_category ON products (category, status);

CREATE TABLE variants (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    shop_id TEXT NOT NULL REFERENCES shops(id),
    sku TEXT NOT NULL,
    gtin TEXT,
    price_amount BIGINT NOT NULL CHECK (price_amount >= 0),
    currency TEXT NOT NULL,
    stock BIGINT NOT NULL CHECK (stock >= 0),
    attributes TEXT NOT NULL DEFAULT '{}',
    position BIGINT NOT NULL DEFAULT 0,
    UNIQUE (shop_id, sku)
);
CREATE INDEX variants_product ON variants (product_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- The chain's head: one row, updated in the same transaction as each append, so that appends are
-- serialised and a cut-off tail is detectable.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    status BIGINT,
    content_type TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
