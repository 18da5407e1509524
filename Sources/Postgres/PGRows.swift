import CLibPQ

/// The rows of one statement's result. Owns the libpq result and frees it when released.
///
/// Not `Sendable`: it belongs to the thread that ran the statement.
public final class PGRows {
    private let result: OpaquePointer
    public let count: Int
    public let columnCount: Int
    /// Rows affected by an INSERT/UPDATE/DELETE, from the command tag.
    public let affectedRows: Int

    init(result: OpaquePointer) {
        self.result = result
        self.count = Int(PQntuples(result))
        self.columnCount = Int(PQnfields(result))
        self.affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    deinit { PQclear(result) }

    public var isEmpty: Bool { count == 0 }
    public var first: PGRow? { count > 0 ? PGRow(rows: self, index: 0) : nil }

    public subscript(index: Int) -> PGRow {
        precondition(index >= 0 && index < count, "row \(index) out of range 0..<\(count)")
        return PGRow(rows: self, index: index)
    }

    /// The column's name; `?` for a column the result does not have (libpq returns NULL then).
    public func columnName(_ column: Int) -> String {
        guard let name = PQfname(result, Int32(column)) else { return "?" }
        return String(cString: name)
    }

    func isNull(row: Int, column: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    func text(row: Int, column: Int) -> String? {
        guard column < columnCount else { return nil }
        if isNull(row: row, column: column) { return nil }
        return String(cString: PQgetvalue(result, Int32(row), Int32(column)))
    }
}

extension PGRows: Sequence {
    public func makeIterator() -> AnyIterator<PGRow> {
        var index = 0
        return AnyIterator {
            guard index < self.count else { return nil }
            defer { index += 1 }
            return PGRow(rows: self, index: index)
        }
    }
}

/// One row of a ``PGRows``; columns are read by position with typed accessors.
public struct PGRow {
    let rows: PGRows
    public let index: Int

    public func isNull(_ column: Int) -> Bool { rows.isNull(row: index, column: column) }

    /// The column's value, or `nil` if it is SQL NULL.
    public func optional<T: PGDecodable>(_ type: T.Type, _ column: Int) throws(PGError) -> T? {
        guard column >= 0 && column < rows.columnCount else {
            throw PGError(code: .decoding, message: "column \(column) does not exist; the result has \(rows.columnCount) columns")
        }
        guard let text = rows.text(row: index, column: column) else { return nil }
        guard let value = T(pgText: text) else {
            throw PGError(code: .decoding, message: "column \(column) (\(rows.columnName(column))) is not a \(T.self)")
        }
        return value
    }

    /// The column's value; SQL NULL is a decoding error.
    public func decode<T: PGDecodable>(_ type: T.Type, _ column: Int) throws(PGError) -> T {
        guard let value = try optional(type, column) else {
            throw PGError(code: .decoding, message: "column \(column) (\(rows.columnName(column))) is null, expected \(T.self)")
        }
        return value
    }

    public func string(_ column: Int) throws(PGError) -> String { try decode(String.self, column) }
    public func int64(_ column: Int) throws(PGError) -> Int64 { try decode(Int64.self, column) }
    public func int(_ column: Int) throws(PGError) -> Int { try decode(Int.self, column) }
    public func bool(_ column: Int) throws(PGError) -> Bool { try decode(Bool.self, column) }
    public func double(_ column: Int) throws(PGError) -> Double { try decode(Double.self, column) }
}
