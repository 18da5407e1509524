#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where webhooks may go (SSRF): `https` URLs whose host is not a loopback, private, link-local,
/// carrier-grade NAT, multicast or cloud-metadata address, and not a name that only means this
/// machine (`localhost`, `*.localhost`, `metadata.google.internal`). Hosts the operator allow-lists
/// (`--webhook-allow-host`) are exempt, and may use plain `http` (tests, local development).
///
/// The responder checks a URL as written (literal addresses and such names) when it is
/// registered; the worker checks every address the name resolves to before each delivery,
/// since a public name can point anywhere later.
public struct WebhookURLPolicy: Sendable, Hashable {
    public var allowedHosts: Set<String>

    public init(allowedHosts: [String] = []) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
    }

    /// A URL that passed the check.
    public struct Target: Sendable, Hashable {
        public var url: String
        public var host: String
        public var allowListed: Bool
    }

    /// Checks `url` as written.
    /// - Throws: `invalid_parameter` (field `url`) saying what is wrong.
    public func check(_ url: String) throws(BookijiError) -> Target {
        func refuse(_ message: String) -> BookijiError {
            BookijiError(.invalidParameter, message, details: ["field": "url"])
        }
        guard url.utf8.count <= 2048, let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              var host = components.host?.lowercased(), !host.isEmpty
        else {
            throw refuse("url must be an absolute https URL such as https://example.com/hooks/bookiji")
        }
        if components.user != nil || components.password != nil { throw refuse("url must not carry credentials") }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let allowListed = allowedHosts.contains(host)
        guard scheme == "https" || (scheme == "http" && allowListed) else {
            throw refuse("url must use https (plain http only for hosts the operator allow-lists)")
        }
        if !allowListed {
            if Self.isLocalName(host) { throw refuse("url must not point at this machine or a metadata service (\(host))") }
            if let address = IPAddress(host), address.isForbidden {
                throw refuse("url must not point at a loopback, private, link-local or metadata address (\(host))")
            }
        }
        return Target(url: url, host: host, allowListed: allowListed)
    }

    /// Names that mean this machine or a cloud's metadata service, whatever DNS says.
    static func isLocalName(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost") || host == "metadata.google.internal" || host == "metadata"
            || host.hasSuffix(".internal") || host == "instance-data"
    }
}

/// An IPv4 or IPv6 address, and whether webhooks may be sent to it.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses a literal address (no brackets); nil for anything else.
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: v6) { Array($0) }
            return
        }
        return nil
    }

    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }

    /// Loopback, unspecified, private (RFC 1918, unique local), carrier-grade NAT, link-local
    /// (which holds the cloud metadata address 169.254.169.254), benchmarking, multicast and
    /// reserved ranges; IPv6 forms that embed an IPv4 address are judged by it.
    public var isForbidden: Bool {
        if bytes.count == 4 { return Self.forbiddenV4(bytes) }
        guard bytes.count == 16 else { return true }
        // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64).
        let embedded = Array(bytes[12...])
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff { return Self.forbiddenV4(embedded) }
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return true }  // ::, ::1 and the deprecated compatible form
        if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes[4..<12].allSatisfy({ $0 == 0 }) {
            return Self.forbiddenV4(embedded)
        }
        if bytes[0] & 0xfe == 0xfc { return true }  // fc00::/7 unique local (fd00:ec2::254, AWS metadata)
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return true }  // fe80::/10 link-local
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0xc0 { return true }  // fec0::/10 site-local (deprecated)
        if bytes[0] == 0xff { return true }  // multicast
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8 { return true }  // documentation
        return false
    }

    static func forbiddenV4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): return true
        case (100, 64...127): return true  // carrier-grade NAT
        case (169, 254): return true  // link-local, cloud metadata
        case (172, 16...31), (192, 168): return true
        case (192, 0) where b[2] == 0 || b[2] == 2: return true  // IETF protocol, documentation
        case (198, 18...19): return true  // benchmarking
        case (198, 51) where b[2] == 100, (203, 0) where b[2] == 113: return true  // documentation
        case (224...255, _): return true  // multicast, reserved, broadcast
        default: return false
        }
    }
}
