-- Storefront UX: a seller takes a variant off sale without deleting it (orders and carts keep
-- pointing at it); NULL while it is on sale.
ALTER TABLE variants ADD COLUMN archived_at INTEGER;
