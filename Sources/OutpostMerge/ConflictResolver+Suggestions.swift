import OutpostCore

extension ConflictResolver {
    /// The seed's choices for a person: keep local, keep remote, and the rule-guided merge when
    /// it differs from both.
    func suggestions(for conflict: Conflict, merged: (value: JSONValue, confidence: Double)) -> [Suggestion] {
        var suggestions = [
            Suggestion(
                id: "keep_local",
                title: "Keep Local Version",
                description: "Use this node's version of the row.",
                value: conflict.local,
                confidence: 0.6,
                pros: ["Preserves local changes", "Nothing this node wrote is lost"],
                cons: ["Ignores remote updates"]
            ),
            Suggestion(
                id: "keep_remote",
                title: "Keep Remote Version",
                description: "Use the hub's version of the row.",
                value: conflict.remote,
                confidence: 0.6,
                pros: ["Gets the latest remote updates", "Matches what other nodes see"],
                cons: ["May lose local changes"]
            ),
        ]
        if merged.value != conflict.local && merged.value != conflict.remote {
            suggestions.append(
                Suggestion(
                    id: "smart_merge",
                    title: "Smart Merge",
                    description: "Field-by-field three-way merge guided by the entity's rules.",
                    value: merged.value,
                    confidence: merged.confidence,
                    pros: ["Keeps the changes of both sides where they do not collide", "Minimizes data loss"],
                    cons: ["Colliding fields follow the rules or the newer write; review them"]
                )
            )
        }
        return suggestions
    }
}
