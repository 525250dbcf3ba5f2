import Foundation
import OutpostCore
import OutpostSystem
import OutpostTesting
import Testing

/// A `.git/index.lock` left by a git that was killed must not block every commit until someone
/// removes it by hand; one a live process holds must never be taken away (issue 15, item 18).
@Suite("A stale git index lock is cleared, a live one kept", .serialized)
struct WorkspaceLockTests {
    @Test("a lock no process holds is removed, with a warning, and the commit goes through")
    func staleLockIsRemoved() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws-lock")
        defer { folder.remove() }
        let node = try await WorkspaceNode(in: folder, name: "node")
        try await node.succeed("agent", "add", "--id", "a1", "--name", "Scout", "--type", "vision")
        try await node.succeed("workspace", "export")
        let lock = node.workspace + "/.git/index.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))

        let committed = try await node.outpost("workspace", "commit", "-m", "Scout")
        #expect(committed.status == 0, "\(committed)")
        #expect(committed.stderr.contains("stale git index lock"), "\(committed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: lock))
        #expect(try await node.git("log", "--format=%s").stdout.contains("Scout"))
    }

    @Test("a lock a running process holds open is kept, and the commit is refused naming it")
    func heldLockIsKept() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws-lock")
        defer { folder.remove() }
        let node = try await WorkspaceNode(in: folder, name: "node")
        try await node.succeed("agent", "add", "--id", "a1", "--name", "Scout", "--type", "vision")
        try await node.succeed("workspace", "export")
        let lock = node.workspace + "/.git/index.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
        let holder = try ChildProcess("/bin/sh", ["-c", "exec 3<\"$0\"; exec sleep 60", lock]).start()
        defer { holder.stop() }
        try await eventually("the holder has the lock open") {
            let descriptors =
                (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(holder.processIdentifier)/fd")) ?? []
            return descriptors.contains { name in
                (try? FileManager.default.destinationOfSymbolicLink(
                    atPath: "/proc/\(holder.processIdentifier)/fd/\(name)"
                ))
                    == lock
            }
        }

        let committed = try await node.outpost("workspace", "commit", "-m", "Scout")
        #expect(committed.status != 0)
        #expect(committed.stderr.contains("process \(holder.processIdentifier)"), "\(committed.stderr)")
        #expect(FileManager.default.fileExists(atPath: lock), "a held lock is never removed")
    }
}
