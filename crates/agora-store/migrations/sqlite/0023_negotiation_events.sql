-- Negotiation moves as messages in the conversation between the buyer and the shop: a message is
-- `text` (someone wrote it) or an `event` (a move of a negotiation) with a small JSON payload, and
-- each negotiation remembers the conversation its events go to.

ALTER TABLE conversation_messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'event'));
-- The event's payload as JSON text (only for `event` messages).
ALTER TABLE conversation_messages ADD COLUMN event TEXT;
ALTER TABLE negotiations ADD COLUMN conversation_id TEXT REFERENCES conversations(id);
-- Finding the conversation about a product between a buyer and a shop.
CREATE INDEX conversations_product ON conversations (product_id, shop_id);
