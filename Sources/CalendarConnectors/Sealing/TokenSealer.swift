import BookijiCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Encrypts OAuth tokens for storage ("Token encryption at rest") with ChaCha20-Poly1305 under a
/// 32-byte key taken from the environment variable `BOOKIJI_TOKEN_KEY` (base64).
///
/// A sealed token is `bk1.` followed by base64 of: version (1 byte) ‖ key id (4 bytes) ‖ random
/// nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes). The key id (a hash prefix of the key) lets
/// ``open(_:context:)`` tell "sealed under another key" from "altered". The header and the caller's
/// `context` are authenticated, so a token sealed for one vendor connection cannot be moved to
/// another: pass e.g. `"vendor:42/google/refresh"` as the context to both calls.
///
/// ```sh
/// export BOOKIJI_TOKEN_KEY=$(head -c 32 /dev/urandom | base64)
/// ```
public struct TokenSealer: Sendable {
    /// The environment variable holding the base64 key.
    public static let environmentVariable = "BOOKIJI_TOKEN_KEY"
    static let prefix = "bk1."
    static let version: UInt8 = 1
    private static let headerSize = 5

    private let key: [UInt8]
    /// Hex of the 4-byte key id written into every sealed token; safe to log.
    public let keyID: String
    private let keyIDBytes: [UInt8]

    /// - Throws: ``TokenSealingError/Code/invalidKey`` unless `key` is 32 bytes.
    public init(key: [UInt8]) throws(TokenSealingError) {
        guard key.count == ChaCha20Poly1305.keySize else {
            throw TokenSealingError(.invalidKey, "the token key must be 32 bytes, got \(key.count)")
        }
        self.key = key
        let digest = SHA256.hash(Array("bookiji token key id\u{0}".utf8) + key)
        keyIDBytes = Array(digest.bytes[0..<4])
        keyID = String(digest.hexString.prefix(8))
    }

    /// - Parameter base64Key: 32 bytes in standard base64; surrounding whitespace is ignored.
    public init(base64Key: String) throws(TokenSealingError) {
        let trimmed = base64Key.filter { !$0.isWhitespace }
        guard let bytes = Data(base64Encoded: trimmed) else {
            throw TokenSealingError(.invalidKey, "the token key is not valid base64")
        }
        guard bytes.count == ChaCha20Poly1305.keySize else {
            throw TokenSealingError(
                .invalidKey,
                "the token key must decode to 32 bytes, got \(bytes.count); generate one with `head -c 32 /dev/urandom | base64`")
        }
        try self.init(key: Array(bytes))
    }

    /// The sealer for the key in `BOOKIJI_TOKEN_KEY`.
    /// - Parameter environment: the process environment unless given (tests pass their own).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(TokenSealingError) -> TokenSealer {
        guard let value = environment[environmentVariable], !value.allSatisfy(\.isWhitespace) else {
            throw TokenSealingError(
                .missingKey,
                "\(environmentVariable) is not set; it must hold a 32-byte key in base64 "
                    + "(generate one with `head -c 32 /dev/urandom | base64`)")
        }
        do {
            return try TokenSealer(base64Key: value)
        } catch {
            throw TokenSealingError(error.code, "\(environmentVariable): \(error.message)")
        }
    }

    /// Encrypts `token`; every call uses a fresh random nonce, so sealing twice gives different text.
    public func seal(_ token: String, context: String = "") -> String {
        var generator = SystemRandomNumberGenerator()
        let nonce = (0..<ChaCha20Poly1305.nonceSize).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return seal(token, context: context, nonce: nonce)
    }

    /// ``seal(_:context:)`` with a chosen nonce, for tests that need fixed output. Never reuse a
    /// nonce with the same key in production.
    public func seal(_ token: String, context: String, nonce: [UInt8]) -> String {
        let header = [Self.version] + keyIDBytes
        let (ciphertext, tag) = ChaCha20Poly1305.seal(
            Array(token.utf8), key: key, nonce: nonce, aad: associatedData(header: header, context: context))
        return Self.prefix + Data(header + nonce + ciphertext + tag).base64EncodedString()
    }

    /// Decrypts a value produced by ``seal(_:context:)`` with the same key and context.
    public func open(_ sealed: String, context: String = "") throws(TokenSealingError) -> String {
        guard sealed.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(sealed.dropFirst(Self.prefix.count))) else {
            throw TokenSealingError(.malformed, "not a sealed token (expected '\(Self.prefix)' followed by base64)")
        }
        let bytes = Array(data)
        let minimum = Self.headerSize + ChaCha20Poly1305.nonceSize + ChaCha20Poly1305.tagSize
        guard bytes.count >= minimum, bytes[0] == Self.version else {
            throw TokenSealingError(.malformed, "sealed token is truncated or of an unknown version")
        }
        let header = Array(bytes[0..<Self.headerSize])
        guard Array(header[1...]) == keyIDBytes else {
            let other = header[1...].map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined()
            throw TokenSealingError(
                .wrongKey,
                "the token was sealed under key id \(other), but \(Self.environmentVariable) has key id \(keyID)")
        }
        let nonceEnd = Self.headerSize + ChaCha20Poly1305.nonceSize
        let nonce = Array(bytes[Self.headerSize..<nonceEnd])
        let ciphertext = Array(bytes[nonceEnd..<(bytes.count - ChaCha20Poly1305.tagSize)])
        let tag = Array(bytes[(bytes.count - ChaCha20Poly1305.tagSize)...])
        guard
            let plaintext = ChaCha20Poly1305.open(
                ciphertext, tag: tag, key: key, nonce: nonce, aad: associatedData(header: header, context: context))
        else {
            throw TokenSealingError(
                .authenticationFailed,
                "the sealed token failed authentication: it was altered, or sealed for a different context")
        }
        guard let token = String(validating: plaintext, as: UTF8.self) else {
            throw TokenSealingError(.malformed, "the sealed token does not contain UTF-8 text")
        }
        return token
    }

    /// A fresh random key in base64, for `BOOKIJI_TOKEN_KEY`.
    public static func generateKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    private func associatedData(header: [UInt8], context: String) -> [UInt8] {
        header + Array("bookiji.token\u{0}".utf8) + Array(context.utf8)
    }
}
