-- The worker (`bookiji worker`): outbox leases, retries and dead letters, wake-ups by
-- LISTEN/NOTIFY, and the record of its jobs' runs for `bookiji worker status`.

-- Outbox delivery, at least once. A worker claims due rows (FOR UPDATE SKIP LOCKED in a short
-- transaction) by leasing them: `locked_until` and `claimed_by` are set and `attempts` counted
-- before the handler runs, so a worker killed mid-delivery leaves rows that fall due again when
-- their lease lapses, and a row that kills every worker that tries it still runs out of attempts.
-- A failed attempt moves `available_at` by the backoff; a row out of attempts is parked in
-- `dead_at` (a dead letter) and left for an operator.
ALTER TABLE outbox
    ADD COLUMN locked_until timestamptz,
    ADD COLUMN claimed_by   text,
    ADD COLUMN dead_at      timestamptz,
    ADD COLUMN last_attempt_at timestamptz;

DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (topic, available_at) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (dead_at) WHERE dead_at IS NOT NULL;

-- Wakes idle dispatchers at once instead of at their next poll. NOTIFY is sent at commit and
-- identical payloads in one transaction are sent once, so a batch of rows costs one message
-- per topic.
CREATE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bookiji_outbox', NEW.topic);
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify_insert
    AFTER INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_notify();

-- Wakes the expiry sweep when a deadline is set or moved to less than 30 seconds from now. The
-- sweep sleeps until the nearest deadline but never longer than 30 s (ExpirySweeper's
-- maxIdleSeconds; keep the two equal), so only a deadline sooner than that could be missed. The
-- spec's deadlines are 10 minutes or more away when set, so holds and vendor decisions notify
-- nothing: a transaction that notifies serializes its commit with every other notifying one,
-- which would cost every hold. The payload is the new deadline in epoch seconds: a sweeper
-- already waking earlier ignores it. Deadlines cleared (a terminal state) need no wake-up.
CREATE FUNCTION reservations_notify_deadline() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bookiji_deadlines', extract(epoch FROM NEW.deadline)::text);
    RETURN NULL;
END;
$$;
CREATE TRIGGER reservations_notify_deadline_insert
    AFTER INSERT ON reservations
    FOR EACH ROW WHEN (NEW.deadline < now() + interval '30 seconds')
    EXECUTE FUNCTION reservations_notify_deadline();
CREATE TRIGGER reservations_notify_deadline_update
    AFTER UPDATE OF deadline ON reservations
    FOR EACH ROW WHEN (NEW.deadline < now() + interval '30 seconds' AND NEW.deadline IS DISTINCT FROM OLD.deadline)
    EXECUTE FUNCTION reservations_notify_deadline();

-- Each job's latest run, one row per job (the expiry sweep, the dispatcher's failures, every
-- periodic job), for `bookiji worker status`.
CREATE TABLE worker_jobs (
    job              text PRIMARY KEY,
    last_started_at  timestamptz NOT NULL,
    last_finished_at timestamptz,
    last_outcome     text NOT NULL CHECK (last_outcome IN ('running', 'succeeded', 'failed')),
    last_error       text,
    last_worker      text NOT NULL,
    runs             bigint NOT NULL DEFAULT 0,
    failures         bigint NOT NULL DEFAULT 0
);

-- Every run of a leader-locked periodic job, kept a week: who ran it, when, and how it ended.
CREATE TABLE worker_job_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job         text NOT NULL,
    worker      text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    outcome     text NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed')),
    error       text
);
CREATE INDEX worker_job_runs_job ON worker_job_runs (job, started_at);
