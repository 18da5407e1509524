import BookijiCore
import Crypto
import Foundation

/// Stripe's webhook signature scheme: the `Stripe-Signature` header is
/// `t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…][,v0=…]`, each `v1` an HMAC-SHA256, keyed with the
/// endpoint's signing secret, of `"{t}.{raw body}"`. An event is genuine when one `v1` matches
/// and `t` is within the tolerance of now (replays of old deliveries are refused).
public struct StripeSignature: Sendable {
    /// Stripe's own libraries default to 300 s.
    public static let defaultToleranceSeconds: Int64 = 300

    public let secret: String
    public let toleranceSeconds: Int64

    public init(secret: String, toleranceSeconds: Int64 = Self.defaultToleranceSeconds) {
        self.secret = secret
        self.toleranceSeconds = toleranceSeconds
    }

    /// Checks `header` against `payload` at `now` (epoch seconds).
    /// - Throws: ``BookijiError`` `invalid_signature` saying what is wrong (missing or malformed
    ///   header, no `v1`, timestamp outside the tolerance, no matching signature).
    public func verify(header: String?, payload: [UInt8], now: Int64) throws {
        guard let header, !header.isEmpty else {
            throw Self.refused("the Stripe-Signature header is missing")
        }
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces), value = parts[1].trimmingCharacters(in: .whitespaces)
            if key == "t" { timestamp = Int64(value) }
            if key == "v1", let bytes = Self.hexBytes(value) { signatures.append(bytes) }
        }
        guard let timestamp else {
            throw Self.refused("the Stripe-Signature header has no timestamp (t=)")
        }
        guard !signatures.isEmpty else {
            throw Self.refused("the Stripe-Signature header has no v1 signature")
        }
        guard abs(now - timestamp) <= toleranceSeconds else {
            throw Self.refused("the Stripe-Signature timestamp is \(now - timestamp) s from now, outside the \(toleranceSeconds) s tolerance")
        }
        let expected = signature(timestamp: timestamp, payload: payload)
        // Constant-time in the signature's bytes: compare every byte of every candidate.
        let matched = signatures.reduce(false) { found, candidate in
            found || (candidate.count == expected.count && zip(candidate, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0)
        }
        guard matched else {
            throw Self.refused("no v1 signature in Stripe-Signature matches the body and the signing secret")
        }
    }

    /// The `v1` signature of `payload` at `timestamp` (what Stripe sends, and what a fake signs with).
    public func signature(timestamp: Int64, payload: [UInt8]) -> [UInt8] {
        var signed = Array("\(timestamp).".utf8)
        signed += payload
        let key = SymmetricKey(data: Array(secret.utf8))
        return Array(HMAC<Crypto.SHA256>.authenticationCode(for: signed, using: key))
    }

    /// A `Stripe-Signature` header for `payload` at `timestamp`.
    public func header(timestamp: Int64, payload: [UInt8]) -> String {
        "t=\(timestamp),v1=" + signature(timestamp: timestamp, payload: payload).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func refused(_ message: String) -> BookijiError {
        BookijiError(.invalidSignature, message)
    }
}
