#if canImport(Glibc)
import Glibc
#endif

/// One schema change: `migrations/NNNN_name.sql`, applied once, in version order.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    public var fileName: String { "\(zeroPadded(version, width: 4))_\(name).sql" }

    /// Reads every `NNNN_name.sql` in `directory`, sorted by version. Two files with one version,
    /// a `.sql` file whose name does not follow the pattern, or a folder with no migration at
    /// all (a wrong `--dir` would otherwise report "0 applied" against any database) is an
    /// error rather than a guess.
    public static func load(directory: String) throws(StoreError) -> [Migration] {
        guard let dir = opendir(directory) else {
            throw StoreError(.migration, "cannot read migrations directory '\(directory)': \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var migrations: [Migration] = []
        while let entry = readdir(dir) {
            let fileName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard fileName.hasSuffix(".sql") else { continue }
            let stem = fileName.dropLast(4)
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, parts[0].allSatisfy(\.isASCIIDigit),
                  let version = Int(parts[0]), !parts[1].isEmpty else {
                throw StoreError(.migration, "migration file '\(fileName)' does not match NNNN_name.sql")
            }
            let path = directory + "/" + fileName
            guard let text = readFile(path) else {
                throw StoreError(.migration, "cannot read migration '\(path)'")
            }
            migrations.append(Migration(version: version, name: String(parts[1]), sql: text))
        }
        guard !migrations.isEmpty else {
            throw StoreError(.migration, "no NNNN_name.sql files in '\(directory)': is it the migrations folder?")
        }
        migrations.sort { $0.version < $1.version }
        for (a, b) in zip(migrations, migrations.dropFirst()) where a.version == b.version {
            throw StoreError(.migration, "two migrations share version \(a.version): \(a.fileName) and \(b.fileName)")
        }
        return migrations
    }

    private static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
            if n < buffer.count { break }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

func zeroPadded(_ value: Int, width: Int) -> String {
    let digits = "\(value)"
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
