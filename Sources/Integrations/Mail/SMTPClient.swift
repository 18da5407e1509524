import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Hands messages to an SMTP relay (`bookiji worker --smtp-url smtp://host:port`), one
/// connection per message: ``SMTPConversation`` decides each step, this drives it over SwiftNIO,
/// putting TLS (NIOSSL, which async-http-client already brings) under the connection when the
/// relay offers STARTTLS. No Swift SMTP library is on the package mirror; this is the small
/// part of RFC 5321 a relay submission needs (no AUTH: the relay trusts the worker's address).
///
/// Timeouts: connecting (``Configuration/connectTimeout``, 10 s), every reply
/// (``Configuration/replyTimeout``, 20 s from the moment a command is written), and the whole
/// submission (``Configuration/totalTimeout``, 40 s: with a 15-second webhook, one notification
/// stays within the outbox's 60-second lease). A timeout closes the connection.
public struct SMTPClient: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The name this client gives in EHLO.
        public var clientName: String
        public var tls: SMTPConversation.TLSMode
        /// PEM file of the certificates to trust for STARTTLS instead of the system's.
        public var trustedCertificatesFile: String?
        public var connectTimeout: Duration
        public var replyTimeout: Duration
        public var totalTimeout: Duration

        public init(
            host: String, port: Int, clientName: String = "localhost", tls: SMTPConversation.TLSMode = .opportunistic,
            trustedCertificatesFile: String? = nil, connectTimeout: Duration = .seconds(10), replyTimeout: Duration = .seconds(20),
            totalTimeout: Duration = .seconds(40)
        ) {
            self.host = host
            self.port = port
            self.clientName = clientName
            self.tls = tls
            self.trustedCertificatesFile = trustedCertificatesFile
            self.connectTimeout = connectTimeout
            self.replyTimeout = replyTimeout
            self.totalTimeout = totalTimeout
        }

        /// From `smtp://host[:port]` (port 25 when not given).
        /// - Throws: a message saying what the URL should look like.
        public init(url: String, clientName: String = "localhost") throws(SMTPError) {
            guard let components = URLComponents(string: url), components.scheme?.lowercased() == "smtp",
                  let host = components.host, !host.isEmpty, components.path.isEmpty || components.path == "/",
                  components.user == nil
            else {
                throw SMTPError(.connectFailed, "the SMTP relay must be given as smtp://host:port, e.g. smtp://127.0.0.1:25")
            }
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            self.init(host: bare, port: components.port ?? 25, clientName: clientName)
        }
    }

    public let configuration: Configuration
    private let tlsContext: NIOSSLContext?
    private let group: any EventLoopGroup

    public init(configuration: Configuration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.configuration = configuration
        self.group = group
        if configuration.tls == .disabled {
            tlsContext = nil
        } else {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let file = configuration.trustedCertificatesFile { tls.trustRoots = .file(file) }
            tlsContext = try NIOSSLContext(configuration: tls)
        }
    }

    /// Sends `message` to its recipients; returns the relay's final reply (e.g. its queue id).
    @discardableResult
    public func send(_ message: MailMessage) async throws -> SMTPReply {
        let conversation = SMTPConversation(
            clientName: configuration.clientName, sender: message.from, recipients: message.to, message: message.rendered(),
            tls: configuration.tls)
        let loop = group.next()
        let promise = loop.makePromise(of: SMTPReply.self)
        let configuration = self.configuration, tlsContext = self.tlsContext
        let hostname = IPAddressText.isLiteral(configuration.host) ? nil : configuration.host
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(
                        conversation: conversation, promise: promise, tlsContext: tlsContext, serverHostname: hostname,
                        replyTimeout: TimeAmount(configuration.replyTimeout)))
                }
            }
        let total = loop.scheduleTask(in: TimeAmount(configuration.totalTimeout)) {
            promise.fail(SMTPError(.timeout, "the relay took longer than \(configuration.totalTimeout) for the whole message"))
        }
        bootstrap.connect(host: configuration.host, port: configuration.port).whenComplete { result in
            switch result {
            case .success(let channel):
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
            case .failure(let error):
                promise.fail(SMTPError(.connectFailed, "cannot connect to \(configuration.host):\(configuration.port): \(error)"))
            }
        }
        defer { total.cancel() }
        return try await promise.futureResult.get()
    }
}

enum IPAddressText {
    /// Whether `host` is an IPv4 or IPv6 literal (which TLS SNI must not carry).
    static func isLiteral(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }
}

/// Performs ``SMTPConversation``'s actions on one connection: reads replies, writes commands,
/// starts TLS in place, and completes `promise` once, with the relay's acceptance or the error.
final class SMTPClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var conversation: SMTPConversation
    private var parser = SMTPReplyParser()
    private let promise: EventLoopPromise<SMTPReply>
    private let tlsContext: NIOSSLContext?
    private let serverHostname: String?
    private let replyTimeout: TimeAmount
    private var timeout: Scheduled<Void>?
    private var accepted: SMTPReply?

    init(
        conversation: SMTPConversation, promise: EventLoopPromise<SMTPReply>, tlsContext: NIOSSLContext?, serverHostname: String?,
        replyTimeout: TimeAmount
    ) {
        self.conversation = conversation
        self.promise = promise
        self.tlsContext = tlsContext
        self.serverHostname = serverHostname
        self.replyTimeout = replyTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimeout(context, step: "the greeting")
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        let replies: [SMTPReply]
        do {
            replies = try parser.feed(bytes)
        } catch {
            return finish(context, .failure(SMTPError(.protocolViolation, "the relay sent something that is not an SMTP reply: \(error)")))
        }
        for reply in replies {
            timeout?.cancel()
            perform(conversation.receive(reply), context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            timeout?.cancel()
            perform(conversation.tlsEstablished(), context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        if let accepted {
            promise.succeed(accepted)
        } else {
            promise.fail(SMTPError(.protocolViolation, "the relay closed the connection before accepting the message"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After the relay took the message, a failure (of QUIT, say) changes nothing.
        if let accepted { return finish(context, .success(accepted)) }
        let code: SMTPError.Code = error is NIOSSLError || error is BoringSSLError ? .tls : .protocolViolation
        finish(context, .failure(SMTPError(code, "\(error)")))
    }

    private func perform(_ action: SMTPConversation.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .send(let line):
            write(Array((line + "\r\n").utf8), context, step: String(line.prefix(while: { $0 != " " && $0 != ":" })))
        case .sendData(let bytes):
            write(bytes, context, step: "the end of the message")
        case .startTLS:
            guard let tlsContext, !parser.hasBufferedBytes else {
                return finish(context, .failure(SMTPError(.tls, "cannot start TLS (bytes arrived ahead of the handshake)")))
            }
            do {
                let handler = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname)
                try context.pipeline.syncOperations.addHandler(handler, position: .first)
                armTimeout(context, step: "the TLS handshake")
            } catch {
                finish(context, .failure(SMTPError(.tls, "cannot start TLS: \(error)")))
            }
        case .delivered(let reply):
            accepted = reply
            // QUIT is a courtesy: the message is the relay's already.
            write(Array("QUIT\r\n".utf8), context, step: "QUIT")
            promise.succeed(reply)
        case .fail(let error):
            finish(context, .failure(error))
        case .none:
            context.close(promise: nil)
        }
    }

    private func write(_ bytes: [UInt8], _ context: ChannelHandlerContext, step: String) {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        armTimeout(context, step: step)
    }

    private func armTimeout(_ context: ChannelHandlerContext, step: String) {
        timeout?.cancel()
        let promise = self.promise, amount = replyTimeout
        let channel = context.channel
        timeout = context.eventLoop.scheduleTask(in: amount) {
            promise.fail(SMTPError(.timeout, "no answer to \(step) within \(amount.nanoseconds / 1_000_000) ms"))
            channel.close(promise: nil)
        }
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<SMTPReply, SMTPError>) {
        timeout?.cancel()
        promise.completeWith(result.mapError { $0 as any Error })
        context.close(promise: nil)
    }
}
