import Foundation

/// IANA time zone names, checked against the system's tz database (Debian package tzdata).
public enum IANATimeZone {
    /// True for a name such as `Europe/Berlin` that the tz database knows. Abbreviations and
    /// offsets (`CET`, `GMT+1`) are refused: only a region name says how DST behaves.
    public static func isKnown(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count < 64, !name.contains(".."), name.first != "/" else { return false }
        if name == "UTC" || name == "Etc/UTC" { return true }
        guard name.contains("/") else { return false }
        return known.contains(name)
    }

    private static let known: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers)
}
