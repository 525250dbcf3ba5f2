import Foundation
import OutpostCore
import OutpostStore
import OutpostTesting
import Testing

/// Libraries state what failed and, as an ``OutpostError/Remedy``, what can be done; the `outpost`
/// executable words the remedy with its own commands and flags.
@Suite("Remedies: facts from the libraries, commands from the CLI")
struct RemedyTests {
    @Test("a library error carries its remedy as a value and names no command")
    func libraryStatesFacts() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-remedy")
        defer { folder.remove() }
        let store = try Store(path: folder.appending("store.sqlite"), createIfMissing: true)
        do {
            _ = try store.requireAgent(id: "nobody")
            Issue.record("an unknown agent must fail")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.remedy == .list(.agents))
            #expect(!error.message.contains("outpost"), "the message states the fact only: \(error.message)")
        }
    }

    @Test(
        "the CLI adds the remedy that names its command",
        arguments: [
            (["agent", "show", "nobody"], "No agent with id 'nobody'. List them with `outpost agent list`."),
            (["workspace", "status"], "This node has no workspace yet. Create it with `outpost workspace init"),
            (["queue", "retry", "7"], "List them with `outpost queue list --status failed`."),
        ] as [([String], String)]
    )
    func cliWordsTheRemedy(arguments: [String], expected: String) async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let result = try await runProgram(OutpostExecutable.path, arguments + ["--home", node.home])
        expectOneLineFailure(result, mentioning: expected)
    }

    @Test("a missing home is named in the command that creates it")
    func missingHome() async throws {
        let node = try await CLINode(initialised: false)
        defer { node.folder.remove() }
        expectOneLineFailure(
            try await node.outpost("status"),
            mentioning: "Run `outpost init --home \(node.home)` first"
        )
    }

    /// The grep check: no library's string names an `outpost` command (comments may).
    @Test("no library source names an `outpost` command outside comments")
    func librariesNameNoCommands() async throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let libraries = [
            "OutpostCore", "OutpostStore", "OutpostSync", "OutpostBlobs", "OutpostWorkspace", "OutpostHub",
            "OutpostMerge", "OutpostProtocol", "OutpostSystem", "OutpostRelay",
        ]
        var offenders: [String] = []
        var checked = 0
        for library in libraries {
            let folder = sources.appendingPathComponent(library)
            let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                checked += 1
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") && line.contains("`outpost ") {
                    offenders.append("\(library)/\(file):\(number + 1)")
                }
            }
        }
        #expect(checked > 100, "the library sources were found")
        #expect(offenders.isEmpty, "give the error a remedy and let the CLI word it: \(offenders)")
    }
}
