import Foundation
import Logging
import OutpostCore
import OutpostStore

/// Keeps an agent's row telling the truth about its work: `last_active` after each run of one
/// of its workflows on its node, and `error` (with the reason) once its last
/// ``failuresBeforeError`` runs there all failed, so the runner stops starting it until a
/// person looks (`outpost agent start ID` clears it).
struct AgentManager: Sendable {
    static let failuresBeforeError = 3
    let store: Store
    let logger: Logger

    func recordRun(of agentID: String, ended execution: Execution) {
        do {
            guard let agent = try store.agent(id: agentID) else { return }
            var changes = AgentChanges(lastActive: execution.completedAt)
            let recent = try store.recentExecutions(
                ofAgent: agentID,
                nodeID: store.nodeID,
                limit: Self.failuresBeforeError
            )
            let failed: Set = [ExecutionStatus.failed.rawValue, ExecutionStatus.interrupted.rawValue]
            if agent.status == "active", recent.count == Self.failuresBeforeError,
                recent.allSatisfy({ failed.contains($0.status) })
            {
                changes.status = "error"
                changes.statusReason =
                    "The last \(Self.failuresBeforeError) runs failed; the latest, \(execution.id): "
                    + String((execution.errorMessage ?? "").prefix(300))
                logger.warning(
                    "Agent stopped after repeated failures",
                    metadata: ["runner.agent": "\(agentID)", "runner.execution": "\(execution.id)"]
                )
            }
            try store.updateAgent(id: agentID, changes)
        } catch {
            logger.warning(
                "Could not record the agent's activity",
                metadata: ["runner.agent": "\(agentID)", "runner.error": "\(error)"]
            )
        }
    }
}
