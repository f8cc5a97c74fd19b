-- Listings show available items by default; indexes over just those rows keep filters and the
-- COUNT small index scans instead of walking every visible row.
CREATE INDEX items_avail_category ON items(category_id, id) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
CREATE INDEX items_avail_region ON items(region_code, id) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
CREATE INDEX items_avail_price ON items(price, id) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
