/// Why a message could not be handed to the SMTP relay. `description` names the step and the
/// server's reply; it carries no message content.
public struct SMTPError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// The relay could not be reached (refused, unresolvable, connect timeout).
        public static let connectFailed = Code(name: "connect_failed")
        /// The relay did not answer a step in time.
        public static let timeout = Code(name: "timeout")
        /// The relay answered a step with a 4xx reply: it may take the message later.
        public static let transientRejection = Code(name: "transient_rejection")
        /// The relay answered a step with a 5xx reply.
        public static let permanentRejection = Code(name: "permanent_rejection")
        /// The relay offered STARTTLS but the TLS handshake failed (never continued in plain text),
        /// or TLS was required and not offered.
        public static let tls = Code(name: "tls")
        /// The relay closed the connection, or sent something that is not SMTP.
        public static let protocolViolation = Code(name: "protocol_violation")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "smtp \(code): \(message)" }

    /// A 4xx or 5xx reply at `step`.
    static func rejected(_ reply: SMTPReply, at step: String) -> SMTPError {
        SMTPError(reply.isTransient ? .transientRejection : .permanentRejection, "\(step) answered \(reply)")
    }
}
