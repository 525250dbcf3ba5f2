import Logging
import OutpostBlobs
import OutpostCore
import OutpostRunner

extension NodeOptions {
    /// The node's workflow runner: its store and files, run locks in `HOME/runs`.
    func runner(logger: Logger = .cli) throws(OutpostError) -> WorkflowRunner {
        let store = try openStore()
        return WorkflowRunner(
            store: store,
            files: try FileStore(store: store, home: homePath),
            runsDirectory: homePath + "/runs",
            logger: logger
        )
    }
}
