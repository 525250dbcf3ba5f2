/// Where one setting's value came from, from strongest to weakest: a flag on the command
/// line, an environment variable, a settings file, the option's default.
enum SettingSource: Sendable, Equatable, CustomStringConvertible {
    case flag
    case environment(String)
    case file(path: String, line: Int)
    case defaultValue

    var description: String {
        switch self {
        case .flag: "flag"
        case .environment(let name): "$\(name)"
        case .file(let path, let line): "\(path):\(line)"
        case .defaultValue: "default"
        }
    }

    /// The kind alone, for `--json`.
    var kind: String {
        switch self {
        case .flag: "flag"
        case .environment: "environment"
        case .file: "file"
        case .defaultValue: "default"
        }
    }
}
