import FastCGI
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the handlers of one server saw, shared by its worker threads.
final class Recorder: Sendable {
    struct State {
        var handled = 0
        var tooLarge: [(limit: Int, declared: Int)] = []
        var started = 0
        var workers: Set<Int> = []
        var lastFinish: ContinuousClock.Instant?
    }

    let state = Mutex(State())

    func read<T>(_ body: (State) -> T) -> T { state.withLock { body($0) } }
}

/// Echoes what it parsed as JSON. `/slow?ms=N` sleeps first; `/status/N` answers with status N
/// and the headers `X-First`, `X-Second` in that order; `/large` answers with `?bytes=N` bytes.
final class EchoHandler: FastCGIHandler {
    let worker: Int
    let recorder: Recorder

    init(worker: Int, recorder: Recorder) {
        self.worker = worker
        self.recorder = recorder
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let worker = self.worker
        recorder.state.withLock {
            $0.started += 1
            $0.workers.insert(worker)
        }
        defer {
            recorder.state.withLock {
                $0.handled += 1
                $0.lastFinish = .now
            }
        }
        let parameters = request.queryParameters
        if request.path == "/slow" {
            usleep(UInt32(parameters["ms"].flatMap(Int.init) ?? 100) * 1000)
        }
        if request.path.hasPrefix("/status/"), let status = Int(request.path.dropFirst(8)) {
            return HTTPResponse(
                status: status, headers: [("X-First", "1"), ("X-Second", "two words")],
                body: status == 204 || status == 304 ? [] : Array("status \(status)".utf8))
        }
        if request.path == "/large" {
            let count = parameters["bytes"].flatMap(Int.init) ?? 0
            return HTTPResponse(status: 200, body: (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7) })
        }
        let echo: [String: Any] = [
            "method": request.method, "path": request.path, "query": request.query, "headers": request.headers,
            "remote": request.remoteAddress, "body": Data(request.body).base64EncodedString(), "worker": worker,
        ]
        let json = (try? JSONSerialization.data(withJSONObject: echo, options: [.sortedKeys])) ?? Data()
        return HTTPResponse(status: 200, json: Array(json))
    }

    func bodyTooLarge(limit: Int, declared: Int) -> HTTPResponse {
        recorder.state.withLock { $0.tooLarge.append((limit, declared)) }
        return HTTPResponse(status: 413, json: Array(#"{"limit":\#(limit),"declared":\#(declared)}"#.utf8))
    }
}

/// A ``FastCGIServer`` on a socket in a fresh temporary directory, running on its own thread
/// with ``EchoHandler``s. ``run(_:)`` blocks, so the thread is a plain `Thread`, never a task.
///
/// With `tcp`, it listens on that address instead (`127.0.0.1:0`: a port the kernel picks) and
/// ``send(method:path:query:headers:body:timeoutSeconds:)`` connects there.
final class TestServer: Sendable {
    let server: FastCGIServer
    let directory: String
    let socketPath: String
    let recorder = Recorder()
    private let runReturned = DispatchSemaphore(value: 0)
    private let runReturnedAt = Mutex<ContinuousClock.Instant?>(nil)

    init(
        threads: Int = 2, maxBodyBytes: Int = 1 << 20, socketMode: mode_t = 0o666, shutdownGraceSeconds: Double = 5,
        tcp: String? = nil, allowedPeers: PeerAllowList? = nil
    ) throws {
        directory = try makeTemporaryDirectory("bookiji-fcgi")
        socketPath = directory + "/responder.sock"
        server = try FastCGIServer(configuration: FastCGIConfiguration(
            endpoint: try tcp.map { try FastCGIEndpoint(listen: $0) } ?? .unixSocket(path: socketPath),
            socketMode: socketMode, allowedPeers: allowedPeers, threads: threads, maxBodyBytes: maxBodyBytes,
            shutdownGraceSeconds: shutdownGraceSeconds))
        let recorder = self.recorder
        Thread { [self] in
            server.run { index in EchoHandler(worker: index, recorder: recorder) }
            runReturnedAt.withLock { $0 = .now }
            runReturned.signal()
        }.start()
    }

    func send(
        method: String = "GET", path: String, query: String = "", headers: [(String, String)] = [],
        body: [UInt8] = [], timeoutSeconds: Int = 10
    ) throws -> FastCGIResponse {
        let params = FastCGIClient.params(method: method, path: path, query: query, headers: headers, contentLength: body.count)
        guard case .tcp(let host, let port) = server.boundEndpoint else {
            return try FastCGIClient.send(socketPath: socketPath, params: params, body: body, timeoutSeconds: timeoutSeconds)
        }
        let fd = try FastCGIClient.connect(host: host == "0.0.0.0" ? "127.0.0.1" : host, port: port, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        return try FastCGIClient.send(over: fd, params: params, body: body)
    }

    /// The TCP port the server listens on (0 for a unix socket).
    var port: UInt16 {
        if case .tcp(_, let port) = server.boundEndpoint { port } else { 0 }
    }

    /// Waits for `run` to return; the instant it returned, or nil after `seconds`.
    func waitForRunToReturn(seconds: Double) -> ContinuousClock.Instant? {
        guard runReturned.wait(timeout: .now() + seconds) == .success else { return nil }
        runReturned.signal()  // later waiters see it too
        return runReturnedAt.withLock { $0 }
    }

    /// Stops the server (if still running) and removes its directory.
    func shutDown() {
        server.stop()
        _ = waitForRunToReturn(seconds: 6)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

func makeTemporaryDirectory(_ prefix: String) throws -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
        throw FastCGIClientError(description: "mkdtemp failed: \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
}
