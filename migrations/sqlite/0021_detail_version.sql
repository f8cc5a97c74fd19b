-- A number that moves with every change to what an item's page shows beyond its row (issue #16):
-- photos, its calendar (accepted rentals), reviews and the people on the page. Item pages are kept
-- in memory past their 3 s while neither this nor `catalog_version` moved, so their cost does not
-- grow with how often each page is asked for. Rental requests and rental bookkeeping are left out:
-- a page shows accepted periods only.
CREATE TABLE detail_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO detail_version (id, n) VALUES (1, 0);
CREATE TRIGGER detail_version_images_ai AFTER INSERT ON item_images BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER detail_version_images_ad AFTER DELETE ON item_images BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER detail_version_images_au AFTER UPDATE ON item_images BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER detail_version_rentals_ai AFTER INSERT ON rentals WHEN NEW.status = 'accepted' BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER detail_version_rentals_ad AFTER DELETE ON rentals WHEN OLD.status = 'accepted' BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER detail_version_rentals_au AFTER UPDATE OF item_id, status, start_at, end_at ON rentals
    WHEN OLD.status = 'accepted' OR NEW.status = 'accepted' BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER detail_version_reviews_ai AFTER INSERT ON reviews BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER detail_version_reviews_ad AFTER DELETE ON reviews BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER detail_version_reviews_au AFTER UPDATE ON reviews BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER detail_version_users_ad AFTER DELETE ON users BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER detail_version_users_au AFTER UPDATE OF nickname, region_code, bio, avatar_key, suspended,
    deleted_at, created_at, region_verified_at, trust_tenths ON users BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
END;
