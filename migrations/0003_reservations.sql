-- Reservations: soft holds that move through the spec's state machine, an append-only log of
-- every transition, partner idempotency records, the outbox the worker drains, vendor keys and
-- partner limits.

-- The states that occupy a slot: every active state plus COMMITTED. Kept equal to
-- BookijiCore.ReservationState.blocksSlot (a test compares the two for every state).
CREATE FUNCTION reservation_blocks_slot(state text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN state IN ('INTENT_CREATED', 'HELD', 'AWAITING_VENDOR_CONFIRMATION', 'CONFIRMED_BY_VENDOR',
                 'AWAITING_VENDOR_AUTH', 'VENDOR_AUTHORIZED', 'AWAITING_REQUESTER_AUTH',
                 'AUTHORIZED_BOTH', 'COMMIT_IN_PROGRESS', 'COMMITTED');

-- Takes transaction-level advisory locks in the order given (the caller sorts the keys), so two
-- transactions wanting overlapping sets queue instead of deadlocking.
CREATE FUNCTION lock_slot_granules(keys bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    k bigint;
BEGIN
    FOREACH k IN ARRAY keys LOOP
        PERFORM pg_advisory_xact_lock(k);
    END LOOP;
END;
$$;

CREATE TABLE reservations (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    partner_id              uuid NOT NULL REFERENCES partners (id),
    vendor_id               uuid NOT NULL REFERENCES vendors (id),
    requester_id            text NOT NULL CHECK (length(requester_id) BETWEEN 1 AND 200),
    slot                    tstzrange NOT NULL CHECK (NOT isempty(slot) AND lower_inc(slot) AND NOT upper_inc(slot)),
    state                   text NOT NULL CHECK (state IN (
                                'INTENT_CREATED', 'HELD', 'AWAITING_VENDOR_CONFIRMATION', 'CONFIRMED_BY_VENDOR',
                                'AWAITING_VENDOR_AUTH', 'VENDOR_AUTHORIZED', 'AWAITING_REQUESTER_AUTH',
                                'AUTHORIZED_BOTH', 'COMMIT_IN_PROGRESS', 'COMMITTED', 'FAILED_VENDOR_TIMEOUT',
                                'FAILED_VENDOR_AUTH', 'FAILED_REQUESTER_AUTH', 'FAILED_AVAILABILITY_CHANGED',
                                'FAILED_COMMIT', 'EXPIRED', 'CANCELLED')),
    -- When the current state lapses; NULL once terminal.
    deadline                timestamptz,
    metadata                jsonb NOT NULL DEFAULT '{}'::jsonb,
    idempotency_key         text,
    failure_reason          text,
    booking_id              uuid,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    vendor_confirmed_at     timestamptz,
    vendor_authorized_at    timestamptz,
    requester_authorized_at timestamptz,
    CHECK ((deadline IS NULL) = (state IN ('COMMITTED', 'FAILED_VENDOR_TIMEOUT', 'FAILED_VENDOR_AUTH',
        'FAILED_REQUESTER_AUTH', 'FAILED_AVAILABILITY_CHANGED', 'FAILED_COMMIT', 'EXPIRED', 'CANCELLED'))),
    -- Capacity 1, as an invariant no code path can break: two reservations that occupy their
    -- slots never overlap for one vendor. (Advisory locks make the common path queue instead of
    -- failing; this makes a path that forgets them fail instead of double-booking.)
    CONSTRAINT reservations_no_overlap EXCLUDE USING gist (vendor_id WITH =, slot WITH &&)
        WHERE (reservation_blocks_slot(state))
);

CREATE INDEX reservations_vendor_slot_state ON reservations USING gist (vendor_id, slot) WHERE (reservation_blocks_slot(state));
CREATE INDEX reservations_partner_created ON reservations (partner_id, created_at, id);
CREATE INDEX reservations_active_deadline ON reservations (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX reservations_partner_active ON reservations (partner_id) WHERE deadline IS NOT NULL;

-- Append-only: the database refuses to change or remove a logged transition.
CREATE TABLE reservation_transitions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reservation_id  uuid NOT NULL REFERENCES reservations (id),
    from_state      text NOT NULL,
    to_state        text NOT NULL,
    triggered_by    text NOT NULL CHECK (triggered_by IN ('system', 'vendor', 'requester', 'partner', 'timeout')),
    reason          text,
    metadata        jsonb,
    idempotency_key text,
    occurred_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX reservation_transitions_reservation ON reservation_transitions (reservation_id, id);

CREATE FUNCTION reservation_transitions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'reservation_transitions is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER reservation_transitions_no_update_delete
    BEFORE UPDATE OR DELETE ON reservation_transitions
    FOR EACH ROW EXECUTE FUNCTION reservation_transitions_append_only();
CREATE TRIGGER reservation_transitions_no_truncate
    BEFORE TRUNCATE ON reservation_transitions
    FOR EACH STATEMENT EXECUTE FUNCTION reservation_transitions_append_only();

-- Partner idempotency: the first response to a key is kept 24 hours and replayed.
CREATE TABLE idempotency_keys (
    partner_id      uuid NOT NULL REFERENCES partners (id),
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    text NOT NULL,
    status          text NOT NULL CHECK (status IN ('in_progress', 'completed')),
    response_status integer,
    response_body   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    PRIMARY KEY (partner_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Transactional outbox: rows written with the state change, delivered later by the worker
-- (vendor notifications now; partner webhooks and payment calls later).
CREATE TABLE outbox (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic          text NOT NULL,
    reservation_id uuid REFERENCES reservations (id),
    payload        jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    available_at   timestamptz NOT NULL DEFAULT now(),
    attempts       integer NOT NULL DEFAULT 0,
    delivered_at   timestamptz,
    last_error     text
);
CREATE INDEX outbox_pending ON outbox (available_at) WHERE delivered_at IS NULL;

-- Vendors answer confirmation requests with their own keys.
CREATE TABLE vendor_api_keys (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    vendor_id      uuid NOT NULL REFERENCES vendors (id),
    api_key_hash   bytea NOT NULL UNIQUE CHECK (length(api_key_hash) = 32),
    api_key_prefix text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);

-- Abuse limits per partner (spec: "Max N reservations per partner per hour", "Max M active holds").
ALTER TABLE partners
    ADD COLUMN reservations_per_hour integer NOT NULL DEFAULT 1000 CHECK (reservations_per_hour > 0),
    ADD COLUMN max_active_holds      integer NOT NULL DEFAULT 100 CHECK (max_active_holds > 0);
