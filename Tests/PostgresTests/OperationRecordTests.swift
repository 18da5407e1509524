import BookijiCore
import Coordinator
import Store
import Testing

/// Recovery points around payment-provider calls: committed before the call, keyed
/// `{operation}-{reservationId}-{attempt}`, reused by a retry, numbered anew only on purpose.
struct OperationRecordTests {
    typealias World = CoordinatorUseCaseTests.World

    @Test func aRetryReusesTheKeyAndTheParametersOfTheUnfinishedCall() throws {
        let world = try World()
        let reservation = try world.hold().id
        let records = OperationRecords(database: world.database)
        let first = try records.intent(
            reservationID: reservation, operation: .vendorAuth, parametersJSON: #"{"amount":1000}"#, now: world.clock)
        #expect(first.idempotencyKey == "vendor-auth-\(reservation)-1")
        #expect(first.status == .started)
        // The worker died after the call; it comes back and asks again, with other parameters.
        let resumed = try records.intent(
            reservationID: reservation, operation: .vendorAuth, parametersJSON: #"{"amount":9999}"#, now: world.clock + 5)
        #expect(resumed == first, "same key, same parameters, same start")
        #expect(try records.unfinished().map(\.idempotencyKey) == [first.idempotencyKey])
        // A new attempt while the first has no result would be a second, unrelated call.
        CoordinatorUseCaseTests.expectError(.invalidTransition) {
            try records.intent(reservationID: reservation, operation: .vendorAuth, parametersJSON: "{}", newAttempt: true, now: world.clock)
        }
    }

    @Test func aResultIsWrittenOnceAndANewAttemptTakesTheNextNumber() throws {
        let world = try World()
        let reservation = try world.hold().id
        let records = OperationRecords(database: world.database)
        let first = try records.intent(reservationID: reservation, operation: .vendorCapture, parametersJSON: "{}", now: world.clock)
        let failed = try #require(try records.result(
            key: first.idempotencyKey, succeeded: false, resultJSON: #"{"code":"lock_timeout"}"#, error: "lock_timeout", now: world.clock + 1))
        #expect(failed.status == .failed && failed.finishedAt == world.clock + 1)
        // A late duplicate result does not overwrite the first.
        let late = try records.result(key: first.idempotencyKey, succeeded: true, resultJSON: "{}", now: world.clock + 2)
        #expect(late?.status == .failed)
        #expect(late?.error == "lock_timeout")
        let second = try records.intent(
            reservationID: reservation, operation: .vendorCapture, parametersJSON: #"{"amount_to_capture":1000}"#, newAttempt: true,
            now: world.clock + 3)
        #expect(second.idempotencyKey == "vendor-capture-\(reservation)-2")
        #expect(second.attempt == 2 && second.status == .started)
        // Without `newAttempt` the latest attempt is what a caller gets back.
        #expect(try records.intent(reservationID: reservation, operation: .vendorCapture, parametersJSON: "{}", now: world.clock + 4) == second)
        #expect(try records.unfinished().map(\.idempotencyKey) == [second.idempotencyKey])
    }

    @Test func finishedRecordsAreKeptADayAndUnfinishedOnesUntilTheyFinish() throws {
        let world = try World()
        let reservation = try world.hold().id
        let records = OperationRecords(database: world.database)
        let done = try records.intent(reservationID: reservation, operation: .vendorAuth, parametersJSON: "{}", now: world.clock)
        try records.result(key: done.idempotencyKey, succeeded: true, resultJSON: #"{"id":"pi_1"}"#, now: world.clock)
        let open = try records.intent(reservationID: reservation, operation: .requesterAuth, parametersJSON: "{}", now: world.clock)
        #expect(try records.purge(now: world.clock + OperationRecords.retentionSeconds) == 0)
        #expect(try records.purge(now: world.clock + OperationRecords.retentionSeconds + 1) == 1)
        #expect(try records.unfinished().map(\.idempotencyKey) == [open.idempotencyKey])
        #expect(try records.purge(now: world.clock + 10 * OperationRecords.retentionSeconds) == 0)
    }
}
