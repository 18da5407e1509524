-- Why a reservation was cancelled: a cause every path to CANCELLED names (partner, vendor_declined,
-- slot_unavailable) and the free text the partner or vendor gave (`reason` of cancel and decline),
-- so the two are no longer told apart by failure_reason's prose.
ALTER TABLE reservations
    ADD COLUMN cancellation_reason text
        CHECK (cancellation_reason IN ('partner', 'vendor_declined', 'slot_unavailable')),
    ADD COLUMN cancellation_note text
        CHECK (char_length(cancellation_note) BETWEEN 1 AND 500),
    ADD CONSTRAINT reservations_cancellation_only_when_cancelled
        CHECK (cancellation_reason IS NULL OR state = 'CANCELLED'),
    ADD CONSTRAINT reservations_cancellation_note_has_reason
        CHECK (cancellation_note IS NULL OR cancellation_reason IS NOT NULL);

-- Reservations cancelled before this migration: the cause from the text each path wrote.
UPDATE reservations
SET cancellation_reason = CASE failure_reason
        WHEN 'cancelled by partner' THEN 'partner'
        WHEN 'declined by vendor' THEN 'vendor_declined'
        ELSE 'slot_unavailable' END
WHERE state = 'CANCELLED';
