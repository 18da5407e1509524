import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a ``FastCGIServer`` listens: a unix socket for nginx on the same host, or a TCP address
/// so nginx on other hosts can balance over responders (`bookiji serve --listen HOST:PORT`).
public enum FastCGIEndpoint: Sendable, Hashable, CustomStringConvertible {
    case unixSocket(path: String)
    /// `host` is a numeric address (IPv4, or IPv6 without brackets) once bound; before binding
    /// it may be a name that resolves to one. Port 0 asks the kernel for a free port.
    case tcp(host: String, port: UInt16)

    /// Reads `HOST:PORT`, `[IPV6]:PORT`, or `*:PORT` and `:PORT` for every IPv4 address
    /// (libfcgi's `FCGX_OpenSocket` spelling; `[::]:PORT` is every address, IPv4 and IPv6).
    /// A host name is resolved when the server binds.
    public init(listen text: String) throws {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw FastCGIError(message: "'\(text)' is not [IPV6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw FastCGIError(message: "'\(text)' is not HOST:PORT (an IPv6 address goes in brackets: [::1]:9000)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw FastCGIError(message: "'\(text)': put an IPv6 address in brackets, as in [\(host)]:\(portText)")
            }
        }
        guard let port = UInt16(portText), portText.allSatisfy(\.isASCII) else {
            throw FastCGIError(message: "'\(text)': the port must be a number from 0 to 65535")
        }
        guard !host.contains(where: { $0.isWhitespace || $0 == "/" }) else {
            throw FastCGIError(message: "'\(text)': '\(host)' is not a host name or address")
        }
        self = .tcp(host: host.isEmpty || host == "*" ? "0.0.0.0" : String(host), port: port)
    }

    /// `HOST:PORT` (IPv6 in brackets) or `unix:PATH`, as nginx's `server` lines spell them.
    public var description: String {
        switch self {
        case .unixSocket(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}

/// A socket address as the kernel hands it over, read into what the rest of the module needs.
struct SocketAddress {
    /// 4 bytes for IPv4 (an IPv4-mapped IPv6 address counts as IPv4), 16 for IPv6, empty otherwise.
    var bytes: [UInt8] = []
    var port: UInt16 = 0

    init(_ storage: sockaddr_storage) {
        let family = Int32(storage.ss_family)
        withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET:
                let address = raw.load(as: sockaddr_in.self)
                bytes = withUnsafeBytes(of: address.sin_addr) { Array($0) }
                port = UInt16(bigEndian: address.sin_port)
            case AF_INET6:
                let address = raw.load(as: sockaddr_in6.self)
                let all = withUnsafeBytes(of: address.sin6_addr) { Array($0) }
                bytes = all[0..<12].elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]) ? Array(all[12...]) : all
                port = UInt16(bigEndian: address.sin6_port)
            default:
                break
            }
        }
    }

    var isLoopback: Bool {
        switch bytes.count {
        case 4: bytes[0] == 127
        case 16: bytes == [UInt8](repeating: 0, count: 15) + [1]
        default: false
        }
    }

    /// The numeric address (`inet_ntop`), without brackets or port.
    var host: String {
        guard bytes.count == 4 || bytes.count == 16 else { return "?" }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, raw.baseAddress, &text, socklen_t(text.count)) != nil
        }
        guard written else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
