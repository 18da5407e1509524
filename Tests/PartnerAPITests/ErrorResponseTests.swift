import BookijiCore
import FastCGI
import Foundation
@testable import Coordinator
import PartnerAPI
import Store
import Testing

/// The one mapping from error codes to the spec's error body and HTTP status.
struct ErrorResponseTests {
    /// The spec's error taxonomy, written out independently of `ErrorCode`: 400/401/403/404/405/409/
    /// 413/415 are not retryable, 429/500/503 are; "idempotency key in progress" is a 409 that is
    /// (the first request is still running, so the same request can succeed later).
    static let specTable: [String: (status: Int, retryable: Bool)] = [
        "invalid_request": (400, false), "malformed_json": (400, false), "invalid_parameter": (400, false),
        "invalid_signature": (400, false),
        "unauthorized": (401, false), "forbidden": (403, false), "not_found": (404, false), "vendor_not_found": (404, false),
        "reservation_not_found": (404, false), "method_not_allowed": (405, false), "slot_unavailable": (409, false),
        "invalid_transition": (409, false), "vendor_not_bookable": (409, false), "idempotency_key_reused": (409, false),
        "idempotency_key_in_progress": (409, true), "payload_too_large": (413, false),
        "unsupported_media_type": (415, false), "rate_limited": (429, true), "hold_cap_reached": (429, true),
        "internal_error": (500, true), "service_unavailable": (503, true),
    ]

    private func errorObject(_ response: HTTPResponse) throws -> [String: Any] {
        let top = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(Array(top.keys) == ["error"])
        return try #require(top["error"] as? [String: Any])
    }

    @Test func everyCodeIsInTheSpecTable() {
        #expect(Set(ErrorCode.all.map(\.rawValue)) == Set(Self.specTable.keys))
        #expect(ErrorCode.all.count == Self.specTable.count)
    }

    @Test(arguments: ErrorCode.all)
    func codeMapsToItsStatusRetryableAndBodyShape(_ code: ErrorCode) throws {
        let expected = try #require(Self.specTable[code.rawValue])
        let response = ErrorResponse.make(BookijiError(code, "what went wrong and how to fix it"))
        #expect(response.status == expected.status)
        #expect(response.header("Content-Type") == "application/json")
        let error = try errorObject(response)
        #expect(Set(error.keys) == ["code", "message", "retryable"])
        #expect(error["code"] as? String == code.rawValue)
        #expect(error["message"] as? String == "what went wrong and how to fix it")
        // `retryable` is a JSON boolean, not 0/1.
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("\"retryable\":\(expected.retryable)"))
        #expect(response.header("Retry-After") == nil)
        let noStore = expected.status >= 500 || expected.status == 429
        #expect((response.header("Cache-Control") == "no-store") == noStore)
        #expect(ErrorCode(rawValue: code.rawValue) == code)
    }

    @Test func detailsAndRetryAfterAppearInBodyAndHeader() throws {
        let response = ErrorResponse.make(BookijiError(
            .rateLimited, "slow down", details: ["zeta": "2", "alpha": "1"], retryAfter: 30))
        #expect(response.status == 429)
        #expect(response.header("Retry-After") == "30")
        // Field order is fixed and details are sorted, so equal errors are equal bytes.
        #expect(String(decoding: response.body, as: UTF8.self) == #"""
            {"error":{"code":"rate_limited","message":"slow down","details":{"alpha":"1","zeta":"2"},"retryable":true,"retryAfter":30}}
            """#)
    }

    @Test func messageIsEscapedInTheBody() throws {
        let message = "field 'name' must be \"text\"\nnot \\ 🙂"
        let error = try errorObject(ErrorResponse.make(BookijiError(.invalidRequest, message)))
        #expect(error["message"] as? String == message)
    }

    @Test func unknownRawValueIsNotACode() {
        #expect(ErrorCode(rawValue: "teapot") == nil)
    }

    // MARK: - classify

    @Test func bookijiErrorPassesThroughUnchanged() {
        let original = BookijiError(.vendorNotFound, "no such vendor", details: ["vendorId": "x"])
        let classified = ErrorResponse.classify(original)
        #expect(classified.code == .vendorNotFound)
        #expect(classified.message == original.message)
        #expect(classified.details == original.details)
    }

    /// Database failures reach the edge already translated by the Coordinator's ``Database``.
    @Test(arguments: [
        StoreError(.unavailable, "cannot connect"),
        StoreError(.unavailable, "terminating connection", sqlState: "57P01"),
        StoreError(.conflict, "could not serialize", sqlState: "40001"),
        StoreError(.conflict, "deadlock detected", sqlState: "40P01"),
    ])
    func transientDatabaseErrorIs503ServiceUnavailable(_ error: StoreError) throws {
        let classified = ErrorResponse.classify(Database.translate(error))
        #expect(classified.code == .serviceUnavailable)
        #expect(classified.retryAfter != nil)
        let response = ErrorResponse.make(classified)
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == classified.retryAfter.map(String.init))
        #expect(try errorObject(response)["retryable"] as? Bool == true)
        // The database's own words stay in the log, not in the partner's response.
        #expect(!classified.message.contains(error.message))
    }

    struct Unexpected: Error { var secret = "password=hunter2" }

    @Test(arguments: [
        Unexpected() as any Error,
        Database.translate(StoreError(.uniqueViolation, "duplicate key", sqlState: "23505")),
        Database.translate(StoreError(.database, "column 0 (id) is null")),
        Database.translate(StoreError(.invalidData, "bad row", sqlState: "22P02")),
    ])
    func anythingElseIs500InternalErrorWithoutLeakingDetails(_ error: any Error) throws {
        let classified = ErrorResponse.classify(error)
        #expect(classified.code == .internalError)
        let response = ErrorResponse.make(classified)
        #expect(response.status == 500)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(!body.contains("hunter2"))
        #expect(!body.contains("duplicate key"))
        #expect(!body.contains("column 0"))
        #expect(try errorObject(response)["retryable"] as? Bool == true)
    }
}
