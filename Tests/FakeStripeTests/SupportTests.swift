import Foundation
import Testing
@testable import fake_stripe

/// The pieces around the state machine: form decoding, idempotency keys, faults, signatures.
struct SupportTests {
    @Test func bracketedAndEscapedKeysDecodeFlat() throws {
        let params = FormParameters(decoding: "amount=5000&metadata%5Breservation_id%5D=res+1&transfer_data[destination]=acct_1")
        #expect(params["amount"] == "5000")
        #expect(params.dictionary("metadata") == ["reservation_id": "res 1"])
        #expect(params["transfer_data[destination]"] == "acct_1")
        #expect(try params.integer("amount") == 5000)
    }

    @Test func aKeyReplaysRefusesOtherParametersAndRefusesWhileRunning() {
        var store = IdempotencyStore()
        #expect(store.begin("k", fingerprint: "a", now: 0) == .proceed)
        guard case .reject(let inUse) = store.begin("k", fingerprint: "a", now: 0) else { Issue.record("no 409"); return }
        #expect(inUse.status == 409 && inUse.code == "idempotency_key_in_use")
        store.finish("k", with: APIResponse(status: 200, json: ["id": "pi_1"]))
        guard case .replay(let replay) = store.begin("k", fingerprint: "a", now: 10) else { Issue.record("no replay"); return }
        #expect(replay.headers["Idempotent-Replayed"] == "true")
        guard case .reject(let other) = store.begin("k", fingerprint: "b", now: 10) else { Issue.record("no 400"); return }
        #expect(other.status == 400 && other.type == "idempotency_error")
        #expect(store.begin("k", fingerprint: "b", now: IdempotencyStore.retention) == .proceed, "kept 24 hours only")
    }

    @Test func aReleasedKeyRunsAgain() {
        var store = IdempotencyStore()
        _ = store.begin("k", fingerprint: "a", now: 0)
        store.release("k")
        #expect(store.begin("k", fingerprint: "a", now: 0) == .proceed)
    }

    @Test func aFaultFiresTheGivenNumberOfTimesForItsIntentOnly() {
        var faults = FaultTable()
        faults.add(FaultRule(operation: .capture, paymentIntent: "pi_1", fault: .apiError, times: 2))
        #expect(faults.take(.capture, paymentIntent: "pi_2") == nil)
        #expect(faults.take(.confirm, paymentIntent: "pi_1") == nil)
        #expect(faults.take(.capture, paymentIntent: "pi_1") == .apiError)
        #expect(faults.take(.capture, paymentIntent: "pi_1") == .apiError)
        #expect(faults.take(.capture, paymentIntent: "pi_1") == nil)
    }

    /// Python's `hmac.new(b"whsec_test", b'1700000000.{"id":"evt_1"}', sha256).hexdigest()`.
    @Test func signatureIsStripesV1Scheme() {
        let header = WebhookSignature.header(body: Data(#"{"id":"evt_1"}"#.utf8), secret: "whsec_test", timestamp: 1_700_000_000)
        #expect(header == "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925")
    }
}
