import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Encrypts OAuth tokens for storage ("Token encryption at rest") with ChaCha20-Poly1305
/// (swift-crypto's `ChaChaPoly`, RFC 8439) under a 32-byte key taken from the environment variable
/// `BOOKIJI_TOKEN_KEY` (base64).
///
/// A sealed token is `bk1.` followed by base64 of: version (1 byte) ‖ key id (4 bytes) ‖ random
/// nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes). The part after the header is exactly
/// `ChaChaPoly.SealedBox.combined`, and the layout is the one the earlier hand-written AEAD
/// wrote, so tokens sealed before the move to swift-crypto open unchanged (no re-sealing). The key id (a hash prefix of the key) lets
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

    private static let keySize = 32
    private static let nonceSize = 12
    private static let tagSize = 16

    /// The raw key; a `SymmetricKey` is made per call because swift-crypto 3's is not `Sendable`.
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    /// Hex of the 4-byte key id written into every sealed token; safe to log.
    public let keyID: String
    private let keyIDBytes: [UInt8]

    /// - Throws: ``TokenSealingError/Code/invalidKey`` unless `key` is 32 bytes.
    public init(key: [UInt8]) throws(TokenSealingError) {
        guard key.count == Self.keySize else {
            throw TokenSealingError(.invalidKey, "the token key must be 32 bytes, got \(key.count)")
        }
        self.keyBytes = key
        let digest = Array(Crypto.SHA256.hash(data: Array("bookiji token key id\u{0}".utf8) + key))
        keyIDBytes = Array(digest[0..<4])
        keyID = Self.hex(keyIDBytes)
    }

    /// - Parameter base64Key: 32 bytes in standard base64; surrounding whitespace is ignored.
    public init(base64Key: String) throws(TokenSealingError) {
        let trimmed = base64Key.filter { !$0.isWhitespace }
        guard let bytes = Data(base64Encoded: trimmed) else {
            throw TokenSealingError(.invalidKey, "the token key is not valid base64")
        }
        guard bytes.count == Self.keySize else {
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
        let nonce = (0..<Self.nonceSize).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return seal(token, context: context, nonce: nonce)
    }

    /// ``seal(_:context:)`` with a chosen nonce, for tests that need fixed output. Never reuse a
    /// nonce with the same key in production.
    /// - Precondition: `nonce` is 12 bytes.
    public func seal(_ token: String, context: String, nonce: [UInt8]) -> String {
        precondition(nonce.count == Self.nonceSize, "a ChaCha20-Poly1305 nonce is 12 bytes")
        let header = [Self.version] + keyIDBytes
        do {
            let box = try ChaChaPoly.seal(
                Array(token.utf8), using: key, nonce: try ChaChaPoly.Nonce(data: nonce),
                authenticating: associatedData(header: header, context: context))
            // combined = nonce ‖ ciphertext ‖ tag: the same bytes the old layout has after the header.
            return Self.prefix + Data(header + Array(box.combined)).base64EncodedString()
        } catch {
            // Only a malformed nonce or key makes ChaChaPoly throw, and both sizes are checked above.
            preconditionFailure("ChaChaPoly refused a 32-byte key and 12-byte nonce: \(error)")
        }
    }

    /// Decrypts a value produced by ``seal(_:context:)`` with the same key and context.
    public func open(_ sealed: String, context: String = "") throws(TokenSealingError) -> String {
        guard sealed.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(sealed.dropFirst(Self.prefix.count))) else {
            throw TokenSealingError(.malformed, "not a sealed token (expected '\(Self.prefix)' followed by base64)")
        }
        let bytes = Array(data)
        let minimum = Self.headerSize + Self.nonceSize + Self.tagSize
        guard bytes.count >= minimum, bytes[0] == Self.version else {
            throw TokenSealingError(.malformed, "sealed token is truncated or of an unknown version")
        }
        let header = Array(bytes[0..<Self.headerSize])
        guard Array(header[1...]) == keyIDBytes else {
            let other = Self.hex(Array(header[1...]))
            throw TokenSealingError(
                .wrongKey,
                "the token was sealed under key id \(other), but \(Self.environmentVariable) has key id \(keyID)")
        }
        let plaintext: Data
        do {
            let box = try ChaChaPoly.SealedBox(combined: bytes[Self.headerSize...])
            plaintext = try ChaChaPoly.open(box, using: key, authenticating: associatedData(header: header, context: context))
        } catch {
            throw TokenSealingError(
                .authenticationFailed,
                "the sealed token failed authentication: it was altered, or sealed for a different context")
        }
        guard let token = String(validating: Array(plaintext), as: UTF8.self) else {
            throw TokenSealingError(.malformed, "the sealed token does not contain UTF-8 text")
        }
        return token
    }

    /// A fresh random key in base64, for `BOOKIJI_TOKEN_KEY`.
    public static func generateKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    private func associatedData(header: [UInt8], context: String) -> [UInt8] {
        header + Array("bookiji.token\u{0}".utf8) + Array(context.utf8)
    }
}
