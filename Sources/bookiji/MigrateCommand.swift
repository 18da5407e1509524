import ArgumentParser
import Store

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply database migrations in order.")

    @OptionGroup var db: DatabaseOptions

    @Option(help: "Folder holding NNNN_name.sql files.")
    var dir: String = "migrations"

    func run() throws {
        let session = try db.session()
        do {
            let report = try Migrator(session).migrate(Migration.load(directory: dir))
            for name in report.applied { print("applied \(name)") }
            print("migrations: \(report.applied.count) applied, \(report.alreadyApplied) already applied")
        } catch let error as StoreError {
            throw CLIError(error.message)
        }
    }
}
