import Foundation

/// Base64 (RFC 4648 §4) and its URL-safe form without padding (§5), for tokens in links.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// The bytes of `text`; nil when it holds anything but the URL-safe alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ isURLSafe($0) }) else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { Array($0) }
    }

    /// `count` random bytes, encoded (nonces, CSRF cookies).
    public static func random(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return encode((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func isURLSafe(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "_")
    }
}

/// Standard base64 with padding, as keys in environment variables are written.
public enum Base64 {
    public static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    public static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)).map { Array($0) }
    }
}

extension UUIDText {
    /// The 16 bytes of a UUID's text; nil when it is not one.
    public static func bytes(_ text: String) -> [UInt8]? {
        guard isValid(text) else { return nil }
        let hex = text.utf8.filter { $0 != UInt8(ascii: "-") }.map { byte -> UInt8 in
            switch byte {
            case 48...57: byte - 48
            case 97...102: byte - 87
            default: byte - 55
            }
        }
        return stride(from: 0, to: 32, by: 2).map { hex[$0] << 4 | hex[$0 + 1] }
    }

    /// The lower-case text of 16 bytes (8-4-4-4-12).
    public static func text(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
