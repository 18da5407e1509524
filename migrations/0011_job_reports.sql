-- What each periodic job's runs did (reconciliation: reservations handed back, by kind), for
-- `bookiji worker status`: the last run's counts and the totals since the job first ran.
ALTER TABLE worker_jobs
    ADD COLUMN last_report jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN totals      jsonb NOT NULL DEFAULT '{}'::jsonb;
