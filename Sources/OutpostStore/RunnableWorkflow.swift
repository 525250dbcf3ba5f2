public import OutpostCore

/// What a run needs of its workflow, read in one query as the run starts
/// (``Store/runnableWorkflow(id:)``): the definition as stored (the runner parses each
/// distinct text once), and the owning agent with its configuration.
public struct RunnableWorkflow: Sendable, Equatable {
    public var id: String
    /// The definition's JSON text, or `nil` when the workflow has none.
    public var definitionText: String?
    public var agentID: String?
    /// The owning agent's `config`, or `nil` when there is no agent or it has none.
    public var agentConfig: JSONValue?

    public init(id: String, definitionText: String?, agentID: String?, agentConfig: JSONValue?) {
        self.id = id
        self.definitionText = definitionText
        self.agentID = agentID
        self.agentConfig = agentConfig
    }
}
