-- Vendor notifications and the confirmation page (issue 13, points 4 and 5; spec: "Booking
-- Workflow" step 2 and the compensation matrix row "2-3 Vendor notification fails → retry
-- notification, extend TTL").
--
-- A vendor's channels: a webhook (signed on the Standard Webhooks scheme with the vendor's own
-- secret, `whsec_` + base64 of 32 random bytes, shown once when the URL is set) and an email
-- address. Either may be absent; a vendor without both is not notified.
CREATE TABLE vendor_notification_channels (
    vendor_id      uuid PRIMARY KEY REFERENCES vendors (id),
    webhook_url    text CHECK (length(webhook_url) BETWEEN 8 AND 2048),
    webhook_secret text,
    email          text CHECK (length(email) BETWEEN 3 AND 254),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((webhook_url IS NULL) = (webhook_secret IS NULL))
);

-- One row per reservation and channel: how sending the confirmation request went. A channel
-- that succeeded is not sent again when the outbox row is retried for another channel.
CREATE TABLE vendor_notifications (
    reservation_id uuid NOT NULL REFERENCES reservations (id),
    channel        text NOT NULL CHECK (channel IN ('webhook', 'email')),
    attempts       integer NOT NULL DEFAULT 0,
    sent_at        timestamptz,
    last_error     text,
    last_attempt_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reservation_id, channel)
);

-- When the confirmation deadline was extended because the vendor could not be notified; set
-- once, so the deadline moves at most once per reservation.
ALTER TABLE reservations ADD COLUMN confirmation_extended_at timestamptz;
