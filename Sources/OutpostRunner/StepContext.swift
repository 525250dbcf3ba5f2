import AsyncHTTPClient
public import Logging
public import OutpostBlobs
public import OutpostCore
public import OutpostStore

/// What a step can reach while it runs.
public struct StepContext: Sendable {
    public var store: Store
    /// The node's files (`file` steps); `nil` where the runner has none.
    public var files: FileStore?
    /// The run's execution and the step being run.
    public var executionID: String
    public var stepID: String
    /// How long this try may take.
    public var timeout: Duration
    /// The config of the agent the workflow belongs to (`model` steps read their server there).
    public var agentConfig: JSONValue?
    public var logger: Logger
    /// Fetches a file's content from the hub when it is not here (evicted, or never fetched);
    /// `nil` where the node has no hub.
    public var fetchFile: (@Sendable (_ name: String) async throws -> Void)?
    /// Runs another workflow as part of this run (`workflow` steps).
    public var runWorkflow: @Sendable (_ workflowID: String, _ input: JSONValue?) async throws -> Execution
    let httpClient: HTTPClient
}
