#if canImport(Glibc)
import Glibc
#endif

/// IANA time zone names, checked against the system's tz database (Debian package tzdata) — the
/// same files the availability engine reads, so every zone it can compute with is accepted
/// (Foundation's list lacks current names such as Asia/Kolkata).
public enum IANATimeZone {
    public static let databasePath = "/usr/share/zoneinfo"

    /// True for a region name such as `Europe/Berlin` that tzdata has a zone file for.
    /// Abbreviations and offsets (`CET`, `GMT+1`) are refused: only a region name says how DST
    /// behaves. `UTC` is accepted as the one exception.
    public static func isKnown(_ name: String) -> Bool {
        if name == "UTC" || name == "Etc/UTC" { return true }
        guard !name.isEmpty, name.utf8.count < 64, name.contains("/"), name.first != "/",
              !name.split(separator: "/").contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }),
              name.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || "/_-+".utf8.contains($0) }),
              !name.hasPrefix("posix/"), !name.hasPrefix("right/"), !name.hasPrefix("Etc/")
        else { return false }
        var info = stat()
        guard stat(databasePath + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        // A zone file starts with the TZif magic; tzdata also ships tables such as zone.tab.
        guard let file = fopen(databasePath + "/" + name, "rb") else { return false }
        defer { fclose(file) }
        var magic = [UInt8](repeating: 0, count: 4)
        return fread(&magic, 1, 4, file) == 4 && magic == Array("TZif".utf8)
    }
}
