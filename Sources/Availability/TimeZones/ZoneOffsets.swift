/// A zone's UTC offset at an instant, for showing instants in a vendor's local time (the vendor
/// confirmation page and notifications), from the same tzdata the availability engine reads.
public enum ZoneOffsets {
    /// Seconds east of UTC in force in `zone` at `instant`; nil for a zone that cannot be loaded.
    public static func offsetSeconds(zone: String, at instant: Int64) -> Int? {
        guard let info = try? ZoneCache.shared.zone(named: zone) else { return nil }
        return info.offset(at: instant)
    }
}
