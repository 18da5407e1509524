-- Scheduled calendar syncs (the worker's `CalendarSyncs.syncDue`): each source says how often it
-- is visited. A source is due when it was never synced or its last sync, successful or not, is at
-- least this long ago. `ics_url` sources are re-fetched from the URL already kept in
-- config->>'url' (with its ETag / Last-Modified), so no column is needed for the feed itself;
-- `ics_file` sources have nothing to re-read and are never due.
ALTER TABLE calendar_sources
    ADD COLUMN sync_interval_seconds integer NOT NULL DEFAULT 900 CHECK (sync_interval_seconds >= 60);

-- "Which sources are due" reads the kinds that sync and orders by the last sync.
CREATE INDEX calendar_sources_sync_due ON calendar_sources (last_synced_at NULLS FIRST)
    WHERE kind IN ('google', 'outlook', 'ics_url');
