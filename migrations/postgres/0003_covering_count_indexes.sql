-- Neighbourhood listings count every matching available item: an index-only scan for the usual
-- filter (region radius within a category). PostgreSQL does not need the predicate's columns.
CREATE INDEX items_avail_category_region ON items(category_id, region_code) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
-- Price-range listings ordered by (price, newest first) straight from the index.
CREATE INDEX items_avail_price_sort ON items(price, id DESC) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
