import Foundation
import Logging
import OutpostCore
import OutpostStore
import OutpostTesting
import OutpostWorkspace
import ServiceLifecycle
import Testing

@Suite("Auto-commit: outpost run's service commits pending changes and syncs", .serialized)
struct AutoCommitTests {
    @Test("a round commits what is pending, says how many items, and pushes; an idle round does nothing")
    func step() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws-auto")
        defer { folder.remove() }
        let (workspace, remote) = try await Self.workspace(in: folder)
        let service = WorkspaceAutoCommit(workspace: workspace, interval: .seconds(60))
        #expect(service.step() == .idle)

        _ = try workspace.store.addAgent(id: "a1", name: "Scout", type: "vision")
        _ = try workspace.store.addAgent(id: "a2", name: "Counter", type: "vision")
        try workspace.export(by: "test")
        guard case .committed(let commit, let items, let synced) = service.step() else {
            Issue.record("expected a commit")
            return
        }
        #expect(items == 2 && synced)
        #expect(try workspace.history().first?.message == "Auto-commit: 2 items changed")
        let pushed = try await runProgram("/usr/bin/env", ["git", "--git-dir", remote, "rev-parse", "main"])
        #expect(pushed.stdout.trimmingCharacters(in: .newlines) == commit)
        #expect(try workspace.items().isEmpty, "every item synced")
        #expect(service.step() == .idle)
    }

    @Test("run as a service in a ServiceGroup, it commits a hand edit within its interval and stops on shutdown")
    func service() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws-auto")
        defer { folder.remove() }
        let (workspace, _) = try await Self.workspace(in: folder)
        try Data(#"{"site": "north"}"#.utf8).write(to: URL(fileURLWithPath: workspace.directory + "/configs/site.json"))
        let service = WorkspaceAutoCommit(workspace: workspace, interval: .milliseconds(200))
        let group = ServiceGroup(
            configuration: .init(services: [service], logger: Logger(label: "test"))
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually("the service commits the hand edit") { try workspace.history().count >= 2 }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(
            try workspace.history().map(\.message) == ["Auto-commit: 1 item changed", "Create the Outpost workspace"]
        )
    }

    /// A node store and workspace in `folder`, with a bare remote.
    static func workspace(in folder: TemporaryDirectory) async throws -> (Workspace, String) {
        let remote = folder.appending("remote.git")
        #expect(try await runProgram("/usr/bin/env", ["git", "init", "-q", "--bare", remote]).status == 0)
        let home = folder.appending("node")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let store = try Store(path: home + "/store.sqlite", createIfMissing: true)
        let (workspace, created) = try Workspace.initialize(
            store: store,
            directory: home + "/workspace",
            remote: remote,
            mergeDriver: [OutpostExecutable.path, "workspace", "merge-driver", "--home", home]
        )
        #expect(created)
        return (workspace, remote)
    }
}
