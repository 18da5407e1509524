-- A vendor's payment settings (issue 12): its Stripe Connect account, the currency, the service
-- price the requester pays, the deposit the vendor authorizes, and the platform's fee, all in the
-- currency's minor units. A vendor without them cannot be held. A reservation fixes the amounts
-- it was held at, so a later change of settings does not move them.
ALTER TABLE vendors
    ADD COLUMN stripe_account     text CHECK (stripe_account ~ '^acct_[A-Za-z0-9]{1,250}$'),
    ADD COLUMN currency           text CHECK (currency ~ '^[a-z]{3}$'),
    ADD COLUMN price_minor        bigint CHECK (price_minor > 0),
    ADD COLUMN deposit_minor      bigint CHECK (deposit_minor > 0),
    ADD COLUMN platform_fee_minor bigint CHECK (platform_fee_minor >= 0),
    ADD CONSTRAINT vendors_payments_all_or_none CHECK (
        (stripe_account IS NULL AND currency IS NULL AND price_minor IS NULL AND deposit_minor IS NULL
         AND platform_fee_minor IS NULL)
        OR (stripe_account IS NOT NULL AND currency IS NOT NULL AND price_minor IS NOT NULL
            AND deposit_minor IS NOT NULL AND platform_fee_minor IS NOT NULL)),
    ADD CONSTRAINT vendors_platform_fee_within_price CHECK (platform_fee_minor <= price_minor);

ALTER TABLE reservations
    ADD COLUMN vendor_stripe_account text,
    ADD COLUMN currency              text,
    ADD COLUMN price_minor           bigint,
    ADD COLUMN deposit_minor         bigint,
    ADD COLUMN platform_fee_minor    bigint;
