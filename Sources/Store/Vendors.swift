import BookijiCore
import Postgres

/// SQL for vendors.
public struct VendorStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    init(connection: PGConnection) {
        self.connection = connection
    }

    /// Creates a vendor. The zone must be a tzdata region name, unless `zoneValidated` says the
    /// caller checked it against tzdata with its aliases (`CET`, `EST`: ``VendorDirectory`` does,
    /// through Availability, which Store does not depend on).
    public func create(name: String, timeZone: String, zoneValidated: Bool = false) throws -> Vendor {
        let trimmed = name.trimmingSpaces
        guard TextLimits.name.contains(trimmed), !trimmed.unicodeScalars.contains("\u{0}") else {
            throw BookijiError(.invalidParameter, "vendor name must be 1 to 200 characters (code points), without NUL", details: ["field": "name"])
        }
        guard zoneValidated || IANATimeZone.isKnown(timeZone) else {
            throw BookijiError(
                .invalidParameter,
                "'\(timeZone)' is not an IANA time zone (expected e.g. Europe/Berlin or America/New_York)",
                details: ["field": "timezone"])
        }
        return try Self.vendor(connection.query(
            "INSERT INTO vendors (name, timezone) VALUES ($1, $2) RETURNING \(Self.columns)",
            [trimmed, timeZone]).first!)
    }

    /// Every vendor, oldest first.
    public func list() throws -> [Vendor] {
        try connection.query("SELECT \(Self.columns) FROM vendors ORDER BY created_at, id").map(Self.vendor)
    }

    public func find(id: String) throws -> Vendor? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("SELECT \(Self.columns) FROM vendors WHERE id = $1::uuid", [id]).first.map(Self.vendor)
    }

    /// The current revision of a vendor's availability inputs: the one indexed lookup a cached
    /// availability answer costs.
    public func revision(id: String) throws -> Int64? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("SELECT revision FROM vendors WHERE id = $1::uuid", [id]).first?.int64(0)
    }

    /// Stores a validated rules document and the zone it names, bumping the revision.
    public func setRules(id: String, rulesJSON: String, timeZone: String) throws -> Vendor? {
        guard UUIDText.isValid(id) else { return nil }
        return try connection.query("""
            UPDATE vendors SET rules = $2::jsonb, timezone = $3, revision = revision + 1, updated_at = now()
            WHERE id = $1::uuid RETURNING \(Self.columns)
            """, [id, rulesJSON, timeZone]).first.map(Self.vendor)
    }

    /// The channel a trigger NOTIFYs whenever a vendor's revision changes (migration 0019), at
    /// the commit of the transaction that changed it; the payload is `<vendor id>:<new revision>`.
    /// Responders listen to it so their cached availability never outlives a change made elsewhere.
    public static let revisionChannel = "bookiji_vendor_revision"

    /// Marks a change to an input of the vendor's availability (calendar intervals, reservations).
    /// Call it inside the transaction that makes the change.
    public func bumpRevision(id: String) throws {
        try connection.query("UPDATE vendors SET revision = revision + 1, updated_at = now() WHERE id = $1::uuid", [id])
    }

    static let columns = "\(columnsBeforeRules), rules::text"

    /// ``columns`` up to the rules, for statements that choose whether to send them.
    static let columnsBeforeRules = """
        id::text, name, timezone, revision, \(SQLTime.rfc3339("created_at")), \(SQLTime.rfc3339("updated_at"))
        """

    /// A vendor from ``columns``, starting at column `first`.
    static func vendor(_ row: PGRow, from first: Int) throws -> Vendor {
        Vendor(
            id: try row.string(first), name: try row.string(first + 1), timeZone: try row.string(first + 2),
            revision: try row.int64(first + 3), createdAtMillis: try row.int64(first + 4),
            updatedAtMillis: try row.int64(first + 5), rulesJSON: try row.optional(String.self, first + 6))
    }

    static func vendor(_ row: PGRow) throws -> Vendor { try vendor(row, from: 0) }
}
