-- Blocks between users (Trust and safety). Either direction hides each one's items from the
-- other and stops new chats, messages and rental requests between them. Read by the blocker
-- (primary key) and by the blocked side (second index), so "is there a block either way" is two
-- index lookups.
CREATE TABLE user_blocks (
    blocker_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blocked_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX user_blocks_blocked ON user_blocks(blocked_id, blocker_id);
