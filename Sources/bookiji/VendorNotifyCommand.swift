import ArgumentParser
import BookijiCore
import Coordinator
import PartnerAPI

extension VendorCommand {
    /// `bookiji vendor notify set`: where a vendor is told that a reservation waits for it.
    struct Notify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A vendor's notification channels: a signed webhook and an email address.", subcommands: [Set.self])

        static func describe(_ channels: VendorNotificationChannels) -> String {
            guard !channels.isEmpty else { return "none (set them with `bookiji vendor notify set`)" }
            return [channels.webhookURL.map { "webhook \($0)" }, channels.email.map { "email \($0)" }]
                .compactMap { $0 }.joined(separator: ", ")
        }

        struct Set: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Set the vendor's webhook URL and/or email address (an empty value removes one).",
                discussion: """
                    Setting a webhook URL makes a new signing secret (Standard Webhooks, whsec_…), printed \
                    once: give it to the vendor to verify the webhook-signature header. Webhook URLs follow \
                    the partners' rules: https, and no loopback, private, link-local or metadata address \
                    unless the host is allow-listed (--webhook-allow-host, as the worker's).
                    """)
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Vendor id.") var id: String
            @Option(help: "The vendor's webhook URL (https); \"\" removes it.") var webhookURL: String?
            @Option(help: "The vendor's email address; \"\" removes it.") var email: String?
            @Option(help: "A host the webhook may point at although private or loopback, over http too (tests, local development); repeatable.")
            var webhookAllowHost: [String] = []
            @Flag(help: "Print one JSON object.") var json = false

            func validate() throws {
                guard webhookURL != nil || email != nil else { throw ValidationError("give --webhook-url, --email or both") }
            }

            func run() throws {
                func change(_ value: String?) -> VendorNotifications.Change<String> {
                    guard let value else { return .keep }
                    return value.isEmpty ? .remove : .set(value)
                }
                let channels = try cliErrors {
                    try VendorNotifications(database: db.open()).setChannels(
                        vendorID: id, webhookURL: change(webhookURL), email: change(email),
                        policy: WebhookURLPolicy(allowedHosts: webhookAllowHost))
                }
                let newSecret = webhookURL.map { !$0.isEmpty } == true ? channels.webhookSecret : nil
                if json {
                    printJSON { out in
                        out.field("vendorId", id)
                        out.field("webhookUrl", channels.webhookURL)
                        if let newSecret { out.field("webhookSecret", newSecret) }
                        out.field("email", channels.email)
                    }
                } else {
                    print("vendor \(id) is notified by: \(Notify.describe(channels))")
                    if let newSecret { print("webhook signing secret (shown once, give it to the vendor): \(newSecret)") }
                }
            }
        }
    }
}
