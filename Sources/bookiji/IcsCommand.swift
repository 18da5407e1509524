import ArgumentParser
import Foundation
import ICalendar

/// `bookiji ics ...`: offline iCalendar tools (no database needed).
struct IcsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ics", abstract: "Offline iCalendar tools.", subcommands: [Expand.self])

    /// `bookiji ics expand FILE --from ISO --to ISO [--tz ZONE] [--format json|text] [--merge]`.
    ///
    /// The arguments go unparsed to ``IcsExpandCommand``, which owns their grammar, its help text
    /// and its sysexits-style exit codes (64 usage, 65 malformed calendar, 66 unreadable file).
    struct Expand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "expand",
            abstract: "Print the busy and tentative intervals of an .ics file over a window.",
            usage: "bookiji ics expand FILE --from ISO --to ISO [--tz ZONE] [--format json|text] [--merge]",
            discussion: IcsExpandCommand.helpText)

        @Argument(parsing: .captureForPassthrough, help: "FILE --from ISO --to ISO [--tz ZONE] [--format json|text] [--merge]")
        var arguments: [String] = []

        func run() throws {
            let output = IcsExpandCommand.run(
                arguments: arguments, stdin: { [UInt8](FileHandle.standardInput.readDataToEndOfFile()) })
            FileHandle.standardOutput.write(Data(output.stdout.utf8))
            FileHandle.standardError.write(Data(output.stderr.utf8))
            if output.exitCode != 0 { throw ExitCode(output.exitCode) }
        }
    }
}
