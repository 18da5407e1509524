import BookijiCore
import Coordinator
import Testing

/// Stripe's webhook signature scheme, against a vector computed with Python's `hmac`:
/// `hmac.new(b"whsec_test_secret", b'1733097600.{"id":"evt_1","type":"payment_intent.succeeded"}', sha256)`.
struct StripeSignatureTests {
    static let body = Array(#"{"id":"evt_1","type":"payment_intent.succeeded"}"#.utf8)
    static let timestamp: Int64 = 1_733_097_600
    static let expected = "c8367c79e171f7d4bea0316951cec63c2989a3a8165d524f3369cd4dd8611d8c"
    static let signer = StripeSignature(secret: "whsec_test_secret")

    @Test func theSignatureIsStripesHMACOfTimestampDotBody() {
        #expect(Self.signer.header(timestamp: Self.timestamp, payload: Self.body) == "t=\(Self.timestamp),v1=\(Self.expected)")
    }

    @Test func aGoodSignatureWithinTheToleranceIsAccepted() throws {
        let header = "t=\(Self.timestamp),v1=\(Self.expected.uppercased()),v0=ignored"
        try Self.signer.verify(header: header, payload: Self.body, now: Self.timestamp + 300)
        try Self.signer.verify(header: header, payload: Self.body, now: Self.timestamp - 300)
    }

    @Test(arguments: [
        ("t=1733097600,v1=\(expected)", 1_733_097_901 as Int64, "outside"),
        ("t=1733097600,v1=\(String(expected.dropLast(2)))00", 1_733_097_600, "no v1 signature"),
        ("v1=\(expected)", 1_733_097_600, "no timestamp"),
        ("t=1733097600", 1_733_097_600, "no v1"),
        ("t=1733097600,v1=zz", 1_733_097_600, "no v1"),
        ("", 1_733_097_600, "missing"),
    ])
    func aBadSignatureIsRefusedSayingWhy(header: String, now: Int64, reason: String) {
        do {
            try Self.signer.verify(header: header, payload: Self.body, now: now)
            Issue.record("accepted \(header)")
        } catch let error as BookijiError {
            #expect(error.code == .invalidSignature)
            #expect(error.message.contains(reason), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
