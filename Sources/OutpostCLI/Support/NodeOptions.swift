import ArgumentParser
import Foundation
import Logging
import OutpostCore
import OutpostStore
import OutpostSync

/// `--home`, shared by every command that works on a node.
struct NodeOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The node's home folder.", discussion: "Defaults to $OUTPOST_HOME, else ./.outpost."),
        completion: .directory
    )
    var home: String?

    /// The home, resolved as documented: `--home`, `$OUTPOST_HOME`, `./.outpost`.
    var nodeHome: NodeHome { NodeHome.resolve(home) }

    var homePath: String { nodeHome.path }

    var storePath: String { nodeHome.storePath }

    /// Opens the node's store; a missing home is an error that says to run `outpost init`.
    func openStore() throws(OutpostError) -> Store {
        try nodeHome.openStore(logger: Logger.cli)
    }

    /// The node's rules file, `HOME/rules.json`; a missing home is an error, as for the store.
    func rulesFile() throws(OutpostError) -> RulesFile {
        try nodeHome.requireExisting()
        return nodeHome.rulesFile
    }
}

/// `--json`, for every command that reads.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON for scripts instead of a table.")
    var json = false
}

extension Logger {
    /// The CLI's logger: quiet unless OUTPOST_LOG_LEVEL asks for more.
    static let cli: Logger = {
        var logger = Logger(label: "outpost")
        let level = ProcessInfo.processInfo.environment["OUTPOST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .warning
        return logger
    }()
}
