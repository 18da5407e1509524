import Foundation
import Postgres
import Testing

/// `bookiji worker` as separate processes on one database: leader-locked jobs, at-least-once
/// outbox delivery across crashes, graceful drain on SIGTERM, and the continuous expiry sweep.
@Suite(.serialized)
struct WorkerTests {
    @Test func threeWorkersNeverRunAJobOrDeliverARowTwiceAtOnce() throws {
        let fixture = try WorkerFixture()
        defer { fixture.stop() }
        for _ in 0..<3 {
            try fixture.startWorker(["--test-sleep-ms", "150", "--test-periodic-every-ms", "50", "--batch-size", "2"])
        }
        let ids = try fixture.enqueue(count: 60, sleepMillis: 40)
        let delivered = eventually(seconds: 30) {
            (try? fixture.scalar("SELECT count(*)::int FROM outbox WHERE delivered_at IS NOT NULL")) == ids.count
        }
        #expect(delivered, "every row delivered; logs:\n\(fixture.logs)")
        // Each row was handled once (no crash here, so at-least-once means exactly once) and
        // no two handlings of one row overlapped.
        #expect(try fixture.scalar("SELECT count(*)::int FROM worker_test_deliveries") == ids.count)
        #expect(try fixture.scalar("SELECT count(DISTINCT outbox_id)::int FROM worker_test_deliveries") == ids.count)
        #expect(try fixture.scalar("SELECT count(DISTINCT worker_pid)::int FROM worker_test_deliveries") >= 2,
                "the rows were shared between the workers")

        // Let the periodic job take a few more turns, then stop the workers so every run has ended.
        _ = eventually(seconds: 10) {
            (try? fixture.scalar("SELECT count(*)::int FROM worker_job_runs WHERE job = 'test.periodic'")) ?? 0 >= 8
        }
        for worker in fixture.workers { worker.signal(SIGTERM) }
        for worker in fixture.workers { #expect(worker.waitForExit(seconds: 10) == 0) }
        let runs = try fixture.scalar("SELECT count(*)::int FROM worker_job_runs WHERE job = 'test.periodic' AND outcome = 'succeeded'")
        #expect(runs >= 8)
        #expect(try fixture.scalar("SELECT count(*)::int FROM worker_job_runs WHERE job = 'test.periodic' AND outcome <> 'succeeded'") == 0)
        #expect(try fixture.scalar("SELECT count(DISTINCT worker)::int FROM worker_job_runs WHERE job = 'test.periodic'") >= 2,
                "the lead moved between workers")
        let overlapping = try fixture.scalar("""
            SELECT count(*)::int FROM worker_job_runs a JOIN worker_job_runs b
              ON a.id < b.id AND a.job = b.job
             AND tstzrange(a.started_at, a.finished_at) && tstzrange(b.started_at, b.finished_at)
            WHERE a.job = 'test.periodic'
            """)
        #expect(overlapping == 0, "no two runs of the job overlapped")
    }

    @Test func rowsOfAWorkerKilledMidBatchAreDeliveredByAnother() throws {
        let fixture = try WorkerFixture()
        defer { fixture.stop() }
        let ids = try fixture.enqueue(count: 4, sleepMillis: 700)
        let first = try fixture.startWorker(["--batch-size", "4", "--lease-seconds", "3"])
        let claimed = eventually(seconds: 10) {
            (try? fixture.scalar("SELECT count(*)::int FROM outbox WHERE locked_until > now()")) == 4
        }
        #expect(claimed, "the first worker claimed the batch; log:\n\(first.log)")
        usleep(300_000)  // inside the first row's handler
        first.signal(SIGKILL)
        #expect(first.waitForExit(seconds: 5) == 128 + SIGKILL)
        #expect(try fixture.scalar("SELECT count(*)::int FROM outbox WHERE delivered_at IS NOT NULL") == 0)

        let second = try fixture.startWorker(["--batch-size", "1", "--lease-seconds", "3"])
        let delivered = eventually(seconds: 20) {
            (try? fixture.scalar("SELECT count(*)::int FROM outbox WHERE delivered_at IS NOT NULL")) == ids.count
        }
        #expect(delivered, "none lost; log:\n\(second.log)")
        #expect(try fixture.scalar("SELECT count(DISTINCT outbox_id)::int FROM worker_test_deliveries WHERE worker_pid = $1", [second.pid]) == ids.count)
        // The killed worker's claim counted as an attempt.
        #expect(try fixture.scalar("SELECT min(attempts)::int FROM outbox") == 2)
    }

    /// A batch outlasting its lease: the rows still waiting are renewed before they start, so
    /// the other worker never takes one that is about to run.
    @Test func waitingRowsOfALongBatchKeepTheirLease() throws {
        let fixture = try WorkerFixture()
        defer { fixture.stop() }
        let ids = try fixture.enqueue(count: 8, sleepMillis: 400)
        for _ in 0..<2 { try fixture.startWorker(["--batch-size", "4", "--lease-seconds", "1"]) }
        let delivered = eventually(seconds: 20) {
            (try? fixture.scalar("SELECT count(*)::int FROM outbox WHERE delivered_at IS NOT NULL")) == ids.count
        }
        #expect(delivered, "logs:\n\(fixture.logs)")
        #expect(try fixture.scalar("SELECT count(*)::int FROM worker_test_deliveries") == ids.count)
        #expect(try fixture.scalar("SELECT count(DISTINCT outbox_id)::int FROM worker_test_deliveries") == ids.count)
    }

    @Test func sigtermLetsTheInFlightHandlerFinishAndExitsZero() throws {
        let fixture = try WorkerFixture()
        defer { fixture.stop() }
        let worker = try fixture.startWorker(["--batch-size", "1"])
        let ids = try fixture.enqueue(count: 1, sleepMillis: 1500)
        let claimed = eventually(seconds: 10) {
            (try? fixture.scalar("SELECT count(*)::int FROM outbox WHERE locked_until > now()")) == 1
        }
        #expect(claimed, "log:\n\(worker.log)")
        let signalled = Date()
        worker.signal(SIGTERM)
        let code = worker.waitForExit(seconds: 15)
        #expect(code == 0, "log:\n\(worker.log)")
        #expect(Date().timeIntervalSince(signalled) > 0.5, "it waited for the handler")
        #expect(try fixture.scalar("SELECT count(*)::int FROM outbox WHERE id = $1 AND delivered_at IS NOT NULL", [ids[0]]) == 1)
        #expect(try fixture.scalar("SELECT count(*)::int FROM worker_test_deliveries WHERE outbox_id = $1", [ids[0]]) == 1)
    }

    /// Database-only handlers take a batch in one transaction; a failing row rolls its batch
    /// back, then the rows are handled one by one: the good ones delivered once, the failing one
    /// retried under its policy, nothing of the rolled-back batch left behind.
    @Test func aFailingRowInADatabaseBatchIsRetriedAloneAndTheRestAreDeliveredOnce() throws {
        let fixture = try WorkerFixture()
        defer { fixture.stop() }
        let good = try fixture.enqueue(count: 4, sleepMillis: 0, topic: "test.db-record")
        let failing = try fixture.enqueue(count: 1, sleepMillis: 0, failAttempts: 1, topic: "test.db-record")
        let more = try fixture.enqueue(count: 3, sleepMillis: 0, topic: "test.db-record")
        try fixture.startWorker(["--batch-size", "10"])
        let all = good + failing + more
        let delivered = eventually(seconds: 15) {
            (try? fixture.scalar("SELECT count(*)::int FROM outbox WHERE delivered_at IS NOT NULL AND id = ANY ($1::bigint[])",
                                 [PGArray(all.map(String.init))])) == all.count
        }
        #expect(delivered, "log:\n\(fixture.logs)")
        // Every row's work is recorded exactly once: the batch's rolled-back writes are gone.
        #expect(try fixture.scalar("SELECT count(*)::int FROM worker_test_deliveries") == all.count)
        #expect(try fixture.scalar("SELECT count(DISTINCT outbox_id)::int FROM worker_test_deliveries") == all.count)
        #expect(try fixture.scalar("SELECT attempt FROM worker_test_deliveries WHERE outbox_id = $1", [failing[0]]) == 2)
        #expect(try fixture.scalar("SELECT max(attempts)::int FROM outbox WHERE id = ANY ($1::bigint[])", [PGArray(good.map(String.init))]) <= 2)
        #expect(fixture.logs.contains("outbox batch failed; handling its rows one at a time"))
    }

    @Test func failingRowsBecomeDeadLettersAndStatusShowsThem() throws {
        let fixture = try WorkerFixture()
        defer { fixture.stop() }
        try fixture.startWorker(["--batch-size", "1"])
        try fixture.enqueue(count: 1, sleepMillis: 0, failAttempts: 99)  // test.record allows 3 attempts
        try fixture.enqueue(count: 1, sleepMillis: 0, failAttempts: 1)  // succeeds on its second
        let settled = eventually(seconds: 15) {
            (try? fixture.scalar("SELECT count(*)::int FROM outbox WHERE dead_at IS NOT NULL OR delivered_at IS NOT NULL")) == 2
        }
        #expect(settled, "log:\n\(fixture.logs)")
        #expect(try fixture.scalar("SELECT attempts FROM outbox WHERE dead_at IS NOT NULL") == 3)
        #expect(try fixture.scalar("SELECT attempts FROM outbox WHERE delivered_at IS NOT NULL") == 2)
        let output = try capture(Paths.bookiji, ["worker", "status", "--json", "--database", fixture.databaseURL])
        #expect(output.exitCode == 0, "\(output.stderr)")
        let outbox = try #require(output.json["outbox"] as? [String: Any])
        #expect(outbox["deadLetters"] as? Int == 1)
        #expect(outbox["pending"] as? Int == 0)
        let jobs = try #require(output.json["jobs"] as? [[String: Any]])
        #expect(jobs.contains { $0["job"] as? String == "test.periodic" })
        #expect(jobs.contains { $0["job"] as? String == "expiry" && $0["outcome"] as? String == "succeeded" },
                "an idle sweeper still shows its last sweep")
        let text = try fixture.bookiji(["worker", "status"])
        #expect(text.contains("1 dead letters"))
    }

    @Test func workerReconnectsWhenItsConnectionsAreTerminated() throws {
        let fixture = try WorkerFixture()
        defer { fixture.stop() }
        let worker = try fixture.startWorker(["--batch-size", "1"])
        try fixture.enqueue(count: 1, sleepMillis: 0)
        #expect(eventually(seconds: 10) {
            (try? fixture.scalar("SELECT count(*)::int FROM outbox WHERE delivered_at IS NOT NULL")) == 1
        }, "log:\n\(worker.log)")
        let terminated = try fixture.scalar("""
            SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
            """)
        #expect(terminated >= 2, "the listening sessions were cut")
        try fixture.enqueue(count: 2, sleepMillis: 0)
        #expect(eventually(seconds: 15) {
            (try? fixture.scalar("SELECT count(*)::int FROM outbox WHERE delivered_at IS NOT NULL")) == 3
        }, "log:\n\(worker.log)")
        #expect(worker.isRunning)
    }

    @Test func expirySweepMovesAReservationWithinOneSecondOfItsDeadline() throws {
        let fixture = try WorkerFixture()
        defer { fixture.stop() }
        let partner = try JSONSerialization.jsonObject(with: Data(fixture.bookiji(["partner", "create", "--name", "P", "--json"]).utf8)) as! [String: Any]
        let vendor = try JSONSerialization.jsonObject(with: Data(fixture.bookiji([
            "vendor", "create", "--name", "V", "--timezone", "UTC", "--json",
        ]).utf8)) as! [String: Any]
        let worker = try fixture.startWorker()
        // The sweeper is idle now (no deadlines: it sleeps up to 30 s); the insert's NOTIFY must
        // wake it. The sweep counts whole seconds, so a deadline half-way through a second is
        // moved at the next whole second: 0.5 s late plus the sweep's own time.
        _ = eventually(seconds: 10) { worker.log.contains("expiry sweeper started") }
        usleep(300_000)
        let id = try #require(try fixture.sql().query("""
            INSERT INTO reservations (partner_id, vendor_id, requester_id, slot, state, deadline)
            VALUES ($1::uuid, $2::uuid, 'r1', tstzrange('2031-01-06 10:00+00', '2031-01-06 11:00+00', '[)'),
                    'AWAITING_VENDOR_CONFIRMATION', date_trunc('second', now()) + interval '2.5 seconds')
            RETURNING id::text
            """, [partner["partnerId"] as? String, vendor["vendorId"] as? String]).first?.string(0))
        let moved = eventually(seconds: 8) {
            (try? fixture.sql().query("SELECT state FROM reservations WHERE id = $1::uuid", [id]).first?.string(0)) != "AWAITING_VENDOR_CONFIRMATION"
        }
        #expect(moved, "log:\n\(worker.log)")
        let late = try #require(try fixture.sql().query("""
            SELECT extract(epoch FROM t.occurred_at - r.created_at - interval '2.5 seconds'
                                      + (r.created_at - date_trunc('second', r.created_at)))::float8
            FROM reservations r JOIN reservation_transitions t ON t.reservation_id = r.id
            WHERE r.id = $1::uuid
            """, [id]).first?.double(0))
        #expect(late >= 0, "not before its deadline")
        #expect(late < 1.0, "moved \(late) s after its deadline")
    }
}
