import Foundation

/// Renders an object for the wire: the bytes `JSONSerialization.data(withJSONObject:options:
/// [.sortedKeys])` gives, without its cost. Foundation sorts each object's keys with a
/// locale-aware comparison that builds a locale per comparison, most of the fake's CPU per call;
/// here each distinct set of keys is sorted that way once and its order remembered. An object
/// holding a value of a type not handled here goes to `JSONSerialization` whole.
func jsonData(_ object: [String: Any]) -> Data {
    var writer = JSONWriter()
    guard writer.write(object) else {
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }
    return Data(writer.bytes)
}

private struct JSONWriter {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1024) }

    /// Appends `value`; false when it holds something Foundation has to render.
    mutating func write(_ value: Any) -> Bool {
        // The order of Foundation's JSONWriter: a Bool is never taken for an Int.
        switch value {
        case let string as String: writeString(string)
        case let bool as Bool: append(bool ? "true" : "false")
        case let int as Int: append(String(int))
        case let strings as [String: String]: return writeObject(strings)
        case let object as [String: Any]: return writeObject(object)
        case let array as [Any]:
            bytes.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                guard write(element) else { return false }
            }
            bytes.append(UInt8(ascii: "]"))
        case is NSNull: append("null")
        default: return false
        }
        return true
    }

    private mutating func writeObject<Value>(_ object: [String: Value]) -> Bool {
        bytes.append(UInt8(ascii: "{"))
        for (index, key) in KeyOrder.sorted(object.keys).enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            writeString(key)
            bytes.append(UInt8(ascii: ":"))
            guard write(object[key]!) else { return false }
        }
        bytes.append(UInt8(ascii: "}"))
        return true
    }

    private mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// Foundation's escapes: quote, backslash, slash, the named controls, other controls as `\u00XX`
    /// (lowercase hex); everything else as UTF-8.
    private mutating func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "/"): append("\\/")
            case 0x08: append("\\b")
            case 0x0c: append("\\f")
            case 0x0a: append("\\n")
            case 0x0d: append("\\r")
            case 0x09: append("\\t")
            case 0x00...0x1f: append((byte < 0x10 ? "\\u000" : "\\u00") + String(byte, radix: 16))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// The order Foundation writes an object's keys in, per set of keys.
private final class KeyOrder: @unchecked Sendable {
    /// Keyed by the keys in code-unit order. Bounded, so that arbitrary metadata keys cannot
    /// grow it without end; past the bound a set is sorted each time.
    private var cache: [[String]: [String]] = [:]
    private let lock = NSLock()  // guards `cache`
    private static let limit = 4096
    private static let shared = KeyOrder()

    static func sorted(_ keys: Dictionary<String, some Any>.Keys) -> [String] {
        let plain = keys.sorted()
        if let order = shared.lock.withLock({ shared.cache[plain] }) { return order }
        let order = plain.sorted { a, b in
            a.compare(b, options: [.numeric, .caseInsensitive, .forcedOrdering], range: a.startIndex..<a.endIndex, locale: NSLocale.system)
                == .orderedAscending
        }
        shared.lock.withLock { if shared.cache.count < limit { shared.cache[plain] = order } }
        return order
    }
}
