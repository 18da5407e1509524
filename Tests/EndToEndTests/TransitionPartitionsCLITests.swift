import Foundation
import Postgres
import Testing

/// `bookiji transitions partitions|detach` and the worker's `transition-partitions` job, on the
/// built binary against a migrated database (issue 16, point 6).
struct TransitionPartitionsCLITests {
    /// `YYYY-MM` of the month `offset` months from the current one, in UTC.
    static func month(_ offset: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: Date())
        let index = parts.year! * 12 + parts.month! - 1 + offset
        return String(format: "%04d-%02d", index / 12, index % 12 + 1)
    }

    static func partitionName(_ month: String) -> String {
        "reservation_transitions_" + month.replacingOccurrences(of: "-", with: "_")
    }

    static func partitions(_ fixture: WorkerFixture) throws -> [[String: Any]] {
        let output = try capture(Paths.bookiji, ["transitions", "partitions", "--json"], environment: ["BOOKIJI_DATABASE_URL": fixture.databaseURL])
        #expect(output.exitCode == 0, "\(output.stderr)")
        return try #require(output.json["partitions"] as? [[String: Any]], "\(output.stdout)")
    }

    @Test func listsAndDetachesOnlyPastMonthsInJSON() throws {
        let fixture = try WorkerFixture()
        defer { fixture.stop() }
        let cli = { (arguments: [String]) in
            try capture(Paths.bookiji, arguments, environment: ["BOOKIJI_DATABASE_URL": fixture.databaseURL])
        }
        // An old month with one transition in it.
        let old = Self.month(-4)
        let sql = try fixture.sql()
        try sql.execute(script: """
            SELECT reservation_transitions_ensure_partition('\(old)-01');
            INSERT INTO partners (id, name) VALUES ('00000000-0000-4000-8000-00000000000a', 'Partner');
            INSERT INTO vendors (id, name, timezone) VALUES ('00000000-0000-4000-8000-0000000000b1', 'Vendor', 'UTC');
            INSERT INTO reservations (id, partner_id, vendor_id, requester_id, slot, state, deadline)
            VALUES ('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-00000000000a',
                    '00000000-0000-4000-8000-0000000000b1', 'requester',
                    tstzrange('2030-01-01Z', '2030-01-01 01:00Z', '[)'), 'HELD', now() + interval '1 hour');
            INSERT INTO reservation_transitions (reservation_id, from_state, to_state, triggered_by, occurred_at)
            VALUES ('00000000-0000-4000-8000-0000000000c1', 'INTENT_CREATED', 'HELD', 'partner', '\(old)-02 00:00:00+00');
            """)

        let listed = try Self.partitions(fixture)
        let names = listed.compactMap { $0["name"] as? String }
        for offset in 0...2 { #expect(names.contains(Self.partitionName(Self.month(offset))), "\(names)") }
        let oldEntry = try #require(listed.first { $0["month"] as? String == old })
        #expect(oldEntry["rows"] as? Int == 1)
        #expect(oldEntry["attached"] as? Bool == true)
        #expect(oldEntry["from"] as? String == "\(old)-01T00:00:00Z")
        #expect(listed.last?["default"] as? Bool == true)
        #expect(listed.last?["month"] is NSNull)

        // Taking the current month is refused (data error, one line, no JSON, nothing detached).
        let refused = try cli(["transitions", "detach", "--before", Self.month(1), "--json"])
        #expect(refused.exitCode == 65, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("current month"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("ERROR"), "no PostgreSQL text: \(refused.stderr)")
        #expect(try Self.partitions(fixture).allSatisfy { $0["attached"] as? Bool == true })
        let malformed = try cli(["transitions", "detach", "--before", "2026-13", "--json"])
        #expect(malformed.exitCode == 64, "\(malformed.stderr)")

        let detached = try cli(["transitions", "detach", "--before", Self.month(0), "--json"])
        #expect(detached.exitCode == 0, "\(detached.stderr)")
        #expect(detached.json["before"] as? String == Self.month(0))
        let entries = try #require(detached.json["detached"] as? [[String: Any]], "\(detached.stdout)")
        #expect(entries.map { $0["name"] as? String } == [Self.partitionName(old)])
        #expect(entries.first?["rows"] as? Int == 1)
        #expect(entries.first?["attached"] as? Bool == false)
        // Still listed (an archive waiting for its dump), detached; the text form says what to do.
        #expect(try Self.partitions(fixture).first { $0["month"] as? String == old }?["attached"] as? Bool == false)
        let text = try cli(["transitions", "partitions"])
        #expect(text.stdout.contains("\(Self.partitionName(old))  \(old)  detached"), "\(text.stdout)")
        #expect(try fixture.scalar("SELECT count(*)::int FROM \(Self.partitionName(old))") == 1)
        #expect(try fixture.scalar("SELECT count(*)::int FROM reservation_transitions") == 0)
    }

    /// The worker makes a missing month ahead by itself, under its leader lock, and reports it.
    @Test func workerJobCreatesMissingMonthsAhead() throws {
        let fixture = try WorkerFixture()
        defer { fixture.stop() }
        let missing = Self.partitionName(Self.month(2))
        // As if the migration had run two months ago: the furthest month is not there yet.
        try fixture.sql().execute(script: "ALTER TABLE reservation_transitions DETACH PARTITION \(missing); DROP TABLE \(missing)")
        #expect(try Self.partitions(fixture).contains { $0["name"] as? String == missing } == false)

        try fixture.startWorker()
        let ran = eventually(seconds: 20) {
            (try? fixture.scalar("""
                SELECT count(*)::int FROM worker_jobs WHERE job = 'transition-partitions' AND last_outcome = 'succeeded'
                """)) == 1
        }
        #expect(ran, "\(fixture.logs)")
        #expect(try fixture.scalar("SELECT (last_report->>'created')::int FROM worker_jobs WHERE job = 'transition-partitions'") == 1)
        let made = try #require(try Self.partitions(fixture).first { $0["name"] as? String == missing })
        #expect(made["attached"] as? Bool == true)
        // The new month refuses changes like the others.
        #expect(try fixture.scalar("""
            SELECT count(*)::int FROM pg_trigger WHERE tgrelid = '\(missing)'::regclass
              AND tgname IN ('reservation_transitions_no_update_delete', 'reservation_transitions_no_truncate')
            """) == 2)
    }
}
