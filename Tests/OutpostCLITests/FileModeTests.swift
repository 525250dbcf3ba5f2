import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// Nothing Outpost writes is readable by other local users (issue 15, item 16): homes 0700,
/// files 0600 from the moment they exist, whatever the caller's umask.
@Suite("Files Outpost creates are its owner's only")
struct FileModeTests {
    static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("a node's home, store, key and chunks, and a hub's home and database")
    func ownerOnly() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let sample = node.folder.appending("sample.bin")
        try Data(repeating: 7, count: 200_000).write(to: URL(fileURLWithPath: sample))
        #expect(try await node.outpost("files", "key", "--create").status == 0)
        #expect(try await node.outpost("files", "put", sample, "--as", "sample.bin").status == 0)
        let hubHome = node.folder.appending("hub")
        #expect(try await OutpostExecutable.run(["hub", "tenant", "add", "acme", "--home", hubHome]).status == 0)

        var checked: [String] = []
        for root in [node.home, hubHome] {
            #expect(try Self.mode(root) == 0o700, "\(root)")
            let walker = try #require(FileManager.default.enumerator(atPath: root))
            for case let relative as String in walker {
                let path = root + "/" + relative
                let mode = try Self.mode(path)
                #expect(mode & 0o077 == 0, "\(path) is open to others: \(String(mode, radix: 8))")
                checked.append(relative)
            }
        }
        #expect(checked.contains("files.key"))
        #expect(checked.contains("store.sqlite"))
        #expect(checked.contains("hub.sqlite"))
        #expect(checked.contains { $0.hasPrefix("files/") }, "\(checked)")
    }
}
