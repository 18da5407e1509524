import ArgumentParser
import Foundation
import PartnerAPI
import Store

/// `bookiji transitions …`: the transition log's monthly partitions (migration 0020), for
/// operators archiving old months. The worker's `transition-partitions` job creates them ahead.
struct TransitionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transitions",
        abstract: "The transition log's monthly partitions: list them, detach old ones for archiving.",
        subcommands: [Partitions.self, Detach.self])

    static func write(_ partition: TransitionPartitionStore.Partition, to out: inout JSONWriter) {
        out.objectStart()
        out.field("name", partition.name)
        out.field("month", partition.month?.description)
        out.key("from")
        if let month = partition.month { out.instant(month.start) } else { out.null() }
        out.key("to")
        if let month = partition.month { out.instant(month.adding(months: 1).start) } else { out.null() }
        out.field("default", partition.isDefault)
        out.field("attached", partition.attached)
        out.field("rows", partition.rows)
        out.objectEnd()
    }

    /// `bookiji transitions partitions [--json]`.
    struct Partitions: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the log's partitions (attached and detached-but-not-dropped) with their row counts.")
        @OptionGroup var db: DatabaseOptions
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let partitions = try cliErrors { try TransitionPartitionStore(db.session()).list() }
            if json {
                printJSON { out in
                    out.key("partitions")
                    out.arrayStart()
                    for partition in partitions { TransitionsCommand.write(partition, to: &out) }
                    out.arrayEnd()
                }
                return
            }
            for partition in partitions {
                let month = partition.month?.description ?? "default"
                let state = partition.attached ? "attached" : "detached (dump it, then drop it)"
                print("\(partition.name)  \(month)  \(state)  \(partition.rows) row\(partition.rows == 1 ? "" : "s")")
            }
        }
    }

    /// `bookiji transitions detach --before YYYY-MM [--json]`.
    struct Detach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Detach the partitions of every month before YYYY-MM (never the current month or a later one).",
            discussion: """
                A detached partition stays in the database as a plain table with its name \
                (reservation_transitions_YYYY_MM), still refusing UPDATE and DELETE, and its rows leave \
                reservations' stateHistory. Archive it with `pg_dump --table=NAME`, then `DROP TABLE NAME`.
                """)
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Detach the months before this one (YYYY-MM, UTC); at most the current month.") var before: String
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard TransitionMonth(text: before) != nil else {
                throw ValidationError("--before must be a month as YYYY-MM, e.g. 2026-01")
            }
        }

        func run() throws {
            let month = TransitionMonth(text: before)!
            let detached = try cliErrors {
                try TransitionPartitionStore(db.session()).detach(before: month, now: Int64(Date().timeIntervalSince1970))
            }
            if json {
                printJSON { out in
                    out.field("before", month.description)
                    out.key("detached")
                    out.arrayStart()
                    for partition in detached { TransitionsCommand.write(partition, to: &out) }
                    out.arrayEnd()
                }
                return
            }
            if detached.isEmpty { print("no attached partition of a month before \(month)") }
            for partition in detached {
                print("detached \(partition.name) (\(partition.rows) row\(partition.rows == 1 ? "" : "s")): "
                    + "archive it with pg_dump --table=\(partition.name), then DROP TABLE \(partition.name)")
            }
        }
    }
}
