import Foundation
import Postgres
import Testing

/// The responder and the worker through PgBouncer in transaction pooling mode
/// (`--database-pooler transaction`), with fewer server connections than clients: capacity 1
/// still holds under a race, a booking still commits with its payments, the pooler really
/// carries the work, and what needs a session of its own (LISTEN, leader locks) goes around it.
@Suite(.serialized)
struct PgBouncerTests {
    @Test func concurrentHoldsForOneSlotThroughASmallPoolGiveExactlyOneWinner() throws {
        let bouncer = try PgBouncer(poolSize: 3)
        defer { bouncer.stop() }
        let service = try Service(responderArguments: ["--threads", "8"], nginxArguments: ConcurrencyTests.unthrottled)
        defer { service.stop() }
        try service.restartResponder(extra: bouncer.arguments(database: service.database))
        let partner = try service.createPartner()
        try service.setLimits(partner: partner.id, perHour: 1_000_000, maxHolds: 1_000_000)
        let vendor = try service.createOpenVendor()
        let start = Booking.day(7) + 10 * 3600
        let transactionsBefore = try bouncer.stat("total_xact_count", database: service.database)

        let statuses = Results.raceHolds(200, port: service.port, key: partner.key, vendor: vendor, start: start).statuses
        let tally = Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count)
        #expect(statuses.count == 200)
        #expect(statuses.filter { $0 == 201 }.count == 1, "statuses: \(tally)")
        #expect(statuses.filter { $0 == 409 }.count == 199, "only 409 for the losers, no 500 or 503: \(tally)")
        #expect(try service.sql().query("SELECT count(*) FROM reservations").first!.int(0) == 1)
        // Availability reads through the pooler too, and shows the slot taken, the next free.
        let availability = try service.get(
            "/v1/vendors/\(vendor)/availability?startTime=\(Booking.iso(start))&endTime=\(Booking.iso(start + 7200))&slotDuration=60&onlyAvailable=true",
            key: partner.key)
        #expect(availability.status == 200, "\(availability.text)")
        #expect(availability.text.contains(Booking.iso(start + 3600)), "\(availability.text)")

        // The work went through PgBouncer: more clients (responder threads) than the pool's
        // server connections, and the holds' transactions counted by it.
        let clients = try bouncer.show("CLIENTS").filter { $0["database"] == service.database }.count
        let servers = try bouncer.show("SERVERS").filter { $0["database"] == service.database }.count
        #expect(clients > bouncer.poolSize, "responder threads connected to PgBouncer: \(clients)")
        #expect(servers >= 1 && servers <= bouncer.poolSize, "server connections: \(servers)")
        let transactions = try bouncer.stat("total_xact_count", database: service.database) - transactionsBefore
        #expect(transactions >= 200, "PgBouncer counted \(transactions) transactions for 200 holds")
        let pooledSessions = try service.sql().query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
            [service.database, PgBouncer.pooledName]).first!.int(0)
        #expect(pooledSessions <= bouncer.poolSize, "the server saw at most the pool's sessions: \(pooledSessions)")
        let misrouted = (service.responder?.log ?? "").split(separator: "\n").filter { $0.contains("needs a server session of its own") }
        #expect(misrouted.isEmpty, "nothing session-bound went through the pooler: \(misrouted)")
    }

    @Test func aBookingCommitsThroughPgBouncerWithTheWorkerPooledToo() throws {
        let bouncer = try PgBouncer(poolSize: 2)
        defer { bouncer.stop() }
        let world = try PaymentWorld()
        defer { world.stop() }
        // The responder and a worker again, both through the pooler: the responder with its
        // revision listener on (it LISTENs), the worker also running the test job, leader-locked
        // every 100 ms, so its lock can be seen while it is held.
        let pooled = bouncer.arguments(database: world.service.database)
        world.worker?.stop()
        try world.service.restartResponder(extra: pooled + ["--availability-revision-seconds", "1"])
        let runsBefore = try world.scalar("SELECT count(*) FROM worker_job_runs WHERE job = 'test.periodic'")
        let transactionsBefore = try bouncer.stat("total_xact_count", database: world.service.database)
        let worker = try world.startWorker(pooled + ["--test-handlers", "--test-sleep-ms", "300"])

        let id = try world.hold()
        #expect(try world.confirm(id).json["state"] as? String == "AWAITING_VENDOR_AUTH")
        #expect(try world.authorizeVendor(id).status == 202)
        #expect(try world.authorizeRequester(id).status == 202)
        let committed = try world.waitFor(id, state: "COMMITTED")
        let payment = try #require(committed["paymentState"] as? [String: Any])
        #expect(payment["vendorPaymentIntentStatus"] as? String == "succeeded")
        #expect(payment["requesterPaymentIntentStatus"] as? String == "succeeded")
        let requesterIntent = try world.intent(try #require(payment["requesterPaymentIntentId"] as? String))
        #expect(requesterIntent["amount_received"] as? Int == 5000, "the price was captured at the fake")
        #expect(try world.scalar(
            "SELECT count(*) FROM operation_records WHERE reservation_id = $1::uuid AND status = 'succeeded'", [id]) == 6)

        // PgBouncer carried the work, with no more server sessions than its pool.
        let database = world.service.database
        #expect(try bouncer.stat("total_xact_count", database: database) > transactionsBefore)
        let clients = try bouncer.show("CLIENTS").filter { $0["database"] == database }.count
        #expect(clients > bouncer.poolSize, "responder and worker connections to PgBouncer: \(clients)")
        #expect(try bouncer.show("SERVERS").filter { $0["database"] == database }.count <= bouncer.poolSize)

        // The LISTEN sessions, the worker's hub and the responder's revision listener, went
        // straight to the server.
        var listeners: [String] = []
        let sql = try world.service.sql()
        _ = eventually(seconds: 10) {
            listeners = (try? sql.query(
                "SELECT application_name FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN %'", [database]
            ).map { try $0.string(0) }) ?? []
            return listeners.count >= 2
        }
        #expect(listeners == [PgBouncer.directName, PgBouncer.directName], "LISTEN sessions: \(listeners)")
        // So did its leader locks: the periodic job runs as leader, and its lock, caught while
        // held, belongs to a direct session.
        var lockHolders: [String] = []
        let seen = eventually(seconds: 10) {
            lockHolders = (try? sql.query("""
                SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND a.datname = $2
                """, [Int64(0x426B_6A77), database]).map { try $0.string(0) }) ?? []
            return !lockHolders.isEmpty
        }
        #expect(seen && lockHolders.allSatisfy { $0 == PgBouncer.directName }, "leader lock holders: \(lockHolders)")
        #expect(eventually(seconds: 10) {
            ((try? world.scalar("SELECT count(*) FROM worker_job_runs WHERE job = 'test.periodic' AND outcome = 'succeeded'")) ?? 0) > runsBefore + 1
        }, "the pooled worker led the periodic job")
        #expect(!worker.log.contains("needs a server session of its own"), "nothing session-bound went through the pooler")
        #expect(!worker.log.contains("prepared statement"), "no prepared statement went through the pooler")
    }

    @Test func aTransactionPoolerWithoutADirectURLIsRefusedAtStartup() throws {
        for command in [["serve", "--socket", "/nonexistent/bookiji.sock"], ["worker"]] {
            let output = try capture(Paths.bookiji, command + ["--database", "postgresql:///nowhere", "--database-pooler", "transaction"])
            #expect(output.exitCode == 64, "\(command): \(output.stderr)")
            #expect(output.stderr.contains("--direct-database"), "\(output.stderr)")
        }
    }

    /// A pooled connection refuses what would leak into a session the pooler lends to others,
    /// and sends its statements unnamed (they work through PgBouncer however often they run).
    @Test func aPooledConnectionKeepsNothingInTheSession() throws {
        let bouncer = try PgBouncer(poolSize: 1)
        defer { bouncer.stop() }
        let database = try PostgresCluster.shared.createDatabase()
        let connection = try PGConnection(
            url: bouncer.url(database: database), timeouts: .requestPath(connect: 5, statement: 2.5), pooled: true)
        #expect(connection.isPooled)
        // The same statement again and again, and in transactions: with named prepared statements
        // the second run could land on a server session that never saw the first. The statement
        // timeout holds inside each transaction (SET LOCAL) and leaks nowhere outside it.
        for value in 0..<20 {
            #expect(try connection.query("SELECT $1::int + 1", [value]).first!.int(0) == value + 1)
            let inside = try connection.transaction { c in
                try c.query("SELECT current_setting('statement_timeout')").first!.string(0)
            }
            #expect(inside == "2500ms")
            #expect(try connection.query("SELECT current_setting('statement_timeout')").first!.string(0) == "0")
        }
        #expect(throws: PGError.self) { try connection.listen("anything") }
        #expect(throws: PGError.self) { try connection.tryAdvisoryLock(classID: 1, objectID: 2) }
        // The process setting decides for connections that do not say: pooled unless direct.
        let pooling = PGPooling(mode: .transaction, directURL: bouncer.directURL(database: database))
        #expect(pooling.isPooled(bouncer.url(database: database)))
        #expect(!pooling.isPooled(bouncer.directURL(database: database)))
        #expect(pooling.sessionURL(for: bouncer.url(database: database)) == bouncer.directURL(database: database))
    }
}
