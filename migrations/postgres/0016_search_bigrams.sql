-- Words of any length on an index (issue #16): `grams` holds the item's bigram tokens (see
-- `db::grams_column`), set by the application on every insert and edit of the title or
-- description; NULL until the startup backfill computes it for rows older than this migration.
-- A search narrows the rows by every pair of its words through this GIN index, then ILIKE
-- re-checks the few candidates (pg_trgm cannot use its index for two-character words).
ALTER TABLE items ADD COLUMN grams TEXT;
CREATE INDEX items_grams ON items USING gin (to_tsvector('simple', COALESCE(grams, '')));
