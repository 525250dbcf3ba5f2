import OutpostProtocol

/// A page of the pull, with what is worked out from it before the writer takes it.
struct PulledPage: Sendable {
    var exchange: HubClient.Exchange<PullResponse>
    /// Whether a row carries a column the node's table lacks (``SyncEngine/carriesNewColumns(_:tables:)``).
    var carriesNewColumns: Bool
}
