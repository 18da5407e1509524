-- Recovery points for every call to the payment provider (spec: "Idempotency & Retries"): the
-- intent and its idempotency key `{operation}-{reservationId}-{attempt}` are committed before the
-- call is made, its result after. A worker that restarts finds a `started` row and repeats the
-- call with the same key (the provider answers it once); a new attempt number is taken only for
-- a deliberately new operation. Finished rows are kept 24 hours, started ones until finished.
CREATE TABLE operation_records (
    idempotency_key text PRIMARY KEY,
    reservation_id  uuid NOT NULL REFERENCES reservations (id),
    operation       text NOT NULL CHECK (operation IN ('vendor-auth', 'requester-auth', 'vendor-capture',
                                                       'requester-capture', 'vendor-cancel', 'requester-cancel',
                                                       'vendor-refund', 'requester-refund')),
    attempt         integer NOT NULL CHECK (attempt >= 1),
    parameters      jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'started' CHECK (status IN ('started', 'succeeded', 'failed')),
    result          jsonb,
    error           text,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    UNIQUE (reservation_id, operation, attempt),
    CHECK (idempotency_key = operation || '-' || reservation_id::text || '-' || attempt::text),
    CHECK ((status = 'started') = (finished_at IS NULL))
);
CREATE INDEX operation_records_finished ON operation_records (finished_at) WHERE finished_at IS NOT NULL;
