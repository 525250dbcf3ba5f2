import ArgumentParser
import Testing

@testable import OutpostCLI

/// ArgumentParser derives a command's name from its type's name when the configuration gives
/// none, with a dynamic cast per type that scans every protocol conformance in the binary: over
/// a hundred commands, that was a third of a plain command's start-up.
@Suite("Command names")
struct CommandNameTests {
    @Test("every command's configuration names it, so parsing a command line never derives a name")
    func everyCommandNamesItself() {
        var unnamed: [String] = []
        var seen = 0
        func walk(_ command: any ParsableCommand.Type, path: [String]) {
            seen += 1
            let name = command.configuration.commandName
            if name == nil { unnamed.append((path + ["\(command)"]).joined(separator: " ")) }
            for sub in command.configuration.subcommands { walk(sub, path: path + [name ?? "\(command)"]) }
        }
        walk(Outpost.self, path: [])
        #expect(seen > 100, "the walk reached the commands: \(seen)")
        #expect(unnamed.isEmpty, "commands without commandName: \(unnamed)")
    }
}
