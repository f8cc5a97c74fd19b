-- A number that moves with every change to what an item's page shows beyond its row (issue #16):
-- photos, its calendar (accepted rentals), reviews and the people on the page. Item pages are kept
-- in memory past their 3 s while neither this nor `catalog_version` moved, so their cost does not
-- grow with how often each page is asked for. A row, not a sequence, for the reason 0020 gives.
-- Rental requests and rental bookkeeping are left out: a page shows accepted periods only.
CREATE TABLE detail_version (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
INSERT INTO detail_version (id, n) VALUES (1, 0);
CREATE FUNCTION detail_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE detail_version SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER detail_version_images AFTER INSERT OR DELETE OR UPDATE ON item_images
    FOR EACH STATEMENT EXECUTE FUNCTION detail_changed();
CREATE TRIGGER detail_version_rentals_ai AFTER INSERT ON rentals
    FOR EACH ROW WHEN (NEW.status = 'accepted') EXECUTE FUNCTION detail_changed();
CREATE TRIGGER detail_version_rentals_ad AFTER DELETE ON rentals
    FOR EACH ROW WHEN (OLD.status = 'accepted') EXECUTE FUNCTION detail_changed();
CREATE TRIGGER detail_version_rentals_au AFTER UPDATE OF item_id, status, start_at, end_at ON rentals
    FOR EACH ROW WHEN (OLD.status = 'accepted' OR NEW.status = 'accepted') EXECUTE FUNCTION detail_changed();
CREATE TRIGGER detail_version_reviews AFTER INSERT OR DELETE OR UPDATE ON reviews
    FOR EACH STATEMENT EXECUTE FUNCTION detail_changed();
CREATE TRIGGER detail_version_users_ad AFTER DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION detail_changed();
CREATE TRIGGER detail_version_users_au AFTER UPDATE OF nickname, region_code, bio, avatar_key, suspended,
    deleted_at, created_at, region_verified_at, trust_tenths ON users
    FOR EACH STATEMENT EXECUTE FUNCTION detail_changed();
