import Testing
import BookijiCore

/// The transition table against the spec's "Valid Transitions" list, written out here by hand:
/// the listed rows, then `[ANY] → CANCELLED` and `[ANY] → EXPIRED` for each of the nine active
/// states. Every one of the 17 × 17 ordered pairs is checked against it.
struct ReservationTransitionTests {
    static let specValid: Set<String> = [
        // Listed rows.
        "INTENT_CREATED -> HELD",
        "HELD -> AWAITING_VENDOR_CONFIRMATION",
        "AWAITING_VENDOR_CONFIRMATION -> CONFIRMED_BY_VENDOR",
        "AWAITING_VENDOR_CONFIRMATION -> FAILED_VENDOR_TIMEOUT",
        "AWAITING_VENDOR_CONFIRMATION -> EXPIRED",
        "CONFIRMED_BY_VENDOR -> AWAITING_VENDOR_AUTH",
        "AWAITING_VENDOR_AUTH -> VENDOR_AUTHORIZED",
        "AWAITING_VENDOR_AUTH -> FAILED_VENDOR_AUTH",
        "AWAITING_VENDOR_AUTH -> EXPIRED",
        "VENDOR_AUTHORIZED -> AWAITING_REQUESTER_AUTH",
        "AWAITING_REQUESTER_AUTH -> AUTHORIZED_BOTH",
        "AWAITING_REQUESTER_AUTH -> FAILED_REQUESTER_AUTH",
        "AWAITING_REQUESTER_AUTH -> EXPIRED",
        "AUTHORIZED_BOTH -> COMMIT_IN_PROGRESS",
        "AUTHORIZED_BOTH -> FAILED_AVAILABILITY_CHANGED",
        "AUTHORIZED_BOTH -> EXPIRED",
        "COMMIT_IN_PROGRESS -> COMMITTED",
        "COMMIT_IN_PROGRESS -> FAILED_COMMIT",
        // [ANY non-terminal] -> CANCELLED
        "INTENT_CREATED -> CANCELLED",
        "HELD -> CANCELLED",
        "AWAITING_VENDOR_CONFIRMATION -> CANCELLED",
        "CONFIRMED_BY_VENDOR -> CANCELLED",
        "AWAITING_VENDOR_AUTH -> CANCELLED",
        "VENDOR_AUTHORIZED -> CANCELLED",
        "AWAITING_REQUESTER_AUTH -> CANCELLED",
        "AUTHORIZED_BOTH -> CANCELLED",
        "COMMIT_IN_PROGRESS -> CANCELLED",
        // [ANY non-terminal] -> EXPIRED, beyond the four listed above
        "INTENT_CREATED -> EXPIRED",
        "HELD -> EXPIRED",
        "CONFIRMED_BY_VENDOR -> EXPIRED",
        "VENDOR_AUTHORIZED -> EXPIRED",
        "COMMIT_IN_PROGRESS -> EXPIRED",
    ]

    static func key(_ from: ReservationState, _ to: ReservationState) -> String {
        "\(from.rawValue) -> \(to.rawValue)"
    }

    @Test func expectedTableNamesOnlyRealStates() {
        #expect(Self.specValid.count == 32)
        for row in Self.specValid {
            let sides = row.split(separator: " -> ").map(String.init)
            #expect(sides.count == 2)
            #expect(sides.allSatisfy { ReservationState(rawValue: $0) != nil }, "typo in row \(row)")
        }
    }

    @Test(arguments: ReservationState.allCases, ReservationState.allCases)
    func exactlyTheSpecsTransitionsAreAllowed(from: ReservationState, to: ReservationState) {
        let valid = Self.specValid.contains(Self.key(from, to))
        #expect(from.canTransition(to: to) == valid)
        #expect(from.allowedTransitions.contains(to) == valid)
        do {
            let reached = try from.transition(to: to)
            #expect(valid, "transition(to:) accepted \(Self.key(from, to))")
            #expect(reached == to)
        } catch {
            #expect(!valid, "transition(to:) refused \(Self.key(from, to))")
            #expect(error.code == .invalidTransition)
            #expect(error.code.rawValue == "invalid_transition")
            #expect(error.from == from && error.to == to)
            #expect(error.message.hasPrefix("cannot move a reservation from \(from.rawValue) to \(to.rawValue)"))
        }
    }

    @Test(arguments: ReservationState.allCases.filter(\.isTerminal))
    func terminalStatesNeverMove(state: ReservationState) {
        #expect(state.allowedTransitions.isEmpty)
        for next in ReservationState.allCases {
            #expect(throws: ReservationStateError.self) { try state.transition(to: next) }
        }
    }

    @Test func refusalFromTerminalStateSaysItIsFinal() {
        #expect(throws: ReservationStateError.self) { try ReservationState.committed.transition(to: .held) }
        do {
            try ReservationState.committed.transition(to: .held)
        } catch {
            #expect(error.message == "cannot move a reservation from COMMITTED to HELD (COMMITTED is final)")
            #expect(error.description == "invalid_transition: \(error.message)")
        }
    }

    @Test func refusalFromActiveStateListsWhatIsAllowed() {
        do {
            try ReservationState.held.transition(to: .vendorAuthorized)
            Issue.record("skipping states must be refused")
        } catch {
            #expect(error.message == "cannot move a reservation from HELD to VENDOR_AUTHORIZED "
                + "(from HELD it may move to AWAITING_VENDOR_CONFIRMATION, EXPIRED, CANCELLED)")
        }
    }

    @Test func happyPathWalksFromIntentToCommitted() throws {
        let path: [ReservationState] = [
            .intentCreated, .held, .awaitingVendorConfirmation, .confirmedByVendor, .awaitingVendorAuth,
            .vendorAuthorized, .awaitingRequesterAuth, .authorizedBoth, .commitInProgress, .committed,
        ]
        var state = path[0]
        for next in path.dropFirst() { state = try state.transition(to: next) }
        #expect(state == .committed && state.isTerminal && state.blocksSlot)
    }
}
