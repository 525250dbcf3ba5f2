import Foundation
import HTTPTypes
import OutpostCore
import OutpostProtocol

/// Stored answers to pushed batches, shared by the backends.
enum PushAnswers {
    /// The stored answer to a batch pushed again, as it was first given.
    ///
    /// - Throws: ``HubError`` 409 when another node used the batch id.
    static func replay(_ stored: String, storedNode: String, node: AuthenticatedNode) throws -> PushResponse {
        guard storedNode == node.id else {
            throw HubError(
                .conflict,
                code: "batch_id_taken",
                "This batch_id was already used by another node; use a new id."
            )
        }
        return try PushResponse(json: JSONValue(parsing: stored))
    }
}
