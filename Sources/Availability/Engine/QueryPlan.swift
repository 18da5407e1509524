import BookijiCore

/// The granule arithmetic of one query, fixed before any mask is touched.
///
/// Bit `i` of every mask stands for the granule `[base + i·g, base + (i+1)·g)`. The masks cover
/// the window plus the buffers on either side: `base = windowStart - bufferBefore`. Slot starts
/// are indices `firstIndex...lastIndex`.
struct QueryPlan {
    let zone: ZoneInfo
    let granule: Int64
    let slotMinutes: Int
    let slotSeconds: Int64
    let slotGranules: Int
    let bufferBeforeGranules: Int
    let bufferAfterGranules: Int
    /// Window rounded inwards to the granule.
    let windowStart: Int64
    let windowEnd: Int64
    let base: Int64
    let nbits: Int
    let firstIndex: Int
    /// May be below `firstIndex` when the window is shorter than a slot (then there are none).
    let lastIndex: Int
    /// Starts with index below this violate the minimum notice; clamped to the slot range.
    let noticeIndex: Int
    /// Starts with index at or above this are beyond the horizon; clamped to the slot range.
    let horizonIndex: Int
    /// The first instant after `now` at which `noticeIndex` or `horizonIndex` would be
    /// different, so the answer could change with nothing else changing; nil if never.
    let changesAt: Int64?

    init(rules: VendorRules, query: AvailabilityQuery) throws(AvailabilityError) {
        do {
            try rules.validate()
            zone = try rules.validatedZone()
        } catch {
            throw AvailabilityError(code: .invalidRules, field: error.field, message: error.message, ruleError: error)
        }
        func refuse(_ field: String, _ message: String) -> AvailabilityError {
            AvailabilityError(code: .invalidQuery, field: field, message: message)
        }
        let slot = query.slotMinutes ?? rules.slotMinutes
        guard (1...VendorRules.maximumSlotMinutes).contains(slot) else {
            throw refuse("slotMinutes", "\(slot) is outside 1...\(VendorRules.maximumSlotMinutes)")
        }
        guard slot % rules.granuleMinutes == 0 else {
            throw refuse("slotMinutes", "\(slot) is not a multiple of the vendor's granule of \(rules.granuleMinutes) minutes")
        }
        guard !query.wholeVendorSlots || slot % rules.slotMinutes == 0 else {
            throw refuse("slotMinutes", "\(slot) is not a multiple of the vendor's slot length of \(rules.slotMinutes) minutes")
        }
        guard query.start < query.end else {
            throw refuse("end", "end \(RFC3339.format(query.end)) is not after start \(RFC3339.format(query.start))")
        }
        let supported = AvailabilityEngine.supportedInstants
        guard supported.contains(query.start), query.end <= supported.upperBound else {
            throw refuse("start", "the window must lie between 1970-01-01 and 2200-01-01")
        }
        guard query.end - query.start <= AvailabilityEngine.maximumWindowSeconds else {
            throw refuse("end", "the window is longer than \(AvailabilityEngine.maximumWindowSeconds / 86_400) days")
        }

        granule = Int64(rules.granuleMinutes) * 60
        slotMinutes = slot
        slotSeconds = Int64(slot) * 60
        slotGranules = slot / rules.granuleMinutes
        bufferBeforeGranules = rules.bufferBeforeMinutes / rules.granuleMinutes
        bufferAfterGranules = rules.bufferAfterMinutes / rules.granuleMinutes
        windowStart = ceilDiv(query.start, granule) * granule
        windowEnd = max(windowStart, floorDiv(query.end, granule) * granule)
        base = windowStart - Int64(bufferBeforeGranules) * granule
        let windowGranules = Int((windowEnd - windowStart) / granule)
        nbits = windowGranules + bufferBeforeGranules + bufferAfterGranules
        firstIndex = bufferBeforeGranules
        lastIndex = bufferBeforeGranules + windowGranules - slotGranules
        let (lo, hi, origin, g) = (Int64(firstIndex), Int64(max(firstIndex, lastIndex + 1)), base, granule)
        func boundary(_ instant: Int64) -> Int {
            Int(min(max(ceilDiv(instant - origin, g), lo), hi))
        }
        // Any `now` far outside the supported range acts like its edge (and cannot overflow).
        let now = min(max(query.now, -supported.upperBound), 2 * supported.upperBound)
        let notice = Int64(rules.minimumNoticeMinutes) * 60, horizon = Int64(rules.bookingHorizonDays) * 86_400
        noticeIndex = boundary(now + notice)
        horizonIndex = boundary(now + horizon)
        // boundary(now + offset) only grows with now: the unclamped index ceil((x - origin) / g)
        // steps up once x - origin passes a multiple of g, and the clamped one moves when that
        // step is at or above `lo` and below `hi`.
        func nextMove(_ offset: Int64) -> Int64? {
            let unclamped = ceilDiv(now + offset - origin, g)
            guard lo < hi, unclamped < hi else { return nil }  // no slots, or past the last start
            return origin + max(unclamped, lo) * g + 1 - offset
        }
        switch (nextMove(notice), nextMove(horizon)) {
        case let (a?, b?): changesAt = min(a, b)
        case let (a, b): changesAt = a ?? b
        }
    }

    @inline(__always)
    func instant(ofIndex index: Int) -> Int64 { base + Int64(index) * granule }

    /// Marks every granule an interval touches (rounded outwards), clipped to the masks.
    func mark(_ interval: UTCInterval, in slot: MaskWorkspace.Slot, _ masks: MaskWorkspace) {
        let regionEnd = base + Int64(nbits) * granule
        let a = max(interval.start, base), b = min(interval.end, regionEnd)
        guard a < b else { return }
        masks.setRange(slot, from: Int(floorDiv(a - base, granule)), to: Int(ceilDiv(b - base, granule)))
    }

    /// See ``AvailabilityEngine/compute(rules:busy:reserved:query:)`` for what goes in.
    func version(rules: VendorRules, query: AvailabilityQuery, masks: MaskWorkspace) -> String {
        var h = VersionHasher(engineVersion: AvailabilityEngine.version)
        h.rules(rules)
        // From two days early, as WorkingCalendar looks back that far for repeated wall times.
        zone.forEachPiece(from: base - 2 * 86_400, to: base + Int64(nbits) * granule) { start, _, offset in
            h.int(0x30, start)
            h.int(0x31, Int64(offset))
        }
        h.int(0x40, windowStart)
        h.int(0x41, windowEnd)
        h.int(0x42, Int64(slotMinutes))
        h.int(0x43, query.onlyAvailable ? 1 : 0)
        h.int(0x44, Int64(noticeIndex))
        h.int(0x45, Int64(horizonIndex))
        h.mask(0x50, masks.bytes(.busy))
        h.mask(0x51, masks.bytes(.tentative))
        h.mask(0x52, masks.bytes(.reserved))
        return h.finalize()
    }
}
