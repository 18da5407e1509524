import BookijiCore
import Testing

/// The pure rules of partner webhooks: signatures, where they may go, when they are retried.
struct WebhookRulesTests {
    /// The Standard Webhooks reference example (svix's docs and libraries use the same).
    @Test func theSignatureMatchesTheReferenceExample() {
        let signature = StandardWebhooks.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func aNewSecretIs32RandomBytes() {
        let one = StandardWebhooks.newSecret(), two = StandardWebhooks.newSecret()
        #expect(one != two)
        #expect(StandardWebhooks.key(of: one)?.count == 32)
        #expect(StandardWebhooks.key(of: "sk_not_a_secret") == nil)
        #expect(StandardWebhooks.signatureHeader(id: "a", timestamp: 1, body: [], secrets: [one, two]).split(separator: " ").count == 2)
    }

    @Test(arguments: [
        "https://127.0.0.1/x", "https://10.0.0.1/x", "https://172.16.5.4/x", "https://192.168.1.1/x", "https://100.64.0.1/x",
        "https://169.254.169.254/latest", "https://0.0.0.0/x", "https://224.0.0.1/x", "https://[::1]/x", "https://[fe80::1]/x",
        "https://[fd00:ec2::254]/x", "https://[::ffff:127.0.0.1]/x", "https://[64:ff9b::a00:1]/x", "https://localhost/x",
        "https://api.localhost/x", "https://metadata.google.internal/x", "http://example.com/x", "https://u:p@example.com/x",
        "mailto:someone@example.com", "",
    ])
    func unsafeTargetsAreRefused(_ url: String) {
        #expect(throws: BookijiError.self) { try WebhookURLPolicy().check(url) }
    }

    @Test func publicHTTPSAndAllowListedHostsPass() throws {
        #expect(try WebhookURLPolicy().check("https://hooks.example.com/bookiji?x=1").host == "hooks.example.com")
        #expect(try WebhookURLPolicy().check("https://8.8.8.8/x").allowListed == false)
        let local = try WebhookURLPolicy(allowedHosts: ["127.0.0.1"]).check("http://127.0.0.1:9000/hook")
        #expect(local.allowListed)
    }

    @Test func retriesFollowTheStandardSchedule() {
        let exact = { 0.5 }
        #expect((1...7).map { WebhookRetrySchedule.delay(afterAttempt: $0, retryAfter: nil, random: exact) }
            == [5, 300, 1800, 7200, 18_000, 36_000, 36_000])
        #expect(WebhookRetrySchedule.delay(afterAttempt: 8, retryAfter: nil, random: exact) == nil, "eight attempts in all")
        #expect(WebhookRetrySchedule.delay(afterAttempt: 1, retryAfter: 120, random: exact) == 120, "a longer Retry-After wins")
        #expect(WebhookRetrySchedule.delay(afterAttempt: 2, retryAfter: 10, random: exact) == 300)
        #expect(WebhookRetrySchedule.delay(afterAttempt: 2, retryAfter: nil, random: { 0 }) == 240, "-20%")
    }
}
