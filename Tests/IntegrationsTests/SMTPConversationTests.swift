import Foundation
import Testing
@testable import Integrations

/// The SMTP client's state machine, in process: every path through a submission, reply by reply.
struct SMTPConversationTests {
    static func conversation(tls: SMTPConversation.TLSMode = .opportunistic, recipients: [String] = ["v@example.com"]) -> SMTPConversation {
        SMTPConversation(clientName: "worker.test", sender: "b@example.com", recipients: recipients, message: Array("Subject: x\r\n\r\nhi\r\n".utf8), tls: tls)
    }

    static func reply(_ code: Int, _ lines: String...) -> SMTPReply { SMTPReply(code: code, lines: lines.isEmpty ? ["ok"] : lines) }

    @Test func aPlainSubmissionGoesStepByStep() {
        var smtp = Self.conversation(recipients: ["a@example.com", "b@example.com"])
        #expect(smtp.receive(Self.reply(220, "relay ESMTP")) == .send("EHLO worker.test"))
        #expect(smtp.receive(Self.reply(250, "relay", "PIPELINING", "8BITMIME")) == .send("MAIL FROM:<b@example.com>"))
        #expect(smtp.receive(Self.reply(250)) == .send("RCPT TO:<a@example.com>"))
        #expect(smtp.receive(Self.reply(250)) == .send("RCPT TO:<b@example.com>"))
        #expect(smtp.receive(Self.reply(251)) == .send("DATA"))
        #expect(smtp.receive(Self.reply(354)) == .sendData(Array("Subject: x\r\n\r\nhi\r\n.\r\n".utf8)))
        let accepted = Self.reply(250, "queued as 1")
        #expect(smtp.receive(accepted) == .delivered(accepted))
        #expect(smtp.isQuitting)
        #expect(smtp.receive(Self.reply(221)) == .none)
        #expect(smtp.isFinished)
    }

    @Test func startTLSWhenOfferedThenGreetAgain() {
        var smtp = Self.conversation()
        _ = smtp.receive(Self.reply(220))
        #expect(smtp.receive(Self.reply(250, "relay", "STARTTLS")) == .send("STARTTLS"))
        #expect(smtp.receive(Self.reply(220, "go ahead")) == .startTLS)
        #expect(smtp.tlsEstablished() == .send("EHLO worker.test"))
        #expect(smtp.secure)
        // Over TLS the server still lists STARTTLS sometimes; it is not started twice.
        #expect(smtp.receive(Self.reply(250, "relay", "STARTTLS")) == .send("MAIL FROM:<b@example.com>"))
    }

    @Test func tlsDisabledIgnoresTheOffer() {
        var smtp = Self.conversation(tls: .disabled)
        _ = smtp.receive(Self.reply(220))
        #expect(smtp.receive(Self.reply(250, "relay", "STARTTLS")) == .send("MAIL FROM:<b@example.com>"))
    }

    @Test func tlsRequiredRefusesARelayWithoutIt() {
        var smtp = Self.conversation(tls: .required)
        _ = smtp.receive(Self.reply(220))
        guard case .fail(let error) = smtp.receive(Self.reply(250, "relay", "8BITMIME")) else { Issue.record("no failure"); return }
        #expect(error.code == .tls)
    }

    @Test func anOldServerGetsHELO() {
        var smtp = Self.conversation()
        _ = smtp.receive(Self.reply(220))
        #expect(smtp.receive(Self.reply(502, "command not implemented")) == .send("HELO worker.test"))
        #expect(smtp.receive(Self.reply(250)) == .send("MAIL FROM:<b@example.com>"))
    }

    /// A refusal at any step ends the conversation: 4xx is transient, 5xx permanent.
    @Test(arguments: [
        (0, 421, "the greeting"), (1, 451, "EHLO"), (2, 550, "MAIL FROM"), (3, 450, "RCPT TO"), (4, 554, "DATA"),
        (5, 451, "the end of the message"),
    ])
    func aRefusalAtAnyStepFails(step: Int, code: Int, name: String) {
        var smtp = Self.conversation()
        let happy = [Self.reply(220), Self.reply(250, "relay"), Self.reply(250), Self.reply(250), Self.reply(354)]
        for reply in happy.prefix(step) { _ = smtp.receive(reply) }
        let refusal = Self.reply(code, "no")
        let action = smtp.receive(refusal)
        // EHLO's 4xx fails; its 5xx falls back to HELO (tested above).
        guard case .fail(let error) = action else { Issue.record("step \(step): \(action)"); return }
        #expect(error.code == (code < 500 ? .transientRejection : .permanentRejection))
        #expect(error.message.contains(name), "\(error)")
        #expect(smtp.isFinished)
    }

    @Test func speakingDuringTheHandshakeIsAViolation() {
        var smtp = Self.conversation()
        _ = smtp.receive(Self.reply(220))
        _ = smtp.receive(Self.reply(250, "relay", "STARTTLS"))
        _ = smtp.receive(Self.reply(220))
        guard case .fail(let error) = smtp.receive(Self.reply(250)) else { Issue.record("no failure"); return }
        #expect(error.code == .protocolViolation)
    }

    @Test func dataIsDotStuffedWithCRLF() {
        let stuffed = SMTPConversation.dotStuffed(Array(".leading\nmiddle\r\n..two\n.".utf8))
        #expect(String(decoding: stuffed, as: UTF8.self) == "..leading\r\nmiddle\r\n...two\r\n..\r\n.\r\n")
    }

    @Test func repliesAreReadAcrossReadsAndLines() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.feed(Array("250-relay gre".utf8)).isEmpty)
        #expect(try parser.feed(Array("ets you\r\n250-STARTTLS\r\n250 ".utf8)).isEmpty)
        let replies = try parser.feed(Array("SIZE 100\r\n220 ready\n".utf8))
        #expect(replies == [SMTPReply(code: 250, lines: ["relay greets you", "STARTTLS", "SIZE 100"]), SMTPReply(code: 220, lines: ["ready"])])
        #expect(replies[0].extensions == ["STARTTLS", "SIZE"])
    }

    @Test(arguments: ["hello\r\n", "25\r\n", "250x\r\n", "250-a\r\n251 b\r\n"])
    func malformedRepliesAreRefused(_ text: String) {
        var parser = SMTPReplyParser()
        #expect(throws: SMTPReplyParser.ParseError.self) { try parser.feed(Array(text.utf8)) }
    }

    @Test func endlessLinesAreRefused() {
        var parser = SMTPReplyParser()
        #expect(throws: SMTPReplyParser.ParseError.tooLong) { try parser.feed(Array(repeating: UInt8(ascii: "2"), count: 5000)) }
    }

    @Test func relayURLs() throws {
        let plain = try SMTPClient.Configuration(url: "smtp://relay.example.com:2525")
        #expect(plain.host == "relay.example.com" && plain.port == 2525)
        #expect(try SMTPClient.Configuration(url: "smtp://10.0.0.5").port == 25)
        #expect(try SMTPClient.Configuration(url: "smtp://[::1]:26").host == "::1")
        for bad in ["http://relay:25", "relay:25", "smtp://user@relay:25", "smtp://relay:25/path", "smtp://"] {
            #expect(throws: SMTPError.self) { try SMTPClient.Configuration(url: bad) }
        }
    }
}

/// Composing the message: headers that cannot be split, UTF-8 in encoded words and
/// quoted-printable, a Date in RFC 5322's form.
struct MailMessageTests {
    static let message = MailMessage(
        from: "bookings@example.com", fromName: "Bookiji", to: ["v@example.com"], subject: "Bestätigung für Praxis Meier",
        text: "Grüße,\nline with = sign and a very long link https://book.example.com/v/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n.\nend ",
        messageID: "<id-1@example.com>", date: 1_765_875_600, headers: [("Auto-Submitted", "auto-generated")])

    @Test func headersAreEncodedAndSingleLine() {
        let text = String(decoding: Self.message.rendered(), as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        #expect(head.contains("From: Bookiji <bookings@example.com>"))
        #expect(head.contains("Subject: =?UTF-8?B?"))
        #expect(head.contains("Date: Tue, 16 Dec 2025 09:00:00 +0000"))
        #expect(head.contains("Content-Transfer-Encoding: quoted-printable"))
        var injected = Self.message
        injected.subject = "hi\r\nBcc: everyone@example.com"
        let headInjected = String(decoding: injected.rendered(), as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        #expect(!headInjected.contains("\r\nBcc:"))
    }

    @Test func theBodyIsQuotedPrintableThatDecodesBack() {
        let text = String(decoding: Self.message.rendered(), as: UTF8.self)
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        #expect(body.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 76 }, "\(body)")
        #expect(body.hasPrefix("Gr=C3=BC=C3=9Fe,\r\n"))
        #expect(body.hasSuffix("end=20"))
        #expect(Self.decodeQuotedPrintable(body) == Self.message.text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "="), index + 2 < input.count,
               let value = UInt8(String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
