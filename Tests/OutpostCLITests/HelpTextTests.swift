import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// Every `--help` reads as written: paragraphs wrap as paragraphs (no stray one-word lines left
/// by text wrapped twice), and no example is broken across lines, so each can be copied whole.
@Suite("Help texts")
struct HelpTextTests {
    /// Every command's words (`["files", "put"]`), from the parser's own description.
    private static func commands() async throws -> [[String]] {
        let dump = try await OutpostExecutable.run(["--experimental-dump-help"])
        try #require(dump.status == 0, "\(dump)")
        var found: [[String]] = []
        func walk(_ command: JSONValue, _ path: [String]) {
            found.append(path)
            guard case .array(let children)? = command["subcommands"] else { return }
            for child in children {
                if let name = child["commandName"]?.stringValue { walk(child, path + [name]) }
            }
        }
        walk(try #require(try JSONValue(parsing: dump.stdout)["command"]), [])
        return found
    }

    @Test("every command's help has whole examples and paragraphs that wrap once")
    func helpTexts() async throws {
        let commands = try await Self.commands()
        #expect(commands.count > 60, "the walk found the commands: \(commands.count)")
        for words in commands {
            let help = try await OutpostExecutable.run(words + ["--help"])
            try #require(help.status == 0, "\(words): \(help)")
            let discussion = help.stdout.components(separatedBy: "\nUSAGE:").first ?? ""
            for paragraph in discussion.components(separatedBy: "\n\n") {
                let lines = paragraph.split(separator: "\n").map(String.init)
                guard let first = lines.first, !first.hasPrefix("OVERVIEW:") else { continue }
                if first.hasPrefix("Example") {
                    for line in lines.dropFirst() {
                        #expect(
                            line.hasPrefix("  "),
                            "outpost \(words.joined(separator: " ")) --help: an example is broken before '\(line)'"
                        )
                    }
                    continue
                }
                for (index, line) in lines.enumerated().dropLast() where !line.hasPrefix(" ") && !line.hasPrefix("-") {
                    let next = lines[index + 1]
                    #expect(
                        line.count >= 30 || next.hasPrefix(" ") || next.hasPrefix("-"),
                        "outpost \(words.joined(separator: " ")) --help: '\(line)' is cut short before '\(next)'"
                    )
                }
            }
        }
    }
}
