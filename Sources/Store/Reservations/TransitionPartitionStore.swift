import BookijiCore
import Postgres

/// A calendar month in UTC, the unit the transition log is partitioned by
/// (`reservation_transitions_YYYY_MM` holds `[YYYY-MM-01T00:00:00Z, the next month's first)`).
public struct TransitionMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    /// 1...12.
    public var month: Int

    public init?(year: Int, month: Int) {
        guard (1...12).contains(month), (1970...9999).contains(year) else { return nil }
        self.year = year
        self.month = month
    }

    /// `YYYY-MM`, as the CLI takes it; nil for anything else.
    public init?(text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let year = Int(parts[0]), let month = Int(parts[1]) else { return nil }
        self.init(year: year, month: month)
    }

    /// The month containing the instant, in UTC.
    public init(containing epochSeconds: Int64) {
        let (year, month, _) = RFC3339.civilFromDays(epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400)
        self.year = Int(year)
        self.month = month
    }

    /// From a partition's name, `reservation_transitions_YYYY_MM`; nil for any other name.
    init?(partitionName name: String) {
        let prefix = TransitionPartitionStore.prefix
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        guard rest.count == 7, rest[rest.index(rest.startIndex, offsetBy: 4)] == "_" else { return nil }
        self.init(text: rest.replacingOccurrences(of: "_", with: "-"))
    }

    public func adding(months: Int) -> TransitionMonth {
        let index = year * 12 + (month - 1) + months
        return TransitionMonth(unchecked: index / 12, index % 12 + 1)
    }

    private init(unchecked year: Int, _ month: Int) {
        self.year = year
        self.month = month
    }

    /// `YYYY-MM-01`, the date the SQL functions take.
    var firstDay: String { description + "-01" }

    /// The month's first instant, in epoch seconds.
    public var start: Int64 { RFC3339.daysFromCivil(Int64(year), month, 1) * 86_400 }

    public var partitionName: String {
        TransitionPartitionStore.prefix + (year < 1000 ? "0" : "") + "\(year)_" + (month < 10 ? "0" : "") + "\(month)"
    }

    public var description: String { "\(year)-" + (month < 10 ? "0" : "") + "\(month)" }

    public static func < (a: TransitionMonth, b: TransitionMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }
}

/// The transition log's monthly partitions (migration 0020): created ahead by the worker, listed
/// and detached for archiving by `bookiji transitions`. The rules live in the migration's SQL
/// functions (`reservation_transitions_ensure_partition`, `..._detach_partition`), so `psql` gets
/// the same guarantees as this code: a partition is append-only from its creation, and the current
/// month or a later one is never detached.
public struct TransitionPartitionStore {
    static let prefix = "reservation_transitions_"
    static let defaultPartition = "reservation_transitions_default"

    /// One table of the log: an attached monthly partition, the DEFAULT partition, or a monthly
    /// table detached earlier and not yet dropped (an archive waiting for its dump).
    public struct Partition: Sendable, Equatable {
        public var name: String
        /// Nil for the DEFAULT partition.
        public var month: TransitionMonth?
        public var isDefault: Bool
        public var attached: Bool
        /// Counted exactly (`count(*)`): what an archive must hold.
        public var rows: Int64
    }

    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    /// Makes sure the partitions of the month containing `now` and of the `ahead` months after it
    /// exist; idempotent. Rows the DEFAULT partition took for one of those months move into it.
    /// - Returns: the months whose partitions this call created, in order.
    @discardableResult
    public func ensureMonths(containing now: Int64, ahead: Int) throws -> [TransitionMonth] {
        precondition(ahead >= 0)
        let first = TransitionMonth(containing: now)
        var created: [TransitionMonth] = []
        for offset in 0...ahead {
            let month = first.adding(months: offset)
            let made = try connection.query(
                "SELECT reservation_transitions_ensure_partition($1::date)", [month.firstDay]
            ).first?.bool(0) ?? false
            if made { created.append(month) }
        }
        try guardTruncation()
        return created
    }

    /// Gives every attached partition that lacks it the trigger refusing TRUNCATE: one made by
    /// hand (`CREATE TABLE … PARTITION OF`) rather than by `reservation_transitions_ensure_partition`
    /// gets PostgreSQL's cloned UPDATE/DELETE trigger but not this statement-level one, which
    /// PostgreSQL does not clone. Run with every ``ensureMonths(containing:ahead:)``, so the
    /// worker's job closes such a gap within its interval.
    /// - Returns: the partitions that were given the trigger.
    @discardableResult
    public func guardTruncation() throws -> [String] {
        let unguarded = try connection.query("""
            SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'reservation_transitions'::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_trigger t
                              WHERE t.tgrelid = c.oid AND t.tgname = 'reservation_transitions_no_truncate')
            ORDER BY 1
            """).map { try $0.string(0) }
        for name in unguarded {
            let table = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            try connection.execute(script: """
                CREATE TRIGGER reservation_transitions_no_truncate BEFORE TRUNCATE ON \(table)
                FOR EACH STATEMENT EXECUTE FUNCTION reservation_transitions_append_only()
                """)
        }
        return unguarded
    }

    /// Every table of the log, monthly ones in month order, then the DEFAULT partition.
    public func list() throws -> [Partition] {
        let rows = try connection.query("""
            SELECT c.relname::text,
                   EXISTS (SELECT 1 FROM pg_inherits i
                           WHERE i.inhrelid = c.oid AND i.inhparent = 'reservation_transitions'::regclass)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind = 'r'
              AND (c.relname = $1 OR c.relname ~ '^reservation_transitions_[0-9]{4}_[0-9]{2}$')
            ORDER BY c.relname
            """, [Self.defaultPartition])
        var partitions: [Partition] = []
        for row in rows {
            let name = try row.string(0)
            let month = TransitionMonth(partitionName: name)
            guard month != nil || name == Self.defaultPartition else { continue }
            // The name came from pg_class and matched the pattern above: quoting it is enough.
            let count = try connection.query("SELECT count(*) FROM \"\(name)\"").first?.int64(0) ?? 0
            partitions.append(Partition(
                name: name, month: month, isDefault: month == nil, attached: try row.bool(1), rows: count))
        }
        return partitions.sorted { a, b in
            switch (a.month, b.month) {
            case let (x?, y?): x < y
            case (.some, nil): true
            default: false
            }
        }
    }

    /// Detaches every attached monthly partition of a month before `before`, in one transaction
    /// (all or none). Refused when `before` is later than the month containing `now`, since that
    /// would take the current month, which still receives transitions; the SQL function checks
    /// the same against the database's clock.
    /// - Returns: the partitions detached, with their rows; empty when there was none to detach.
    public func detach(before: TransitionMonth, now: Int64) throws -> [Partition] {
        let current = TransitionMonth(containing: now)
        guard before <= current else {
            throw StoreError(.invalidData, """
                --before \(before) would detach \(current), the current month (UTC), which still receives \
                transitions; the latest allowed is --before \(current)
                """)
        }
        let candidates = try list().filter { partition in
            guard partition.attached, let month = partition.month else { return false }
            return month < before
        }
        return try connection.transaction { conn in
            try candidates.map { partition in
                let rows = try conn.query(
                    "SELECT reservation_transitions_detach_partition($1::date)", [partition.month!.firstDay]
                ).first?.int64(0) ?? 0
                var detached = partition
                detached.attached = false
                detached.rows = rows
                return detached
            }
        }
    }
}
