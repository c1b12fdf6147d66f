-- Conversations between a buyer and a shop, their messages, who read how far, the shop's reply
-- times, and how far each account's email digest of unread messages got.
-- Who takes part is decided from current roles (agora_core::conversation), never stored as a list.

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id),
    -- The account that opened it; for a company's conversation (buyer_company_id set) the
    -- company's current admins and purchasers take part instead.
    buyer_account_id TEXT NOT NULL REFERENCES accounts(id),
    buyer_company_id TEXT REFERENCES companies(id),
    subject TEXT NOT NULL,
    product_id TEXT REFERENCES products(id),
    order_id TEXT REFERENCES orders(id),
    -- An RFQ's id (the RFQ tables come with negotiation).
    rfq_id TEXT,
    -- The seq of the newest message (0 before the first).
    last_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    last_message_at INTEGER NOT NULL,
    -- Set by the first buyer message the seller has not answered yet; cleared by the answer.
    awaiting_reply_since INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX conversations_buyer ON conversations (buyer_account_id, last_message_at);
CREATE INDEX conversations_buyer_company ON conversations (buyer_company_id, last_message_at);
CREATE INDEX conversations_shop ON conversations (shop_id, last_message_at);

CREATE TABLE conversation_messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq INTEGER NOT NULL CHECK (seq >= 1),
    sender_account_id TEXT NOT NULL REFERENCES accounts(id),
    side TEXT NOT NULL CHECK (side IN ('buyer', 'seller')),
    body TEXT NOT NULL,
    attachment_key TEXT,
    attachment_name TEXT,
    attachment_type TEXT,
    attachment_size INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE INDEX conversation_messages_created ON conversation_messages (created_at);

-- How far each participant has read (by seq), and as which side.
CREATE TABLE conversation_reads (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    side TEXT NOT NULL CHECK (side IN ('buyer', 'seller')),
    last_read_seq INTEGER NOT NULL CHECK (last_read_seq >= 0),
    read_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, account_id)
);
CREATE INDEX conversation_reads_account ON conversation_reads (account_id);

-- One row per buyer question the shop answered: how long the first reply took.
CREATE TABLE shop_reply_times (
    shop_id TEXT NOT NULL REFERENCES shops(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    asked_at INTEGER NOT NULL,
    replied_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, asked_at)
);
CREATE INDEX shop_reply_times_shop ON shop_reply_times (shop_id, replied_at);

-- Messages created up to `up_to` (Unix ms) have been in an email digest to the account, or
-- were read before its digest ran.
CREATE TABLE chat_digests (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id),
    up_to INTEGER NOT NULL
);
