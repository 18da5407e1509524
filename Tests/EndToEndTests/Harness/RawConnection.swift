import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to nginx from a chosen loopback address (any of 127.0.0.0/8 works as a
/// source on Linux), sending exactly the bytes a test gives it: malformed requests, half
/// requests, or nothing at all. nginx then sees the connection as coming from that address, which
/// its per-address limits and allow-lists key on.
final class RawConnection {
    private var fd: Int32

    /// Connects to `127.0.0.1:port` from `source`.
    init(port: Int, from source: String = "127.0.0.1", timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var local = Self.address(source, port: 0)
        var remote = Self.address("127.0.0.1", port: port)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = bound == 0 ? withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } : -1
        guard connected == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HTTPClientError(description: "connect from \(source) to 127.0.0.1:\(port) failed: errno \(code)")
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Sends all of `bytes`; MSG_NOSIGNAL, so a connection nginx has closed is an error and not
    /// a SIGPIPE for the test process.
    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HTTPClientError(description: "send failed: errno \(errno)") }
            sent += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads one answer: the head, then Content-Length bytes of body (or up to the close). Does
    /// not wait for the close after a complete answer: after an error nginx lingers on a
    /// connection for seconds before closing it.
    func readResponse() throws -> WireResponse {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let headEnd = received.firstRange(of: [13, 10, 13, 10])?.upperBound,
               let head = try? HTTPClient.parse(Array(received[..<headEnd])),
               let length = head.header("content-length").flatMap({ Int($0) }),
               received.count >= headEnd + length {
                return try HTTPClient.parse(Array(received[..<(headEnd + length)]))
            }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return try HTTPClient.parse(received)
    }

    /// Waits up to `seconds` for the connection to end; returns the bytes that arrived before it
    /// ended, or nil when it was still open at the deadline.
    func bytesUntilClosed(withinSeconds seconds: Double) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
            guard ready > 0 else { continue }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return received }
            received += buffer[0..<n]
        }
        return nil
    }

    /// True when the peer has closed (or reset) the connection; does not block.
    var isClosedByPeer: Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// One request, one answer, over a fresh connection from `source`.
    static func exchange(port: Int, from source: String = "127.0.0.1", _ request: [UInt8]) throws -> WireResponse {
        let connection = try RawConnection(port: port, from: source)
        try connection.send(request)
        return try connection.readResponse()
    }

    static func exchange(port: Int, from source: String = "127.0.0.1", _ request: String) throws -> WireResponse {
        try exchange(port: port, from: source, Array(request.utf8))
    }

    private static func address(_ host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        return address
    }
}
