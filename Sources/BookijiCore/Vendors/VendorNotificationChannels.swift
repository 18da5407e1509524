/// Where a vendor is told that a reservation waits for its answer (issue 13, point 4): a signed
/// webhook, an email address, both or neither.
public struct VendorNotificationChannels: Sendable, Hashable {
    public var webhookURL: String?
    /// `whsec_…`: signs the webhook on the Standard Webhooks scheme; shown once, when the URL is set.
    public var webhookSecret: String?
    public var email: String?

    public init(webhookURL: String? = nil, webhookSecret: String? = nil, email: String? = nil) {
        self.webhookURL = webhookURL
        self.webhookSecret = webhookSecret
        self.email = email
    }

    public var isEmpty: Bool { webhookURL == nil && email == nil }

    /// The channels in the order they are tried.
    public var channels: [VendorNotificationChannel] {
        (webhookURL == nil ? [] : [.webhook]) + (email == nil ? [] : [.email])
    }
}

public enum VendorNotificationChannel: String, Sendable, Hashable, CaseIterable {
    case webhook, email
}

/// A mailbox as RFC 5321 takes it in `MAIL FROM`/`RCPT TO`: `local@domain`, printable ASCII,
/// no spaces, angle brackets, quotes or line breaks (which could inject SMTP commands or
/// headers), at most 254 characters. Quoted local parts and internationalized addresses are not
/// accepted.
public enum EmailAddress {
    public static func check(_ text: String, field: String) throws(BookijiError) -> String {
        let bytes = Array(text.utf8)
        func refuse() -> BookijiError {
            BookijiError(.invalidParameter, "\(field) must be an email address such as bookings@example.com", details: ["field": field])
        }
        guard (3...254).contains(bytes.count), let at = bytes.lastIndex(of: UInt8(ascii: "@")), at > 0, at < bytes.count - 1,
              bytes.filter({ $0 == UInt8(ascii: "@") }).count == 1
        else { throw refuse() }
        let forbidden: Set<UInt8> = Set("<>()[]\\,;:\" ".utf8)
        guard bytes.allSatisfy({ $0 > 32 && $0 < 127 && !forbidden.contains($0) }) else { throw refuse() }
        let domain = bytes[(at + 1)...]
        guard domain.contains(UInt8(ascii: ".")) || String(decoding: domain, as: UTF8.self) == "localhost",
              domain.first != UInt8(ascii: "."), domain.last != UInt8(ascii: ".")
        else { throw refuse() }
        return text
    }
}
