import Foundation
import Testing
@testable import Integrations

/// The SMTP client against a real SMTP server (aiosmtpd, Tests/Fakes/smtp_sink.py): a plain
/// submission, STARTTLS with a certificate the test makes, a refusal, an unreachable relay, and
/// a relay that never answers.
@Suite(.serialized)
struct SMTPClientTests {

    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// A sink on a free port, writing its messages under a fresh folder.
    struct Sink {
        var daemon: Daemon
        var port: Int
        var directory: String

        init(_ arguments: [String] = []) throws {
            directory = NSTemporaryDirectory() + "smtp-sink-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            port = freePort()
            daemon = try Daemon(python3, [
                SMTPClientTests.root + "/Tests/Fakes/smtp_sink.py", "--out", directory + "/mail", "--port", String(port),
            ] + arguments, logPath: directory + "/sink.log")
            let daemon = self.daemon
            guard eventually(seconds: 240, { daemon.log.contains("listening on") }) else {
                daemon.stop()
                throw CommandFailure(description: "the SMTP sink did not start:\n\(daemon.log)")
            }
        }

        func messages() -> [[String: Any]] {
            let folder = directory + "/mail"
            return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
                .compactMap { FileManager.default.contents(atPath: folder + "/" + $0).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } }
        }

        func stop() {
            daemon.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static func message(to: String = "vendor@example.com") -> MailMessage {
        MailMessage(
            from: "bookings@example.com", fromName: "Bookiji", to: [to], subject: "Please confirm: Größe",
            text: "Hello,\n.\nhttps://book.example.com/v/r/token\n", messageID: "<m1@example.com>", date: 1_765_875_600)
    }

    @Test func aMessageReachesTheRelay() async throws {
        let sink = try Sink()
        defer { sink.stop() }
        let client = try SMTPClient(configuration: SMTPClient.Configuration(host: "127.0.0.1", port: sink.port))
        let reply = try await client.send(Self.message())
        #expect(reply.code == 250 && reply.description.contains("queued"))
        let got = try #require(sink.messages().first)
        #expect(got["mailFrom"] as? String == "bookings@example.com")
        #expect(got["rcptTos"] as? [String] == ["vendor@example.com"])
        #expect(got["subject"] as? String == "Please confirm: Größe")
        #expect(got["text"] as? String == "Hello,\r\n.\r\nhttps://book.example.com/v/r/token\r\n" || got["text"] as? String == "Hello,\n.\nhttps://book.example.com/v/r/token\n")
        #expect(got["tls"] as? Bool == false)
    }

    @Test func startTLSIsUsedWhenOffered() async throws {
        let directory = NSTemporaryDirectory() + "smtp-tls-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (cert, key) = (directory + "/cert.pem", directory + "/key.pem")
        try run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
        ])
        let sink = try Sink(["--starttls", cert, key])
        defer { sink.stop() }
        var configuration = SMTPClient.Configuration(host: "localhost", port: sink.port, tls: .required)
        configuration.trustedCertificatesFile = cert
        try await SMTPClient(configuration: configuration).send(Self.message())
        #expect(sink.messages().first?["tls"] as? Bool == true)

        // Without trusting the sink's certificate the handshake fails, and nothing is sent in the clear.
        let untrusting = try SMTPClient(configuration: SMTPClient.Configuration(host: "localhost", port: sink.port))
        await #expect(throws: SMTPError.self) { try await untrusting.send(Self.message()) }
        #expect(sink.messages().count == 1)
    }

    @Test func aRefusedMessageIsATransientError() async throws {
        let sink = try Sink(["--fail-first", "1"])
        defer { sink.stop() }
        let client = try SMTPClient(configuration: SMTPClient.Configuration(host: "127.0.0.1", port: sink.port))
        do {
            try await client.send(Self.message())
            Issue.record("the refusal was not reported")
        } catch let error as SMTPError {
            #expect(error.code == .transientRejection && error.message.contains("451"), "\(error)")
        }
        try await client.send(Self.message())
        #expect(sink.messages().count == 1)
    }

    @Test func anUnreachableRelayFailsToConnect() async throws {
        let client = try SMTPClient(configuration: SMTPClient.Configuration(host: "127.0.0.1", port: freePort()))
        do {
            try await client.send(Self.message())
            Issue.record("no error")
        } catch let error as SMTPError {
            #expect(error.code == .connectFailed, "\(error)")
        }
    }

    /// A server that accepts the connection and never says a word: the reply timeout closes it.
    @Test func aSilentRelayTimesOut() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        listen(listener, 4)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let client = try SMTPClient(configuration: SMTPClient.Configuration(
            host: "127.0.0.1", port: port, replyTimeout: .milliseconds(300)))
        let started = ContinuousClock.now
        do {
            try await client.send(Self.message())
            Issue.record("no error")
        } catch let error as SMTPError {
            #expect(error.code == .timeout && error.message.contains("greeting"), "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
