/// One SMTP submission (RFC 5321) as a pure state machine: it is told each reply the server
/// sends (``receive(_:)``) and when TLS is up (``tlsEstablished()``), and answers with what to do
/// next; ``SMTPClient`` performs the actions on a connection. It never touches the network, so
/// every path is tested in process (IntegrationsTests/SMTPConversationTests).
///
/// ```
/// greeting 220 ─▶ EHLO ─250─▶ [STARTTLS offered and TLS allowed] STARTTLS ─220─▶ TLS handshake
///                  │                                                   ─▶ EHLO ─250─┐
///                  ├─5xx─▶ HELO ─250─┐                                              │
///                  └─250 (no TLS) ───┴────────────▶ MAIL FROM ─250─▶ RCPT TO … ─250─▶ DATA
///   ─354─▶ message ─250─▶ QUIT ─▶ done
/// ```
/// Any other reply ends the conversation with an ``SMTPError`` (4xx transient, 5xx permanent).
public struct SMTPConversation: Sendable {
    /// When to use TLS on a plain connection.
    public enum TLSMode: Sendable, Hashable {
        /// STARTTLS whenever the server offers it; a failed handshake fails the message (it is
        /// never sent in plain text after TLS was attempted).
        case opportunistic
        /// Refuse to send unless the server offers STARTTLS.
        case required
        /// Never start TLS (a relay on this machine).
        case disabled
    }

    public enum Action: Sendable, Hashable {
        /// Write this command line (CRLF is added by the driver).
        case send(String)
        /// Write the message, already dot-stuffed and ending with `CRLF.CRLF`.
        case sendData([UInt8])
        /// Put TLS under the connection now, then call ``tlsEstablished()``.
        case startTLS
        /// The relay accepted the message (its reply, e.g. a queue id); QUIT was sent: close
        /// once the server answers it or closes.
        case delivered(SMTPReply)
        /// Stop and close: the message was not accepted.
        case fail(SMTPError)
        /// Nothing to do (after QUIT's answer).
        case none
    }

    enum State: Sendable, Hashable {
        case greeting, ehlo, helo, startTLS, tlsHandshake, ehloOverTLS, mailFrom
        case rcptTo(Int)
        case data, message, quit, finished
    }

    private(set) var state = State.greeting
    private(set) var secure = false
    let clientName: String
    let sender: String
    let recipients: [String]
    let message: [UInt8]
    let tls: TLSMode

    /// - Parameters:
    ///   - clientName: the name given in EHLO/HELO (this host's name).
    ///   - sender, recipients: the envelope; checked addresses (no CR, LF, `<` or `>`).
    ///   - message: the RFC 5322 message with CRLF line ends; dot-stuffed here.
    public init(clientName: String, sender: String, recipients: [String], message: [UInt8], tls: TLSMode) {
        precondition(!recipients.isEmpty, "a message needs a recipient")
        self.clientName = clientName
        self.sender = sender
        self.recipients = recipients
        self.message = Self.dotStuffed(message)
        self.tls = tls
    }

    public var isFinished: Bool { state == .finished }
    /// Whether QUIT was sent after an accepted message (a close now is no failure).
    public var isQuitting: Bool { state == .quit }

    public mutating func receive(_ reply: SMTPReply) -> Action {
        switch state {
        case .greeting:
            guard reply.code == 220 else { return fail(.rejected(reply, at: "the greeting")) }
            state = .ehlo
            return .send("EHLO \(clientName)")
        case .ehlo:
            if reply.code == 250 {
                if reply.extensions.contains("STARTTLS") && tls != .disabled {
                    state = .startTLS
                    return .send("STARTTLS")
                }
                if tls == .required { return fail(SMTPError(.tls, "the relay does not offer STARTTLS and TLS is required")) }
                return mailFrom()
            }
            // An old server without EHLO.
            guard reply.code >= 500, tls != .required else { return fail(.rejected(reply, at: "EHLO")) }
            state = .helo
            return .send("HELO \(clientName)")
        case .helo:
            guard reply.code == 250 else { return fail(.rejected(reply, at: "HELO")) }
            return mailFrom()
        case .startTLS:
            guard reply.code == 220 else { return fail(.rejected(reply, at: "STARTTLS")) }
            state = .tlsHandshake
            return .startTLS
        case .tlsHandshake:
            return fail(SMTPError(.protocolViolation, "the relay spoke before the TLS handshake: \(reply)"))
        case .ehloOverTLS:
            guard reply.code == 250 else { return fail(.rejected(reply, at: "EHLO over TLS")) }
            return mailFrom()
        case .mailFrom:
            guard reply.code == 250 else { return fail(.rejected(reply, at: "MAIL FROM")) }
            state = .rcptTo(0)
            return .send("RCPT TO:<\(recipients[0])>")
        case .rcptTo(let index):
            guard reply.code == 250 || reply.code == 251 else { return fail(.rejected(reply, at: "RCPT TO")) }
            if index + 1 < recipients.count {
                state = .rcptTo(index + 1)
                return .send("RCPT TO:<\(recipients[index + 1])>")
            }
            state = .data
            return .send("DATA")
        case .data:
            guard reply.code == 354 else { return fail(.rejected(reply, at: "DATA")) }
            state = .message
            return .sendData(message)
        case .message:
            guard reply.code == 250 else { return fail(.rejected(reply, at: "the end of the message")) }
            state = .quit
            return .delivered(reply)
        case .quit:
            state = .finished
            return .none
        case .finished:
            return .none
        }
    }

    /// TLS is up: greet again, as RFC 3207 requires (the server forgets what it was told).
    public mutating func tlsEstablished() -> Action {
        guard state == .tlsHandshake else { return fail(SMTPError(.protocolViolation, "TLS established out of turn")) }
        secure = true
        state = .ehloOverTLS
        return .send("EHLO \(clientName)")
    }

    private mutating func mailFrom() -> Action {
        state = .mailFrom
        return .send("MAIL FROM:<\(sender)>")
    }

    private mutating func fail(_ error: SMTPError) -> Action {
        state = .finished
        return .fail(error)
    }

    /// The DATA payload: every line starting with `.` gets another (RFC 5321 §4.5.2), line ends
    /// made CRLF, and the terminating `CRLF.CRLF`.
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + 16)
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message {
            if byte == UInt8(ascii: "\n") && previous != UInt8(ascii: "\r") { out.append(UInt8(ascii: "\r")) }
            if atLineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out.append(byte)
            atLineStart = byte == UInt8(ascii: "\n")
            previous = byte
        }
        if !atLineStart { out += Array("\r\n".utf8) }
        out += Array(".\r\n".utf8)
        return out
    }
}
