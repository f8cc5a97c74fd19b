-- Sign-in identities from OpenID providers (Kakao): the pair (provider, subject) belongs to one
-- account, and an account has at most one identity per provider. Accounts are never matched by
-- email. An account made from an identity has an empty password_hash (no password) and, without
-- a verified unused email, a placeholder email 'nomail:…' that no address can equal.
CREATE TABLE user_identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (provider, subject),
    UNIQUE (user_id, provider)
);

-- Web sign-ins in flight. The callback deletes its row as it reads it, so a state is used once
-- on every instance. Only hashes of the state and of the browser's binding cookie are kept.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    link_user BIGINT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_logins_expiry ON oidc_logins(expires_at);
