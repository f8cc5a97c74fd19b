-- A number that moves with every change to what listings show (issue #16): the in-memory listing
-- index (`catalog::index`) reads it every few seconds and rebuilds only when it moved, so changes
-- made outside the process (another instance, the CLI) show without rebuilding while none happen.
-- `view_count` and `grams` are left out: listings show neither.
CREATE TABLE catalog_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO catalog_version (id, n) VALUES (1, 0);
CREATE TRIGGER catalog_version_items_ai AFTER INSERT ON items BEGIN
    UPDATE catalog_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_version_items_ad AFTER DELETE ON items BEGIN
    UPDATE catalog_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_version_items_au AFTER UPDATE OF owner_id, section, category_id, title, description,
    price, price_unit, deposit, region_code, hidden, rented, listed, thumb_key, bookmark_count, chat_count,
    created_at, deleted_at, moderation, min_days, max_days ON items BEGIN
    UPDATE catalog_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_version_categories_au AFTER UPDATE ON categories BEGIN
    UPDATE catalog_version SET n = n + 1 WHERE id = 1;
END;
