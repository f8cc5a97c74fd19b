-- Moderation is separate from the owner's own hide flag: while it is set the item stays hidden
-- and only an admin can clear it. NULL = not moderated; 'hidden' = hidden by an admin.
ALTER TABLE items ADD COLUMN moderation TEXT;
