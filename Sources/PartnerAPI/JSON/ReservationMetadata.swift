import BookijiCore
import Foundation

/// The limits on a reservation's `metadata` (the partner's own key-value notes, stored as jsonb
/// and returned with every answer about the reservation). Each refusal names the limit and the
/// key, in the message and in `details` (`field`, `limit`).
enum ReservationMetadata {
    /// Keys at the top level of the object.
    static let maximumKeys = 50
    /// A key's length, in code points (as PostgreSQL counts).
    static let keyLength = TextLimit(1...40)
    /// Any string value in it, nested ones included, in code points.
    static let maximumValueLength = 500
    /// Values in all, nested ones included.
    static let maximumValues = 500
    /// Bytes of the stored JSON.
    static let maximumBytes = 16_384

    /// The metadata as the JSON to store (keys sorted), or 400 `invalid_request` naming the limit
    /// it breaks. Each limit is checked before any work that grows with the next one.
    static func checkedJSON(_ object: [String: Any]) throws -> String {
        func refuse(_ message: String, field: String, limit: Int) -> BookijiError {
            BookijiError(.invalidRequest, message, details: ["field": .text(field), "limit": .number(limit)])
        }
        guard object.count <= maximumKeys else {
            throw refuse("metadata may have at most \(maximumKeys) keys, not \(object.count)", field: "metadata", limit: maximumKeys)
        }
        for key in object.keys where !keyLength.contains(key) {
            throw refuse(
                "metadata keys must be \(keyLength.range) characters (Unicode code points); '\(key.prefix(50))' has \(TextLimit.length(key))",
                field: "metadata", limit: keyLength.range.upperBound)
        }
        var values = 0
        func walk(_ value: Any, _ path: String) throws {
            values += 1
            guard values <= maximumValues else {
                throw refuse("metadata may hold at most \(maximumValues) values, nested ones included", field: "metadata", limit: maximumValues)
            }
            switch value {
            case let text as String:
                guard TextLimit.length(text) <= maximumValueLength else {
                    throw refuse(
                        "'\(path)' is longer than \(maximumValueLength) characters (Unicode code points)", field: path, limit: maximumValueLength)
                }
            case let nested as [String: Any]:
                for (key, inner) in nested { try walk(inner, path + "." + key) }
            case let array as [Any]:
                for (index, inner) in array.enumerated() { try walk(inner, path + "[\(index)]") }
            default:
                break
            }
        }
        for (key, value) in object { try walk(value, "metadata." + key) }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        guard data.count <= maximumBytes else {
            throw refuse("metadata may be at most \(maximumBytes / 1024) KiB of JSON, not \(data.count) bytes", field: "metadata", limit: maximumBytes)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
