-- Bank statements imported line by line, and the card gateway's token on card payments.

-- One line of an imported bank statement: a transfer received. `line_key` (the bank's
-- transaction id, or a hash of the line) is unique, so a line is recorded once however often its
-- statement is imported; it is inserted in the same transaction as the line's postings.
CREATE TABLE bank_statement_lines (
    id TEXT PRIMARY KEY,
    line_key TEXT NOT NULL UNIQUE,
    booked_on TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    reference TEXT NOT NULL,
    counterparty TEXT,
    bank_transaction_id TEXT,
    -- The payment its reference matched; NULL when it matched none.
    payment_id TEXT REFERENCES payments(id),
    -- settled: it paid the payment; held_in_suspense: in the payment's suspense;
    -- unmatched: in the line's own suspense account, for an operator to review.
    outcome TEXT NOT NULL CHECK (outcome IN ('settled', 'held_in_suspense', 'unmatched')),
    -- The operator who imported it; NULL for the command line.
    imported_by TEXT REFERENCES accounts(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX bank_statement_lines_outcome ON bank_statement_lines (outcome, created_at);

-- The card gateway's token for the card a payment was made with (never the card number).
ALTER TABLE payments ADD COLUMN card_token TEXT;
