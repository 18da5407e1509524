import Postgres
import Testing

/// Each SQL text is prepared once per connection and reused.
struct PreparedStatementTests {
    @Test func sameSQLIsPreparedOnceAndReusedWithNewParameters() throws {
        let connection = try TestDatabase().connect()
        let sql = "SELECT $1::int * 2"
        for value in [1, 7, 21] {
            #expect(try connection.query(sql, [value]).first?.int(0) == value * 2)
        }
        let prepared = try connection.query(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", [sql])
        #expect(try prepared.first?.int(0) == 1)
        let names = try connection.query("SELECT name FROM pg_prepared_statements").map { try $0.string(0) }
        #expect(Set(names).count == names.count)
    }

    @Test func distinctSQLGetsDistinctStatements() throws {
        let connection = try TestDatabase().connect()
        #expect(try connection.query("SELECT $1::text || 'a'", ["x"]).first?.string(0) == "xa")
        #expect(try connection.query("SELECT $1::text || 'b'", ["x"]).first?.string(0) == "xb")
        #expect(try connection.query("SELECT $1::text || 'a'", ["y"]).first?.string(0) == "ya")
        let count = try connection.query(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::text || %'")
        #expect(try count.first?.int(0) == 2)
    }

    /// Prepared statements are per session, not per transaction: one first prepared inside a
    /// transaction that rolls back must still be usable afterwards.
    @Test func statementPreparedInRolledBackTransactionStaysUsable() throws {
        let connection = try TestDatabase().connect()
        struct Abort: Error {}
        let sql = "SELECT $1::int + 100"
        #expect(throws: Abort.self) {
            try connection.transaction { conn in
                #expect(try conn.query(sql, [1]).first?.int(0) == 101)
                throw Abort()
            }
        }
        #expect(try connection.query(sql, [2]).first?.int(0) == 102)
    }
}
