-- Reports on users (issue #14) share the reports table with item reports, so the admin queue is
-- one list with one id space: a row targets an item (item_id) or a user (target_user_id), never
-- both. SQLite cannot drop item_id's NOT NULL in place, so the table is rebuilt with its rows.
-- A user may hold one open report per target user (the partial unique index answers the race);
-- once resolved they may report again. `action` keeps how an admin resolved it (suspend_user =
-- upheld) for the trust score.
CREATE TABLE reports_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reporter_id BIGINT NOT NULL REFERENCES users(id),
    item_id BIGINT REFERENCES items(id),
    target_user_id BIGINT REFERENCES users(id),
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    action TEXT,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT,
    UNIQUE (reporter_id, item_id),
    CHECK ((item_id IS NULL) <> (target_user_id IS NULL))
);
INSERT INTO reports_new (id, reporter_id, item_id, reason, detail, status, action, created_at, resolved_at)
    SELECT id, reporter_id, item_id, reason, detail, status, action, created_at, resolved_at FROM reports;
DROP TABLE reports;
ALTER TABLE reports_new RENAME TO reports;
CREATE INDEX reports_status ON reports(status, id);
CREATE UNIQUE INDEX reports_open_user ON reports(reporter_id, target_user_id)
    WHERE status = 'open' AND target_user_id IS NOT NULL;
CREATE INDEX reports_target_user ON reports(target_user_id, action) WHERE target_user_id IS NOT NULL;
