-- The lender's calendar and 12-month chart (/me/lending): a lender's rentals by when they end
-- (the calendar asks for end_at > window start AND start_at < window end; the chart bounds
-- end_at by its first month too, since every period ends after it starts).
CREATE INDEX rentals_lender_end ON rentals(lender_id, end_at, start_at);
