import BookijiCore
import Foundation
import Postgres
import Store
import Testing

/// The transition log partitioned by month (migrations 0020, 0021; issue 16, point 6): the rebuild
/// keeps every row and id, every partition refuses changes, partitions are made ahead idempotently,
/// and only months before the current one are detached.
struct TransitionPartitionTests {
    static let partner = "00000000-0000-4000-8000-00000000000a"
    static let vendors = ["00000000-0000-4000-8000-0000000000b1", "00000000-0000-4000-8000-0000000000b2"]

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    /// A partner, two vendors and one reservation per vendor; returns the reservations' ids.
    @discardableResult
    static func seed(_ connection: PGConnection) throws -> [String] {
        try connection.query("INSERT INTO partners (id, name) VALUES ($1::uuid, 'Partner')", [partner])
        var reservations: [String] = []
        for (index, vendor) in vendors.enumerated() {
            try connection.query("INSERT INTO vendors (id, name, timezone) VALUES ($1::uuid, 'Vendor', 'UTC')", [vendor])
            reservations.append(try connection.query("""
                INSERT INTO reservations (partner_id, vendor_id, requester_id, slot, state, deadline)
                VALUES ($1::uuid, $2::uuid, 'requester', tstzrange(to_timestamp($3), to_timestamp($3 + 3600), '[)'), 'HELD',
                        now() + interval '1 hour')
                RETURNING id::text
                """, [partner, vendor, Int64(1_800_000_000 + index * 3600)]).first!.string(0))
        }
        return reservations
    }

    /// Logs a transition at `occurredAt` (epoch seconds), naming no vendor; returns its id.
    @discardableResult
    static func log(_ connection: PGConnection, reservation: String, at occurredAt: Int64, reason: String = "test") throws -> Int64 {
        try connection.query("""
            INSERT INTO reservation_transitions (reservation_id, from_state, to_state, triggered_by, reason, occurred_at)
            VALUES ($1::uuid, 'HELD', 'HELD', 'system', $2, to_timestamp($3)) RETURNING id
            """, [reservation, reason, occurredAt]).first!.int64(0)
    }

    static func partitionOf(_ connection: PGConnection, id: Int64) throws -> String {
        try connection.query("SELECT tableoid::regclass::text FROM reservation_transitions WHERE id = $1", [id]).first!.string(0)
    }

    /// UPDATE, DELETE and TRUNCATE of `table` are refused, and its rows are as before.
    static func expectAppendOnly(_ connection: PGConnection, _ table: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try connection.query("SELECT count(*) FROM \(table)").first!.int(0)
        #expect(before > 0, "a row to refuse changes to", sourceLocation: sourceLocation)
        for statement in ["UPDATE \(table) SET reason = 'edited'", "DELETE FROM \(table)", "TRUNCATE \(table)"] {
            do {
                try connection.execute(script: statement)
                Issue.record("\(statement) was allowed", sourceLocation: sourceLocation)
            } catch {
                #expect(error.message.contains("append-only"), "\(statement): \(error.message)", sourceLocation: sourceLocation)
            }
        }
        #expect(try connection.query("SELECT count(*) FROM \(table) WHERE reason = 'edited'").first!.int(0) == 0)
        #expect(try connection.query("SELECT count(*) FROM \(table)").first!.int(0) == before, sourceLocation: sourceLocation)
    }

    @Test func rebuildKeepsEveryRowAndIdAndStaysAppendOnly() throws {
        let connection = try TestDatabase().connect()
        let all = try Migration.load(directory: TestCluster.repositoryRoot + "/migrations")
        let migrator = Migrator(Session(connection))
        _ = try migrator.migrate(all.filter { $0.version < 20 })
        let reservations = try Self.seed(connection)
        // Rows in three months (two of them long past), interleaved across reservations.
        let times: [Int64] = [1_760_000_000, 1_762_700_000, 1_760_000_100, Self.now - 5, 1_762_700_100, Self.now]
        var logged: [Int64] = []
        for (index, time) in times.enumerated() {
            logged.append(try Self.log(connection, reservation: reservations[index % 2], at: time, reason: "row \(index)"))
        }
        let shape = "SELECT id, reservation_id::text, from_state, to_state, reason, extract(epoch FROM occurred_at)::bigint FROM reservation_transitions ORDER BY id"
        let before = try connection.query(shape).map { "\(try $0.int64(0)) \(try $0.string(1)) \(try $0.string(4)) \(try $0.int64(5))" }

        let report = try migrator.migrate(all.filter { $0.version <= 21 })
        #expect(report.applied.contains("0020_transition_log_partitions.sql"))
        #expect(try connection.query("SELECT relkind::text FROM pg_class WHERE relname = 'reservation_transitions'").first!.string(0) == "p")
        let after = try connection.query(shape).map { "\(try $0.int64(0)) \(try $0.string(1)) \(try $0.string(4)) \(try $0.int64(5))" }
        #expect(after == before)
        // Each row went to its month's partition, and carries its reservation's vendor.
        #expect(try Self.partitionOf(connection, id: logged[0]) == "reservation_transitions_2025_10")
        #expect(try Self.partitionOf(connection, id: logged[1]) == "reservation_transitions_2025_11")
        #expect(try Self.partitionOf(connection, id: logged[3]) == TransitionMonth(containing: Self.now).partitionName)
        let vendors = try connection.query("SELECT DISTINCT reservation_id::text, vendor_id::text FROM reservation_transitions ORDER BY 1")
            .map { [try $0.string(0), try $0.string(1)] }
        #expect(vendors.count == 2)
        for pair in vendors {
            let index = try #require(reservations.firstIndex(of: pair[0]))
            #expect(pair[1] == Self.vendors[index])
        }
        // A new row continues the ids after the old ones; the history reads in id order.
        let next = try Self.log(connection, reservation: reservations[0], at: Self.now)
        #expect(next > logged.max()!)
        let history = try ReservationStore(Session(connection)).history(id: reservations[0])
        #expect(history.map(\.id) == [logged[0], logged[2], logged[4], next])

        // Every partition, old, current and made later, refuses changes; so does the default.
        try Self.expectAppendOnly(connection, "reservation_transitions")
        try Self.expectAppendOnly(connection, "reservation_transitions_2025_10")
        let future = TransitionMonth(containing: Self.now).adding(months: 14)
        #expect(try TransitionPartitionStore(Session(connection)).ensureMonths(containing: future.start, ahead: 0) == [future])
        let inFuture = try Self.log(connection, reservation: reservations[1], at: future.start + 86_400)
        #expect(try Self.partitionOf(connection, id: inFuture) == future.partitionName)
        try Self.expectAppendOnly(connection, future.partitionName)
        try Self.log(connection, reservation: reservations[1], at: future.adding(months: 3).start)
        try Self.expectAppendOnly(connection, "reservation_transitions_default")
        // The log, payments and notifications name the reservation with its vendor; a wrong one is refused.
        #expect(throws: PGError.self) {
            try connection.query("""
                INSERT INTO reservation_transitions (reservation_id, vendor_id, from_state, to_state, triggered_by)
                VALUES ($1::uuid, $2::uuid, 'HELD', 'HELD', 'system')
                """, [reservations[0], Self.vendors[1]])
        }
    }

    @Test func partitionsAreMadeAheadOnceAndTakeTheDefaultPartitionsRows() throws {
        let connection = try TestDatabase(migrated: true).connect()
        let reservations = try Self.seed(connection)
        let store = TransitionPartitionStore(Session(connection))
        let names = { try store.list().map(\.name) }
        // The migration made this month and the next two.
        let current = TransitionMonth(containing: Self.now)
        for offset in 0...2 { #expect(try names().contains(current.adding(months: offset).partitionName)) }
        #expect(try store.ensureMonths(containing: Self.now, ahead: 2).isEmpty)

        // Two years on, with a row already taken by the default partition for that month.
        let later = current.adding(months: 24)
        let early = try Self.log(connection, reservation: reservations[0], at: later.start + 3600)
        #expect(try Self.partitionOf(connection, id: early) == "reservation_transitions_default")
        let made = try store.ensureMonths(containing: later.start + 10 * 86_400, ahead: 2)
        #expect(made == [later, later.adding(months: 1), later.adding(months: 2)])
        #expect(try store.ensureMonths(containing: later.start + 10 * 86_400, ahead: 2).isEmpty)
        #expect(try Self.partitionOf(connection, id: early) == later.partitionName)
        #expect(try connection.query("SELECT count(*) FROM reservation_transitions_default").first!.int(0) == 0)
        let listed = try store.list()
        #expect(listed.last?.isDefault == true)
        #expect(listed.first(where: { $0.month == later })?.rows == 1)
        #expect(listed.compactMap(\.month) == listed.compactMap(\.month).sorted())
        // The moved row is still refused changes where it now lives, and the default is attached again.
        try Self.expectAppendOnly(connection, later.partitionName)
        #expect(listed.allSatisfy { $0.attached })
    }

    /// A partition made by hand gets the cloned UPDATE/DELETE trigger from PostgreSQL, and the
    /// TRUNCATE one from the next run of the job.
    @Test func aPartitionMadeByHandIsGuardedByTheNextRun() throws {
        let connection = try TestDatabase(migrated: true).connect()
        let reservations = try Self.seed(connection)
        let store = TransitionPartitionStore(Session(connection))
        let month = TransitionMonth(containing: Self.now).adding(months: 30)
        try connection.execute(script: """
            CREATE TABLE \(month.partitionName) PARTITION OF reservation_transitions
            FOR VALUES FROM ('\(month)-01 00:00:00+00') TO ('\(month.adding(months: 1))-01 00:00:00+00')
            """)
        try Self.log(connection, reservation: reservations[0], at: month.start + 60)
        #expect(throws: PGError.self) { try connection.execute(script: "DELETE FROM \(month.partitionName)") }
        let truncateGuards = "SELECT count(*) FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = 'reservation_transitions_no_truncate'"
        #expect(try connection.query(truncateGuards, [month.partitionName]).first!.int(0) == 0)
        #expect(try store.ensureMonths(containing: Self.now, ahead: 2).isEmpty)
        #expect(try connection.query(truncateGuards, [month.partitionName]).first!.int(0) == 1)
        try Self.expectAppendOnly(connection, month.partitionName)
        #expect(try store.guardTruncation().isEmpty)
    }

    @Test func onlyMonthsBeforeTheCurrentOneAreDetached() throws {
        let connection = try TestDatabase(migrated: true).connect()
        let reservations = try Self.seed(connection)
        let store = TransitionPartitionStore(Session(connection))
        let current = TransitionMonth(containing: Self.now)
        let old = current.adding(months: -3)
        try store.ensureMonths(containing: old.start, ahead: 0)
        let archived = try Self.log(connection, reservation: reservations[0], at: old.start + 60)
        try Self.log(connection, reservation: reservations[0], at: Self.now)

        // The current month, or anything that would take it, is refused, and nothing moves.
        for before in [current.adding(months: 1), current.adding(months: 6)] {
            #expect(throws: StoreError.self) { try store.detach(before: before, now: Self.now) }
        }
        #expect(throws: PGError.self) {
            try connection.query("SELECT reservation_transitions_detach_partition($1::date)", ["\(current)-15"])
        }
        #expect(try store.list().allSatisfy(\.attached))

        let detached = try store.detach(before: current, now: Self.now)
        #expect(detached.map(\.name) == [old.partitionName])
        #expect(detached.first?.rows == 1)
        #expect(detached.first?.attached == false)
        #expect(try store.detach(before: current, now: Self.now).isEmpty)
        // The archive is a plain table, still refusing changes, out of the log and the history.
        #expect(try connection.query("SELECT relkind::text FROM pg_class WHERE relname = $1", [old.partitionName]).first?.string(0) == "r")
        try Self.expectAppendOnly(connection, old.partitionName)
        #expect(try connection.query("SELECT count(*) FROM reservation_transitions WHERE id = $1", [archived]).first!.int(0) == 0)
        #expect(try ReservationStore(Session(connection)).history(id: reservations[0]).count == 1)
        let listed = try store.list()
        #expect(listed.first(where: { $0.name == old.partitionName })?.attached == false)
        #expect(listed.filter { $0.month == current }.first?.attached == true)
        // The operator drops it after the dump; the log is untouched.
        try connection.execute(script: "DROP TABLE \(old.partitionName)")
        #expect(try store.list().contains { $0.name == old.partitionName } == false)
    }

    @Test func monthsParseAndCount() {
        #expect(TransitionMonth(text: "2026-12")?.description == "2026-12")
        #expect(TransitionMonth(text: "2026-13") == nil)
        #expect(TransitionMonth(text: "2026-1") == nil)
        #expect(TransitionMonth(text: "26-01") == nil)
        #expect(TransitionMonth(text: "2026-12")?.adding(months: 1).description == "2027-01")
        #expect(TransitionMonth(text: "2026-01")?.adding(months: -1).description == "2025-12")
        #expect(TransitionMonth(containing: 1_798_761_599).description == "2026-12")  // 2026-12-31T23:59:59Z
        #expect(TransitionMonth(containing: 1_798_761_600).description == "2027-01")
        #expect(TransitionMonth(text: "2027-01")?.start == 1_798_761_600)
        #expect(TransitionMonth(text: "2027-01")?.partitionName == "reservation_transitions_2027_01")
    }

    /// The spec's `(vendor_id, slot_start, state)` index answers a vendor's agenda: its
    /// reservations in one state starting within a window.
    @Test func vendorSlotStartStateIndexServesTheAgenda() throws {
        let connection = try TestDatabase(migrated: true).connect()
        try connection.execute(script: """
            INSERT INTO partners (id, name) VALUES ('\(Self.partner)', 'Partner');
            INSERT INTO vendors (name, timezone) SELECT 'Vendor ' || g, 'UTC' FROM generate_series(1, 40) g;
            INSERT INTO reservations (partner_id, vendor_id, requester_id, slot, state, deadline)
            SELECT '\(Self.partner)', v.id, 'requester',
                   tstzrange(timestamptz '2027-01-01Z' + make_interval(hours => g), timestamptz '2027-01-01Z' + make_interval(hours => g + 1)),
                   'COMMITTED', NULL
            FROM vendors v, generate_series(1, 300) g;
            ANALYZE reservations;
            """)
        let plan = try connection.query("""
            EXPLAIN SELECT id FROM reservations
            WHERE vendor_id = (SELECT id FROM vendors ORDER BY id LIMIT 1) AND state = 'COMMITTED'
              AND lower(slot) >= '2027-01-05Z' AND lower(slot) < '2027-01-08Z'
            ORDER BY lower(slot)
            """).map { try $0.string(0) }.joined(separator: "\n")
        #expect(plan.contains("reservations_vendor_slot_start_state"), "\(plan)")
    }
}
