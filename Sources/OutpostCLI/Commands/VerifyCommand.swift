import ArgumentParser
import Foundation
import OutpostCore
import OutpostSync

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare this node's tracked tables with the hub's, without moving any data.",
        discussion: """
            Compares digests of each table's rows over key-hash buckets and narrows down to the \
            buckets that differ, so a table that matches costs one small request (about 1.5 KB \
            whatever its size). Every row that differs is listed with why:

              pending       a local change waits to be pushed
              conflict      a local change is held while it merges
              failed        the hub refused the local change
              parked        a pulled row could not be applied here (outpost conflicts list)
              not_pulled    the hub changed it after the last pull
              not_filled    the table is still being fetched from the hub
              unexplained   nothing explains it: the copies diverged

            Columns only the hub has are not compared (the node keeps their values and fills \
            them in when the column appears). Exits 1 when any difference is unexplained; \
            `outpost resync --table T` repairs those.

            Examples:
              outpost verify
              outpost verify --table readings --json
            """
    )
    @OptionGroup var node: NodeOptions
    @Option(name: .customLong("table"), help: "A tracked table to verify (repeat for more); default all.")
    var tables: [String] = []
    @OptionGroup var output: OutputOptions
    @OptionGroup(visibility: .hidden) var sync: SyncOptions

    func run() async throws {
        let engine = try sync.engine(for: node)
        let quiet = output.json
        let report: VerifyReport = try await engine.verify(tables: tables.isEmpty ? nil : tables) { table in
            if !quiet { FileHandle.standardError.write(Data("verifying \(table)…\n".utf8)) }
        }
        if output.json {
            Output.json(report)
        } else {
            print(Self.describe(report), terminator: "")
        }
        if report.unexplained > 0 { throw ExitCode(1) }
    }

    static func describe(_ report: VerifyReport) -> String {
        var text = ""
        let width = report.tables.map(\.table.count).max() ?? 0
        for table in report.tables {
            let name = table.table.padding(toLength: width, withPad: " ", startingAt: 0)
            let state =
                table.matches
                ? "matches the hub"
                : "\(table.differences.count) difference(s), \(table.unexplained) unexplained"
            text += "\(name)  \(table.rows) row(s)  \(state)  (\(table.requests) request(s))\n"
            for difference in table.differences {
                let place =
                    switch difference.presence {
                    case .both: ""
                    case .nodeOnly: " [only on this node]"
                    case .hubOnly: " [only on the hub]"
                    }
                let explanation = difference.reason.sentence
                    .replacingOccurrences(of: "--table T", with: "--table \(table.table)")
                text += "  \(difference.key)\(place): \(difference.reason.rawValue): \(explanation)\n"
            }
        }
        text += "sent \(report.bytesSent) B, received \(report.bytesReceived) B\n"
        text +=
            report.unexplained == 0
            ? "verify: no unexplained difference\n"
            : "verify: \(report.unexplained) unexplained difference(s); outpost resync repairs them\n"
        return text
    }
}

extension VerifyReport.Reason {
    /// One line for a person: what it means and which command deals with it.
    var sentence: String {
        switch self {
        case .pending: "a local change waits to be pushed (outpost sync)"
        case .conflict: "a local change is held while it merges (outpost sync, outpost conflicts list)"
        case .failed: "the hub refused the local change (outpost queue list --status failed; queue retry)"
        case .parked: "the hub's row could not be applied here (outpost conflicts list)"
        case .notPulled: "the hub changed it after the last pull (outpost sync)"
        case .notFilled: "the table is still being fetched from the hub (outpost sync)"
        case .pruned: "retention removed it here; the hub keeps it (outpost maintenance --execution-days)"
        case .unexplained: "nothing explains it (outpost resync --table T takes the hub's copy)"
        }
    }
}
