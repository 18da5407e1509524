extension VendorRules {
    /// Granules the engine accepts: divisors of an hour, so the grid lines up with local hours.
    public static let allowedGranules = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60]
    /// Longest slot or buffer, in minutes.
    public static let maximumSlotMinutes = 24 * 60
    /// Longest minimum notice, in minutes (one year).
    public static let maximumNoticeMinutes = 366 * 24 * 60
    /// Longest booking horizon, in days (ten years).
    public static let maximumHorizonDays = 3660

    /// Checks the rules and throws the first problem found, naming the field.
    ///
    /// Checked: `granuleMinutes` divides 60 and every UTC offset the zone uses from 2000 on (so
    /// local hours fall on the grid); the zone exists in tzdata; `slotMinutes` (1...1440) and the
    /// buffers (0...1440) are multiples of the granule; notice and horizon ranges; every interval
    /// has times in 00:00...24:00 on the granule, end after start, and no overlap with another
    /// interval of the same day (touching is fine); override dates are real and not repeated.
    public func validate() throws(RuleValidationError) {
        guard Self.allowedGranules.contains(granuleMinutes) else {
            throw RuleValidationError(
                code: .invalidGranule, field: "granuleMinutes",
                message: "\(granuleMinutes) must divide 60 (one of \(Self.allowedGranules.map(String.init).joined(separator: ", ")))")
        }
        let zone = try validatedZone()
        try checkDuration(slotMinutes, field: "slotMinutes", range: 1...Self.maximumSlotMinutes)
        try checkDuration(bufferBeforeMinutes, field: "bufferBeforeMinutes", range: 0...Self.maximumSlotMinutes)
        try checkDuration(bufferAfterMinutes, field: "bufferAfterMinutes", range: 0...Self.maximumSlotMinutes)
        guard (0...Self.maximumNoticeMinutes).contains(minimumNoticeMinutes) else {
            throw RuleValidationError(
                code: .outOfRange, field: "minimumNoticeMinutes",
                message: "\(minimumNoticeMinutes) is outside 0...\(Self.maximumNoticeMinutes)")
        }
        guard (1...Self.maximumHorizonDays).contains(bookingHorizonDays) else {
            throw RuleValidationError(
                code: .outOfRange, field: "bookingHorizonDays",
                message: "\(bookingHorizonDays) is outside 1...\(Self.maximumHorizonDays)")
        }
        // Field names are built only for an error: rules are validated on every computation.
        for day in Weekday.allCases {
            try checkIntervals(weeklyHours[day], field: "weeklyHours.\(day.rawValue)")
        }
        var seen: [LocalDate: Int] = [:]
        for (index, override) in dateOverrides.enumerated() {
            guard override.date.isValid else {
                throw RuleValidationError(
                    code: .invalidDate, field: "dateOverrides[\(index)].date", message: "\(override.date) is not a calendar date")
            }
            if let earlier = seen[override.date] {
                throw RuleValidationError(
                    code: .duplicateDate, field: "dateOverrides[\(index)].date",
                    message: "\(override.date) already has an override at dateOverrides[\(earlier)]; merge their hours")
            }
            seen[override.date] = index
            try checkIntervals(override.hours, field: "dateOverrides[\(index)].hours")
        }
        for offset in zone.offsetsSince2000 where Int(offset) % (granuleMinutes * 60) != 0 {
            throw RuleValidationError(
                code: .invalidGranule, field: "granuleMinutes",
                message: "\(granuleMinutes) does not divide the UTC offset \(ZoneInfo.formatOffset(offset)) that \(timeZone) uses, so local hours would fall between granules; use a granule that divides it, e.g. 15 or 5")
        }
    }

    /// The rules' zone from the tzdata cache, or the `timeZone` error.
    func validatedZone() throws(RuleValidationError) -> ZoneInfo {
        do {
            return try ZoneCache.shared.zone(named: timeZone)
        } catch {
            throw RuleValidationError(code: .unknownTimeZone, field: "timeZone", message: error.message)
        }
    }

    private func checkDuration(_ value: Int, field: String, range: ClosedRange<Int>) throws(RuleValidationError) {
        guard range.contains(value) else {
            throw RuleValidationError(
                code: .outOfRange, field: field,
                message: "\(value) minutes is outside \(range.lowerBound)...\(range.upperBound)")
        }
        guard value % granuleMinutes == 0 else {
            throw RuleValidationError(
                code: .misalignedToGranule, field: field,
                message: "\(value) is not a multiple of granuleMinutes \(granuleMinutes)")
        }
    }

    private func checkIntervals(
        _ intervals: [LocalTimeRange], field: @autoclosure () -> String
    ) throws(RuleValidationError) {
        for (index, range) in intervals.enumerated() {
            try checkTime(range.start, name: "start", of: index, field: field())
            try checkTime(range.end, name: "end", of: index, field: field())
            if range.end < range.start {
                throw RuleValidationError(
                    code: .invalidInterval, field: "\(field())[\(index)]", message: "end \(range.end) is before start \(range.start)")
            }
            if range.end == range.start {
                throw RuleValidationError(
                    code: .invalidInterval, field: "\(field())[\(index)]", message: "end \(range.end) equals start; the interval is empty")
            }
        }
        // Intervals listed in order without overlap, as stored rules almost always are, need no sort.
        if zip(intervals, intervals.dropFirst()).allSatisfy({ $0.end <= $1.start }) { return }
        // Sorted by start, an overlap can only be with the previous interval that ends latest.
        let order = intervals.indices.sorted { (intervals[$0], $0) < (intervals[$1], $1) }
        var latest: Int? = nil
        for index in order {
            if let prior = latest, intervals[index].start < intervals[prior].end {
                let (first, second) = prior < index ? (prior, index) : (index, prior)
                throw RuleValidationError(
                    code: .overlappingIntervals, field: "\(field())[\(second)]",
                    message: "\(intervals[second]) overlaps \(field())[\(first)] \(intervals[first])")
            }
            if latest == nil || intervals[index].end > intervals[latest!].end { latest = index }
        }
    }

    private func checkTime(
        _ time: LocalTime, name: String, of index: Int, field: @autoclosure () -> String
    ) throws(RuleValidationError) {
        guard (0...1440).contains(time.minutes) else {
            throw RuleValidationError(
                code: .invalidTimeOfDay, field: "\(field())[\(index)]", message: "\(name) \(time) is not a time of day (00:00...24:00)")
        }
        guard time.minutes % granuleMinutes == 0 else {
            throw RuleValidationError(
                code: .misalignedToGranule, field: "\(field())[\(index)]",
                message: "\(name) \(time) is not a multiple of granuleMinutes \(granuleMinutes)")
        }
    }
}
