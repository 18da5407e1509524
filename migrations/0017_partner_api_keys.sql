-- A partner may hold several keys (issue 17): one is created, listed, revoked or rolled without
-- revoking the partner. A rolled key stays valid beside its successor until its expires_at; a
-- key with revoked_at set, or past its expires_at, is refused. Only a SHA-256 of a key is stored.
-- partners.revoked_at stays: revoking the partner refuses all of its keys.
CREATE TABLE partner_api_keys (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    partner_id     uuid NOT NULL REFERENCES partners (id),
    api_key_hash   bytea NOT NULL UNIQUE CHECK (length(api_key_hash) = 32),
    api_key_prefix text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz,
    revoked_at     timestamptz
);
CREATE INDEX partner_api_keys_partner ON partner_api_keys (partner_id, created_at, id);

INSERT INTO partner_api_keys (partner_id, api_key_hash, api_key_prefix, created_at, revoked_at)
SELECT id, api_key_hash, api_key_prefix, created_at, revoked_at FROM partners;

ALTER TABLE partners DROP COLUMN api_key_hash, DROP COLUMN api_key_prefix;

-- GET /v1/vendor/reservations pages a vendor's reservations newest first, as the partner list does.
CREATE INDEX reservations_vendor_created ON reservations (vendor_id, created_at, id);
