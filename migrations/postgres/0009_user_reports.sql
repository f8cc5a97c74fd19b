-- Reports on users (issue #14) share the reports table with item reports, so the admin queue is
-- one list with one id space: a row targets an item (item_id) or a user (target_user_id), never
-- both. A user may hold one open report per target user (the partial unique index answers the
-- race); once resolved they may report again. `action` keeps how an admin resolved it
-- (suspend_user = upheld) for the trust score.
ALTER TABLE reports ALTER COLUMN item_id DROP NOT NULL;
ALTER TABLE reports ADD COLUMN target_user_id BIGINT REFERENCES users(id);
ALTER TABLE reports ADD CONSTRAINT reports_one_target
    CHECK ((item_id IS NULL) <> (target_user_id IS NULL));
CREATE UNIQUE INDEX reports_open_user ON reports(reporter_id, target_user_id)
    WHERE status = 'open' AND target_user_id IS NOT NULL;
CREATE INDEX reports_target_user ON reports(target_user_id, action) WHERE target_user_id IS NOT NULL;
