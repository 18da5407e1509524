-- Inputs of a vendor's availability: its rules and its calendar sources' busy intervals.
-- Every change to them bumps vendors.revision in the same transaction (see Store).

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The rules document (JSON shape documented on Availability.VendorRules); validated by the
-- application before it is stored. NULL means the defaults (Mon-Fri 09:00-17:00, 60-minute slots).
ALTER TABLE vendors ADD COLUMN rules jsonb;

-- Where busy time comes from. A vendor has any number of named sources; availability uses all.
CREATE TABLE calendar_sources (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    vendor_id      uuid NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind           text NOT NULL CHECK (kind IN ('ics_file', 'ics_url', 'google', 'outlook')),
    -- kind-specific settings: URL and its ETag/Last-Modified, calendar ids, sealed OAuth tokens.
    config         jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- The span the stored intervals describe: outside it the source says nothing.
    covered        tstzrange,
    -- Digest of the last imported content, so an unchanged import changes nothing.
    content_digest text,
    status         text NOT NULL DEFAULT 'never_synced' CHECK (status IN ('never_synced', 'ok', 'error')),
    last_synced_at timestamptz,
    last_error     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (vendor_id, name)
);

CREATE TABLE calendar_intervals (
    source_id uuid NOT NULL REFERENCES calendar_sources (id) ON DELETE CASCADE,
    vendor_id uuid NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,
    period    tstzrange NOT NULL CHECK (NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period)),
    status    text NOT NULL CHECK (status IN ('busy', 'tentative')),
    uid       text
);

-- "Busy time of this vendor overlapping [start, end)" is the availability engine's query.
CREATE INDEX calendar_intervals_vendor_period ON calendar_intervals USING gist (vendor_id, period);
CREATE INDEX calendar_intervals_source ON calendar_intervals (source_id);
