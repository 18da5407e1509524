import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Settings for ``FastCGIServer``.
public struct FastCGIConfiguration: Sendable {
    public var endpoint: FastCGIEndpoint
    /// Permission bits for the socket file, so nginx's worker user can connect (unix sockets).
    public var socketMode: mode_t
    /// Who may connect over TCP. nil: anyone when the server listens on a loopback address, and
    /// refused (the server does not start) on any other address, where it must be said.
    public var allowedPeers: PeerAllowList?
    public var threads: Int
    public var maxBodyBytes: Int
    public var backlog: Int32
    /// How long shutdown waits for in-flight requests before ``FastCGIServer/run(_:)`` returns
    /// without them (`bookiji serve --shutdown-grace-seconds`; the process then exits under them).
    public var shutdownGraceSeconds: Double

    /// The unix socket's path, when the server listens on one.
    public var socketPath: String? {
        if case .unixSocket(let path) = endpoint { path } else { nil }
    }

    public init(
        endpoint: FastCGIEndpoint, socketMode: mode_t = 0o666, allowedPeers: PeerAllowList? = nil, threads: Int = 4,
        maxBodyBytes: Int = 1 << 20, backlog: Int32 = 1024, shutdownGraceSeconds: Double = 30
    ) {
        self.endpoint = endpoint
        self.socketMode = socketMode
        self.allowedPeers = allowedPeers
        self.threads = threads
        self.maxBodyBytes = maxBodyBytes
        self.backlog = backlog
        self.shutdownGraceSeconds = shutdownGraceSeconds
    }

    public init(
        socketPath: String, socketMode: mode_t = 0o666, threads: Int = 4, maxBodyBytes: Int = 1 << 20,
        backlog: Int32 = 1024, shutdownGraceSeconds: Double = 30
    ) {
        self.init(
            endpoint: .unixSocket(path: socketPath), socketMode: socketMode, threads: threads, maxBodyBytes: maxBodyBytes,
            backlog: backlog, shutdownGraceSeconds: shutdownGraceSeconds)
    }
}

public struct FastCGIError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
