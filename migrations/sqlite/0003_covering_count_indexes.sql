-- Neighbourhood listings count every matching available item. These indexes answer the COUNT of
-- the usual filters (region radius, with or without a category) from the index alone; the
-- status columns are included because SQLite needs every referenced column to skip the table.
CREATE INDEX items_avail_category_region ON items(category_id, region_code, deleted_at, listed, hidden, rented) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
CREATE INDEX items_avail_region_cover ON items(region_code, deleted_at, listed, hidden, rented) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
-- Price-range listings: ordered by (price, newest first) straight from the index, and counted
-- from it alone.
CREATE INDEX items_avail_price_cover ON items(price, id DESC, deleted_at, listed, hidden, rented) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
