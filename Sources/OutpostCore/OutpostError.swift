/// The error every Outpost library throws: a stable code and a message for a person.
///
/// The message says what failed and why; ``remedy`` says what to do about it, as an action the
/// program in front of the person words with its own commands. The message never contains
/// secrets or row contents, so it is safe to log and to show. Codes are an open set (new ones can be
/// added without breaking callers), in the manner of NIO's `FileSystemError.Code`.
///
/// ```swift
/// throw OutpostError(.notFound, "No agent with id 'a1'.", remedy: .list(.agents))
/// ```
public struct OutpostError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; scripts and the hub map codes to exit statuses and HTTP codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        private init(_ name: String) { self.name = name }

        /// The input was malformed or not allowed (bad JSON, bad name, wrong type).
        public static let invalidInput = Code("invalid_input")
        /// The input was not valid JSON; ``OutpostError/details`` carries `line` and `column`.
        public static let invalidJSON = Code("invalid_json")
        /// The thing named does not exist.
        public static let notFound = Code("not_found")
        /// Something with that identity exists already.
        public static let alreadyExists = Code("already_exists")
        /// An optimistic-concurrency check failed: the row changed since the caller read it.
        public static let versionConflict = Code("version_conflict")
        /// The store or file system refused the operation (read-only, full, corrupt, locked).
        public static let storage = Code("storage")
        /// The operation is not possible in the current state (for example, not initialised).
        public static let failedPrecondition = Code("failed_precondition")

        public var description: String { name }
    }

    public var code: Code
    /// What failed and why.
    public var message: String
    /// What a person can do about it, when something can be done.
    public var remedy: Remedy?
    /// Structured facts for scripts (`line`, `column`, `table`, …); never row contents.
    public var details: [String: String]
    /// The lower-level error this one reports (a GRDB `DatabaseError`, a POSIX error), for logs
    /// and for code that decides by type; ``message`` already says what it means.
    public var cause: (any Error)? {
        get { underlying?.error }
        set { underlying = newValue.map(Underlying.init) }
    }

    /// Holds ``cause``. A stored `(any Error)?` crashes swift-testing's reflection of the error
    /// (Swift 6.3), so the cause is kept in a box that reflects as its description.
    private var underlying: Underlying?

    public init(
        _ code: Code,
        _ message: String,
        details: [String: String] = [:],
        remedy: Remedy? = nil,
        cause: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.details = details
        self.remedy = remedy
        self.underlying = cause.map(Underlying.init)
    }

    private struct Underlying: Sendable, CustomReflectable, CustomStringConvertible {
        let error: any Error

        var description: String { String(describing: error) }
        var customMirror: Mirror { Mirror(self, children: ["description": description]) }
    }

    public var description: String { message }
}
