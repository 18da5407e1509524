import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension FastCGIServer {
    /// Binds and listens on a TCP address. Not `FCGX_OpenSocket`: it resolves names IPv4-only
    /// (`gethostbyname`), binds `INADDR_ANY` for `:PORT`, and calls `exit()` when the port is
    /// taken, where a responder should say which address and why.
    ///
    /// A name that resolves to several addresses binds its first IPv4 one (else its first IPv6
    /// one); give the address itself to choose.
    static func listen(tcpHost host: String, port: UInt16, backlog: Int32) throws -> (Int32, SocketAddress) {
        let shown = FastCGIEndpoint.tcp(host: host, port: port).description
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let found else {
            throw FastCGIError(message: "cannot listen on \(shown): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(found) }
        var candidates: [UnsafeMutablePointer<addrinfo>] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = found
        while let entry = cursor {
            candidates.append(entry)
            cursor = entry.pointee.ai_next
        }
        guard let chosen = candidates.first(where: { $0.pointee.ai_family == AF_INET }) ?? candidates.first else {
            throw FastCGIError(message: "cannot listen on \(shown): the name has no address")
        }
        let fd = socket(chosen.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            throw FastCGIError(message: "cannot create a TCP socket: \(String(cString: strerror(errno)))")
        }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, chosen.pointee.ai_addr, chosen.pointee.ai_addrlen) == 0, Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            switch code {
            case EADDRINUSE:
                throw FastCGIError(message: """
                    \(shown) is in use: a process listens on it (another bookiji serve?); stop that process or choose another --listen
                    """)
            case EADDRNOTAVAIL:
                throw FastCGIError(message: "cannot listen on \(shown): not an address of this host")
            case EACCES:
                throw FastCGIError(message: "cannot listen on \(shown): ports below 1024 need root or CAP_NET_BIND_SERVICE")
            default:
                throw FastCGIError(message: "cannot listen on \(shown): \(String(cString: strerror(code)))")
            }
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, SocketAddress(storage))
    }

    /// Settings for a connection accepted over TCP.
    ///
    /// No Nagle delay: the answer goes out in one `writev` and the connection closes, but an
    /// answer larger than one segment could otherwise wait for the peer's delayed ACK. Keepalive
    /// and a user timeout: with nginx's `fastcgi_keep_conn` an idle connection pins a worker
    /// thread, and a web server host that vanishes (power, network) would pin it forever;
    /// probing after 30 s idle, every 10 s, 3 times, and giving up on unacknowledged data after
    /// 60 s hands the thread back within about a minute.
    static func prepareAccepted(_ fd: Int32) {
        func set(_ level: Int32, _ option: Int32, _ value: Int32) {
            var value = value
            setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
        }
        set(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        set(SOL_SOCKET, SO_KEEPALIVE, 1)
        set(Int32(IPPROTO_TCP), TCP_KEEPIDLE, 30)
        set(Int32(IPPROTO_TCP), TCP_KEEPINTVL, 10)
        set(Int32(IPPROTO_TCP), TCP_KEEPCNT, 3)
        set(Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, 60_000)
    }
}

/// Logs connections refused by the allow-list: the first at once, then at most one line every
/// 10 seconds with how many were refused meanwhile, so a scan cannot flood the log.
final class RefusedPeerLog: Sendable {
    private struct State {
        var unlogged = 0
        var lastLogged: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let logger = Logger(label: "bookiji.fastcgi")

    func record(peer: String, allowed: PeerAllowList) {
        let now = ContinuousClock.now
        let count: Int? = state.withLock { state in
            state.unlogged += 1
            if let last = state.lastLogged, now - last < .seconds(10) { return nil }
            defer { state.unlogged = 0 }
            state.lastLogged = now
            return state.unlogged
        }
        guard let count else { return }
        logger.warning("refused a connection from an address not allowed to speak FastCGI here", metadata: [
            "peer": "\(peer)", "allowed": "\(allowed)", "refused": "\(count)",
        ])
    }
}
