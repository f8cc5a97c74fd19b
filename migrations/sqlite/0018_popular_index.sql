-- `sort=popular` over available items walks this index and stops after a page, instead of
-- sorting every available item by its score (issue #16). The score is the same expression the
-- listing orders by (`catalog::store::list_order`), kept by the counters' own updates.
CREATE INDEX items_avail_popular ON items((bookmark_count + chat_count), id) WHERE deleted_at IS NULL AND listed = 1 AND hidden = 0 AND rented = 0;
