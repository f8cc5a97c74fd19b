-- 동네 verification: when the user's 동네 was last confirmed by the browser's location (ms), NULL
-- when never or since the 동네 changed. Valid for 30 days. The `verified` listing filter reads
-- the owners verified since a cutoff through this index.
ALTER TABLE users ADD COLUMN region_verified_at BIGINT;
CREATE INDEX users_region_verified ON users(region_verified_at) WHERE region_verified_at IS NOT NULL;
