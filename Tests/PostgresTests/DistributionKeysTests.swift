import Foundation
import Postgres
import Store
import Testing

/// The schema distributes by vendor (migrations 0020-0022; issue 16, point 6; the README's
/// "Partitioning and distribution"): every table is placed in a group, and the rules a distributed
/// PostgreSQL such as Citus enforces hold for the whole schema, so a table or key added later
/// without its distribution column fails here rather than on the day the database is sharded.
struct DistributionKeysTests {
    /// Where each table goes: the column it is distributed by, or nil for a reference (replicated)
    /// table or one kept local to the coordinator. Groups are co-located tables sharing a column.
    enum Placement: Equatable {
        case distributed(group: String, column: String)
        case reference
        case local
    }

    static let placements: [String: Placement] = [
        "vendors": .distributed(group: "vendor", column: "id"),
        "reservations": .distributed(group: "vendor", column: "vendor_id"),
        "reservation_transitions": .distributed(group: "vendor", column: "vendor_id"),
        "payment_legs": .distributed(group: "vendor", column: "vendor_id"),
        "operation_records": .distributed(group: "vendor", column: "vendor_id"),
        "vendor_notifications": .distributed(group: "vendor", column: "vendor_id"),
        "vendor_notification_channels": .distributed(group: "vendor", column: "vendor_id"),
        "vendor_api_keys": .distributed(group: "vendor", column: "vendor_id"),
        "calendar_sources": .distributed(group: "vendor", column: "vendor_id"),
        "calendar_intervals": .distributed(group: "vendor", column: "vendor_id"),
        "outbox": .distributed(group: "vendor", column: "vendor_id"),
        "idempotency_keys": .distributed(group: "partner", column: "partner_id"),
        "partner_usage_minutes": .distributed(group: "partner", column: "partner_id"),
        "partner_active_holds": .distributed(group: "partner", column: "partner_id"),
        "webhook_deliveries": .distributed(group: "partner", column: "partner_id"),
        "partners": .reference,
        "partner_api_keys": .reference,
        "webhook_endpoints": .reference,
        "stripe_events": .local,
        "worker_jobs": .local,
        "worker_job_runs": .local,
        "schema_migrations": .local,
    ]

    /// The tables of the schema (partitions count as their parent).
    static func tables(_ connection: PGConnection) throws -> [String] {
        try connection.query("""
            SELECT relname FROM pg_class
            WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition
            ORDER BY relname
            """).map { try $0.string(0) }
    }

    @Test func everyTableIsPlaced() throws {
        let connection = try TestDatabase(migrated: true).connect()
        let tables = try Self.tables(connection)
        #expect(Set(tables) == Set(Self.placements.keys), """
            unplaced: \(Set(tables).subtracting(Self.placements.keys).sorted()); \
            placed but gone: \(Set(Self.placements.keys).subtracting(tables).sorted())
            """)
    }

    /// Every primary key, unique key, exclusion constraint and unique index of a distributed table
    /// holds its distribution column (a distributed PostgreSQL can enforce no other), and every
    /// distributed table has a distribution column that is NOT NULL.
    @Test func everyUniqueKeyOfADistributedTableHoldsItsDistributionColumn() throws {
        let connection = try TestDatabase(migrated: true).connect()
        var checked = 0
        for case let (table, .distributed(_, column)) in Self.placements {
            let notNull = try connection.query("""
                SELECT attnotnull FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped
                """, [table, column]).first?.bool(0)
            #expect(notNull == true, "\(table).\(column) is missing or nullable")
            let keys = try connection.query("""
                SELECT i.indexrelid::regclass::text,
                       EXISTS (SELECT 1 FROM unnest(i.indkey) AS k (attnum)
                               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                               WHERE a.attname = $2)
                FROM pg_index i
                WHERE i.indrelid = $1::regclass
                  AND (i.indisunique OR i.indisexclusion)
                """, [table, column])
            for key in keys {
                let name = try key.string(0)
                #expect(try key.bool(1), "\(table): \(name) does not hold \(column)")
                checked += 1
            }
        }
        #expect(checked >= 20, "checked only \(checked) keys")
    }

    /// A foreign key may name a reference table from anywhere. Between distributed tables it must
    /// stay in one group and match distribution column to distribution column (so it is checked
    /// within one shard). A reference or local table never names a distributed one.
    @Test func foreignKeysStayInsideAGroupOrNameAReferenceTable() throws {
        let connection = try TestDatabase(migrated: true).connect()
        let keys = try connection.query("""
            SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
                   array_to_string(array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k (n, o)
                                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), ','),
                   array_to_string(array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k (n, o)
                                         JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o), ',')
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND NOT t.relispartition
              AND c.conparentid = 0
            """)
        #expect(keys.count >= 15)
        for key in keys {
            let (name, from, to) = (try key.string(0), try key.string(1), try key.string(2))
            let columns = try key.string(3).split(separator: ",").map(String.init)
            let referenced = try key.string(4).split(separator: ",").map(String.init)
            let source = try #require(Self.placements[from], "\(from) is not placed")
            let target = try #require(Self.placements[to], "\(to) is not placed")
            switch (source, target) {
            case (_, .reference):
                continue
            case let (.distributed(fromGroup, fromColumn), .distributed(toGroup, toColumn)):
                #expect(fromGroup == toGroup, "\(name): \(from) (\(fromGroup)) names \(to) (\(toGroup))")
                let paired = zip(columns, referenced).contains { $0 == fromColumn && $1 == toColumn }
                #expect(paired, "\(name): \(from)(\(columns)) → \(to)(\(referenced)) does not pair \(fromColumn) with \(toColumn)")
            default:
                Issue.record("\(name): \(from) (\(source)) names \(to) (\(target))")
            }
        }
    }

    /// Migration 0022 fills the new columns of rows written before it, and afterwards the trigger
    /// fills them for writers that leave them out: a message about no reservation (a Stripe event)
    /// carries the nil vendor, and a vendor that is not the reservation's is refused.
    @Test func migrationAndTriggersFillTheOutboxVendorAndTheDeliveryPartner() throws {
        let connection = try TestDatabase().connect()
        let all = try Migration.load(directory: TestCluster.repositoryRoot + "/migrations")
        let migrator = Migrator(Session(connection))
        _ = try migrator.migrate(all.filter { $0.version <= 21 })
        let reservations = try TransitionPartitionTests.seed(connection)
        let endpoint = try connection.query("""
            INSERT INTO webhook_endpoints (partner_id, url, secret) VALUES ($1::uuid, 'https://example.com/hook', 'whsec_x')
            RETURNING id::text
            """, [TransitionPartitionTests.partner]).first!.string(0)
        for reservation in reservations {
            try connection.query(
                "INSERT INTO outbox (topic, reservation_id, payload) VALUES ('test', $1::uuid, '{}')", [reservation])
            try connection.query("""
                INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, reservation_id, sequence, body)
                VALUES ($1::uuid, $2::text, 'reservation.created', $2::uuid, 1, '{}')
                """, [endpoint, reservation])
        }
        try connection.query("INSERT INTO outbox (topic, payload) VALUES ('stripe.event', '{}')")
        _ = try migrator.migrate(all.filter { $0.version <= 22 })

        let nilVendor = "00000000-0000-0000-0000-000000000000"
        let vendors = try connection.query("""
            SELECT coalesce(reservation_id::text, ''), vendor_id::text FROM outbox ORDER BY id
            """).map { (try $0.string(0), try $0.string(1)) }
        #expect(vendors.map(\.0) == reservations + [""])
        #expect(vendors.map(\.1) == TransitionPartitionTests.vendors + [nilVendor])
        #expect(try connection.query("SELECT DISTINCT partner_id::text FROM webhook_deliveries").map { try $0.string(0) }
            == [TransitionPartitionTests.partner])

        // Writers that leave the columns out.
        let filled = try connection.query("""
            INSERT INTO outbox (topic, reservation_id, payload) VALUES ('test', $1::uuid, '{}') RETURNING vendor_id::text
            """, [reservations[1]]).first!.string(0)
        #expect(filled == TransitionPartitionTests.vendors[1])
        let stripe = try connection.query(
            "INSERT INTO outbox (topic, payload) VALUES ('stripe.event', '{}') RETURNING vendor_id::text").first!.string(0)
        #expect(stripe == nilVendor)
        let partner = try connection.query("""
            INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, sequence, body)
            VALUES ($1::uuid, 'ping', 'ping', 1, '{}') RETURNING partner_id::text
            """, [endpoint]).first!.string(0)
        #expect(partner == TransitionPartitionTests.partner)

        // The keys hold them to the truth.
        for (statement, values) in [
            ("INSERT INTO outbox (topic, reservation_id, vendor_id, payload) VALUES ('test', $1::uuid, $2::uuid, '{}')",
             [reservations[0], TransitionPartitionTests.vendors[1]]),
            ("INSERT INTO outbox (topic, vendor_id, payload) VALUES ('stripe.event', $1::uuid, '{}')",
             [TransitionPartitionTests.vendors[0]]),
        ] {
            do {
                try connection.query(statement, values)
                Issue.record("allowed: \(statement)")
            } catch {
                #expect(["23503", "23514"].contains(error.sqlState ?? ""), "\(statement): \(error.message)")
            }
        }
        do {
            try connection.query("""
                INSERT INTO webhook_deliveries (endpoint_id, partner_id, event_id, event_type, sequence, body)
                VALUES ($1::uuid, $2::uuid, 'ping-2', 'ping', 1, '{}')
                """, [endpoint, "00000000-0000-4000-8000-0000000000ff"])
            Issue.record("a delivery for another partner's endpoint was allowed")
        } catch {
            #expect(error.sqlState == "23503", "\(error.message)")
        }
    }
}
