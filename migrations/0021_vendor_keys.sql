-- Distribution by vendor (issue 16, point 6; spec "Scalability & Trust": "Partition by vendor_id or
-- date", "Indexes: (vendor_id, slot_start_time, state)"). The README's "Partitioning and
-- distribution" has the whole plan; this migration does the parts that are cheap and safe today.

-- The spec's reservation index. A reservation's slot is a range (`slot`), so its start is the
-- expression lower(slot). It serves a vendor's reservations by start time, optionally in one state
-- (an agenda: "Vendor V's COMMITTED bookings starting this week"), read in slot order without a
-- sort. Overlap questions (availability, the capacity-1 exclusion) stay with the GiST indexes on
-- (vendor_id, slot), which answer them better than any B-tree can.
CREATE INDEX reservations_vendor_slot_start_state ON reservations (vendor_id, lower(slot), state);

-- Rows about one reservation carry its vendor, so a distributed PostgreSQL co-locates them with the
-- reservation (a shard holds a vendor's reservations and everything hanging off them) and joins
-- them without leaving the shard. Filled from the reservation here and by a trigger for writers that
-- leave the column out; the foreign key on (vendor_id, reservation_id) replaces the one on
-- reservation_id alone, so the column cannot disagree with the reservation.
CREATE FUNCTION fill_vendor_from_reservation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT vendor_id INTO NEW.vendor_id FROM reservations WHERE id = NEW.reservation_id;
    RETURN NEW;
END;
$$;

ALTER TABLE payment_legs ADD COLUMN vendor_id uuid;
UPDATE payment_legs l SET vendor_id = r.vendor_id FROM reservations r WHERE r.id = l.reservation_id;
ALTER TABLE payment_legs
    ALTER COLUMN vendor_id SET NOT NULL,
    DROP CONSTRAINT payment_legs_reservation_id_fkey,
    ADD CONSTRAINT payment_legs_reservation_fkey
        FOREIGN KEY (vendor_id, reservation_id) REFERENCES reservations (vendor_id, id);
CREATE TRIGGER payment_legs_fill_vendor
    BEFORE INSERT ON payment_legs
    FOR EACH ROW WHEN (NEW.vendor_id IS NULL) EXECUTE FUNCTION fill_vendor_from_reservation();

ALTER TABLE operation_records ADD COLUMN vendor_id uuid;
UPDATE operation_records o SET vendor_id = r.vendor_id FROM reservations r WHERE r.id = o.reservation_id;
ALTER TABLE operation_records
    ALTER COLUMN vendor_id SET NOT NULL,
    DROP CONSTRAINT operation_records_reservation_id_fkey,
    ADD CONSTRAINT operation_records_reservation_fkey
        FOREIGN KEY (vendor_id, reservation_id) REFERENCES reservations (vendor_id, id);
CREATE TRIGGER operation_records_fill_vendor
    BEFORE INSERT ON operation_records
    FOR EACH ROW WHEN (NEW.vendor_id IS NULL) EXECUTE FUNCTION fill_vendor_from_reservation();

ALTER TABLE vendor_notifications ADD COLUMN vendor_id uuid;
UPDATE vendor_notifications n SET vendor_id = r.vendor_id FROM reservations r WHERE r.id = n.reservation_id;
ALTER TABLE vendor_notifications
    ALTER COLUMN vendor_id SET NOT NULL,
    DROP CONSTRAINT vendor_notifications_reservation_id_fkey,
    ADD CONSTRAINT vendor_notifications_reservation_fkey
        FOREIGN KEY (vendor_id, reservation_id) REFERENCES reservations (vendor_id, id);
CREATE TRIGGER vendor_notifications_fill_vendor
    BEFORE INSERT ON vendor_notifications
    FOR EACH ROW WHEN (NEW.vendor_id IS NULL) EXECUTE FUNCTION fill_vendor_from_reservation();

-- A calendar interval names its source together with the vendor both belong to (the Store writes
-- the source's vendor already; now the database holds it to that).
ALTER TABLE calendar_sources ADD CONSTRAINT calendar_sources_vendor_id_id_key UNIQUE (vendor_id, id);
ALTER TABLE calendar_intervals
    DROP CONSTRAINT calendar_intervals_source_id_fkey,
    ADD CONSTRAINT calendar_intervals_source_fkey
        FOREIGN KEY (vendor_id, source_id) REFERENCES calendar_sources (vendor_id, id) ON DELETE CASCADE;
