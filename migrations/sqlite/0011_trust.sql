-- 이웃 온도 (trust), in tenths of a degree (365 = 36.5), recomputed by `accounts::trust` when its
-- inputs change; and who cancelled an accepted rental, and when (one of those inputs).
ALTER TABLE users ADD COLUMN trust_tenths BIGINT NOT NULL DEFAULT 365;
ALTER TABLE rentals ADD COLUMN cancelled_by BIGINT;
ALTER TABLE rentals ADD COLUMN cancelled_at BIGINT;
CREATE INDEX rentals_cancelled_by ON rentals(cancelled_by) WHERE cancelled_by IS NOT NULL;
