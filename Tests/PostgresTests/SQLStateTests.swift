import Postgres
import Testing

/// Server errors carry their SQLSTATE; none of them is mistaken for a transient failure, and the
/// connection stays usable afterwards.
struct SQLStateTests {
    @Test func uniqueViolationIs23505WithTheConstraint() throws {
        let connection = try TestDatabase().connect()
        try connection.execute(script: "CREATE TABLE u (email text CONSTRAINT u_email_key UNIQUE)")
        try connection.query("INSERT INTO u VALUES ($1)", ["a@example.com"])
        let error = #expect(throws: PGError.self) {
            try connection.query("INSERT INTO u VALUES ($1)", ["a@example.com"])
        }
        #expect(error?.code == .server)
        #expect(error?.sqlState == "23505")
        #expect(error?.isUniqueViolation == true)
        #expect(error?.constraint == "u_email_key")
        #expect(error?.isTransient == false)
        // The offending value is in `detail`, kept out of the description that goes to logs.
        #expect(error?.detail?.contains("a@example.com") == true)
        #expect(error?.description.contains("a@example.com") == false)
        #expect(try connection.query("SELECT count(*) FROM u").first?.int(0) == 1)
    }

    @Test func undefinedTableIs42P01() throws {
        let connection = try TestDatabase().connect()
        let error = #expect(throws: PGError.self) { try connection.query("SELECT * FROM no_such_table") }
        #expect(error?.sqlState == "42P01")
        #expect(error?.message.contains("no_such_table") == true)
        #expect(error?.description.contains("42P01") == true)
    }

    @Test func invalidTextRepresentationIs22P02() throws {
        let connection = try TestDatabase().connect()
        let error = #expect(throws: PGError.self) { try connection.query("SELECT $1::int", ["abc"]) }
        #expect(error?.sqlState == "22P02")
        #expect(error?.isTransient == false)
        // The same prepared statement works with a good value.
        #expect(try connection.query("SELECT $1::int", ["12"]).first?.int(0) == 12)
    }

    @Test func scriptErrorsCarrySQLStateToo() throws {
        let connection = try TestDatabase().connect()
        let error = #expect(throws: PGError.self) { try connection.execute(script: "SELECT 1/0") }
        #expect(error?.sqlState == "22012")
        #expect(try connection.query("SELECT 2").first?.int(0) == 2)
    }

    /// A statement that failed to prepare is not remembered as prepared: once the table exists,
    /// the same SQL text works.
    @Test func failedPrepareIsNotCached() throws {
        let connection = try TestDatabase().connect()
        let sql = "SELECT count(*) FROM later"
        #expect(throws: PGError.self) { try connection.query(sql) }
        try connection.execute(script: "CREATE TABLE later (v int)")
        #expect(try connection.query(sql).first?.int(0) == 0)
    }

    @Test func transientClassification() {
        #expect(PGError(code: .connectionFailed, message: "x").isTransient)
        for state in ["40001", "40P01", "08006", "57P01", "57P03"] {
            #expect(PGError(code: .server, message: "x", sqlState: state).isTransient, "\(state)")
        }
        for state in ["23505", "42P01", "22P02", "25P02"] {
            #expect(!PGError(code: .server, message: "x", sqlState: state).isTransient, "\(state)")
        }
        #expect(!PGError(code: .decoding, message: "x").isTransient)
    }
}
