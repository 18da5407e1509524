import CFastCGI
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Handles requests on one worker thread. Each worker gets its own instance, so a handler may
/// keep per-thread state (a database connection, caches) without locks.
public protocol FastCGIHandler: AnyObject {
    func handle(_ request: HTTPRequest) -> HTTPResponse
    /// The answer when `Content-Length` exceeds the limit; the body is never read.
    func bodyTooLarge(limit: Int, declared: Int) -> HTTPResponse
}

/// A threaded libfcgi responder on a unix socket or a TCP address.
///
/// libfcgi's `FCGX_Accept_r` blocks, so requests are served on dedicated threads (never Swift
/// tasks), each with its own `FCGX_Request` and handler. This type owns those threads: ``run(_:)``
/// returns only after SIGTERM/SIGINT (or ``stop()``) and once in-flight requests have finished.
public final class FastCGIServer: Sendable {
    public let configuration: FastCGIConfiguration
    /// Where the server listens, as bound: a TCP port 0 is replaced by the port the kernel chose
    /// and a host name by its address.
    public let boundEndpoint: FastCGIEndpoint
    private let listenFD: Int32
    /// Written by ``stop()`` to wake ``run(_:)``, which otherwise waits only for a signal.
    private let stopPipe: (read: Int32, write: Int32)
    /// The "listening socket" libfcgi is given: a socket never bound, on which its own accept
    /// fails at once. On a connection that fails mid-request, `FCGX_Accept_r` closes it and
    /// accepts the next connection itself, which would skip ``allowedPeers`` (and the TCP
    /// options); with this socket it returns an error instead and the loop accepts.
    private let unlistenedFD: Int32

    /// The socket file this server bound (device and inode), so that exiting removes the path
    /// only while it is still that file. nil over TCP.
    private let socketFile: (device: UInt64, inode: UInt64)?
    /// Who may connect over TCP; nil for a unix socket (its file mode decides).
    private let allowedPeers: PeerAllowList?
    private let refusals = RefusedPeerLog()

    /// Opens the listening socket: a unix socket with its permissions, or a TCP address.
    ///
    /// Whatever is at a unix socket's path already is handled as PostgreSQL and nginx do: a
    /// socket that accepts a connection belongs to a running responder, so this throws rather
    /// than take it over (nginx would keep reaching the new one, and the old one's exit would
    /// delete the path under it); a socket that refuses connections was left by a process that
    /// died and is replaced; anything else is never touched. A TCP port is treated alike: one
    /// that another process listens on is refused (no `SO_REUSEPORT`, which would share it
    /// silently), one left in TIME_WAIT by a responder that just exited is taken
    /// (`SO_REUSEADDR`).
    public init(configuration: FastCGIConfiguration) throws {
        self.configuration = configuration
        guard FCGX_Init() == 0 else { throw FastCGIError(message: "FCGX_Init failed") }
        let fd: Int32
        switch configuration.endpoint {
        case .unixSocket(let path):
            try Self.removeStaleSocket(at: path)
            fd = try Self.listen(unixPath: path, backlog: configuration.backlog)
            var status = stat()
            guard stat(path, &status) == 0, chmod(path, configuration.socketMode) == 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw FastCGIError(message: "cannot chmod \(path): \(reason)")
            }
            socketFile = (UInt64(status.st_dev), UInt64(status.st_ino))
            boundEndpoint = configuration.endpoint
            allowedPeers = nil
        case .tcp(let host, let port):
            let bound: SocketAddress
            (fd, bound) = try Self.listen(tcpHost: host, port: port, backlog: configuration.backlog)
            boundEndpoint = .tcp(host: bound.host, port: bound.port)
            socketFile = nil
            if let given = configuration.allowedPeers {
                allowedPeers = given
            } else if bound.isLoopback {
                allowedPeers = .anyone
            } else {
                close(fd)
                throw FastCGIError(message: """
                    \(boundEndpoint) is reachable from other hosts: name the web servers that may connect \
                    (--allow-from ADDRESS or NETWORK, repeatable; 'any' to accept every address, behind a firewall)
                    """)
            }
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            close(fd)
            throw FastCGIError(message: "pipe() failed: \(String(cString: strerror(errno)))")
        }
        let unlistened = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard unlistened >= 0 else {
            close(fd)
            close(fds[0])
            close(fds[1])
            throw FastCGIError(message: "cannot create a unix socket: \(String(cString: strerror(errno)))")
        }
        listenFD = fd
        stopPipe = (fds[0], fds[1])
        unlistenedFD = unlistened
    }

    /// Removes the socket path if it is still the file this server bound: after a second
    /// responder replaced it (or an operator moved it), that file is someone else's.
    private func removeSocketFile() {
        guard let path = configuration.socketPath, let socketFile else { return }
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard (UInt64(status.st_dev), UInt64(status.st_ino)) == socketFile else {
            Logger(label: "bookiji.fastcgi").warning(
                "socket path now holds another file; leaving it in place", metadata: ["socket": "\(path)"])
            return
        }
        unlink(path)
    }

    deinit {
        // Worker threads hold `self`, so no accept can still be using the listening socket.
        close(listenFD)
        close(stopPipe.read)
        close(stopPipe.write)
        close(unlistenedFD)
    }

    /// Stops glibc's malloc from handing answer-sized buffers back to the kernel after each request.
    ///
    /// Answers of 60-200 KB (a week of availability) need buffers that large. By default glibc
    /// serves such blocks from fresh mappings, or trims a thread's heap once its top 128 KB is
    /// free, so every request unmapped its buffers when freeing them and faulted zeroed pages in
    /// again for the next one: page faults, `madvise` and TLB shootdowns took about 8% of the
    /// machine while computing answers (`perf record -a`). Kept in the threads' heaps, the pages
    /// stay; what stays is bounded by the threads' largest answers. Process-wide.
    static func keepAnswerBuffersMapped() {
        _ = mallopt(M_MMAP_THRESHOLD, 4 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 64 << 20)
    }

    /// Serves until a shutdown signal arrives, then lets in-flight requests finish.
    /// - Parameter makeHandler: called once on each worker thread with the worker's index.
    public func run(_ makeHandler: @escaping @Sendable (Int) -> any FastCGIHandler) {
        Self.keepAnswerBuffersMapped()
        let signals = SignalPipe.shared
        let done = DispatchGroup()
        for index in 0..<configuration.threads {
            done.enter()
            let thread = Thread { [self] in
                serveLoop(handler: makeHandler(index))
                done.leave()
            }
            thread.name = "fcgi-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        signals.wait(orReadable: stopPipe.read)
        stop()
        if done.wait(timeout: .now() + configuration.shutdownGraceSeconds) == .timedOut {
            Logger(label: "bookiji.fastcgi").warning("shutdown grace period over; exiting with requests still running")
        }
        removeSocketFile()
    }

    /// Stops accepting: blocked accepts return, workers finish what they are serving and exit,
    /// and ``run(_:)`` returns once they have.
    ///
    /// Deliberately not `FCGX_ShutdownPending()`: it sets a process-wide flag that libfcgi never
    /// clears, after which every `FCGX_Accept_r` in the process fails at once, so no server
    /// started later in the same process (tests start many) could serve. Shutting the listening
    /// socket down is what wakes blocked accepts, and makes later ones fail (EINVAL) too.
    public func stop() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        var byte: UInt8 = 1
        _ = Glibc.write(stopPipe.write, &byte, 1)
    }

    /// Accepts connections itself and hands each to `FCGX_Accept_r`, which only reads the
    /// request from a connection it is given; the response, end of stream and FCGI_END_REQUEST
    /// go out in one `writev`, and the connection is closed here. This skips two waits libfcgi
    /// would add to every request: a poll for the first bytes after accepting, and its
    /// "lingering" close, which shuts the write side and then sleeps until nginx has read the
    /// answer and closed its end. (libfcgi still parses the request and owns its memory.)
    private func serveLoop(handler: any FastCGIHandler) {
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        FCGX_InitRequest(request, unlistenedFD, 0)
        defer {
            if request.pointee.ipcFd >= 0 { close(request.pointee.ipcFd) }
            request.deallocate()
        }
        while true {
            if request.pointee.ipcFd < 0 {
                var peer = sockaddr_storage()
                var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let fd = withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &peerLength) }
                }
                if fd < 0 {
                    switch errno {
                    case EINTR, ECONNABORTED:
                        continue
                    case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                        // Out of descriptors or memory for now: keep the thread, try again shortly.
                        usleep(10_000)
                        continue
                    default:
                        return  // EINVAL: the listening socket was shut down by stop()
                    }
                }
                if let allowedPeers {
                    let address = SocketAddress(peer)
                    guard allowedPeers.admits(address.bytes) else {
                        close(fd)  // before reading a byte: nothing it sent is believed
                        refusals.record(peer: address.host, allowed: allowedPeers)
                        continue
                    }
                    Self.prepareAccepted(fd)
                }
                request.pointee.ipcFd = fd
            }
            // Reads BEGIN_REQUEST and the parameters from the connection it was given. It starts
            // by finishing the previous request, which closes the connection unless it is marked
            // as kept; BEGIN_REQUEST then sets the mark from nginx's FCGI_KEEP_CONN flag. On a
            // connection that fails (closed, garbage) it closes it and tries to accept on
            // `unlistenedFD`, which fails: the next connection is accepted above, checked.
            request.pointee.keepConnection = 1
            guard FCGX_Accept_r(request) >= 0 else {
                if request.pointee.ipcFd >= 0 { close(request.pointee.ipcFd) }
                request.pointee.ipcFd = -1
                continue
            }
            let bodyRead = serve(request, handler: handler)
            let fd = request.pointee.ipcFd
            let keep = request.pointee.keepConnection != 0
            // Frees the streams and parameters without writing or closing anything.
            FCGX_Free(request, 0)
            if !keep || !bodyRead {
                Self.finishConnection(fd, inputConsumed: bodyRead)
                request.pointee.ipcFd = -1
            }
        }
    }

    /// Closes a connection whose answer has been written. If the request body was left unread
    /// (413), nginx may still be sending it: shut our side, read until nginx closes (at most
    /// 2 s), then close, as libfcgi does, so nginx never fails on a write to a closed socket.
    /// Otherwise whatever is left (the empty end-of-stdin record) is read without waiting first,
    /// so the close does not report unread data to nginx.
    static func finishConnection(_ fd: Int32, inputConsumed: Bool) {
        var trash = [UInt8](repeating: 0, count: 1024)
        if inputConsumed {
            while trash.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {}
        } else if shutdown(fd, Int32(SHUT_WR)) == 0 {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while poll(&pfd, 1, 2000) > 0, trash.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
        }
        close(fd)
    }

    /// Serves one request; returns whether its body was read whole.
    private func serve(_ request: UnsafeMutablePointer<FCGX_Request>, handler: any FastCGIHandler) -> Bool {
        let parameters = Self.parameters(request.pointee.envp)
        let response: HTTPResponse
        var bodyRead = true
        if parameters.contentLength > configuration.maxBodyBytes {
            response = handler.bodyTooLarge(limit: configuration.maxBodyBytes, declared: parameters.contentLength)
            bodyRead = false
        } else {
            let body = readBody(request.pointee.in, length: parameters.contentLength)
            bodyRead = body.count == parameters.contentLength
            response = handler.handle(HTTPRequest(
                method: parameters.method, path: parameters.path, query: parameters.query, headers: parameters.headers,
                body: body, remoteAddress: parameters.remote))
        }
        write(response, to: request)
        return bodyRead
    }

    struct Parameters {
        var method = "GET", path = "/", query = "", remote = ""
        var contentLength = 0
        var headers: [String: String] = [:]
    }

    /// The CGI variables nginx sends (`NAME=value` C strings), read as bytes: headers come as
    /// `HTTP_ACCEPT_ENCODING` and become `accept-encoding`.
    static func parameters(_ envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Parameters {
        var result = Parameters()
        result.headers.reserveCapacity(16)
        var uri = ""
        var cursor = envp
        while let entry = cursor?.pointee {
            cursor = cursor! + 1
            let raw = UnsafeRawBufferPointer(start: entry, count: strlen(entry))
            guard let equals = raw.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = UnsafeRawBufferPointer(rebasing: raw[..<equals])
            let value = UnsafeRawBufferPointer(rebasing: raw[(equals + 1)...])
            if name.starts(with: "HTTP_".utf8) {
                let key = String(unsafeUninitializedCapacity: name.count - 5) { out in
                    for (index, byte) in name.dropFirst(5).enumerated() {
                        out[index] = byte == UInt8(ascii: "_") ? UInt8(ascii: "-")
                            : (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
                    }
                    return name.count - 5
                }
                result.headers[key] = String(decoding: value, as: UTF8.self)
            } else if name.elementsEqual("REQUEST_METHOD".utf8) {
                result.method = String(decoding: value, as: UTF8.self)
            } else if name.elementsEqual("REQUEST_URI".utf8) {
                uri = String(decoding: value.prefix { $0 != UInt8(ascii: "?") }, as: UTF8.self)
            } else if name.elementsEqual("QUERY_STRING".utf8) {
                result.query = String(decoding: value, as: UTF8.self)
            } else if name.elementsEqual("REMOTE_ADDR".utf8) {
                result.remote = String(decoding: value, as: UTF8.self)
            } else if name.elementsEqual("CONTENT_LENGTH".utf8) {
                result.contentLength = Int(String(decoding: value, as: UTF8.self)) ?? 0
            } else if name.elementsEqual("CONTENT_TYPE".utf8) {
                result.headers["content-type"] = String(decoding: value, as: UTF8.self)
            }
        }
        if !uri.isEmpty { result.path = uri }
        return result
    }

    private func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, length: Int) -> [UInt8] {
        guard length > 0, let stream else { return [] }
        var body = [UInt8](repeating: 0, count: length)
        var filled = 0
        body.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            while filled < length {
                let n = FCGX_GetStr(base + filled, Int32(length - filled), stream)
                if n <= 0 { break }
                filled += Int(n)
            }
        }
        if filled < length { body.removeLast(length - filled) }
        return body
    }

    /// Writes the response head and body, the end of the stdout stream and FCGI_END_REQUEST
    /// straight to the connection with one `writev` (``FastCGIRecordWriter`` lays out the records).
    private func write(_ response: HTTPResponse, to request: UnsafeMutablePointer<FCGX_Request>) {
        let fd = request.pointee.ipcFd
        guard fd >= 0 else { return }
        let requestID = UInt16(truncatingIfNeeded: request.pointee.requestId)
        let head = Array(response.head().utf8)
        head.withUnsafeBytes { headBytes in
            response.body.withUnsafeBytes { bodyBytes in
                FastCGIRecordWriter.withResponseRecords(requestID: requestID, stdout: [headBytes, bodyBytes]) {
                    Self.writeAll(fd, $0)
                }
            }
        }
    }

    /// `writev` until everything is written or the peer is gone (nginx gave up on the request;
    /// nothing more to do for it). Partial writes resume where they stopped.
    private static func writeAll(_ fd: Int32, _ vectors: [iovec]) {
        var vectors = vectors
        var first = 0
        while first < vectors.count {
            let count = Int32(min(vectors.count - first, 1024))  // IOV_MAX on Linux
            let written = vectors.withUnsafeBufferPointer { writev(fd, $0.baseAddress! + first, count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            var left = written
            while first < vectors.count, left >= vectors[first].iov_len {
                left -= vectors[first].iov_len
                first += 1
            }
            if left > 0 {
                vectors[first].iov_base += left
                vectors[first].iov_len -= left
            }
        }
    }
}
