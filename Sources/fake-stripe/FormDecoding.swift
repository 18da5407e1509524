import Foundation

/// The parameters of one request as Stripe's clients send them: `application/x-www-form-urlencoded`
/// with bracketed keys kept flat (`metadata[reservation_id]`, `transfer_data[destination]`).
struct FormParameters: Sendable, Equatable {
    var values: [String: String]

    init(_ values: [String: String] = [:]) { self.values = values }

    /// Decodes a body or a query string; the last of repeated keys wins, as in Stripe's parser.
    init(decoding encoded: String) {
        var values: [String: String] = [:]
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.unescape(parts[0])
            let value = parts.count > 1 ? Self.unescape(parts[1]) : ""
            values[key] = value
        }
        self.values = values
    }

    /// `+` is a space in forms, and percent escapes may encode `[` `]` themselves.
    private static func unescape(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    subscript(key: String) -> String? { values[key] }

    /// The entries under `name[...]`, keyed by what is inside the brackets.
    func dictionary(_ name: String) -> [String: String] {
        var result: [String: String] = [:]
        let prefix = name + "["
        for (key, value) in values where key.hasPrefix(prefix) && key.hasSuffix("]") {
            result[String(key.dropFirst(prefix.count).dropLast())] = value
        }
        return result
    }

    /// A non-negative integer parameter, nil when absent.
    func integer(_ key: String) throws(StripeError) -> Int? {
        guard let text = values[key] else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw .invalidRequest(code: "parameter_invalid_integer", param: key, message: "Invalid integer: \(text)")
        }
        return value
    }

    /// A boolean parameter (`true`/`false`), nil when absent.
    func boolean(_ key: String) throws(StripeError) -> Bool? {
        guard let text = values[key] else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw .invalidRequest(code: "parameter_invalid_boolean", param: key, message: "Invalid boolean: \(text)")
        }
    }

    /// Fails on the first key that is neither in `allowed` nor under one of `prefixes` (`metadata[`),
    /// with Stripe's `parameter_unknown`. `expand[...]` is accepted everywhere and ignored.
    func rejectUnknown(allowed: Set<String>, prefixes: [String] = []) throws(StripeError) {
        for key in values.keys.sorted() where !allowed.contains(key) {
            if key.hasPrefix("expand[") || prefixes.contains(where: { key.hasPrefix($0 + "[") }) { continue }
            throw .invalidRequest(code: "parameter_unknown", param: key, message: "Received unknown parameter: \(key)")
        }
    }

    /// A stable digest of the parameters, to tell a replay from another request under the same key.
    var fingerprint: String {
        values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: "&")
    }
}
