import Postgres
import Testing

/// Values travel as parameters, never spliced into SQL text.
struct ParameterTests {
    @Test func sqlInjectionTextRoundTripsAsData() throws {
        let connection = try TestDatabase().connect()
        try connection.execute(script: "CREATE TABLE x (v text)")
        let hostile = "'; DROP TABLE x; --"
        try connection.query("INSERT INTO x (v) VALUES ($1)", [hostile])

        let rows = try connection.query("SELECT v FROM x WHERE v = $1", [hostile])
        #expect(rows.count == 1)
        #expect(try rows[0].string(0) == hostile)
        // The table is still there and holds exactly the one row.
        #expect(try connection.query("SELECT count(*) FROM x").first?.int(0) == 1)
    }

    @Test(arguments: [
        "it's", "back\\slash", "$1", "\"double\"", "line\nbreak\ttab", "Zürich 東京 🙂", "", " padded ",
        "E'\\x41'", "1; SELECT pg_sleep(10)",
    ])
    func textValuesComeBackUnchanged(_ value: String) throws {
        let connection = try TestDatabase().connect()
        let row = try #require(try connection.query("SELECT $1::text, length($1::text)", [value]).first)
        #expect(try row.string(0) == value)
        #expect(try row.int(1) == value.unicodeScalars.count)  // length() counts code points
    }

    @Test func nullParametersAreSQLNull() throws {
        let connection = try TestDatabase().connect()
        let row = try #require(try connection.query(
            "SELECT $1::text IS NULL, $2::int IS NULL, $3::text", [nil, 5, nil]).first)
        #expect(try row.bool(0) == true)
        #expect(try row.bool(1) == false)
        #expect(row.isNull(2))
        #expect(try row.optional(String.self, 2) == nil)

        try connection.execute(script: "CREATE TABLE n (id int, note text)")
        try connection.query("INSERT INTO n VALUES ($1, $2)", [1, nil])
        #expect(try connection.query("SELECT count(*) FROM n WHERE note IS NULL").first?.int(0) == 1)
    }

    @Test func typedValuesRoundTrip() throws {
        let connection = try TestDatabase().connect()
        let row = try #require(try connection.query(
            "SELECT $1::bigint, $2::bigint, $3::int, $4::float8, $5::float8, $6::bool, $7::bool, $8::int",
            [Int64.max, Int64.min, Int32.min, 1.5, 1e-7, true, false, -42]).first)
        #expect(try row.int64(0) == Int64.max)
        #expect(try row.int64(1) == Int64.min)
        #expect(try row.decode(Int32.self, 2) == Int32.min)
        #expect(try row.double(3) == 1.5)
        #expect(try row.double(4) == 1e-7)
        #expect(try row.bool(5) == true)
        #expect(try row.bool(6) == false)
        #expect(try row.int(7) == -42)
    }

    @Test func nonFiniteDoublesRoundTrip() throws {
        let connection = try TestDatabase().connect()
        let row = try #require(try connection.query(
            "SELECT $1::float8, $2::float8, $3::float8", [Double.infinity, -Double.infinity, Double.nan]).first)
        #expect(try row.double(0) == .infinity)
        #expect(try row.double(1) == -.infinity)
        #expect(try row.double(2).isNaN)
    }

    /// libpq takes parameters as C strings: a NUL would silently cut the value short (a name
    /// "abc\0def" stored as "abc"). PostgreSQL text cannot hold NUL, so the wrapper must refuse it.
    @Test func parameterWithNULByteIsRefusedNotTruncated() throws {
        let connection = try TestDatabase().connect()
        let error = #expect(throws: PGError.self) {
            try connection.query("SELECT $1::text", ["abc\u{0}def"])
        }
        #expect(error?.sqlState == "22021")
        #expect(error?.message.contains("$1") == true)
        // The connection is still usable.
        #expect(try connection.query("SELECT 1").first?.int(0) == 1)
    }

    @Test func affectedRowsComesFromTheCommandTag() throws {
        let connection = try TestDatabase().connect()
        try connection.execute(script: "CREATE TABLE a (v int); INSERT INTO a SELECT generate_series(1, 5)")
        #expect(try connection.query("UPDATE a SET v = v + 1 WHERE v > $1", [2]).affectedRows == 3)
        #expect(try connection.query("DELETE FROM a").affectedRows == 5)
    }
}
