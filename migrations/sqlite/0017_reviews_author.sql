-- A signed-in caller's item pages read, once per caller, the items on which they wrote a review
-- others cannot see yet (issue #16: signed-in requests as cheap as anonymous ones).
CREATE INDEX reviews_author ON reviews(author_id, visible_at);
