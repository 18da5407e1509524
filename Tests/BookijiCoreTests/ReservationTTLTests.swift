import Testing
import BookijiCore

/// Deadlines per state, from the spec's "State Deadlines" list. Event times are spread out and
/// distinct so that a deadline counted from the wrong event cannot come out right by accident.
struct ReservationTTLTests {
    static let minute: Int64 = 60
    static let created: Int64 = 1_772_355_600  // 2026-03-01T09:00:00Z
    static let full = ReservationTimeline(
        createdAt: created,
        vendorConfirmedAt: created + 7 * minute,
        vendorAuthorizedAt: created + 29 * minute,
        requesterAuthorizedAt: created + 51 * minute
    )

    /// Expected deadline per state name, as offsets from `created`, worked out by hand.
    static let expectedMinutesAfterCreation: [String: Int64?] = [
        "INTENT_CREATED": 10,
        "HELD": 10,
        "AWAITING_VENDOR_CONFIRMATION": 10,
        "CONFIRMED_BY_VENDOR": 7 + 30,
        "AWAITING_VENDOR_AUTH": 7 + 30,
        "VENDOR_AUTHORIZED": 29 + 30,
        "AWAITING_REQUESTER_AUTH": 29 + 30,
        "AUTHORIZED_BOTH": 51 + 15,
        "COMMIT_IN_PROGRESS": 51 + 15,
        "COMMITTED": nil, "FAILED_VENDOR_TIMEOUT": nil, "FAILED_VENDOR_AUTH": nil,
        "FAILED_REQUESTER_AUTH": nil, "FAILED_AVAILABILITY_CHANGED": nil, "FAILED_COMMIT": nil,
        "EXPIRED": nil, "CANCELLED": nil,
    ]

    @Test(arguments: ReservationState.allCases)
    func deadlineCountsFromTheStagesOwnEvent(state: ReservationState) throws {
        let expected = try #require(Self.expectedMinutesAfterCreation[state.rawValue])
        #expect(ReservationTTL.deadline(for: state, timeline: Self.full) == expected.map { Self.created + $0 * Self.minute })
    }

    @Test func constantsAreTheSpecsStagedTTLs() {
        #expect(ReservationTTL.initialHold == 10 * 60)
        #expect(ReservationTTL.afterVendorConfirmation == 30 * 60)
        #expect(ReservationTTL.afterVendorAuthorization == 30 * 60)
        #expect(ReservationTTL.afterBothAuthorizations == 15 * 60)
    }

    @Test(arguments: ReservationState.allCases)
    func deadlineIsExclusive(state: ReservationState) {
        guard let deadline = ReservationTTL.deadline(for: state, timeline: Self.full) else {
            #expect(state.isTerminal)
            #expect(!ReservationTTL.isPastDeadline(state, timeline: Self.full, at: Int64.max))
            return
        }
        #expect(state.isActive)
        #expect(!ReservationTTL.isPastDeadline(state, timeline: Self.full, at: deadline - 1))
        #expect(ReservationTTL.isPastDeadline(state, timeline: Self.full, at: deadline))
    }

    @Test func missingStageTimestampKeepsThePreviousDeadline() {
        // Only creation known: every active state keeps the initial hold, none is unbounded.
        let bare = ReservationTimeline(createdAt: Self.created)
        for state in ReservationState.allCases where state.isActive {
            #expect(ReservationTTL.deadline(for: state, timeline: bare) == Self.created + 10 * Self.minute)
        }
        // Vendor authorization missing: AUTHORIZED_BOTH still counts from the requester's.
        var gap = Self.full
        gap.vendorAuthorizedAt = nil
        #expect(ReservationTTL.deadline(for: .vendorAuthorized, timeline: gap) == Self.created + 37 * Self.minute)
        #expect(ReservationTTL.deadline(for: .authorizedBoth, timeline: gap) == Self.created + 66 * Self.minute)
    }

    /// The spec's "total 40 / 55 minutes" against the per-state table: each step taken one second
    /// before the deadline in force gives the longest possible life.
    @Test func latestPossibleStepsGiveFortyThenEightyFiveMinutes() {
        var timeline = ReservationTimeline(createdAt: Self.created)
        func deadline(_ state: ReservationState) -> Int64 {
            ReservationTTL.deadline(for: state, timeline: timeline)!
        }
        timeline.vendorConfirmedAt = deadline(.awaitingVendorConfirmation) - 1
        #expect(deadline(.awaitingVendorAuth) == Self.created + 40 * Self.minute - 1)
        timeline.vendorAuthorizedAt = deadline(.awaitingVendorAuth) - 1
        timeline.requesterAuthorizedAt = deadline(.awaitingRequesterAuth) - 1
        #expect(deadline(.commitInProgress) == Self.created + 85 * Self.minute - 3)
    }
}
