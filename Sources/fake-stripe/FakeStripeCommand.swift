import ArgumentParser
import Foundation
import Logging

/// `fake-stripe`: the fake Stripe API for tests and local use. See README's "Fake Stripe".
@main
struct FakeStripeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-stripe",
        abstract: "A stateful fake of the part of Stripe's API that Bookiji calls (PaymentIntents, refunds, webhooks).")

    @Option(help: "Port on 127.0.0.1; 0 picks a free one. The first line on stdout is `listening on 127.0.0.1:PORT`.")
    var port = 12111

    @Option(name: .customLong("webhook-url"), help: "Where signed events are posted (none when absent).")
    var webhookURL: String?

    @Option(help: "The endpoint secret events are signed with (Stripe-Signature, v1).")
    var webhookSecret = "whsec_fake"

    @Option(help: "Delay of every API answer in milliseconds; other requests are served meanwhile.")
    var latencyMs = 0

    func run() async throws {
        let port = port
        var logger = Logger(label: "fake-stripe")
        logger.logLevel = .info
        let webhooks = WebhookSender(url: webhookURL, secret: webhookSecret, logger: logger)
        let stripe = FakeStripe(latencyMilliseconds: max(0, latencyMs), webhooks: webhooks)
        let server = Server(stripe: stripe, logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await webhooks.run() }
            // Authorizations lapse on the fake's clock even when nobody calls.
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    await stripe.sweep()
                }
            }
            try await server.run(port: port) { bound in
                FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(bound)\n".utf8))
            }
        }
    }
}
