import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a FastCGI responder wrote for one request: the CGI response split into status, headers
/// and body, plus the END_REQUEST record's fields.
struct FastCGIResponse {
    /// The `Status:` header's code (200 when the responder sent none, as CGI says).
    var status: Int
    /// Every header line in the order written, `Status` included.
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// The raw FCGI_STDOUT stream, head and body.
    var stdout: [UInt8]
    var appStatus: UInt32
    var protocolStatus: UInt8

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

struct FastCGIClientError: Error, CustomStringConvertible {
    var description: String
}

/// A minimal FastCGI 1.0 client (the web server's side of the protocol), one request per
/// connection: FCGI_BEGIN_REQUEST (role RESPONDER, no keep-conn), FCGI_PARAMS, FCGI_STDIN, then
/// FCGI_STDOUT/FCGI_STDERR records until FCGI_END_REQUEST.
enum FastCGIClient {
    enum RecordType: UInt8 {
        case beginRequest = 1, abortRequest = 2, endRequest = 3, params = 4, stdin = 5, stdout = 6, stderr = 7
    }

    /// CGI variables as nginx's `fastcgi_params` would send them for this request.
    static func params(
        method: String = "GET", path: String, query: String = "", headers: [(String, String)] = [],
        contentLength: Int? = nil
    ) -> [(String, String)] {
        var params: [(String, String)] = [
            ("REQUEST_METHOD", method), ("REQUEST_URI", query.isEmpty ? path : path + "?" + query),
            ("QUERY_STRING", query), ("DOCUMENT_URI", path), ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("GATEWAY_INTERFACE", "CGI/1.1"), ("REMOTE_ADDR", "127.0.0.1"), ("REMOTE_PORT", "50000"),
        ]
        if let contentLength { params.append(("CONTENT_LENGTH", String(contentLength))) }
        for (name, value) in headers {
            switch name.lowercased() {
            case "content-type": params.append(("CONTENT_TYPE", value))
            default: params.append(("HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_"), value))
            }
        }
        return params
    }

    /// Sends one request. `body == nil` sends no FCGI_STDIN record at all (not even the empty one
    /// that ends the stream), so a responder that tries to read the body blocks until timeout.
    static func send(
        socketPath: String, params: [(String, String)], body: [UInt8]? = [], requestID: UInt16 = 1,
        timeoutSeconds: Int = 10
    ) throws -> FastCGIResponse {
        let fd = try connect(socketPath, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        return try send(over: fd, params: params, body: body, requestID: requestID)
    }

    /// Sends one request over an open connection; with `keepConnection` the request carries
    /// FCGI_KEEP_CONN, asking the responder to leave the connection open for the next one.
    static func send(
        over fd: Int32, params: [(String, String)], body: [UInt8]? = [], requestID: UInt16 = 1, keepConnection: Bool = false
    ) throws -> FastCGIResponse {
        var out: [UInt8] = []
        out += record(.beginRequest, requestID, [0, 1, keepConnection ? 1 : 0, 0, 0, 0, 0, 0])  // role RESPONDER, flags
        var encoded: [UInt8] = []
        for (name, value) in params { encoded += pair(name, value) }
        for chunk in chunks(encoded) { out += record(.params, requestID, chunk) }
        out += record(.params, requestID, [])
        if let body {
            for chunk in chunks(body) { out += record(.stdin, requestID, chunk) }
            out += record(.stdin, requestID, [])
        }
        try writeAll(fd, out)
        return try readResponse(fd, requestID: requestID)
    }

    /// Connects to the unix socket at `path`; throws with the errno text when that fails.
    static func connect(_ path: String, timeoutSeconds: Int = 10) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FastCGIClientError(description: "socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw FastCGIClientError(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw FastCGIClientError(description: "connect \(path): \(message)")
        }
        return fd
    }

    /// Connects over TCP to `host` (a numeric IPv4 or IPv6 address) at `port`, from `source`
    /// when given (any 127.0.0.0/8 address is this host's, so tests can be several peers).
    static func connect(host: String, port: UInt16, source: String? = nil, timeoutSeconds: Int = 10) throws -> Int32 {
        var storage = sockaddr_storage()
        var length: socklen_t
        let family: Int32
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw FastCGIClientError(description: "bad address \(host)") }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in6.self) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw FastCGIClientError(description: "bad address \(host)") }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in.self) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FastCGIClientError(description: "socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                throw FastCGIClientError(description: "bind \(source): \(String(cString: strerror(errno)))")
            }
        }
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw FastCGIClientError(description: "connect \(host):\(port): \(message)")
        }
        return fd
    }

    static func record(_ type: RecordType, _ requestID: UInt16, _ content: [UInt8]) -> [UInt8] {
        precondition(content.count <= 0xFFFF)
        let padding = (8 - content.count % 8) % 8
        return [1, type.rawValue, UInt8(requestID >> 8), UInt8(requestID & 0xFF),
                UInt8(content.count >> 8), UInt8(content.count & 0xFF), UInt8(padding), 0]
            + content + [UInt8](repeating: 0, count: padding)
    }

    /// A name-value pair: lengths below 128 in one byte, others in four with the high bit set.
    static func pair(_ name: String, _ value: String) -> [UInt8] {
        func length(_ count: Int) -> [UInt8] {
            count < 128 ? [UInt8(count)]
                : [UInt8((count >> 24) & 0x7F) | 0x80, UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
        }
        let n = Array(name.utf8), v = Array(value.utf8)
        return length(n.count) + length(v.count) + n + v
    }

    private static func chunks(_ bytes: [UInt8]) -> [[UInt8]] {
        stride(from: 0, to: bytes.count, by: 0xFFFF).map { Array(bytes[$0..<min($0 + 0xFFFF, bytes.count)]) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw FastCGIClientError(description: "write: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    private static func readExactly(_ fd: Int32, _ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer[filled...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw FastCGIClientError(description: "timed out waiting for the responder")
            }
            guard n > 0 else { throw FastCGIClientError(description: "connection closed before FCGI_END_REQUEST") }
            filled += n
        }
        return buffer
    }

    private static func readResponse(_ fd: Int32, requestID: UInt16) throws -> FastCGIResponse {
        var stdout: [UInt8] = []
        while true {
            let header = try readExactly(fd, 8)
            guard header[0] == 1 else { throw FastCGIClientError(description: "bad record version \(header[0])") }
            let id = UInt16(header[2]) << 8 | UInt16(header[3])
            let length = Int(header[4]) << 8 | Int(header[5])
            let content = try readExactly(fd, length + Int(header[6])).prefix(length)
            guard id == requestID else { throw FastCGIClientError(description: "record for request \(id)") }
            switch RecordType(rawValue: header[1]) {
            case .stdout: stdout += content
            case .stderr: break
            case .endRequest:
                let c = Array(content)
                let appStatus = UInt32(c[0]) << 24 | UInt32(c[1]) << 16 | UInt32(c[2]) << 8 | UInt32(c[3])
                return try parse(stdout, appStatus: appStatus, protocolStatus: c[4])
            default: throw FastCGIClientError(description: "unexpected record type \(header[1])")
            }
        }
    }

    private static func parse(_ stdout: [UInt8], appStatus: UInt32, protocolStatus: UInt8) throws -> FastCGIResponse {
        guard let split = stdout.firstRange(of: [13, 10, 13, 10]) else {
            throw FastCGIClientError(description: "no CGI header block in \(stdout.count) bytes of stdout")
        }
        var headers: [(name: String, value: String)] = []
        for line in String(decoding: stdout[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else {
                throw FastCGIClientError(description: "malformed header line '\(line)'")
            }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let statusText = headers.first { $0.name.lowercased() == "status" }?.value
        let status = statusText.flatMap { Int($0.prefix(3)) } ?? 200
        return FastCGIResponse(
            status: status, headers: headers, body: Array(stdout[split.upperBound...]), stdout: stdout,
            appStatus: appStatus, protocolStatus: protocolStatus)
    }
}
