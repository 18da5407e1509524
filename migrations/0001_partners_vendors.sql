-- Partners call the API with a bearer key; only a SHA-256 of the key is stored.
CREATE TABLE partners (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    api_key_hash   bytea NOT NULL UNIQUE CHECK (length(api_key_hash) = 32),
    api_key_prefix text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);

-- A vendor's revision is bumped in the same transaction as any change to an input of its
-- availability (rules, calendar intervals, reservations), so caches and ETags key on it.
CREATE TABLE vendors (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    timezone   text NOT NULL,
    revision   bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
