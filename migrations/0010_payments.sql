-- The payment half of a reservation (issue 12; spec: "Payment Orchestration", "Failure &
-- Compensation Matrix"): one row per side (the vendor's deposit, the requester's payment), each
-- the mirror of one Stripe PaymentIntent as the worker last learnt it, plus what the worker
-- needs to drive it: the payment method a route asked for, the capture's attempts and outcome,
-- and the compensation done (cancel or refund).
--
-- A row exists once a side's authorization was asked for (a route stored a payment method) or
-- its creation began (`create_started_at`, written with the operation record, before the call).
-- `intent_id` is NULL until Stripe answered the creation; a crash in between is resumed with the
-- same idempotency key, which gives the same intent.
CREATE TABLE payment_legs (
    reservation_id     uuid NOT NULL REFERENCES reservations (id),
    side               text NOT NULL CHECK (side IN ('vendor', 'requester')),
    amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
    currency           text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    create_started_at  timestamptz,
    -- A definite refusal of the creation (Stripe's message); the side's authorization failed.
    create_error       text,
    intent_id          text UNIQUE CHECK (intent_id ~ '^pi_[A-Za-z0-9_]+$'),
    status             text CHECK (status IN ('requires_payment_method', 'requires_confirmation', 'requires_action',
                                              'processing', 'requires_capture', 'succeeded', 'canceled')),
    client_secret      text,
    -- The payment method a route asked for, and the one the worker last confirmed with.
    payment_method     text CHECK (payment_method ~ '^pm_[A-Za-z0-9_]+$'),
    confirmed_with     text,
    -- A card decline (Stripe's decline_code, or its error code when there is none).
    decline_code       text,
    decline_message    text,
    authorized_at      timestamptz,
    capture_id         text,
    captured_at        timestamptz,
    capture_attempts   integer NOT NULL DEFAULT 0 CHECK (capture_attempts >= 0),
    last_capture_error text,
    -- The capture will not be tried again: retries ran out or Stripe refused it definitely.
    capture_failed     boolean NOT NULL DEFAULT false,
    refund_id          text,
    refunded_at        timestamptz,
    canceled_at        timestamptz,
    -- The last call's outcome is unknown (no answer, 5xx): fetch the intent before acting on it.
    needs_refresh      boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reservation_id, side)
);

-- The confirm calls have recovery points of their own, like every other call.
ALTER TABLE operation_records DROP CONSTRAINT operation_records_operation_check;
ALTER TABLE operation_records ADD CONSTRAINT operation_records_operation_check CHECK (operation IN (
    'vendor-auth', 'requester-auth', 'vendor-confirm', 'requester-confirm', 'vendor-capture', 'requester-capture',
    'vendor-cancel', 'requester-cancel', 'vendor-refund', 'requester-refund'));

-- One pending `payment.advance` row per reservation: the worker drives a reservation's payments
-- from one place at a time. A signal that arrives while the row is claimed bumps `wakeups`; the
-- worker then runs it again instead of marking it delivered, so no signal is lost.
ALTER TABLE outbox ADD COLUMN wakeups integer NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX outbox_one_pending_payment_advance ON outbox (reservation_id)
    WHERE topic = 'payment.advance' AND delivered_at IS NULL AND dead_at IS NULL;

-- Legs that may still hold money (not canceled, not refunded): what reconciliation looks at.
CREATE INDEX payment_legs_open ON payment_legs (updated_at)
    WHERE status IS DISTINCT FROM 'canceled' AND refund_id IS NULL;

-- A signal folded into a pending row wakes idle dispatchers like a new row does.
CREATE TRIGGER outbox_notify_wakeup
    AFTER UPDATE OF wakeups ON outbox
    FOR EACH ROW WHEN (NEW.wakeups > OLD.wakeups)
    EXECUTE FUNCTION outbox_notify();
