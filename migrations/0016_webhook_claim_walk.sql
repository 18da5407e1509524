-- The webhook sender's claim walks due deliveries in order and stops at its limit, checking each
-- candidate's order with one probe of webhook_deliveries_order, whatever the statistics say
-- (Benchmarks/webhooks: with statistics taken while few deliveries were pending, the planner
-- joined every pending delivery with every other one, 12 s a claim at 10,000 pending).
--
-- This index replaces webhook_deliveries_due: its (next_attempt_at, id) order is the claim's, so
-- the walk needs no sort. Its predicate names next_attempt_at, which the claim's
-- `next_attempt_at <= ...` implies and the order probe (which does not mention next_attempt_at)
-- does not: the probe can only use webhook_deliveries_order, never a scan of this whole index,
-- which stale statistics made the planner pick (both partial indexes looked empty).
CREATE INDEX webhook_deliveries_due_walk ON webhook_deliveries (next_attempt_at, id)
    WHERE status = 'pending' AND next_attempt_at IS NOT NULL;
DROP INDEX webhook_deliveries_due;
