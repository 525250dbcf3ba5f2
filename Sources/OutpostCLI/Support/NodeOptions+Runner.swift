import Logging
import OutpostBlobs
import OutpostCore
import OutpostRunner
import OutpostStore
import OutpostSync

extension NodeOptions {
    /// The node's workflow runner over `store` (the node's own when `nil`) and its files, with
    /// run locks in `HOME/runs`.
    func runner(store given: Store? = nil, logger: Logger = .cli, metrics: RunMetrics? = nil) throws(OutpostError)
        -> WorkflowRunner
    {
        let store: Store
        if let given { store = given } else { store = try openStore() }
        return WorkflowRunner(
            store: store,
            files: try FileStore(store: store, home: homePath),
            runsDirectory: homePath + "/runs",
            logger: logger,
            metrics: metrics,
            fetchFile: { [self] name in
                let engine = try nodeHome.engine(configuration: SyncConfiguration(), logger: logger)
                guard try await engine.fetchFile(named: name) else {
                    throw OutpostError(
                        .failedPrecondition,
                        "The hub does not hold all of the content of '\(name)' yet; try again after the node that put it syncs."
                    )
                }
            }
        )
    }
}
