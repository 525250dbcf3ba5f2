/// What a workspace file defines, and where it lives: `agents/ID.json`, `workflows/ID.json`,
/// `configs/NAME.json`.
public enum ItemKind: String, Sendable, CaseIterable, Codable {
    case agent
    case workflow
    case config

    /// The folder of this kind's files, which is also the entity type whose conflict rules merge
    /// them (`agents`, `workflows`, `configs`).
    public var folder: String {
        switch self {
        case .agent: "agents"
        case .workflow: "workflows"
        case .config: "configs"
        }
    }

    /// The kind whose folder is `folder`, or `nil`.
    public init?(folder: String) {
        guard let kind = Self.allCases.first(where: { $0.folder == folder }) else { return nil }
        self = kind
    }

    /// The file of the item named `name`, relative to the workspace.
    public func path(of name: String) -> String { "\(folder)/\(name).json" }

    /// The kind and name a relative path `FOLDER/NAME.json` names, or `nil` for any other path.
    public static func parse(path: String) -> (kind: ItemKind, name: String)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let kind = ItemKind(folder: String(parts[0])), parts[1].hasSuffix(".json") else {
            return nil
        }
        let name = String(parts[1].dropLast(5))
        return isValidName(name) ? (kind, name) : nil
    }

    /// Whether `name` can be a file name in the workspace: letters, digits, `.`, `_`, `-`, not
    /// starting with a dot, at most 200 characters, so no name reaches outside its folder.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != ".", name.count <= 200 else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2E, 0x5F, 0x2D: true
            default: false
            }
        }
    }
}
