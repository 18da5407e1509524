import ArgumentParser

@main
struct Bookiji: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bookiji",
        abstract: "Bookiji Core: availability and safe booking for partners.",
        version: Bookiji.versionText,
        subcommands: [Serve.self, Migrate.self, PartnerCommand.self, VendorCommand.self, Expire.self, WorkerCommand.self, IcsCommand.self, ImportICS.self, CalendarCommand.self, TransitionsCommand.self]
    )
}

extension Bookiji {
    /// Raised by hand at a release; the commit tells builds between releases apart.
    static let version = "0.17.0"

    /// `bookiji --version`: `bookiji 0.17.0 (commit 1114ac4…)`, the commit as scripts/build-info
    /// recorded it at build time.
    static var versionText: String { "bookiji \(version) (commit \(BuildInfo.commit))" }
}
