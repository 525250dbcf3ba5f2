import HTTPTypes
import OutpostCore
import OutpostProtocol

/// The answer to a push, encoded once: sent to the node and kept for the batch's retries.
package struct PushOutcome: Sendable {
    /// The response body (a ``PushResponse`` as JSON), also what the hub stores for replays.
    package var body: String
    package var applied: Int
    package var conflicts: Int

    init(_ response: PushResponse) {
        body = response.json.encoded()
        applied = response.results.count { $0.status == .applied }
        conflicts = response.results.count { $0.status == .conflict }
    }

    /// The stored answer to a batch pushed again, as it was first given.
    ///
    /// - Throws: ``HubError`` 409 when another node used the batch id, or the batch id comes
    ///   back with a different number of changes (answers are positional).
    ///
    /// - Parameter storedDigest: the stored batch's ``PushBatch/digest``; `nil` for an answer
    ///   stored before digests were kept, which is checked by its number of changes only.
    static func replay(
        _ stored: String,
        storedNode: String,
        storedDigest: String?,
        node: AuthenticatedNode,
        request: PushBatch
    ) throws -> PushOutcome {
        guard storedNode == node.id else {
            throw HubError(
                .conflict,
                code: "batch_id_taken",
                "This batch_id was already used by another node; use a new id."
            )
        }
        guard case .array(let results)? = try JSONValue(parsing: stored)["results"],
            results.count == request.changes.count,
            storedDigest.map({ $0 == request.digest }) ?? true
        else {
            throw HubError(
                .conflict,
                code: "batch_id_taken",
                "This batch_id was already used for a different batch; a retry must resend the same changes, "
                    + "and a new batch needs a new id."
            )
        }
        return PushOutcome(body: stored)
    }

    /// A replayed answer: it applies nothing new, so it counts nothing in the metrics.
    private init(body: String) {
        self.body = body
        applied = 0
        conflicts = 0
    }
}
