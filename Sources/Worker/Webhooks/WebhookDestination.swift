import BookijiCore
import Integrations

/// The SSRF check of a webhook's address at sending time: the URL against the policy, then every
/// address its host resolves to (a public name can point anywhere later). Allow-listed hosts are
/// not resolved.
enum WebhookDestination {
    /// Why `url` may not be sent to now, or nil when it may.
    static func refusal(of url: String, policy: WebhookURLPolicy) async -> String? {
        let target: WebhookURLPolicy.Target
        do {
            target = try policy.check(url)
        } catch {
            return "the URL is not allowed: \(error.message)"
        }
        guard !target.allowListed else { return nil }
        do {
            let addresses = try await AddressResolution.addresses(of: target.host)
            if let forbidden = addresses.first(where: \.isForbidden) {
                return "\(target.host) resolves to a loopback, private, link-local or metadata address (\(forbidden))"
            }
            return addresses.isEmpty ? "\(target.host) resolves to no address" : nil
        } catch {
            return "\(error)"
        }
    }
}
