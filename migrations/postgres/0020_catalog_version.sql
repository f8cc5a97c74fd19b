-- A number that moves with every change to what listings show (issue #16): the in-memory listing
-- index (`catalog::index`) reads it every few seconds and rebuilds only when it moved, so changes
-- made by other instances or the CLI show without rebuilding while none happen. A row, not a
-- sequence: its new value is seen only with the commit that made the change, so an index read
-- between the two cannot take old rows for the new number. Once per statement, not per row.
-- `view_count` and `grams` are left out: listings show neither.
CREATE TABLE catalog_version (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
INSERT INTO catalog_version (id, n) VALUES (1, 0);
CREATE FUNCTION catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER catalog_version_items AFTER INSERT OR DELETE OR UPDATE OF owner_id, section, category_id, title,
    description, price, price_unit, deposit, region_code, hidden, rented, listed, thumb_key, bookmark_count,
    chat_count, created_at, deleted_at, moderation, min_days, max_days
    ON items FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER catalog_version_categories AFTER UPDATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
