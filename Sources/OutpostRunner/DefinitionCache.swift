import OutpostCore
import Synchronization

/// Parsed workflow definitions by their stored text, for one runner (whose executors are
/// fixed): a run parses only a definition it has not seen, since parsing one costs more than
/// running a no-op step. Keyed by the text itself, so an edited definition is simply another
/// entry and never a stale one.
final class DefinitionCache: Sendable {
    /// Distinct definitions kept before the cache starts again (a node runs a few dozen).
    static let capacity = 256

    private let parsed = Mutex([String: WorkflowDefinition]())

    func definition(_ text: String, executors: StepExecutors) throws(OutpostError) -> WorkflowDefinition {
        if let known = parsed.withLock({ $0[text] }) { return known }
        let definition = try WorkflowDefinition(parsing: text, executors: executors)
        parsed.withLock { cache in
            if cache.count >= Self.capacity { cache.removeAll(keepingCapacity: true) }
            cache[text] = definition
        }
        return definition
    }
}
