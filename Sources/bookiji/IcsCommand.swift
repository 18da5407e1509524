import ArgumentParser

/// `bookiji ics ...`: offline iCalendar tools (no database needed).
struct IcsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ics", abstract: "Offline iCalendar tools.", subcommands: [IcsExpand.self])
}
