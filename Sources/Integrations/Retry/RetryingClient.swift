import BookijiCore

/// A provider's own account of a failed response, for messages and rate-limit detection.
struct APIErrorDetail: Sendable {
    /// Google's `errors[0].reason`, Graph's `error.code`, OAuth's `error`.
    var code: String?
    var message: String?

    var summary: String {
        switch (code, message) {
        case let (code?, message?): return "\(code): \(message)"
        case let (code?, nil): return code
        case let (nil, message?): return message
        case (nil, nil): return "no error details"
        }
    }
}

/// Sends one logical request with the retry policy, the bearer token, and a single
/// refresh-and-retry after a 401.
///
/// Retried: connection failures, 429, 500/502/503/504, and whatever `isRateLimited` recognises
/// (Google reports quota as 403 `rateLimitExceeded`). Every other status is handed back for the
/// caller to interpret, after at most ``RetryPolicy/maxAttempts`` tries.
struct RetryingClient: Sendable {
    var transport: any HTTPTransport
    var policy: RetryPolicy
    var clock: ConnectorClock
    /// Names the service in messages ("Google Calendar", "the Microsoft token endpoint").
    var service: String
    var errorDetail: @Sendable (ConnectorHTTPResponse) -> APIErrorDetail
    var isRateLimited: @Sendable (ConnectorHTTPResponse, APIErrorDetail) -> Bool = { _, _ in false }

    /// - Parameters:
    ///   - tokens: supplies the bearer token; nil for unauthenticated calls (the token endpoint).
    ///   - make: builds the request for a token; called again for every attempt.
    func send(
        tokens: OAuthTokenProvider?, _ make: @Sendable (String?) -> ConnectorHTTPRequest
    ) async throws -> ConnectorHTTPResponse {
        var attempt = 1
        var refreshedAfter401 = false
        while true {
            try Task.checkCancellation()
            let token = try await tokens?.accessToken()
            let response: ConnectorHTTPResponse
            do {
                response = try await transport.send(make(token))
            } catch let error as CancellationError {
                throw error
            } catch let error as PermanentTransportError {
                throw ConnectorError(error.code, "\(service): \(error.message)")
            } catch {
                guard attempt < policy.maxAttempts else {
                    throw ConnectorError(
                        .network, "\(service) could not be reached in \(attempt) attempts; last failure: \(error)")
                }
                try await clock.sleep(policy.delay(afterAttempt: attempt))
                attempt += 1
                continue
            }

            if response.status == 401, let tokens, let token {
                let detail = errorDetail(response).summary
                if refreshedAfter401 {
                    throw ConnectorError(
                        .unauthorized,
                        "\(service) rejected the access token again right after a refresh (\(detail)); "
                            + "the vendor must re-authorise the calendar connection",
                        httpStatus: 401)
                }
                refreshedAfter401 = true
                _ = try await tokens.refresh(rejecting: token)
                continue
            }

            guard let code = retryCode(response) else { return response }
            let detail = errorDetail(response).summary
            let requested = response.header("Retry-After").flatMap { RetryAfter.delay($0, now: clock.now()) }
            // Capped at 1e9 s only so the conversion cannot overflow; anything that long fails below anyway.
            let requestedDuration = requested.map { Duration.milliseconds(Int64((min($0, 1e9) * 1000).rounded(.up))) }
            if let requested, let requestedDuration, requestedDuration > policy.maxDelay {
                throw ConnectorError(
                    code,
                    "\(service) answered \(response.status) (\(detail)) and asked to wait \(Int(requested.rounded(.up))) s, "
                        + "longer than the retry policy's maximum of \(policy.maxDelay); try again after that",
                    httpStatus: response.status, retryAfter: requestedDuration)
            }
            guard attempt < policy.maxAttempts else {
                throw ConnectorError(
                    code, "\(service) answered \(response.status) (\(detail)) to all \(attempt) attempts",
                    httpStatus: response.status, retryAfter: requestedDuration)
            }
            try await clock.sleep(requestedDuration ?? policy.delay(afterAttempt: attempt))
            attempt += 1
        }
    }

    private func retryCode(_ response: ConnectorHTTPResponse) -> ConnectorError.Code? {
        switch response.status {
        case 429: return .rateLimited
        case 500, 502, 503, 504: return .unavailable
        case 403 where isRateLimited(response, errorDetail(response)): return .rateLimited
        default: return nil
        }
    }

    /// The error for a final response that is neither a success nor retryable.
    func rejection(_ response: ConnectorHTTPResponse, doing action: String) -> ConnectorError {
        let detail = errorDetail(response).summary
        let code: ConnectorError.Code
        switch response.status {
        case 401: code = .unauthorized
        case 403: code = .forbidden
        case 400..<500: code = .badRequest
        default: code = .badResponse
        }
        return ConnectorError(
            code, "\(service) refused \(action) with HTTP \(response.status) (\(detail))", httpStatus: response.status)
    }
}
