import ArgumentParser
import Store

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply database migrations in order: those built into the binary, or --dir's.",
        discussion: """
            Refuses to run, applying nothing, when the database records a migration this binary \
            does not have (a newer bookiji migrated it) or one whose text changed since.
            """)

    @OptionGroup var db: DatabaseOptions

    @Option(help: "Read NNNN_name.sql files from this folder instead of the migrations built into the binary.")
    var dir: String?

    @Flag(help: "List every migration as applied, pending, unknown (in the database only: a newer bookiji's) or changed; apply nothing.")
    var status = false

    func run() throws {
        var migrations = Migration.embedded
        if let dir {
            do {
                migrations = try Migration.load(directory: dir)
            } catch {
                throw CLIError(error.message)
            }
        }
        let session = try db.session()
        do {
            let migrator = Migrator(session)
            if status {
                printStatus(try migrator.status(migrations))
                return
            }
            let report = try migrator.migrate(migrations)
            for name in report.applied { print("applied \(name)") }
            print("migrations: \(report.applied.count) applied, \(report.alreadyApplied) already applied")
        } catch let error as StoreError {
            throw CLIError(error.message)
        }
    }

    /// One line a migration (`applied  0001_partners_vendors.sql  2026-05-04T10:00:00Z`), then
    /// the counts.
    private func printStatus(_ entries: [Migrator.Entry]) {
        var counts: [String: Int] = [:]
        for entry in entries {
            let (word, time): (String, String?) = switch entry.state {
            case .applied(let at): ("applied", at)
            case .pending: ("pending", nil)
            case .unknown(let at): ("unknown", at)
            case .changed(let at): ("changed", at)
            }
            counts[word, default: 0] += 1
            print([word + String(repeating: " ", count: 8 - word.count), entry.fileName, time].compactMap { $0 }.joined(separator: " "))
        }
        let summary = ["applied", "pending", "unknown", "changed"].map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", ")
        print("migrations: \(summary)")
        if counts["unknown"] != nil {
            print("unknown: applied by a newer bookiji; `bookiji migrate` refuses to run against this database")
        }
    }
}
