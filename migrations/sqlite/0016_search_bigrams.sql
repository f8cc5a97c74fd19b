-- Two-character words on an index (issue #16): `grams` holds the item's bigram tokens (see
-- `db::grams_column`), set by the application on every insert and edit of the title or
-- description; NULL until the startup backfill computes it for rows older than this migration.
-- An FTS5 table over it (plain ASCII tokens) answers "has every pair of this word".
ALTER TABLE items ADD COLUMN grams TEXT;
CREATE VIRTUAL TABLE items_grams USING fts5(grams, content='items', content_rowid='id', tokenize='ascii');
CREATE TRIGGER items_grams_ai AFTER INSERT ON items WHEN new.grams IS NOT NULL BEGIN
    INSERT INTO items_grams(rowid, grams) VALUES (new.id, new.grams);
END;
CREATE TRIGGER items_grams_ad AFTER DELETE ON items WHEN old.grams IS NOT NULL BEGIN
    INSERT INTO items_grams(items_grams, rowid, grams) VALUES ('delete', old.id, old.grams);
END;
CREATE TRIGGER items_grams_au_old AFTER UPDATE OF grams ON items WHEN old.grams IS NOT NULL BEGIN
    INSERT INTO items_grams(items_grams, rowid, grams) VALUES ('delete', old.id, old.grams);
END;
CREATE TRIGGER items_grams_au_new AFTER UPDATE OF grams ON items WHEN new.grams IS NOT NULL BEGIN
    INSERT INTO items_grams(rowid, grams) VALUES (new.id, new.grams);
END;
