-- Partner usage counters, so checking a partner's limits costs the same whatever it has made.
--
-- 0003 counted the partner's reservations for every hold (those created in the last hour and
-- those still active), which grows with the partner's volume: a partner that had made 20,000
-- holds paid for reading 40,000 index entries on its next one. These tables keep the two
-- numbers as sums of a few small rows instead, maintained by triggers on `reservations`, so they
-- change in the same transaction as the rows they count and cannot drift from them.
--
-- Each backend writes its own shard (its pid modulo 16): concurrent holds of one partner touch
-- different rows instead of queueing on one counter, and the readers add the shards up.

-- Reservations created, per partner and minute (epoch seconds / 60). The hourly limit adds up
-- the last 60 minutes, so it is counted in whole minutes; the sweep deletes rows older than two
-- hours.
CREATE TABLE partner_usage_minutes (
    partner_id uuid     NOT NULL REFERENCES partners (id),
    minute     bigint   NOT NULL,
    shard      smallint NOT NULL,
    created    integer  NOT NULL CHECK (created >= 0),
    PRIMARY KEY (partner_id, minute, shard)
);

-- Reservations in an active (non-terminal) state, per partner. A hold past its deadline counts
-- until it is recorded as EXPIRED, so a partner found at its cap has its stale holds expired
-- before the cap is enforced (ReservationCoordinator does this).
CREATE TABLE partner_active_holds (
    partner_id uuid     NOT NULL REFERENCES partners (id),
    shard      smallint NOT NULL,
    holds      integer  NOT NULL,
    PRIMARY KEY (partner_id, shard)
);

CREATE FUNCTION partner_usage_shard() RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (pg_backend_pid() % 16)::smallint;

CREATE FUNCTION partner_active_holds_add(partner uuid, delta integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO partner_active_holds AS c (partner_id, shard, holds)
    VALUES (partner, partner_usage_shard(), delta)
    ON CONFLICT (partner_id, shard) DO UPDATE SET holds = c.holds + excluded.holds;
$$;

CREATE FUNCTION reservations_count_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO partner_usage_minutes AS c (partner_id, minute, shard, created)
        VALUES (NEW.partner_id, floor(extract(epoch FROM NEW.created_at) / 60)::bigint, partner_usage_shard(), 1)
        ON CONFLICT (partner_id, minute, shard) DO UPDATE SET created = c.created + 1;
        IF NEW.deadline IS NOT NULL THEN
            PERFORM partner_active_holds_add(NEW.partner_id, 1);
        END IF;
        RETURN NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        IF (OLD.deadline IS NOT NULL) AND (NEW.deadline IS NULL) THEN
            PERFORM partner_active_holds_add(OLD.partner_id, -1);
        ELSIF (OLD.deadline IS NULL) AND (NEW.deadline IS NOT NULL) THEN
            PERFORM partner_active_holds_add(NEW.partner_id, 1);
        END IF;
        RETURN NULL;
    ELSE -- DELETE
        IF OLD.deadline IS NOT NULL THEN
            PERFORM partner_active_holds_add(OLD.partner_id, -1);
        END IF;
        RETURN NULL;
    END IF;
END;
$$;

CREATE TRIGGER reservations_count_usage_insert
    AFTER INSERT ON reservations
    FOR EACH ROW EXECUTE FUNCTION reservations_count_usage();
CREATE TRIGGER reservations_count_usage_update
    AFTER UPDATE OF deadline ON reservations
    FOR EACH ROW WHEN ((OLD.deadline IS NULL) IS DISTINCT FROM (NEW.deadline IS NULL))
    EXECUTE FUNCTION reservations_count_usage();
CREATE TRIGGER reservations_count_usage_delete
    AFTER DELETE ON reservations
    FOR EACH ROW EXECUTE FUNCTION reservations_count_usage();

-- What existed before this migration, counted once. Writers wait: the triggers and this count
-- must see the same rows.
LOCK TABLE reservations IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO partner_usage_minutes (partner_id, minute, shard, created)
SELECT partner_id, floor(extract(epoch FROM created_at) / 60)::bigint, 0, count(*)
FROM reservations
WHERE created_at > now() - interval '2 hours'
GROUP BY 1, 2;
INSERT INTO partner_active_holds (partner_id, shard, holds)
SELECT partner_id, 0, count(*) FROM reservations WHERE deadline IS NOT NULL GROUP BY 1;
