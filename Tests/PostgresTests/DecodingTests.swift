import Postgres
import Testing

/// Typed column access; a wrong type or an unexpected NULL is an error that names the column.
struct DecodingTests {
    @Test func wrongTypeNamesTheColumn() throws {
        let connection = try TestDatabase().connect()
        let row = try #require(try connection.query("SELECT 'abc'::text AS label, 1 AS n").first)
        let error = #expect(throws: PGError.self) { try row.int(0) }
        #expect(error?.code == .decoding)
        #expect(error?.message.contains("label") == true)
        #expect(error?.message.contains("Int") == true)
        #expect(try row.int(1) == 1)
    }

    @Test func nullWhereValueRequiredNamesTheColumn() throws {
        let connection = try TestDatabase().connect()
        let row = try #require(try connection.query("SELECT NULL::text AS missing_note").first)
        let error = #expect(throws: PGError.self) { try row.string(0) }
        #expect(error?.code == .decoding)
        #expect(error?.message.contains("missing_note") == true)
        #expect(error?.message.contains("null") == true)
        #expect(try row.optional(String.self, 0) == nil)
    }

    @Test func boolAndIntegerOverflowAreDecodingErrors() throws {
        let connection = try TestDatabase().connect()
        let row = try #require(try connection.query("SELECT 'yes'::text AS flag, 3000000000::bigint AS big").first)
        #expect(throws: PGError.self) { try row.bool(0) }
        #expect(throws: PGError.self) { try row.decode(Int32.self, 1) }
        #expect(try row.int64(1) == 3_000_000_000)
    }

    /// Asking for a column the result does not have must be an error, not a crash.
    @Test func columnOutOfRangeIsADecodingError() throws {
        let connection = try TestDatabase().connect()
        let row = try #require(try connection.query("SELECT 1 AS only").first)
        let error = #expect(throws: PGError.self) { try row.int(3) }
        #expect(error?.code == .decoding)
        #expect(error?.message.contains("3") == true)
        #expect(throws: PGError.self) { try row.optional(Int.self, 3) }
    }

    @Test func rowsIterateInOrder() throws {
        let connection = try TestDatabase().connect()
        let rows = try connection.query("SELECT g, 'n' || g FROM generate_series(1, $1::int) g ORDER BY g", [4])
        #expect(rows.count == 4)
        #expect(rows.columnCount == 2)
        #expect(try rows.map { try $0.int(0) } == [1, 2, 3, 4])
        #expect(try rows.map { try $0.string(1) } == ["n1", "n2", "n3", "n4"])
        #expect(try connection.query("SELECT 1 WHERE false").isEmpty)
    }
}
