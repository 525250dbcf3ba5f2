import Foundation
import OutpostBlobs
import OutpostCore
import OutpostRunner
import OutpostStore
import OutpostTesting
import Synchronization

/// A node's store and files in a temporary folder with a runner whose waits between tries are
/// recorded instead of slept.
struct RunnerFixture {
    let folder: TemporaryDirectory
    let store: Store
    let files: FileStore
    let runner: WorkflowRunner
    let waits: WaitRecorder

    init(executors: StepExecutors = .builtIn) throws {
        folder = try TemporaryDirectory(prefix: "outpost-runner")
        store = try Store(path: folder.appending("store.sqlite"), createIfMissing: true)
        files = try FileStore(store: store, directory: folder.appending("files"), key: nil)
        let waits = WaitRecorder()
        self.waits = waits
        runner = WorkflowRunner(
            store: store,
            files: files,
            runsDirectory: folder.appending("runs"),
            executors: executors,
            sleep: { waits.record($0) }
        )
    }

    /// Adds a workflow with `definition` (JSON text) and returns its id.
    @discardableResult
    func workflow(_ definition: String, id: String = "wf", agentID: String? = nil) throws -> String {
        try store.addWorkflow(id: id, name: id, definition: try JSONValue(parsing: definition), agentID: agentID).id
    }

    /// The step results of an execution, by step id.
    static func steps(_ execution: Execution) -> [String: JSONValue] {
        guard case .array(let items)? = execution.stepResults else { return [:] }
        return Dictionary(
            items.compactMap { item in item["id"]?.stringValue.map { ($0, item) } },
            uniquingKeysWith: { $1 }
        )
    }
}

/// The waits a runner asked for, in order.
final class WaitRecorder: Sendable {
    private let recorded = Mutex<[Duration]>([])

    func record(_ wait: Duration) { recorded.withLock { $0.append(wait) } }
    var waits: [Duration] { recorded.withLock { $0 } }
}
