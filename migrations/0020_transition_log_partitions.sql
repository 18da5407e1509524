-- The transition log partitioned by month (issue 16, point 6; spec "Scalability & Trust": "Event
-- logging: Append-only table (partitioned by date)"). It only grows: a month's partition that no
-- one reads any more is detached (`bookiji transitions detach --before YYYY-MM`) and archived as a
-- plain table, instead of rows being deleted from a table that refuses deletes.
--
-- The table is rebuilt in place: the old one is renamed aside, the partitioned one created under
-- the old name, every row copied with its id (the identity continues where the old one stopped),
-- and the old table dropped, all in this migration's transaction. What changes for readers:
--   * the primary key is (id, occurred_at): a partitioned table's unique keys must contain the
--     partition key. ids stay unique, since only the identity hands them out (inserts give no id);
--   * the log carries vendor_id (the reservation's), the column a distributed PostgreSQL would
--     shard it by, with a foreign key on (vendor_id, reservation_id) to reservations (vendor_id, id),
--     so it cannot disagree with the reservation. A writer that leaves it out gets it filled in;
--   * (reservation_id, id) stays indexed, on every partition: a reservation's history is one
--     index probe per partition, merged in id order.
--
-- Append-only, as 0003 made it, on every partition present and future: the row-level trigger on
-- the partitioned table refusing UPDATE and DELETE is cloned by PostgreSQL onto each partition,
-- including those created or attached later, so a statement naming a partition directly is refused
-- too. TRUNCATE triggers are statement-level and are not cloned, so each partition gets its own,
-- from reservation_transitions_ensure_partition (the only way partitions are made).
--
-- Partitions are monthly, in UTC: reservation_transitions_YYYY_MM for [YYYY-MM-01, next month).
-- The worker's `transition-partitions` job keeps the current month and the next two present. The
-- DEFAULT partition (reservation_transitions_default) takes a row whose month has no partition, so
-- a transition is never refused because the job has not run for months (a refused insert would
-- roll back the state change it logs). When a month's partition is created later, its rows are
-- moved out of the default partition in the same transaction (see the function).

-- Readers and writers wait for the rebuild instead of seeing the table half-moved.
LOCK TABLE reservation_transitions IN ACCESS EXCLUSIVE MODE;

ALTER TABLE reservation_transitions RENAME TO reservation_transitions_unpartitioned;
ALTER TABLE reservation_transitions_unpartitioned RENAME CONSTRAINT reservation_transitions_pkey TO reservation_transitions_unpartitioned_pkey;
ALTER TABLE reservation_transitions_unpartitioned RENAME CONSTRAINT reservation_transitions_triggered_by_check TO reservation_transitions_unpartitioned_triggered_by_check;
ALTER TABLE reservation_transitions_unpartitioned RENAME CONSTRAINT reservation_transitions_reservation_id_fkey TO reservation_transitions_unpartitioned_reservation_id_fkey;
ALTER INDEX reservation_transitions_reservation RENAME TO reservation_transitions_unpartitioned_reservation;
ALTER SEQUENCE reservation_transitions_id_seq RENAME TO reservation_transitions_unpartitioned_id_seq;

-- The target of every foreign key that names a reservation together with its vendor (here, and
-- the co-located tables in 0021): what a distributed PostgreSQL needs, since it checks foreign
-- keys within one shard only.
ALTER TABLE reservations ADD CONSTRAINT reservations_vendor_id_id_key UNIQUE (vendor_id, id);

CREATE TABLE reservation_transitions (
    id              bigint GENERATED ALWAYS AS IDENTITY,
    reservation_id  uuid NOT NULL,
    vendor_id       uuid NOT NULL,
    from_state      text NOT NULL,
    to_state        text NOT NULL,
    triggered_by    text NOT NULL CHECK (triggered_by IN ('system', 'vendor', 'requester', 'partner', 'timeout')),
    reason          text,
    metadata        jsonb,
    idempotency_key text,
    occurred_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (id, occurred_at),
    CONSTRAINT reservation_transitions_reservation_fkey
        FOREIGN KEY (vendor_id, reservation_id) REFERENCES reservations (vendor_id, id)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX reservation_transitions_reservation ON reservation_transitions (reservation_id, id);

CREATE TRIGGER reservation_transitions_no_update_delete
    BEFORE UPDATE OR DELETE ON reservation_transitions
    FOR EACH ROW EXECUTE FUNCTION reservation_transitions_append_only();
CREATE TRIGGER reservation_transitions_no_truncate
    BEFORE TRUNCATE ON reservation_transitions
    FOR EACH STATEMENT EXECUTE FUNCTION reservation_transitions_append_only();

-- A writer that does not name the vendor (the Store does) gets the reservation's; the WHEN clause
-- keeps the function call off inserts that name it.
CREATE FUNCTION reservation_transitions_fill_vendor() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT vendor_id INTO NEW.vendor_id FROM reservations WHERE id = NEW.reservation_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reservation_transitions_fill_vendor
    BEFORE INSERT ON reservation_transitions
    FOR EACH ROW WHEN (NEW.vendor_id IS NULL)
    EXECUTE FUNCTION reservation_transitions_fill_vendor();

CREATE TABLE reservation_transitions_default PARTITION OF reservation_transitions DEFAULT;
CREATE TRIGGER reservation_transitions_no_truncate
    BEFORE TRUNCATE ON reservation_transitions_default
    FOR EACH STATEMENT EXECUTE FUNCTION reservation_transitions_append_only();

-- Creates the partition of the month containing `month` (UTC) unless it exists; true when it
-- created it. Rows of that month already in the default partition are moved into the new one in
-- the same transaction: the default partition is detached (its cloned triggers go with it, which
-- is what lets the moved rows leave it), the month's partition created, the rows copied and
-- removed, and the default attached again (its triggers are cloned back). The parent stays locked
-- throughout, so no reader sees a row twice or not at all, and no other session can change a row.
-- Creators are serialized by an advisory lock, so two at once do not both try the same month.
CREATE FUNCTION reservation_transitions_ensure_partition(month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    first_day   timestamp := date_trunc('month', month::timestamp);
    part        text := 'reservation_transitions_' || to_char(first_day, 'YYYY_MM');
    lower_bound timestamptz := first_day AT TIME ZONE 'UTC';
    upper_bound timestamptz := (first_day + interval '1 month') AT TIME ZONE 'UTC';
    strays      boolean;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('reservation_transitions_partitions'));
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname = part AND n.nspname = current_schema()) THEN
        RETURN false;
    END IF;
    SELECT EXISTS (SELECT 1 FROM reservation_transitions_default
                   WHERE occurred_at >= lower_bound AND occurred_at < upper_bound) INTO strays;
    IF strays THEN
        LOCK TABLE reservation_transitions IN ACCESS EXCLUSIVE MODE;
        ALTER TABLE reservation_transitions DETACH PARTITION reservation_transitions_default;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF reservation_transitions FOR VALUES FROM (%L) TO (%L)',
                   part, lower_bound, upper_bound);
    EXECUTE format('CREATE TRIGGER reservation_transitions_no_truncate BEFORE TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION reservation_transitions_append_only()', part);
    IF strays THEN
        EXECUTE format('INSERT INTO %I (id, reservation_id, vendor_id, from_state, to_state, triggered_by, reason, '
                       'metadata, idempotency_key, occurred_at) '
                       'SELECT id, reservation_id, vendor_id, from_state, to_state, triggered_by, reason, metadata, '
                       'idempotency_key, occurred_at FROM reservation_transitions_default '
                       'WHERE occurred_at >= %L AND occurred_at < %L', part, lower_bound, upper_bound);
        DELETE FROM reservation_transitions_default WHERE occurred_at >= lower_bound AND occurred_at < upper_bound;
        ALTER TABLE reservation_transitions ATTACH PARTITION reservation_transitions_default DEFAULT;
    END IF;
    RETURN true;
END;
$$;

-- Detaches the partition of the month containing `month` for archiving; refuses the current
-- month (UTC) and any later one, which still take new transitions. The detached table keeps its
-- rows and its name; it loses the cloned triggers, so it is given its own, and stays append-only
-- until an operator drops it (after dumping it: see the README). Its foreign key to reservations
-- is dropped: an archive does not hold the reservations it mentions in place. Returns its rows.
CREATE FUNCTION reservation_transitions_detach_partition(month date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    first_day timestamp := date_trunc('month', month::timestamp);
    part      text := 'reservation_transitions_' || to_char(first_day, 'YYYY_MM');
    fkey      text;
    kept      bigint;
BEGIN
    IF first_day >= date_trunc('month', now() AT TIME ZONE 'UTC') THEN
        RAISE EXCEPTION 'the partition of % is the current month or later and still takes transitions',
            to_char(first_day, 'YYYY-MM') USING ERRCODE = 'object_in_use';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('reservation_transitions_partitions'));
    IF NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE i.inhparent = 'reservation_transitions'::regclass AND c.relname = part
                     AND n.nspname = current_schema()) THEN
        RAISE EXCEPTION 'no attached partition %', part USING ERRCODE = 'undefined_table';
    END IF;
    EXECUTE format('ALTER TABLE reservation_transitions DETACH PARTITION %I', part);
    EXECUTE format('CREATE TRIGGER reservation_transitions_no_update_delete BEFORE UPDATE OR DELETE ON %I '
                   'FOR EACH ROW EXECUTE FUNCTION reservation_transitions_append_only()', part);
    -- The archive must not keep reservations from being archived or removed in turn.
    FOR fkey IN SELECT conname FROM pg_constraint WHERE conrelid = format('%I', part)::regclass AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, fkey);
    END LOOP;
    EXECUTE format('SELECT count(*) FROM %I', part) INTO kept;
    RETURN kept;
END;
$$;

-- A partition for every month the old log has rows in, and for this month and the next two.
SELECT reservation_transitions_ensure_partition(month::date)
FROM generate_series(
    date_trunc('month', least(coalesce((SELECT min(occurred_at) FROM reservation_transitions_unpartitioned), now()), now())
                        AT TIME ZONE 'UTC'),
    date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months',
    interval '1 month') AS month;

INSERT INTO reservation_transitions (id, reservation_id, vendor_id, from_state, to_state, triggered_by, reason, metadata,
                                     idempotency_key, occurred_at)
OVERRIDING SYSTEM VALUE
SELECT t.id, t.reservation_id, r.vendor_id, t.from_state, t.to_state, t.triggered_by, t.reason, t.metadata,
       t.idempotency_key, t.occurred_at
FROM reservation_transitions_unpartitioned t JOIN reservations r ON r.id = t.reservation_id
ORDER BY t.id;

-- New ids continue after the old sequence's last one, used or not.
SELECT setval(pg_get_serial_sequence('reservation_transitions', 'id'), last_value, is_called)
FROM reservation_transitions_unpartitioned_id_seq;

DROP TABLE reservation_transitions_unpartitioned;
