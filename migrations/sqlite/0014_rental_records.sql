-- Rentals that survive real life (issue #15): extensions, the handover record both parties
-- sign, the deposit and disputes.

-- The deposit is the item's at the time of the request (an owner editing the item later does
-- not change what was agreed); 0 means the rental has none.
ALTER TABLE rentals ADD COLUMN deposit_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rentals ADD COLUMN deposit_status TEXT NOT NULL DEFAULT 'none';
ALTER TABLE rentals ADD COLUMN deposit_note TEXT NOT NULL DEFAULT '';

-- `expires_at` is the rental's end when the extension was asked for: unanswered by then, it
-- expires (the end cannot move meanwhile: only one extension is open at a time).
CREATE TABLE rental_extensions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rental_id BIGINT NOT NULL REFERENCES rentals(id),
    end_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX rental_extensions_rental ON rental_extensions(rental_id, id);
CREATE UNIQUE INDEX rental_extensions_one_open ON rental_extensions(rental_id) WHERE status = 'requested';
CREATE INDEX rental_extensions_due ON rental_extensions(expires_at) WHERE status = 'requested';

CREATE TABLE rental_handovers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rental_id BIGINT NOT NULL REFERENCES rentals(id),
    stage TEXT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users(id),
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    UNIQUE (rental_id, stage, author_id)
);
CREATE TABLE rental_handover_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handover_id BIGINT NOT NULL REFERENCES rental_handovers(id),
    position BIGINT NOT NULL,
    key TEXT NOT NULL,
    thumb_key TEXT NOT NULL
);
CREATE INDEX rental_handover_images_handover ON rental_handover_images(handover_id, position);

CREATE TABLE rental_disputes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rental_id BIGINT NOT NULL REFERENCES rentals(id),
    opened_by BIGINT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    resolution TEXT,
    resolved_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX rental_disputes_rental ON rental_disputes(rental_id, id);
-- One open dispute per rental: the partial unique index settles two parties opening at once.
CREATE UNIQUE INDEX rental_disputes_one_open ON rental_disputes(rental_id) WHERE status = 'open';
CREATE INDEX rental_disputes_status ON rental_disputes(status, id);
