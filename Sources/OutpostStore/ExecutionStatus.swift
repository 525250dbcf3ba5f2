/// Where a run of a workflow stands (`executions.status`).
///
/// A run is `queued` when recorded, `running` while a runner works on it, and ends
/// `completed`, `failed`, `cancelled`, or `interrupted` (its runner died mid-run; found at the
/// next start). Rows written by other clients may hold other text; they are shown as stored.
public enum ExecutionStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case running
    case completed
    case failed
    case cancelled
    case interrupted

    /// Whether the run has ended.
    public var isFinal: Bool {
        switch self {
        case .queued, .running: false
        case .completed, .failed, .cancelled, .interrupted: true
        }
    }
}
