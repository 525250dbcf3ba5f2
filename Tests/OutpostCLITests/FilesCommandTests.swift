import Foundation
import GRDB
import OutpostCore
import OutpostStore
import OutpostSystem
import OutpostTesting
import Testing

@Suite("outpost files", .serialized)
struct FilesCommandTests {
    @Test("put, ls, get, rm, restore, gc and stats as a person uses them")
    func roundTrip() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let source = node.folder.appending("day-1.csv")
        let content = String(repeating: "t1,21.5,ok\n", count: 5_000)
        try content.write(toFile: source, atomically: true, encoding: .utf8)

        let put = try await node.json("files", "put", source, "--as", "reports/day-1.csv", "--priority", "7")
        #expect(
            put["name"] == "reports/day-1.csv" && put["priority"] == 7
                && put["size"] == .integer(Int64(content.utf8.count))
        )
        #expect(put["compressed"] == true)
        let listed = try await node.json("files", "ls")
        #expect(listed == .array([put]))

        let out = node.folder.appending("copy.csv")
        let got = try await node.outpost("files", "get", "reports/day-1.csv", "-o", out)
        #expect(got.status == 0, "\(got)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == content)
        let piped = try await node.outpost("files", "get", "reports/day-1.csv", "-o", "-")
        #expect(piped.stdout == content)

        #expect(try await node.outpost("files", "rm", "reports/day-1.csv").status == 0)
        #expect(try await node.json("files", "ls") == [])
        #expect(try await node.json("files", "ls", "--trash").arrayCount == 1)
        expectOneLineFailure(
            try await node.outpost("files", "get", "reports/day-1.csv", "-o", out),
            mentioning: "in the trash"
        )
        #expect(try await node.outpost("files", "restore", "reports/day-1.csv").status == 0)
        #expect(try await node.json("files", "ls").arrayCount == 1)

        let statistics = try await node.json("files", "stats")
        #expect(statistics["total_files"] == 1 && statistics["compressed_files"] == 1)
        #expect(try await node.outpost("files", "rm", "reports/day-1.csv").status == 0)
        let collected = try await node.json("files", "gc", "--older-than", "0")
        #expect(collected["files_deleted"] == 1)
        #expect(try await node.json("files", "ls", "--trash") == [])
    }

    @Test(
        "bad input: one clear line, a non-zero exit, and nothing stored",
        arguments: [
            (["files", "put", "SOURCE", "--as", "../../etc/passwd"], "'..' segment"),
            (["files", "put", "SOURCE", "--as", "/etc/passwd"], "absolute path"),
            (["files", "put", "SOURCE", "--as", "a//b"], "empty segment"),
            (["files", "put", "/no/such/file", "--as", "x"], "Cannot open /no/such/file"),
            (["files", "put", "SOURCE", "--max-size", "1k"], "over the limit"),
            (["files", "put", "SOURCE", "--priority", "0"], "out of range"),
            (["files", "put", "SOURCE", "--chunk-size", "3000"], "power of two"),
            (["files", "get", "nothing"], "No file named 'nothing'"),
            (["files", "rm", "nothing"], "No file named 'nothing'"),
            (["files", "restore", "nothing"], "No file named 'nothing'"),
            (["files", "gc", "--older-than=-1"], "from 0 to 36500 days"),
        ]
    )
    func refuses(arguments: [String], message: String) async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let source = node.folder.appending("source.bin")
        FileManager.default.createFile(atPath: source, contents: Data(repeating: 7, count: 4_000))
        let before = try node.snapshot()
        let resolved = arguments.map { $0 == "SOURCE" ? source : $0 }
        expectOneLineFailure(try await node.outpost(arguments: resolved), mentioning: message)
        #expect(try node.snapshot() == before)
        let chunks = (try? FileManager.default.subpathsOfDirectory(atPath: node.home + "/files/chunks")) ?? []
        #expect(chunks.allSatisfy { $0.count == 2 }, "no chunk was written: \(chunks)")
        let packs = (try? FileManager.default.contentsOfDirectory(atPath: node.home + "/files/packs")) ?? []
        #expect(packs.isEmpty, "no pack was left: \(packs)")
    }

    @Test("a put killed midway leaves no file and no chunk the index believes in; the next put and get work")
    func killedPut() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let source = node.folder.appending("model.bin")
        // 24 MiB that share no chunk, so the put writes all of it.
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        FileManager.default.createFile(atPath: source, contents: try random.read(upToCount: 24 << 20))
        try random.close()
        let packs = node.home + "/files/packs"
        let packBytes = {
            ((try? FileManager.default.contentsOfDirectory(atPath: packs)) ?? []).reduce(0) { total, name in
                total + ((try? FileManager.default.attributesOfItem(atPath: packs + "/" + name)[.size] as? Int) ?? 0)
            }
        }
        let put = try ChildProcess(OutpostExecutable.path, ["files", "put", source, "--home", node.home]).start()
        try await eventually("the put has appended 2 MiB to its pack") { packBytes() > 2 << 20 }
        kill(put.processIdentifier, SIGKILL)
        put.wait()
        #expect(packBytes() < 24 << 20, "killed before the end")

        #expect(try await node.json("files", "ls") == [])
        let store = try Store(path: node.storePath)
        // Every chunk the index knows has its bytes on disk: here, none, as nothing committed.
        let rows = try await store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outpost_chunks") ?? -1 }
        #expect(rows == 0)
        #expect(try await node.outpost("files", "put", source, "--as", "again.bin").status == 0)
        let copy = node.folder.appending("copy.bin")
        #expect(try await node.outpost("files", "get", "again.bin", "-o", copy).status == 0)
        #expect(FileManager.default.contentsEqual(atPath: source, andPath: copy))
        let placed = try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT pack, pack_offset, stored_size FROM outpost_chunks").map {
                ($0["pack"] as String, $0["pack_offset"] as Int, $0["stored_size"] as Int)
            }
        }
        for (pack, offset, length) in placed {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(packs)/\(pack).pack")[.size] as? Int) ?? 0
            #expect(offset + length <= size, "chunk at \(offset) of \(pack) has its bytes")
        }
    }

    @Test("files key --create makes a key once; files put after it are encrypted")
    func encryptionKey() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        #expect(try await node.outpost("files", "key").stdout.contains("No key"))
        #expect(try await node.outpost("files", "key", "--create").stdout.contains("Made"))
        #expect(try await node.outpost("files", "key", "--create").stdout.contains("exists already"))
        let source = node.folder.appending("secret.txt")
        try "secret".write(toFile: source, atomically: true, encoding: .utf8)
        #expect(try await node.json("files", "put", source)["encrypted"] == true)
        #expect(try await node.outpost("files", "get", "secret.txt", "-o", "-").stdout == "secret")
    }

    /// Issue 15, item 14: a wrong key was taken for damage and the chunks were deleted, so
    /// restoring the right key did not bring the file back.
    @Test("a wrong files.key is refused with both fingerprints and deletes nothing; the right key reads again")
    func wrongKeyDeletesNothing() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        #expect(try await node.outpost("files", "key", "--create").status == 0)
        let source = node.folder.appending("plan.txt")
        try String(repeating: "secret plan\n", count: 2_000).write(toFile: source, atomically: true, encoding: .utf8)
        #expect(try await node.json("files", "put", source)["encrypted"] == true)
        let keyPath = node.home + "/files.key"
        let rightKey = try #require(FileManager.default.contents(atPath: keyPath))
        // What is stored: each pack file and its size.
        let chunkCount = {
            let folder = node.home + "/files/packs"
            return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().map { name in
                "\(name) \((try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) ?? -1)"
            }
        }
        let chunksBefore = chunkCount()
        #expect(!chunksBefore.isEmpty)

        try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: keyPath))
        expectOneLineFailure(
            try await node.outpost("files", "get", "plan.txt", "-o", "-"),
            mentioning: "is not the key"
        )
        expectOneLineFailure(
            try await node.outpost("files", "put", source, "--as", "other.txt"),
            mentioning: "is not the key"
        )
        #expect(chunkCount() == chunksBefore, "no chunk was removed or added")

        try rightKey.write(to: URL(fileURLWithPath: keyPath))
        let got = try await node.outpost("files", "get", "plan.txt", "-o", "-")
        #expect(got.status == 0, "\(got)")
        #expect(got.stdout == String(repeating: "secret plan\n", count: 2_000))
    }
}

extension JSONValue {
    fileprivate var arrayCount: Int? {
        if case .array(let items) = self { return items.count }
        return nil
    }
}
