import Crypto
import Foundation

/// The Standard Webhooks signing scheme (standardwebhooks.com), which partners can check with
/// an off-the-shelf library: a secret `whsec_<base64 of the key>`, and for each message the
/// headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
/// `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, several signatures
/// separated by spaces while a rotated secret still signs.
public enum StandardWebhooks {
    /// A new secret: `whsec_` and the base64 of 32 random bytes.
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "whsec_" + Data(key).base64EncodedString()
    }

    /// The key a secret stands for; nil when it is not `whsec_` + base64.
    public static func key(of secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_"), let data = Data(base64Encoded: String(secret.dropFirst(6))), !data.isEmpty
        else { return nil }
        return Array(data)
    }

    /// `v1,<signature>` of one message with one secret.
    public static func signature(id: String, timestamp: Int64, body: [UInt8], secret: String) -> String? {
        guard let key = key(of: secret) else { return nil }
        let signed = Array("\(id).\(timestamp).".utf8) + body
        let mac = HMAC<Crypto.SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header: one signature per secret, space-separated.
    public static func signatureHeader(id: String, timestamp: Int64, body: [UInt8], secrets: [String]) -> String {
        secrets.compactMap { signature(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }
}
