import Crypto

/// The signed part of a vendor confirmation link `/v/r/{token}` (issue 13, point 5): which
/// reservation, which vendor, and until when the link may be answered.
///
/// A token is base64url (no padding) of 57 bytes: version `1` ‖ reservation id (16 bytes) ‖
/// vendor id (16 bytes) ‖ expiry (8 bytes, big-endian Unix seconds) ‖ the first 16 bytes of
/// HMAC-SHA256 under the ``VendorPageKey`` of a domain label and the 41 bytes before it. Nothing
/// in it is secret but the MAC; changing any byte makes it ``VerifyError/tampered``.
///
/// The expiry is the reservation's confirmation deadline when the link was made. The link is
/// also spent once the reservation leaves `AWAITING_VENDOR_CONFIRMATION` (the vendor answered on
/// this page or through the API, or the reservation ended): the only actions it allows need that
/// state, so it cannot be answered twice.
public struct VendorPageToken: Sendable, Hashable {
    public var reservationID: String
    public var vendorID: String
    /// Unix seconds; the link is refused from this instant on.
    public var expiresAt: Int64

    public init(reservationID: String, vendorID: String, expiresAt: Int64) {
        self.reservationID = reservationID
        self.vendorID = vendorID
        self.expiresAt = expiresAt
    }

    static let version: UInt8 = 1
    static let macSize = 16
    static let signedSize = 1 + 16 + 16 + 8
    static let domain = Array("bookiji vendor page link v1\u{0}".utf8)

    /// The token text for the link; nil when an id is not a UUID.
    public func signed(with key: VendorPageKey) -> String? {
        guard let reservation = UUIDText.bytes(reservationID), let vendor = UUIDText.bytes(vendorID) else { return nil }
        var bytes: [UInt8] = [Self.version]
        bytes += reservation
        bytes += vendor
        bytes += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(bitPattern: expiresAt) >> (8 * UInt64($0))) }
        bytes += key.mac(Self.domain + bytes, size: Self.macSize)
        return Base64URL.encode(bytes)
    }

    public enum VerifyError: Error, Sendable, Hashable {
        /// Not a token this service made: malformed, or a byte changed.
        case tampered
        /// Genuine, but its time ran out; the token it carried is given for the page's wording.
        case expired(VendorPageToken)
    }

    /// Checks `text` and returns what it says.
    public static func verify(_ text: String, key: VendorPageKey, now: Int64) throws(VerifyError) -> VendorPageToken {
        guard text.utf8.count <= 128, let bytes = Base64URL.decode(text), bytes.count == signedSize + macSize,
              bytes[0] == version
        else { throw .tampered }
        let signed = Array(bytes[0..<signedSize]), mac = Array(bytes[signedSize...])
        guard VendorPageKey.constantTimeEqual(key.mac(domain + signed, size: macSize), mac) else { throw .tampered }
        let expires = bytes[33..<41].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let token = VendorPageToken(
            reservationID: UUIDText.text(Array(bytes[1..<17])), vendorID: UUIDText.text(Array(bytes[17..<33])),
            expiresAt: Int64(bitPattern: expires))
        guard now < token.expiresAt else { throw .expired(token) }
        return token
    }
}

/// The server secret that signs vendor page links and their forms' CSRF tokens: 32 bytes from
/// `BOOKIJI_PAGE_KEY` (base64), or, when only `BOOKIJI_TOKEN_KEY` is set, derived from that key
/// with HKDF-SHA256 (so one secret can serve both; the derived key reveals nothing of it).
/// `bookiji serve` checks links with it and `bookiji worker` makes them: both need the same one.
public struct VendorPageKey: Sendable {
    public static let environmentVariable = "BOOKIJI_PAGE_KEY"
    public static let tokenKeyVariable = "BOOKIJI_TOKEN_KEY"

    private let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count >= 32 else { return nil }
        self.bytes = bytes
    }

    /// The key from the environment; nil when neither variable is set.
    /// - Throws: a message naming the variable when its value is not base64 of at least 32 bytes.
    public static func fromEnvironment(_ environment: [String: String]) throws(BookijiError) -> VendorPageKey? {
        if let text = environment[environmentVariable], !text.isEmpty {
            guard let raw = Base64.decode(text), let key = VendorPageKey(bytes: raw) else {
                throw BookijiError(.invalidParameter, "\(environmentVariable) must be base64 of at least 32 random bytes, e.g. $(head -c 32 /dev/urandom | base64)")
            }
            return key
        }
        if let text = environment[tokenKeyVariable], !text.isEmpty {
            guard let raw = Base64.decode(text), raw.count == 32 else {
                throw BookijiError(.invalidParameter, "\(tokenKeyVariable) must be base64 of 32 bytes")
            }
            return derived(fromTokenKey: raw)
        }
        return nil
    }

    /// The page key HKDF-SHA256 derives from the token-sealing key.
    public static func derived(fromTokenKey raw: [UInt8]) -> VendorPageKey {
        let derived = HKDF<Crypto.SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: raw), info: Array("bookiji vendor page key v1".utf8), outputByteCount: 32)
        return VendorPageKey(bytes: derived.withUnsafeBytes { Array($0) })!
    }

    /// HMAC-SHA256 of `message`, cut to `size` bytes.
    func mac(_ message: [UInt8], size: Int) -> [UInt8] {
        Array(HMAC<Crypto.SHA256>.authenticationCode(for: message, using: SymmetricKey(data: bytes)).prefix(size))
    }

    /// The CSRF token of the page's forms: bound to the link and to a random nonce the browser
    /// keeps in a cookie (double submit), so a form posted from elsewhere fails.
    public func csrfToken(link: String, nonce: String) -> String {
        Base64URL.encode(mac(Array("bookiji vendor page csrf v1\u{0}\(link)\u{0}\(nonce)".utf8), size: 16))
    }

    /// Whether `token` is the CSRF token of this link and nonce.
    public func checkCSRF(_ token: String, link: String, nonce: String) -> Bool {
        !nonce.isEmpty && Self.constantTimeEqual(Array(csrfToken(link: link, nonce: nonce).utf8), Array(token.utf8))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
