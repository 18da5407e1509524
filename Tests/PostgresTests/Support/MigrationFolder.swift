import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder of migration files for one test.
struct MigrationFolder {
    let path: String

    init(_ files: [String: String] = [:]) throws {
        var template = Array("/tmp/bookiji-migrations-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CommandFailure(description: "mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
        for (name, text) in files { try write(name, text) }
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }

    func remove(_ name: String) {
        unlink(path + "/" + name)
    }

    func delete() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
