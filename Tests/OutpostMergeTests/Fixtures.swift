import OutpostCore
import OutpostMerge

/// The earlier of the two stamps used in tests (node `edge-1`).
let olderStamp = HybridTimestamp(milliseconds: 1_000, counter: 0, node: "edge-1")
/// The later of the two stamps used in tests (node `hub`).
let newerStamp = HybridTimestamp(milliseconds: 2_000, counter: 0, node: "hub")

/// Parses JSON text written in a test; a typo in a test is a test bug, so it traps.
func json(_ text: String) -> JSONValue {
    do {
        return try JSONValue(parsing: text)
    } catch {
        fatalError("bad JSON in test: \(error.message)")
    }
}

/// Which side wrote last in a test conflict.
enum Newer: String, CustomStringConvertible, CaseIterable, Sendable {
    case local, remote
    var description: String { "\(rawValue) newer" }
}

/// A conflict built from JSON texts; `base` `nil` makes it two-way.
func conflict(
    _ entityType: String = "things",
    base: String?,
    local: String,
    remote: String,
    newer: Newer = .remote
) -> Conflict {
    Conflict(
        entityType: entityType,
        key: "k1",
        local: json(local),
        remote: json(remote),
        base: base.map(json),
        localStamp: newer == .local ? newerStamp : olderStamp,
        remoteStamp: newer == .remote ? newerStamp : olderStamp
    )
}

/// A resolver with no rules for any entity type and `strategy` as the default.
func plainResolver(_ strategy: Strategy = .merge) -> ConflictResolver {
    ConflictResolver(configuration: RulesConfiguration(defaultStrategy: strategy))
}

/// A resolver whose `things` entity uses `auto` with `rules`.
func resolver(rules: [Rule]) -> ConflictResolver {
    ConflictResolver(
        configuration: RulesConfiguration(entities: ["things": EntityRules(strategy: .auto, rules: rules)])
    )
}
