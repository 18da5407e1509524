#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Telemetry

/// `bookiji worker --metrics-listen 127.0.0.1:PORT`: answers `GET /metrics` with this worker's
/// metrics in the Prometheus text format, on a listener of its own, apart from everything else.
///
/// A blocking accept loop on a thread of its own, one connection at a time, each bounded by
/// 2-second socket timeouts: a scrape every few seconds needs no more, and nothing here can hold
/// up the worker's jobs (they run on the cooperative pool and their own queues). The worker links
/// SwiftNIO only through Integrations; a NIO server here would cost a second event loop for one
/// request every 15 seconds.
public final class MetricsListener: Service, Sendable {
    /// The address actually bound (with the real port when 0 was asked for).
    public let address: String
    private let socket: Int32
    private let stopping = Atomic<Bool>(false)
    private let logger: Logger

    /// Binds `address` (`HOST:PORT`, an IPv4 address or `localhost`; `[IPv6]:PORT`) at once, so
    /// a taken port fails the command before any job starts.
    public init(address: String, logger: Logger) throws {
        self.logger = logger
        let (host, port) = try Self.split(address)
        var storage = sockaddr_storage()
        var length: socklen_t
        let family: Int32
        if host.contains(":") {
            var address6 = sockaddr_in6()
            address6.sin6_family = sa_family_t(AF_INET6)
            address6.sin6_port = in_port_t(port).bigEndian
            guard inet_pton(AF_INET6, host, &address6.sin6_addr) == 1 else { throw ListenError("not an IPv6 address: \(host)") }
            withUnsafeBytes(of: address6) { bytes in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            var address4 = sockaddr_in()
            address4.sin_family = sa_family_t(AF_INET)
            address4.sin_port = in_port_t(port).bigEndian
            guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address4.sin_addr) == 1 else {
                throw ListenError("not an IPv4 address: \(host) (use 127.0.0.1:PORT)")
            }
            withUnsafeBytes(of: address4) { bytes in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        }
        #if canImport(Glibc)
        let fd = Glibc.socket(family, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = Darwin.socket(family, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ListenError("socket() failed: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ListenError("cannot listen on \(address): \(reason)")
        }
        // The port the kernel chose when 0 was asked for.
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let actualPort = family == AF_INET6
            ? withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self).sin6_port.bigEndian }
            : withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self).sin_port.bigEndian }
        self.socket = fd
        self.address = family == AF_INET6 ? "[\(host)]:\(actualPort)" : "\(host):\(actualPort)"
    }

    public struct ListenError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public static func split(_ address: String) throws -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port)
        else { throw ListenError("expected HOST:PORT, e.g. 127.0.0.1:9464, not '\(address)'") }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ListenError("expected HOST:PORT, e.g. 127.0.0.1:9464, not '\(address)'") }
        return (host, port)
    }

    public func run() async throws {
        logger.info("metrics listening", metadata: ["address": "\(address)"])
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread { [self] in
                    acceptLoop()
                    done.resume()
                }
                thread.name = "bookiji-metrics"
                thread.start()
            }
        } onGracefulShutdown: { [self] in
            stopping.store(true, ordering: .releasing)
            // Wakes the blocked accept(); the loop sees `stopping` and ends.
            shutdown(socket, Int32(SHUT_RDWR))
        }
        close(socket)
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            let client = accept(socket, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if !stopping.load(ordering: .acquiring) {
                    logger.warning("metrics listener accept failed", metadata: ["error": "\(String(cString: strerror(errno)))"])
                    // Not a busy loop if the error persists (EMFILE).
                    usleep(100_000)
                }
                continue
            }
            answer(client)
            close(client)
        }
    }

    /// Reads one request head (up to 8 KiB, 2 s) and answers it; the connection then closes.
    private func answer(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while head.count < 8192 {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            head.append(contentsOf: buffer[0..<count])
            if head.count >= 4, Self.endsHead(head) { break }
        }
        let requestLine = head.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        let parts = requestLine.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        let method = parts.first ?? "", target = parts.count > 1 ? parts[1] : ""
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let status: String, contentType: String, body: [UInt8]
        if path != "/metrics" {
            (status, contentType, body) = ("404 Not Found", "text/plain; charset=utf-8", Array("only /metrics is here\n".utf8))
        } else if method != "GET" && method != "HEAD" {
            (status, contentType, body) = ("405 Method Not Allowed", "text/plain; charset=utf-8", Array("use GET\n".utf8))
        } else {
            (status, contentType, body) = ("200 OK", PrometheusExport.contentType, PrometheusExport.exposition())
        }
        var response = Array("""
            HTTP/1.1 \(status)\r
            Content-Type: \(contentType)\r
            Content-Length: \(body.count)\r
            Cache-Control: no-store\r
            Connection: close\r
            \(status.hasPrefix("405") ? "Allow: GET, HEAD\r\n" : "")\r

            """.utf8)
        if method != "HEAD" { response += body }
        var sent = 0
        while sent < response.count {
            let count = response[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            sent += count
        }
    }

    private static func endsHead(_ bytes: [UInt8]) -> Bool {
        let crlf = bytes.suffix(4).elementsEqual([13, 10, 13, 10])
        let lf = bytes.suffix(2).elementsEqual([10, 10])
        return crlf || lf
    }
}
