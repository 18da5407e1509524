-- Database-only outbox handlers (the webhook fan-out) take a reservation's rows in order: a row
-- is taken only when no earlier row of the same reservation and topics is still pending, so two
-- workers' batches never fan out a reservation's events out of order (issue 13: per-reservation
-- order). This index answers "is an earlier one pending?" for each candidate row.
CREATE INDEX outbox_pending_by_reservation ON outbox (reservation_id, id)
    WHERE delivered_at IS NULL AND dead_at IS NULL AND reservation_id IS NOT NULL;
