-- Keyword alerts (issue #14), written only by notifications::store. A user's keywords are read
-- by user (the settings list, the fan-out's "keywords of these users"): the unique key
-- (user_id, folded keyword) serves both and makes a duplicate of one's own a conflict.
CREATE TABLE user_keywords (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    keyword TEXT NOT NULL,
    folded TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX user_keywords_user_folded ON user_keywords(user_id, folded);

-- Users by 동네: the fan-out finds candidates by the region codes near an item.
CREATE INDEX IF NOT EXISTS users_region ON users(region_code);

-- Keyword and borrow alerts are made once per (user, item) whichever instance or retry runs
-- the fan-out: inserts use ON CONFLICT DO NOTHING against this index. The daily caps count the
-- same rows by (user_id, kind, created_at).
CREATE UNIQUE INDEX notifications_alert_once ON notifications(user_id, kind, link)
    WHERE kind IN ('keyword_match', 'borrow_nearby');
CREATE INDEX notifications_user_kind ON notifications(user_id, kind, created_at);
