import Crypto

/// SHA-256 (FIPS 180-4), incremental: a thin wrapper over swift-crypto's `Crypto.SHA256`
/// (BoringSSL's implementation on Linux, CryptoKit on Apple platforms).
///
/// The wrapper keeps the small surface the rest of Bookiji uses: typed `update` overloads with
/// fixed encodings (availability versions and idempotency fingerprints depend on them byte for
/// byte) and a ``Digest`` of plain bytes with the hex and base64url forms we print.
///
/// A file that imports both `BookijiCore` and `Crypto` must write `BookijiCore.SHA256` or
/// `Crypto.SHA256`: the two names clash there.
///
/// ```swift
/// var hasher = SHA256()
/// hasher.update("abc")
/// let hex = hasher.finalize().hexString
/// ```
public struct SHA256: Sendable {
    private var inner = Crypto.SHA256()

    public init() {}

    /// Hashes `data` in one call.
    public static func hash(_ data: some Sequence<UInt8>) -> Digest {
        var hasher = SHA256()
        hasher.update(Array(data))
        return hasher.finalize()
    }

    /// Feeds raw bytes.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard !buffer.isEmpty else { return }
        inner.update(bufferPointer: buffer)
    }

    /// Feeds the bytes of an array.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 bytes of a string.
    public mutating func update(_ text: String) {
        var copy = text
        copy.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Feeds an integer as 8 little-endian bytes (a fixed width keeps encodings unambiguous).
    public mutating func update(int64 value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { update($0) }
    }

    /// Returns the digest of everything fed so far. The hasher should not be fed again
    /// afterwards.
    public mutating func finalize() -> Digest {
        Digest(bytes: Array(inner.finalize()))
    }
}
