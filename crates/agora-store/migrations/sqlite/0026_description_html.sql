-- A product's description as safe HTML, rendered from its Markdown when it is saved, so that no
-- page view renders Markdown. NULL for rows saved before this column: each process that opens the
-- database fills them in (agora_app::descriptions::backfill), and a page renders one itself until then.
ALTER TABLE products ADD COLUMN description_html TEXT;
-- Only the rows still to fill in: the check each process makes when it opens the database costs
-- nothing once they are all filled.
CREATE INDEX products_description_unrendered ON products (id) WHERE description_html IS NULL;
