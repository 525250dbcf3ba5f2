import OutpostProtocol

/// A sign, in a pull answer, that the hub's data went back in time (restored from a backup, or
/// a SQLite hub that lost its last commits): it acknowledged changes it no longer holds, and
/// will hand out their sequence numbers again, so the node's cursor no longer means anything.
struct HubRewind: Sendable, Equatable {
    enum Reason: String, Sendable {
        /// The tenant's epoch changed (`outpost hub new-epoch` after a restore).
        case newEpoch = "new_epoch"
        /// The hub's newest sequence number is below what this node has already pulled.
        case sequenceRegressed = "sequence_regressed"
    }

    var reason: Reason

    /// `nil` when the page shows nothing wrong. `knownEpoch` 0 means the node never saw one
    /// (its first pull, or a hub that did not send it), which proves nothing.
    init?(page: PullResponse, cursor: Int64, knownEpoch: Int64) {
        if let epoch = page.epoch, knownEpoch != 0, epoch != knownEpoch {
            reason = .newEpoch
        } else if let head = page.head, head < cursor {
            reason = .sequenceRegressed
        } else {
            return nil
        }
    }
}
