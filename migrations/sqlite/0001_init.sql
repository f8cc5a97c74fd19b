-- Times are epoch milliseconds (BIGINT), flags are INTEGER 0/1: the same columns decode on both backends.
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    nickname TEXT NOT NULL UNIQUE,
    region_code TEXT,
    bio TEXT NOT NULL DEFAULT '',
    avatar_key TEXT,
    role TEXT NOT NULL DEFAULT 'user',
    suspended INTEGER NOT NULL DEFAULT 0,
    deleted_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    sort_order BIGINT NOT NULL DEFAULT 0
);
INSERT INTO categories (slug, name, sort_order) VALUES
    ('digital', '디지털기기', 1), ('furniture', '가구/인테리어', 2), ('camping', '캠핑/레저', 3),
    ('tools', '공구', 4), ('kids', '유아동', 5), ('fashion', '의류/잡화', 6), ('books', '도서', 7),
    ('hobby', '게임/취미', 8), ('appliances', '생활가전', 9), ('sports', '스포츠', 10),
    ('pets', '반려동물용품', 11), ('party', '파티/행사', 12), ('etc', '기타', 99);

CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id BIGINT NOT NULL REFERENCES users(id),
    section TEXT NOT NULL,
    category_id BIGINT NOT NULL REFERENCES categories(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price BIGINT,
    price_unit TEXT,
    deposit BIGINT NOT NULL DEFAULT 0,
    region_code TEXT NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0,
    rented INTEGER NOT NULL DEFAULT 0,
    -- 1 while the owner is active; cleared when the owner is deleted or suspended so listings skip a join.
    listed INTEGER NOT NULL DEFAULT 1,
    thumb_key TEXT,
    bookmark_count BIGINT NOT NULL DEFAULT 0,
    chat_count BIGINT NOT NULL DEFAULT 0,
    view_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
-- Listings always filter on visibility first; these cover the common sorts and filters.
CREATE INDEX items_list_recent ON items(listed, hidden, rented, deleted_at, id);
CREATE INDEX items_region ON items(region_code, id);
CREATE INDEX items_category ON items(category_id, id);
CREATE INDEX items_owner ON items(owner_id, id);
CREATE INDEX items_price ON items(price, id);
CREATE INDEX items_popular ON items((bookmark_count + chat_count), id);

CREATE VIRTUAL TABLE items_fts USING fts5(title, description, content='items', content_rowid='id', tokenize='trigram');
CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN
    INSERT INTO items_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER items_fts_ad AFTER DELETE ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
END;
CREATE TRIGGER items_fts_au AFTER UPDATE OF title, description ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO items_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;

CREATE TABLE item_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    key TEXT NOT NULL,
    thumb_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX item_images_item ON item_images(item_id, position);

CREATE TABLE bookmarks (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX bookmarks_item ON bookmarks(item_id);
CREATE INDEX bookmarks_user_recent ON bookmarks(user_id, created_at);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reporter_id BIGINT NOT NULL REFERENCES users(id),
    item_id BIGINT NOT NULL REFERENCES items(id),
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    action TEXT,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT,
    UNIQUE (reporter_id, item_id)
);
CREATE INDEX reports_status ON reports(status, id);

CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT REFERENCES users(id),
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE chat_rooms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items(id),
    owner_id BIGINT NOT NULL REFERENCES users(id),
    inquirer_id BIGINT NOT NULL REFERENCES users(id),
    owner_last_read_id BIGINT NOT NULL DEFAULT 0,
    inquirer_last_read_id BIGINT NOT NULL DEFAULT 0,
    last_message_id BIGINT,
    last_activity_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (item_id, inquirer_id)
);
CREATE INDEX chat_rooms_owner ON chat_rooms(owner_id, last_activity_at);
CREATE INDEX chat_rooms_inquirer ON chat_rooms(inquirer_id, last_activity_at);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id BIGINT NOT NULL REFERENCES chat_rooms(id),
    sender_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    event_type TEXT,
    rental_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_room ON messages(room_id, id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    room_id BIGINT,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);
CREATE INDEX notifications_unread ON notifications(user_id, read_at);
-- At most one unread chat notification per room: later messages update it.
CREATE UNIQUE INDEX notifications_chat_unread ON notifications(user_id, room_id) WHERE kind = 'chat_message' AND read_at IS NULL;

CREATE TABLE rentals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items(id),
    lender_id BIGINT NOT NULL REFERENCES users(id),
    borrower_id BIGINT NOT NULL REFERENCES users(id),
    requested_by BIGINT NOT NULL REFERENCES users(id),
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    total_price BIGINT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    returned_at BIGINT,
    starts_soon_sent INTEGER NOT NULL DEFAULT 0,
    return_due_sent INTEGER NOT NULL DEFAULT 0,
    overdue_sent INTEGER NOT NULL DEFAULT 0,
    started INTEGER NOT NULL DEFAULT 0,
    CHECK (end_at > start_at)
);
CREATE INDEX rentals_item ON rentals(item_id, status, start_at);
CREATE INDEX rentals_lender ON rentals(lender_id, status, id);
CREATE INDEX rentals_borrower ON rentals(borrower_id, status, id);
CREATE INDEX rentals_status_start ON rentals(status, start_at);
CREATE INDEX rentals_status_end ON rentals(status, end_at);
-- One open request per user per item.
CREATE UNIQUE INDEX rentals_one_open ON rentals(item_id, requested_by) WHERE status = 'requested';

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rental_id BIGINT NOT NULL REFERENCES rentals(id),
    item_id BIGINT NOT NULL REFERENCES items(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    subject_id BIGINT NOT NULL REFERENCES users(id),
    rating BIGINT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    -- When others may see it: both reviewed, or 14 days after the return.
    visible_at BIGINT NOT NULL,
    UNIQUE (rental_id, author_id)
);
CREATE INDEX reviews_subject ON reviews(subject_id, visible_at);
CREATE INDEX reviews_item ON reviews(item_id, visible_at);
