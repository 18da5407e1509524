import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The addresses allowed to connect to a TCP ``FastCGIServer``: the web servers in front of it.
///
/// Whoever can speak FastCGI to a responder decides what it believes about a request (the
/// client's address, headers nginx would have replaced, the scheme), and reaches it without
/// nginx's limits; a FastCGI port open to the network is an open door. libfcgi has such a list
/// (`FCGI_WEB_SERVER_ADDRS`), but it checks it inside its own accept, which ``FastCGIServer``
/// does not use, so the check is made here, on every accepted connection, before a byte is read.
public struct PeerAllowList: Sendable, Hashable, CustomStringConvertible {
    struct Range: Sendable, Hashable {
        var network: [UInt8]
        var prefixLength: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var left = prefixLength
            for (a, b) in zip(address, network) where left > 0 {
                let mask: UInt8 = left >= 8 ? 0xff : ~(0xff >> UInt8(left))
                if a & mask != b & mask { return false }
                left -= 8
            }
            return true
        }
    }

    let ranges: [Range]
    /// The entries as given, for logs and errors.
    public let entries: [String]
    /// `any`: every address, said explicitly.
    public let allowsAnyone: Bool

    /// Every address may connect (a loopback listener, or `any` given on purpose).
    public static let anyone = PeerAllowList(ranges: [], entries: ["any"], allowsAnyone: true)

    private init(ranges: [Range], entries: [String], allowsAnyone: Bool) {
        self.ranges = ranges
        self.entries = entries
        self.allowsAnyone = allowsAnyone
    }

    /// Reads addresses and networks: `10.0.0.5`, `10.0.0.0/24`, `fd00::/64`, `::1`, or `any`.
    /// An IPv4 entry also admits the same peer arriving on an IPv6 socket as `::ffff:a.b.c.d`.
    public init(_ entries: [String]) throws {
        var ranges: [Range] = []
        var anyone = false
        for entry in entries {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed == "any" {
                anyone = true
                continue
            }
            let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let network = Self.numericAddress(String(parts[0])) else {
                throw FastCGIError(message: "'\(entry)' is not an address or network (10.0.0.5, 10.0.0.0/24, fd00::/64, any)")
            }
            let bits = network.count * 8
            var prefix = bits
            if parts.count == 2 {
                guard let given = Int(parts[1]), (0...bits).contains(given), parts[1].allSatisfy(\.isASCII) else {
                    throw FastCGIError(message: "'\(entry)': the prefix length must be 0 to \(bits)")
                }
                prefix = given
            }
            ranges.append(Range(network: network, prefixLength: prefix))
        }
        guard anyone || !ranges.isEmpty else { throw FastCGIError(message: "an allow-list needs at least one address") }
        self.init(ranges: ranges, entries: entries, allowsAnyone: anyone)
    }

    /// Whether a peer may connect; `address` is 4 or 16 bytes (IPv4-mapped IPv6 as 4).
    func admits(_ address: [UInt8]) -> Bool {
        allowsAnyone || ranges.contains { $0.contains(address) }
    }

    public var description: String { entries.joined(separator: ", ") }

    private static func numericAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            // An IPv4-mapped entry means the IPv4 address: that is how peers are compared.
            return bytes[0..<12].elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]) ? Array(bytes[12...]) : bytes
        }
        return nil
    }
}
