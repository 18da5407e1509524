-- Stripe events as received on POST /v1/stripe/webhooks: stored once per event id (Stripe
-- delivers at least once and retries), answered at once, applied later by the worker
-- (`applied_at`), which records its attempts and last error on the row.
CREATE TABLE stripe_events (
    id          text PRIMARY KEY CHECK (id ~ '^evt_[A-Za-z0-9_]+$'),
    type        text NOT NULL,
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    applied_at  timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text
);
CREATE INDEX stripe_events_unapplied ON stripe_events (received_at) WHERE applied_at IS NULL;
