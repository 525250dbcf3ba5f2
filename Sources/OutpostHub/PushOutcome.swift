import HTTPTypes
import OutpostCore
import OutpostProtocol

/// The answer to a push as the hub sends it: the JSON text, encoded once, both stored (for
/// replays) and sent, with the counts the metrics need.
package struct PushOutcome: Sendable {
    /// The response body: a ``PushResponse`` as JSON.
    package var body: String
    package var applied: Int
    package var conflicts: Int
    /// Whether this is the stored answer to a batch pushed before.
    package var isReplay: Bool

    init(_ response: PushResponse) {
        body = response.json.encoded()
        applied = response.results.count { $0.status == .applied }
        conflicts = response.results.count { $0.status == .conflict }
        isReplay = false
    }

    /// The stored answer to a batch pushed again, as it was first given.
    ///
    /// - Throws: ``HubError`` 409 when another node used the batch id.
    static func replay(_ stored: String, storedNode: String, node: AuthenticatedNode) throws(HubError) -> PushOutcome {
        guard storedNode == node.id else {
            throw HubError(
                .conflict,
                code: "batch_id_taken",
                "This batch_id was already used by another node; use a new id."
            )
        }
        return PushOutcome(body: stored, applied: 0, conflicts: 0, isReplay: true)
    }

    private init(body: String, applied: Int, conflicts: Int, isReplay: Bool) {
        self.body = body
        self.applied = applied
        self.conflicts = conflicts
        self.isReplay = isReplay
    }
}
