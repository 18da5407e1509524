import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One persistent HTTP/1.1 connection to nginx, for load tests: thousands of requests over a
/// few connections, instead of one TCP connection (and one TIME_WAIT port) per request.
/// Not thread-safe: one client per thread.
final class KeepAliveClient {
    let port: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    init(port: Int) {
        self.port = port
    }

    deinit { if fd >= 0 { close(fd) } }

    private func connectIfNeeded() throws {
        guard fd < 0 else { return }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            fd = -1
            throw HTTPClientError(description: "connect failed: errno \(errno)")
        }
        buffer.removeAll()
    }

    func send(method: String, path: String, headers: [String: String], body: [UInt8]?) throws -> WireResponse {
        try connectIfNeeded()
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body?.count ?? 0)\r\n\r\n"
        let bytes = Array(head.utf8) + (body ?? [])
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { reset(); throw HTTPClientError(description: "write failed") }
            sent += n
        }
        // Read the head, then exactly Content-Length bytes of body.
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffer.firstRange(of: [13, 10, 13, 10])?.upperBound
            if headEnd == nil { try fill() }
        }
        let response = try HTTPClient.parse(Array(buffer[..<headEnd!]) )
        let length = Int(response.header("content-length") ?? "0") ?? 0
        while buffer.count < headEnd! + length { try fill() }
        let body = Array(buffer[headEnd!..<(headEnd! + length)])
        buffer.removeFirst(headEnd! + length)
        if response.header("connection")?.lowercased() == "close" { reset() }
        return WireResponse(status: response.status, headers: response.headers, body: body)
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = read(fd, &chunk, chunk.count)
        guard n > 0 else { reset(); throw HTTPClientError(description: "connection closed while reading") }
        buffer += chunk[0..<n]
    }

    private func reset() {
        if fd >= 0 { close(fd) }
        fd = -1
        buffer.removeAll()
    }
}
