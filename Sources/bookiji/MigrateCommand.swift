import ArgumentParser
import PartnerAPI
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

    @Flag(help: "Print one JSON object: the migrations applied (or, with --status, every migration and its state).")
    var json = false

    func run() throws {
        try cliErrors {
            var migrations = Migration.embedded
            if let dir {
                do {
                    migrations = try Migration.load(directory: dir)
                } catch let error as StoreError {
                    throw CLIError(error.message, exitCode: Sysexits.noInput)
                }
            }
            let migrator = Migrator(try db.session())
            if status {
                let entries = try migrator.status(migrations)
                if json { printStatusJSON(entries) } else { printStatus(entries) }
                return
            }
            let report = try migrator.migrate(migrations)
            if json {
                printJSON { out in
                    out.key("applied")
                    out.arrayStart()
                    for name in report.applied { out.string(name) }
                    out.arrayEnd()
                    out.field("alreadyApplied", report.alreadyApplied)
                }
            } else {
                for name in report.applied { print("applied \(name)") }
                print("migrations: \(report.applied.count) applied, \(report.alreadyApplied) already applied")
            }
        }
    }

    private static func describe(_ state: Migrator.Entry.State) -> (word: String, time: String?) {
        switch state {
        case .applied(let at): ("applied", at)
        case .pending: ("pending", nil)
        case .unknown(let at): ("unknown", at)
        case .changed(let at): ("changed", at)
        }
    }

    /// `{"migrations":[{"name":"0001_partners_vendors.sql","state":"applied","appliedAt":"…"}, …]}`.
    private func printStatusJSON(_ entries: [Migrator.Entry]) {
        printJSON { out in
            out.key("migrations")
            out.arrayStart()
            for entry in entries {
                let (word, time) = Self.describe(entry.state)
                out.objectStart()
                out.field("name", entry.fileName)
                out.field("state", word)
                out.field("appliedAt", time)
                out.objectEnd()
            }
            out.arrayEnd()
        }
    }

    /// One line a migration (`applied  0001_partners_vendors.sql  2026-05-04T10:00:00Z`), then
    /// the counts.
    private func printStatus(_ entries: [Migrator.Entry]) {
        var counts: [String: Int] = [:]
        for entry in entries {
            let (word, time) = Self.describe(entry.state)
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
