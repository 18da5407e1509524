import Testing
import BookijiCore

/// The spec's state names and which of them end a reservation or occupy a slot, written out from
/// the spec rather than read from the implementation.
struct ReservationStateTests {
    static let specStateNames = [
        "INTENT_CREATED", "HELD", "AWAITING_VENDOR_CONFIRMATION", "CONFIRMED_BY_VENDOR",
        "AWAITING_VENDOR_AUTH", "VENDOR_AUTHORIZED", "AWAITING_REQUESTER_AUTH", "AUTHORIZED_BOTH",
        "COMMIT_IN_PROGRESS", "COMMITTED", "FAILED_VENDOR_TIMEOUT", "FAILED_VENDOR_AUTH",
        "FAILED_REQUESTER_AUTH", "FAILED_AVAILABILITY_CHANGED", "FAILED_COMMIT", "EXPIRED", "CANCELLED",
    ]

    static let terminalNames: Set<String> = [
        "COMMITTED", "FAILED_VENDOR_TIMEOUT", "FAILED_VENDOR_AUTH", "FAILED_REQUESTER_AUTH",
        "FAILED_AVAILABILITY_CHANGED", "FAILED_COMMIT", "EXPIRED", "CANCELLED",
    ]

    @Test func rawValuesAreExactlyTheSpecStateNamesInSpecOrder() {
        #expect(ReservationState.allCases.map(\.rawValue) == Self.specStateNames)
    }

    @Test(arguments: ReservationState.allCases)
    func terminalActiveAndBlockingFollowTheSpec(state: ReservationState) {
        let terminal = Self.terminalNames.contains(state.rawValue)
        #expect(state.isTerminal == terminal)
        #expect(state.isActive == !terminal)
        #expect(state.blocksSlot == (!terminal || state.rawValue == "COMMITTED"))
    }

    @Test func slotBlockingListIsActiveStatesPlusCommitted() {
        let expected = Self.specStateNames.filter { !Self.terminalNames.contains($0) } + ["COMMITTED"]
        #expect(ReservationState.slotBlockingStates.map(\.rawValue).sorted() == expected.sorted())
        #expect(ReservationState.slotBlockingStates.count == 10)
    }

    @Test func statesEncodeAsTheirSpecNames() throws {
        // JSON shape partners see: a bare string, round-tripping.
        let json = try JSONRoundTrip.encode([ReservationState.awaitingVendorConfirmation])
        #expect(json == #"["AWAITING_VENDOR_CONFIRMATION"]"#)
        #expect(try JSONRoundTrip.decode([ReservationState].self, json) == [.awaitingVendorConfirmation])
        #expect(throws: (any Error).self) { try JSONRoundTrip.decode([ReservationState].self, #"["held"]"#) }
    }

    @Test func triggersAreTheSpecsTriggeredByValues() {
        #expect(TransitionTrigger.allCases.map(\.rawValue) == ["system", "vendor", "requester", "partner", "timeout"])
    }
}
