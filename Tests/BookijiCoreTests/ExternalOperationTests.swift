import Testing
import BookijiCore

struct ExternalOperationTests {
    static let reservationID = "3f1c2a9e-7b1d-4c55-9a0e-2d4f6b8c1e07"

    @Test func keysFollowTheSpecsExamples() {
        let id = Self.reservationID
        #expect(ExternalOperation.vendorAuth.idempotencyKey(reservationID: id, attempt: 1) == "vendor-auth-\(id)-1")
        #expect(ExternalOperation.requesterAuth.idempotencyKey(reservationID: id, attempt: 1) == "requester-auth-\(id)-1")
        #expect(ExternalOperation.vendorCapture.idempotencyKey(reservationID: id, attempt: 1) == "vendor-capture-\(id)-1")
        #expect(ExternalOperation.vendorCapture.idempotencyKey(reservationID: id, attempt: 2) == "vendor-capture-\(id)-2")
    }

    @Test func compensationOperationsHaveTheirOwnNames() {
        #expect(ExternalOperation.allCases.map(\.rawValue) == [
            "vendor-auth", "requester-auth", "vendor-confirm", "requester-confirm", "vendor-capture", "requester-capture",
            "vendor-cancel", "requester-cancel", "vendor-refund", "requester-refund",
        ])
    }

    @Test func keysDifferForEveryOperationAndAttempt() {
        var keys = Set<String>()
        for operation in ExternalOperation.allCases {
            for attempt in 1...5 {
                keys.insert(operation.idempotencyKey(reservationID: Self.reservationID, attempt: attempt))
            }
        }
        #expect(keys.count == ExternalOperation.allCases.count * 5)
    }

    @Test func operationIsReadableBackFromAKey() {
        // No operation followed by "-" starts another operation's key, so prefix matching finds one.
        for operation in ExternalOperation.allCases {
            let key = operation.idempotencyKey(reservationID: Self.reservationID, attempt: 3)
            let matches = ExternalOperation.allCases.filter { key.hasPrefix($0.rawValue + "-") }
            #expect(matches == [operation])
        }
    }

    @Test func attemptZeroIsAProgrammingError() async {
        await #expect(processExitsWith: .failure) {
            _ = ExternalOperation.vendorAuth.idempotencyKey(reservationID: "r1", attempt: 0)
        }
    }

    @Test func emptyReservationIDIsAProgrammingError() async {
        await #expect(processExitsWith: .failure) {
            _ = ExternalOperation.vendorAuth.idempotencyKey(reservationID: "", attempt: 1)
        }
    }
}
