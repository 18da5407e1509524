import BookijiCore

/// Computes a vendor's candidate slots, with availability, confidence and reasons, from the
/// rules, the calendar's busy time and Bookiji's own holds and bookings.
///
/// Stateless and `Sendable`: call it from any thread. Per query it allocates its bitsets once
/// (one bit per granule over the window plus buffers), the candidate array once (sized up front)
/// and the text of each reason code that occurs; the per-slot loop allocates nothing. The masks
/// are combined by the C kernel in O(window / 64 · log slot) word operations.
///
/// **The slot grid.** Candidate starts are instants on the granule grid, chosen by the wall
/// clock: an instant whose local time is `m` minutes after local midnight of date `d` is a
/// candidate when `m` lies in a working interval `[s, e)` of `d` and `m - s` is a multiple of
/// the slot length (the grid restarts at each interval's start: 09:15-12:00 with 30-minute slots
/// offers 09:15, 09:45, ...), or when `m` lies outside every working interval of `d` and is a
/// multiple of the slot length (anchored at local midnight; these slots are listed, unavailable,
/// so partners can see why). A wall time counts once, at its first showing: nothing starts in a
/// spring-forward gap, nor in the repeated hour after a fall-back. Slots last `slot` minutes of
/// real time and lie inside the query window.
///
/// **Per slot** `[t, t + slot)`, the reasons are independent predicates, each listed when it
/// holds (see ``SlotReasonCode``): overlap with reserved, busy or tentative time; any instant
/// outside working hours (as defined on ``VendorRules``); `t` before `now + minimumNotice`; `t`
/// at or after `now + bookingHorizonDays · 86400`; busy, tentative or reserved time within the
/// buffers before or after the slot. Reasons are listed most severe first; confidence is the
/// lowest confidence among them ("lowest wins"), 1.0 with none; `isAvailable` means no reasons.
///
/// To check one requested booking (e.g. before placing a hold), query exactly its interval with
/// its length as `slotMinutes`: the result holds that slot if and only if it is on the grid.
public struct AvailabilityEngine: Sendable {
    /// Bumped whenever the engine's answer for the same inputs could change; part of every
    /// ``AvailabilityResult/computedVersion``.
    public static let version = "1"
    /// Longest query window.
    public static let maximumWindowSeconds: Int64 = 366 * 86_400
    /// Queries must lie in [1970-01-01, 2200-01-01): the zone tables end there.
    public static let supportedInstants: Range<Int64> = 0..<7_258_118_400

    public init() {}

    /// Computes the slots of `query.start ..< query.end` for a vendor.
    ///
    /// - Parameters:
    ///   - rules: the vendor's rules; validated here (an invalid set throws `invalid_rules`).
    ///   - busy: calendar intervals (busy or tentative), any order, overlaps allowed.
    ///   - reserved: active holds and bookings of this vendor made through Bookiji.
    ///   - query: window, slot length, now.
    ///
    /// `computedVersion` is SHA-256 (its first 128 bits, base64url: 22 characters) over: the engine version; the rules in canonical form;
    /// the zone's UTC offsets over the window (so a tzdata update shows); the normalised window
    /// and slot length; `onlyAvailable`; the notice and horizon boundaries rounded up to the
    /// granule and clamped to the window's slot starts (so `now` moves the version only when a
    /// boundary reaches another granule among them: ``AvailabilityResult/changesAt``); and the busy, tentative and reserved sets as granule bitsets over the
    /// window plus buffers (so order, duplicates, uids and time outside the window do not matter,
    /// and any change to blocking time inside it does). Equal inputs give equal bytes.
    public func compute(
        rules: VendorRules, busy: [BusyInterval], reserved: [UTCInterval], query: AvailabilityQuery
    ) throws(AvailabilityError) -> AvailabilityResult {
        let plan = try QueryPlan(rules: rules, query: query)
        let masks = MaskWorkspace(nbits: plan.nbits)
        defer { masks.release() }

        WorkingCalendar(rules: rules).fill(
            masks, zone: plan.zone, base: plan.base, granule: plan.granule, slotMinutes: plan.slotMinutes,
            windowStart: plan.windowStart, windowEnd: plan.windowEnd,
            firstStart: plan.instant(ofIndex: plan.firstIndex), lastStart: plan.instant(ofIndex: plan.lastIndex))
        for b in busy { plan.mark(b.interval, in: b.status == .busy ? .busy : .tentative, masks) }
        for r in reserved { plan.mark(r, in: .reserved, masks) }

        let version = plan.version(rules: rules, query: query, masks: masks)
        let k = plan.slotGranules

        // Blocking time (anything that a buffer must keep clear of), before it is windowed.
        masks.or(.blocking, .busy, .tentative)
        masks.or(.blocking, .blocking, .reserved)
        // Per start i: "some busy/tentative/reserved granule in [i, i+k)", "all working".
        masks.windowAny(.busy, length: k)
        masks.windowAny(.tentative, length: k)
        masks.windowAny(.reserved, length: k)
        masks.windowAll(.working, length: k)
        // Before-buffer hit at i: blocking in [i - b, i) = windowAny(b) read at i - b.
        if plan.bufferBeforeGranules > 0 {
            masks.copy(.bufferBefore, from: .blocking)
            masks.windowAny(.bufferBefore, length: plan.bufferBeforeGranules)
            masks.shiftUp(.bufferBefore, by: plan.bufferBeforeGranules)
        }
        // After-buffer hit at i: blocking in [i + k, i + k + a) = windowAny(a) read at i + k.
        if plan.bufferAfterGranules > 0 {
            masks.copy(.bufferAfter, from: .blocking)
            masks.windowAny(.bufferAfter, length: plan.bufferAfterGranules)
            masks.shiftDown(.bufferAfter, by: k)
        }
        masks.or(.bufferBefore, .bufferBefore, .bufferAfter)

        let candidates = query.onlyAvailable
            ? availableCandidates(plan: plan, masks: masks)
            : allCandidates(plan: plan, masks: masks)
        var present = SlotReasonSet()
        for candidate in candidates { present.formUnion(candidate.reasons) }
        var messages: [SlotReasonCode: String] = [:]
        for code in present.codes { messages[code] = code.message(rules: rules) }
        return AvailabilityResult(
            candidates: candidates, messages: messages, computedVersion: version, slotMinutes: plan.slotMinutes,
            changesAt: plan.changesAt)
    }

    /// Available slots only: one AND-NOT chain over whole words, then set-bit iteration.
    private func availableCandidates(plan: QueryPlan, masks: MaskWorkspace) -> [AvailabilityResult.Candidate] {
        masks.and(.candidates, .candidates, .working)
        masks.andNot(.candidates, .candidates, .busy)
        masks.andNot(.candidates, .candidates, .tentative)
        masks.andNot(.candidates, .candidates, .reserved)
        masks.andNot(.candidates, .candidates, .bufferBefore)
        masks.clearRange(.candidates, from: 0, to: plan.noticeIndex)
        masks.clearRange(.candidates, from: plan.horizonIndex, to: plan.nbits)
        var candidates: [AvailabilityResult.Candidate] = []
        var i = masks.nextSet(.candidates, from: 0)
        while i < plan.nbits {
            candidates.append(AvailabilityResult.Candidate(start: plan.instant(ofIndex: i), reasons: []))
            i = masks.nextSet(.candidates, from: i + 1)
        }
        return candidates
    }

    /// Every candidate with the set of its reasons.
    private func allCandidates(plan: QueryPlan, masks: MaskWorkspace) -> [AvailabilityResult.Candidate] {
        var candidates: [AvailabilityResult.Candidate] = []
        candidates.reserveCapacity(masks.count(.candidates))
        var i = masks.nextSet(.candidates, from: 0)
        while i < plan.nbits {
            var bits: UInt8 = 0
            if masks.test(.reserved, i) { bits |= 1 << SlotReasonCode.reserved.bit }
            if masks.test(.busy, i) { bits |= 1 << SlotReasonCode.calendarBusy.bit }
            if masks.test(.tentative, i) { bits |= 1 << SlotReasonCode.calendarTentative.bit }
            if !masks.test(.working, i) { bits |= 1 << SlotReasonCode.outsideWorkingHours.bit }
            if i < plan.noticeIndex { bits |= 1 << SlotReasonCode.minNotice.bit }
            if i >= plan.horizonIndex { bits |= 1 << SlotReasonCode.beyondHorizon.bit }
            if masks.test(.bufferBefore, i) { bits |= 1 << SlotReasonCode.bufferConflict.bit }
            candidates.append(AvailabilityResult.Candidate(start: plan.instant(ofIndex: i), reasons: SlotReasonSet(rawValue: bits)))
            i = masks.nextSet(.candidates, from: i + 1)
        }
        return candidates
    }
}
