import ArgumentParser

@main
struct Bookiji: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bookiji",
        abstract: "Bookiji Core: availability and safe booking for partners.",
        subcommands: [Serve.self, Migrate.self, PartnerCommand.self, VendorCommand.self, Expire.self, WorkerCommand.self, IcsCommand.self, ImportICS.self, CalendarCommand.self]
    )
}
