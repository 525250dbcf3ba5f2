import OutpostCore
import OutpostSync

/// The exit statuses `outpost` documents (README, "Exit statuses"), chosen by the kind of
/// failure (the error's code), so a script can tell a hub that is down from a bad argument
/// from a full disk without reading the message. The numbers follow BSD's `sysexits.h`.
enum ExitStatus {
    /// A bad flag or argument (swift-argument-parser's own).
    static let usage: Int32 = 64
    /// The input was malformed or not allowed: `invalid_input`, `invalid_json`.
    static let dataError: Int32 = 65
    /// The thing named does not exist: `not_found`.
    static let notFound: Int32 = 66
    /// The hub did not answer, failed, or asks to wait: retry later.
    static let unavailable: Int32 = 69
    /// Something with that identity exists already: `already_exists`.
    static let alreadyExists: Int32 = 73
    /// The store or file system failed: read-only, full, corrupt, locked.
    static let storage: Int32 = 74
    /// Try again: the row changed meanwhile (`version_conflict`), or the hub asks for a re-sync.
    static let temporary: Int32 = 75
    /// The hub refused the request as it is, or its answer could not be read.
    static let protocolError: Int32 = 76
    /// The hub refused the node's token.
    static let unauthorized: Int32 = 77
    /// Not possible in this state: no node at HOME, no remote set, …
    static let precondition: Int32 = 78

    /// The status for `error`, or `nil` for errors swift-argument-parser reports itself.
    static func code(for error: any Error) -> Int32? {
        if let error = error as? OutpostError {
            // A failure reported through another layer keeps the status of what went wrong.
            if let cause = error.cause as? SyncFailure { return code(for: cause) }
            return code(for: error.code)
        }
        guard let failure = error as? SyncFailure else { return nil }
        switch failure.code {
        case .unreachable, .hubFailed, .rateLimited: return unavailable
        case .unauthorized: return unauthorized
        case .resyncRequired: return temporary
        case .refused, .badAnswer, .incompatible: return protocolError
        case .store: return failure.cause.map { code(for: $0.code) } ?? storage
        default: return 1
        }
    }

    private static func code(for code: OutpostError.Code) -> Int32 {
        switch code {
        case .invalidInput, .invalidJSON: dataError
        case .notFound: notFound
        case .alreadyExists: alreadyExists
        case .storage: storage
        case .versionConflict: temporary
        case .failedPrecondition: precondition
        default: 1
        }
    }
}
