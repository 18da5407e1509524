#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide cache of parsed zones, so a query never re-reads or re-expands tzdata.
///
/// Zones are read from `$TZDIR` or `/usr/share/zoneinfo` (the Debian `tzdata` package, the same
/// data libical uses). Failures are cached too, so a flood of bad names costs one `open` each;
/// the cache stops admitting new names past ``ZoneCache/capacity`` (real zones number ~600).
final class ZoneCache: @unchecked Sendable {  // @unchecked: all mutable state is guarded by `lock`
    static let shared = ZoneCache()
    static let capacity = 4096

    // Heap-allocated so the mutex has a stable address (a stored property's address is not).
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var zones: [String: Result<ZoneInfo, ZoneInfo.LoadError>] = [:]
    private let directory: String

    init(directory: String? = nil) {
        pthread_mutex_init(lock, nil)
        if let directory {
            self.directory = directory
        } else if let env = getenv("TZDIR"), env.pointee != 0 {
            self.directory = String(cString: env)
        } else {
            self.directory = "/usr/share/zoneinfo"
        }
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The zone called `name`, loading it on first use.
    func zone(named name: String) throws(ZoneInfo.LoadError) -> ZoneInfo {
        pthread_mutex_lock(lock)
        let cached = zones[name]
        pthread_mutex_unlock(lock)
        if let cached { return try cached.get() }

        // Loaded outside the lock: two threads may load the same zone once each, harmlessly.
        let loaded = Self.load(name: name, directory: directory)
        pthread_mutex_lock(lock)
        if zones.count < Self.capacity { zones[name] = loaded }
        pthread_mutex_unlock(lock)
        return try loaded.get()
    }

    /// Whether `name` looks like an IANA zone name; refuses anything that could walk the file
    /// system (`..`, absolute paths) before a file is touched.
    static func isPlausibleName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64, !name.hasPrefix("/") else { return false }
        for c in name.utf8 {
            let ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)
                || c == UInt8(ascii: "/") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
            if !ok { return false }
        }
        return !name.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty }
    }

    private static func load(name: String, directory: String) -> Result<ZoneInfo, ZoneInfo.LoadError> {
        guard isPlausibleName(name) else {
            return .failure(.init(message: "'\(name)' is not an IANA time zone name (e.g. Europe/Berlin)"))
        }
        guard let bytes = readFile(directory + "/" + name) else {
            return .failure(.init(message: TimeZoneNames.unknownMessage(name)))
        }
        do {
            return .success(try ZoneInfo.parse(identifier: name, tzif: bytes))
        } catch {
            return .failure(error)
        }
    }

    /// Whole file, or nil when it cannot be opened or is not a regular file of sane size.
    private static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, 4096, file) }
            if n > 0 { result.append(contentsOf: chunk[0..<n]) }
            if n < 4096 { break }
            if result.count > 1 << 20 { return nil }
        }
        return ferror(file) == 0 && !result.isEmpty ? result : nil
    }
}
