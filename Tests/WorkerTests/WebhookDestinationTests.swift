import BookijiCore
import Testing
@testable import Worker

/// The SSRF check vendor (and partner) webhooks pass at sending time, in process (literal
/// addresses only: no name is resolved here).
struct WebhookDestinationTests {
    @Test(arguments: ["https://127.0.0.1/hook", "https://10.0.0.7/hook", "https://169.254.169.254/latest", "https://[::1]/x",
                      "http://93.184.215.14/hook", "https://localhost/hook", "not a url"])
    func unsafeDestinationsAreRefused(_ url: String) async {
        #expect(await WebhookDestination.refusal(of: url, policy: WebhookURLPolicy()) != nil, "\(url)")
    }

    @Test func aPublicAddressAndAnAllowListedHostPass() async {
        #expect(await WebhookDestination.refusal(of: "https://93.184.215.14/hook", policy: WebhookURLPolicy()) == nil)
        let local = WebhookURLPolicy(allowedHosts: ["127.0.0.1"])
        #expect(await WebhookDestination.refusal(of: "http://127.0.0.1:9/hook", policy: local) == nil)
    }
}
