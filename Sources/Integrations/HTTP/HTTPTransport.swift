import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP exchange, small enough to hold in memory: free/busy and token bodies are kilobytes.
public struct ConnectorHTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// How long the whole exchange may take, including reading the body.
    public var timeout: Duration

    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeout: Duration = .seconds(30)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// A response with its whole body read.
public struct ConnectorHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The body as UTF-8 text (invalid bytes replaced), for error messages.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Sends requests; the connectors' only way out to the network, so tests and the future worker
/// can substitute their own.
public protocol HTTPTransport: Sendable {
    /// Sends one request and reads the whole response. Throws only when no response arrived
    /// (connection refused, timeout, TLS failure); HTTP error statuses are returned, not thrown.
    func send(_ request: ConnectorHTTPRequest) async throws -> ConnectorHTTPResponse
}

/// The transport refused to go on for a reason another attempt cannot change (a body over the
/// limit, a malformed URL, a redirect loop); ``RetryingClient`` gives up at once on it.
public struct PermanentTransportError: Error, Sendable, CustomStringConvertible {
    public var code: ConnectorError.Code
    public var message: String
    public var description: String { message }
}

extension HTTPClient {
    /// The one client every outside call of the project goes through: redirects followed (at most
    /// 5, no cycles) and gzip/deflate accepted and decompressed. Created once and never shut down,
    /// like `HTTPClient.shared`; the decompressed size is bounded by each transport's byte limit.
    public static let integrations = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            decompression: .enabled(limit: .none)))
}

extension HTTPClient {
    /// The client webhooks go out through: redirects are not followed (a 3xx answer is a failed
    /// delivery, and following one could lead a signed body anywhere), answers are not
    /// decompressed (their bodies are not read beyond a little).
    public static let webhooks = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    /// The webhook client with as many HTTP/1.1 connections per host as the sender has deliveries
    /// in flight: the default pool opens 8, which capped a worker at 8 deliveries to a partner at
    /// once whatever its `--webhook-concurrency` (found by Benchmarks/webhooks). One client per
    /// size, created on first use and never shut down, like ``webhooks``.
    public static func webhooks(connectionsPerHost: Int) -> HTTPClient {
        let size = max(8, connectionsPerHost)
        return webhookClients.withLock { clients in
            if let client = clients[size] { return client }
            var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
            configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: size)
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[size] = client
            return client
        }
    }

    private static let webhookClients = Mutex<[Int: HTTPClient]>([:])
}

extension HTTPClient {
    /// The client the payment driver calls Stripe through: as many HTTP/1.1 connections per host
    /// as the driver has calls in flight (the default pool opens 8, which capped a worker at 8
    /// Stripe calls at once whatever its concurrency; found by Benchmarks/bookings).
    public static func stripe(connectionsPerHost: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connectionsPerHost))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}

/// ``HTTPTransport`` over async-http-client.
public struct AsyncHTTPClientTransport: HTTPTransport {
    public let client: HTTPClient
    /// Responses larger than this (after decompression) are refused rather than buffered.
    public var maxResponseBytes: Int

    /// - Parameter client: defaults to ``AsyncHTTPClient/HTTPClient/integrations``, which needs no shutdown.
    public init(client: HTTPClient = .integrations, maxResponseBytes: Int = 16 << 20) {
        self.client = client
        self.maxResponseBytes = maxResponseBytes
    }

    public func send(_ request: ConnectorHTTPRequest) async throws -> ConnectorHTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers {
            outgoing.headers.add(name: header.name, value: header.value)
        }
        if let body = request.body {
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        let timeout = TimeAmount.nanoseconds(Int64(request.timeout.components.seconds) * 1_000_000_000
            + request.timeout.components.attoseconds / 1_000_000_000)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(outgoing, timeout: timeout)
        } catch let error as HTTPClientError
            where [.invalidURL, .emptyHost, .emptyScheme, .redirectLimitReached, .redirectCycleDetected].contains(error)
        {
            throw PermanentTransportError(code: .invalidInput, message: "\(request.url): \(error)")
        }
        var buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: maxResponseBytes)
        } catch is NIOTooManyBytesError {
            throw PermanentTransportError(
                code: .responseTooLarge, message: "the response is larger than the \(maxResponseBytes) bytes allowed")
        }
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return ConnectorHTTPResponse(
            status: Int(response.status.code),
            headers: response.headers.map { (name: $0.name, value: $0.value) },
            body: bytes
        )
    }
}
