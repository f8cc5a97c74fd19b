-- Notification settings (issue #14), written only by notifications::store: the alert radius of
-- keyword alerts, and the kinds a user turned off (a kind absent here is on). Notifications of a
-- kind turned off are never created, so both creation paths read `notification_kinds_off` by its
-- primary key (user_id, kind).
CREATE TABLE notification_settings (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    alert_radius_km BIGINT NOT NULL DEFAULT 3,
    updated_at BIGINT NOT NULL
);

CREATE TABLE notification_kinds_off (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Muted chat rooms, written only by chat::store: a row means that participant gets no
-- `chat_message` notifications from that room. The room list reads it by (room_id, user_id),
-- the notification stage by room_id: both are the primary key's prefix.
CREATE TABLE chat_mutes (
    room_id BIGINT NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
