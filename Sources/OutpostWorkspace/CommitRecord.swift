public import OutpostCore

/// One commit of the workspace's history, as `outpost workspace log` shows it.
public struct CommitRecord: Sendable, Equatable {
    public var hash: String
    public var author: String
    public var email: String
    /// The author date, ISO 8601.
    public var date: String
    public var message: String

    public var json: JSONValue {
        [
            "commit": .string(hash), "author": .string(author), "email": .string(email), "date": .string(date),
            "message": .string(message),
        ]
    }
}
