/// Why a ``StripeClient`` call did not give the object it asked for.
///
/// The client never retries; the caller does, with the same idempotency key, when
/// ``isRetryable`` says so.
public enum StripeCallError: Error, Sendable, CustomStringConvertible {
    /// Stripe answered with an error object.
    ///
    /// Also a request the client refused to send because an id could not be a Stripe id (empty,
    /// `.`, `..`, or containing `/`): status 400, type `invalid_request_error`, param `id`, and
    /// no ``StripeAPIError/requestID``.
    case api(StripeAPIError)
    /// No answer (connection refused/dropped, timeout): the call may or may not have been applied; retry with the same idempotency key.
    case transport(String)
    /// An answer we could not read (not JSON / not the expected object); treat as retryable-unknown.
    case malformed(status: Int, String)

    public var isRetryable: Bool {
        switch self {
        case .api(let error): error.isRetryable
        case .transport, .malformed: true
        }
    }

    public var description: String {
        switch self {
        case .api(let error): error.description
        case .transport(let message): "no answer from Stripe: \(message)"
        case .malformed(let status, let message): "unreadable answer from Stripe (HTTP \(status)): \(message)"
        }
    }
}
