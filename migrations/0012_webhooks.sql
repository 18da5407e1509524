-- Signed webhooks out (issue 13; spec: "Webhook Events"), on the Standard Webhooks scheme.
--
-- An endpoint belongs to a partner (its reservations' events). Its secret is `whsec_` + base64
-- of 32 random bytes, shown once; a rotation keeps the previous secret signing beside the new one
-- for 24 hours. An endpoint is disabled by a 410, by failing for 5 days, or by its owner; the
-- reason is kept, and enabling it again resumes its deliveries.
CREATE TABLE webhook_endpoints (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    partner_id             uuid NOT NULL REFERENCES partners (id),
    url                    text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    -- The event types it receives; NULL for all of them.
    events                 text[],
    secret                 text NOT NULL,
    previous_secret        text,
    previous_secret_until  timestamptz,
    enabled                boolean NOT NULL DEFAULT true,
    disabled_reason        text,
    disabled_at            timestamptz,
    -- When its current run of failures began (NULL after a success).
    failing_since          timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz
);
CREATE INDEX webhook_endpoints_partner ON webhook_endpoints (partner_id) WHERE deleted_at IS NULL;

-- One row per event and endpoint: the exact body sent (so every attempt, and a manual retry,
-- sends the same bytes), its order within the reservation, and how its attempts went. A
-- reservation's later event waits until each earlier one to the same endpoint succeeded or
-- finally failed.
CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id),
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    reservation_id  uuid REFERENCES reservations (id),
    sequence        bigint NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    claimed_by      text,
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, reservation_id, sequence) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- Wakes the sender when a delivery is written or made due again.
CREATE FUNCTION webhook_deliveries_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bookiji_webhooks', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER webhook_deliveries_notify_insert
    AFTER INSERT ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_notify();

-- Each reservation's events are numbered in the order of its transitions (`sequence`).
ALTER TABLE reservations ADD COLUMN event_sequence bigint NOT NULL DEFAULT 0;
