-- Tells every responder at once that a vendor's availability inputs changed. Each responder
-- keeps one LISTEN session on bookiji_vendor_revision and stops serving that vendor's cached
-- answers when it hears of a new revision, instead of trusting the revision it read for
-- --availability-revision-seconds (AvailabilityCache, VendorRevisionListener).
--
-- Every change to an input of a vendor's availability (rules, calendar intervals, holds,
-- extensions, decisions, payment outcomes) bumps vendors.revision with an UPDATE inside the
-- changing transaction (Store: VendorStore.setRules and bumpRevision, the hold and extension
-- statements), so one trigger on the row covers them all, and a path added later cannot forget
-- it. NOTIFY is delivered at commit and never for a rolled-back change. The payload is
-- '<vendor id>:<new revision>', the id as PostgreSQL prints a uuid.
--
-- Cost: a transaction that notifies takes the database's notify lock at commit, which orders
-- its commit after every other notifying one. Holds already notify bookiji_outbox in the same
-- transaction, so for them nothing is added; rules changes, calendar syncs and payment outcomes
-- now notify too.
CREATE FUNCTION vendors_notify_revision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bookiji_vendor_revision', NEW.id::text || ':' || NEW.revision::text);
    RETURN NULL;
END;
$$;
CREATE TRIGGER vendors_notify_revision
    AFTER UPDATE ON vendors
    FOR EACH ROW WHEN (NEW.revision IS DISTINCT FROM OLD.revision)
    EXECUTE FUNCTION vendors_notify_revision();
