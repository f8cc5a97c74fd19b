-- `sort=price_asc|price_desc` without a price range (items without a price last) walks one of
-- these when many items match, instead of sorting every match (issue #16). The columns are the
-- listing's ORDER BY (`catalog::store::list_order`), directions included.
CREATE INDEX items_avail_price_asc ON items((price IS NULL), price, id DESC) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
CREATE INDEX items_avail_price_desc ON items((price IS NULL), price DESC, id DESC) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
