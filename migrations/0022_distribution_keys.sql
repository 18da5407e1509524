-- Keys for distribution by vendor (issue 16, point 6). After 0020 and 0021 every row about a
-- vendor carried vendor_id and every foreign key inside the vendor's group named it, but the
-- primary and unique keys were still on the rows' own ids, and the outbox had no vendor at all. A
-- distributed PostgreSQL (Citus) enforces a unique key only when it contains the distribution
-- column, and checks a foreign key only inside one shard. So here every primary and unique key of
-- the vendor's tables takes vendor_id, the outbox carries it, and the one foreign key that crossed
-- from the partner's tables into the vendor's (webhook deliveries to reservations) goes.
--
-- vendor_id goes last in each key, not first: a key is an index, and lookups by the row's own id
-- (a reservation by id, a leg by intent, a delivery by id) keep using it as before, with no second
-- index. Foreign keys match a key by its set of columns, so (vendor_id, reservation_id) references
-- (id, vendor_id). The README's "Partitioning and distribution" has the whole plan.

-- Reservations: (id, vendor_id). First the foreign keys that name the old keys go; those that
-- stay in the vendor's group come back below on the new primary key.
ALTER TABLE outbox DROP CONSTRAINT outbox_reservation_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_reservation_id_fkey;
ALTER TABLE reservation_transitions DROP CONSTRAINT reservation_transitions_reservation_fkey;
ALTER TABLE payment_legs DROP CONSTRAINT payment_legs_reservation_fkey;
ALTER TABLE operation_records DROP CONSTRAINT operation_records_reservation_fkey;
ALTER TABLE vendor_notifications DROP CONSTRAINT vendor_notifications_reservation_fkey;
ALTER TABLE reservations
    DROP CONSTRAINT reservations_pkey,
    DROP CONSTRAINT reservations_vendor_id_id_key,
    ADD CONSTRAINT reservations_pkey PRIMARY KEY (id, vendor_id);

-- The transition log (partitioned by month, so its key also holds occurred_at).
ALTER TABLE reservation_transitions
    DROP CONSTRAINT reservation_transitions_pkey,
    ADD PRIMARY KEY (id, vendor_id, occurred_at),
    ADD CONSTRAINT reservation_transitions_reservation_fkey
        FOREIGN KEY (vendor_id, reservation_id) REFERENCES reservations (vendor_id, id);

ALTER TABLE payment_legs
    DROP CONSTRAINT payment_legs_pkey,
    DROP CONSTRAINT payment_legs_intent_id_key,
    ADD PRIMARY KEY (reservation_id, side, vendor_id),
    ADD CONSTRAINT payment_legs_intent_id_key UNIQUE (intent_id, vendor_id),
    ADD CONSTRAINT payment_legs_reservation_fkey
        FOREIGN KEY (vendor_id, reservation_id) REFERENCES reservations (vendor_id, id);

ALTER TABLE operation_records
    DROP CONSTRAINT operation_records_pkey,
    DROP CONSTRAINT operation_records_reservation_id_operation_attempt_key,
    ADD PRIMARY KEY (idempotency_key, vendor_id),
    ADD CONSTRAINT operation_records_attempt_key UNIQUE (reservation_id, operation, attempt, vendor_id),
    ADD CONSTRAINT operation_records_reservation_fkey
        FOREIGN KEY (vendor_id, reservation_id) REFERENCES reservations (vendor_id, id);

ALTER TABLE vendor_notifications
    DROP CONSTRAINT vendor_notifications_pkey,
    ADD PRIMARY KEY (reservation_id, channel, vendor_id),
    ADD CONSTRAINT vendor_notifications_reservation_fkey
        FOREIGN KEY (vendor_id, reservation_id) REFERENCES reservations (vendor_id, id);

-- Calendar sources: (id, vendor_id), which the intervals' foreign key now names.
ALTER TABLE calendar_intervals DROP CONSTRAINT calendar_intervals_source_fkey;
ALTER TABLE calendar_sources
    DROP CONSTRAINT calendar_sources_pkey,
    DROP CONSTRAINT calendar_sources_vendor_id_id_key,
    ADD PRIMARY KEY (id, vendor_id);
ALTER TABLE calendar_intervals
    ADD CONSTRAINT calendar_intervals_source_fkey
        FOREIGN KEY (vendor_id, source_id) REFERENCES calendar_sources (vendor_id, id) ON DELETE CASCADE;

-- A vendor's API keys go with the vendor: a replicated (reference) table cannot hold a foreign key
-- to a distributed one. A key is looked up by its hash with no vendor in hand, which a distributed
-- PostgreSQL answers with one index probe per shard; the responder caches what it finds.
ALTER TABLE vendor_api_keys
    DROP CONSTRAINT vendor_api_keys_pkey,
    DROP CONSTRAINT vendor_api_keys_api_key_hash_key,
    ADD PRIMARY KEY (id, vendor_id),
    ADD CONSTRAINT vendor_api_keys_api_key_hash_key UNIQUE (api_key_hash, vendor_id);

-- The outbox: a message is about a reservation, and goes with it, so a hold's or a transition's
-- message is written on the reservation's shard in the reservation's transaction. A message about
-- no reservation (a Stripe event, whose vendor is known only once the worker finds its payment leg)
-- carries the nil UUID: a distribution column cannot be NULL, and these few rows then live on one
-- shard. The Store names the vendor where it has it; a trigger fills it for the rest.
CREATE FUNCTION outbox_fill_vendor() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reservation_id IS NULL THEN
        NEW.vendor_id := '00000000-0000-0000-0000-000000000000';
    ELSE
        SELECT vendor_id INTO NEW.vendor_id FROM reservations WHERE id = NEW.reservation_id;
    END IF;
    RETURN NEW;
END;
$$;

ALTER TABLE outbox ADD COLUMN vendor_id uuid;
UPDATE outbox o SET vendor_id = coalesce(
    (SELECT r.vendor_id FROM reservations r WHERE r.id = o.reservation_id), '00000000-0000-0000-0000-000000000000');
DROP INDEX outbox_one_pending_payment_advance;
ALTER TABLE outbox
    ALTER COLUMN vendor_id SET NOT NULL,
    DROP CONSTRAINT outbox_pkey,
    ADD PRIMARY KEY (id, vendor_id),
    ADD CONSTRAINT outbox_reservation_fkey
        FOREIGN KEY (vendor_id, reservation_id) REFERENCES reservations (vendor_id, id),
    ADD CONSTRAINT outbox_vendor_without_reservation_is_nil
        CHECK (reservation_id IS NOT NULL OR vendor_id = '00000000-0000-0000-0000-000000000000');
CREATE UNIQUE INDEX outbox_one_pending_payment_advance ON outbox (reservation_id, vendor_id)
    WHERE topic = 'payment.advance' AND delivered_at IS NULL AND dead_at IS NULL;
CREATE TRIGGER outbox_fill_vendor
    BEFORE INSERT ON outbox
    FOR EACH ROW WHEN (NEW.vendor_id IS NULL) EXECUTE FUNCTION outbox_fill_vendor();

-- Webhook deliveries belong to the partner's group (an endpoint's deliveries, test pings with no
-- reservation included), so they carry partner_id in their keys, with a foreign key that holds it
-- to the endpoint's partner. Their foreign key to reservations crossed groups and goes: the
-- fan-out only ever queues deliveries for reservations it has just joined.
CREATE FUNCTION webhook_deliveries_fill_partner() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT partner_id INTO NEW.partner_id FROM webhook_endpoints WHERE id = NEW.endpoint_id;
    RETURN NEW;
END;
$$;

ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_id_partner_id_key UNIQUE (id, partner_id);
ALTER TABLE webhook_deliveries ADD COLUMN partner_id uuid;
UPDATE webhook_deliveries d SET partner_id = e.partner_id FROM webhook_endpoints e WHERE e.id = d.endpoint_id;
ALTER TABLE webhook_deliveries
    ALTER COLUMN partner_id SET NOT NULL,
    DROP CONSTRAINT webhook_deliveries_pkey,
    DROP CONSTRAINT webhook_deliveries_endpoint_id_event_id_key,
    DROP CONSTRAINT webhook_deliveries_endpoint_id_fkey,
    ADD PRIMARY KEY (id, partner_id),
    ADD CONSTRAINT webhook_deliveries_endpoint_id_event_id_key UNIQUE (endpoint_id, event_id, partner_id),
    ADD CONSTRAINT webhook_deliveries_endpoint_fkey
        FOREIGN KEY (partner_id, endpoint_id) REFERENCES webhook_endpoints (partner_id, id);
CREATE TRIGGER webhook_deliveries_fill_partner
    BEFORE INSERT ON webhook_deliveries
    FOR EACH ROW WHEN (NEW.partner_id IS NULL) EXECUTE FUNCTION webhook_deliveries_fill_partner();
