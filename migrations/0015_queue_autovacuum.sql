-- The outbox and the webhook deliveries are queues: every row is inserted, updated a few times
-- (claimed, delivered) and then left alone, so their pending-row indexes fill with entries for
-- dead row versions that every claim and next-due query must step over until a vacuum removes
-- them. With the default thresholds (20% of the table) a busy outbox went minutes between
-- vacuums and its next-due query grew to 5 ms (Benchmarks/bookings, phase b). Vacuum them after
-- a fixed number of changed rows instead, without the cost-based pauses.
ALTER TABLE outbox SET (
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000,
    autovacuum_vacuum_cost_delay = 0);
ALTER TABLE webhook_deliveries SET (
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000,
    autovacuum_vacuum_cost_delay = 0);
