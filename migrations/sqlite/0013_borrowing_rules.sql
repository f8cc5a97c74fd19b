-- Optional lending rules on a lend item: the shortest and longest rental, in days (1–365).
ALTER TABLE items ADD COLUMN min_days BIGINT;
ALTER TABLE items ADD COLUMN max_days BIGINT;
