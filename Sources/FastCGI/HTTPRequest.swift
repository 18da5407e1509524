/// An HTTP request as nginx hands it over FastCGI: the CGI variables decoded into fields.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path part of `REQUEST_URI`, still percent-encoded.
    public var path: String
    /// The raw query string (without `?`).
    public var query: String
    /// Request headers by lower-cased name (`authorization`, `if-none-match`, …).
    public var headers: [String: String]
    public var body: [UInt8]
    public var remoteAddress: String

    public init(
        method: String, path: String, query: String = "", headers: [String: String] = [:],
        body: [UInt8] = [], remoteAddress: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Query parameters decoded from `application/x-www-form-urlencoded`; the last value wins.
    public var queryParameters: [String: String] {
        var result: [String: String] = [:]
        var query = query
        query.withUTF8 { bytes in
            var start = 0
            while start <= bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
                if end > start {
                    let pair = UnsafeBufferPointer(rebasing: bytes[start..<end])
                    if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                        result[PercentDecoding.decode(UnsafeBufferPointer(rebasing: pair[..<equals]), plusAsSpace: true)] =
                            PercentDecoding.decode(UnsafeBufferPointer(rebasing: pair[(equals + 1)...]), plusAsSpace: true)
                    } else {
                        result[PercentDecoding.decode(pair, plusAsSpace: true)] = ""
                    }
                }
                start = end + 1
            }
        }
        return result
    }
}

/// Percent-decoding for paths and query strings; invalid escapes are kept literally.
public enum PercentDecoding {
    public static func decode<S: StringProtocol>(_ text: S, plusAsSpace: Bool = false) -> String {
        var text = String(text)
        return text.withUTF8 { decode($0, plusAsSpace: plusAsSpace) }
    }

    public static func decode(_ text: UnsafeBufferPointer<UInt8>, plusAsSpace: Bool = false) -> String {
        // Most names and values have nothing to decode.
        guard text.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(decoding: text, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "%"), index + 2 < text.count,
               let high = hexValue(text[index + 1]), let low = hexValue(text[index + 2]) {
                bytes.append(high << 4 | low)
                index += 3
                continue
            }
            bytes.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
