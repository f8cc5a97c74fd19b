-- Login and sign-up throttling counters, shared by every instance (fixed windows).
-- `key` is a SHA-256 of the limit and its subject (email + client address, address, user).
CREATE TABLE auth_attempts (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL
);
CREATE INDEX auth_attempts_window ON auth_attempts(window_start);
