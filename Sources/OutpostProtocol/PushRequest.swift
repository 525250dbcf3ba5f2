public import OutpostCore

/// `POST /v1/push`: a batch of changes, applied by the hub in one transaction.
public struct PushRequest: Codable, Sendable, Equatable {
    /// The batch's idempotency key: a retried batch with the same id gets the same answer and
    /// changes nothing.
    public var batchID: String
    public var changes: [Change]
    /// The columns of the tables in this batch, as the node's schema has them. The hub learns a
    /// table's columns from the first push that declares it, and accepts new columns declared
    /// later (schemas only grow); a column neither known nor declared is refused.
    public var schemas: [String: [String]]
    /// The declarations (declared types, primary key) of the tables in this batch. The hub keeps
    /// the first declaration of each column and serves them (`GET /v1/tables`); hubs that predate
    /// them ignore the member.
    public var declarations: [String: TableDeclaration]

    public init(
        batchID: String,
        changes: [Change],
        schemas: [String: [String]] = [:],
        declarations: [String: TableDeclaration] = [:]
    ) {
        self.batchID = batchID
        self.changes = changes
        self.schemas = schemas
        self.declarations = declarations
    }

    enum CodingKeys: String, CodingKey {
        case changes, schemas, declarations
        case batchID = "batch_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        batchID = try container.decode(String.self, forKey: .batchID)
        changes = try container.decode([Change].self, forKey: .changes)
        schemas = try container.decodeIfPresent([String: [String]].self, forKey: .schemas) ?? [:]
        declarations = try container.decodeIfPresent([String: TableDeclaration].self, forKey: .declarations) ?? [:]
    }
}
