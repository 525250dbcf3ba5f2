/// How a conflict on an entity type is resolved.
///
/// In a rules file a strategy is written by its ``name``; a custom one also names its handler:
/// `{"strategy": "custom", "handler": "keep-max-retries"}`.
public enum Strategy: Hashable, Sendable, CustomStringConvertible {
    /// A three-way merge guided by the entity's rules; needs approval below 0.8 confidence.
    case auto
    /// The local row, whole.
    case localWins
    /// The remote row, whole.
    case remoteWins
    /// A three-way merge that ignores rules (collisions go to the newest write); needs approval
    /// below 0.9 confidence.
    case merge
    /// A handler registered from Swift under this name; an unregistered name parks the conflict.
    case custom(handler: String)
    /// Nothing automatic: the conflict is parked for a person, with suggestions.
    case manual

    /// The names accepted in a rules file.
    public static let names = ["auto", "local_wins", "remote_wins", "merge", "custom", "manual"]

    /// The strategy's name in a rules file: `auto`, `local_wins`, `remote_wins`, `merge`,
    /// `custom` or `manual`.
    public var name: String {
        switch self {
        case .auto: "auto"
        case .localWins: "local_wins"
        case .remoteWins: "remote_wins"
        case .merge: "merge"
        case .custom: "custom"
        case .manual: "manual"
        }
    }

    /// The strategy named `name`, or `nil` for an unknown name. `custom` needs its handler.
    ///
    /// ```swift
    /// Strategy(name: "local_wins")                    // .localWins
    /// Strategy(name: "custom", handler: "max-retries") // .custom(handler: "max-retries")
    /// ```
    public init?(name: String, handler: String? = nil) {
        switch name {
        case "auto": self = .auto
        case "local_wins": self = .localWins
        case "remote_wins": self = .remoteWins
        case "merge": self = .merge
        case "manual": self = .manual
        case "custom":
            guard let handler else { return nil }
            self = .custom(handler: handler)
        default: return nil
        }
    }

    /// The confidence below which a resolution by this strategy needs a person's approval:
    /// 0.8 for `auto`, 0.9 for `merge`, as in the seed. Whole-side and custom choices are
    /// taken as given (0); `manual` always needs approval.
    public var approvalThreshold: Double {
        switch self {
        case .auto: 0.8
        case .merge: 0.9
        case .localWins, .remoteWins, .custom: 0
        case .manual: 1
        }
    }

    public var description: String {
        if case .custom(let handler) = self { return "custom(\(handler))" }
        return name
    }
}
