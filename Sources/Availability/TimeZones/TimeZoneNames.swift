#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The zone names tzdata knows, for accepting a vendor's zone and suggesting one for a typo.
///
/// Every name tzdata has a zone file for is accepted, its backward-compatible aliases included
/// (`CET`, `EST`, `US/Eastern`): the data says how each behaves, so there is no reason to refuse
/// what `date` and PostgreSQL accept. `posix/` and `right/` copies and `localtime` are not zones.
public enum TimeZoneNames {
    /// True when `name` is a zone tzdata has (a region, an alias, or UTC).
    public static func isKnown(_ name: String) -> Bool {
        guard ZoneCache.isPlausibleName(name), !name.hasPrefix("posix/"), !name.hasPrefix("right/"),
              !["localtime", "posixrules", "Factory"].contains(name)
        else { return false }
        return (try? ZoneCache.shared.zone(named: name)) != nil
    }

    /// The known name nearest to `name` (case-insensitive edit distance at most 2, or a name
    /// differing only in case), or nil when none is near: `Europe/Berln` gives `Europe/Berlin`.
    public static func suggestion(for name: String) -> String? {
        guard name.utf8.count <= 64 else { return nil }
        let wanted = Array(name.lowercased().utf8)
        var best: (name: String, distance: Int)?
        for candidate in names {
            let distance = editDistance(wanted, Array(candidate.lowercased().utf8), limit: 2)
            if distance <= 2, best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.name
    }

    /// "'X' is not a time zone tzdata knows; did you mean Y?" or, with nothing near, an example.
    public static func unknownMessage(_ name: String) -> String {
        let shown = name.unicodeScalars.contains { $0.value < 32 } ? name.debugDescription : "'\(name)'"
        if let near = suggestion(for: name) {
            return "unknown time zone \(shown); did you mean \(near)?"
        }
        return "unknown time zone \(shown); use an IANA name such as Europe/Berlin"
    }

    /// Zones and links from tzdata's `tzdata.zi` (Debian ships it), read once.
    static let names: [String] = {
        let directory = getenv("TZDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/zoneinfo"
        guard let file = fopen(directory + "/tzdata.zi", "r") else { return ["UTC", "Europe/Berlin", "America/New_York"] }
        defer { fclose(file) }
        var result: Set<String> = ["UTC"]
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            // "Z Europe/Berlin ..." names a zone, "L Europe/Berlin Arctic/Longyearbyen" a link (alias last).
            let fields = String(cString: line).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
            if fields.count >= 2, fields[0] == "Z" { result.insert(String(fields[1])) }
            if fields.count >= 3, fields[0] == "L" { result.insert(String(fields[2])) }
        }
        return result.sorted()
    }()

    /// Levenshtein distance, giving up (returning `limit + 1`) once every path exceeds `limit`.
    static func editDistance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            current[0] = i
            var rowMinimum = i
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
