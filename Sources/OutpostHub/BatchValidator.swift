import HTTPTypes
import OutpostCore
import OutpostProtocol

/// Checks a push before anything is written: names, sizes, duplicates and the tenant's schema.
///
/// A batch with any invalid change is refused whole, so a refusal never leaves part of a batch
/// applied. Table and column names must look like SQL identifiers; they are still never
/// spliced into SQL (rows are stored as JSON), but the rule keeps what users see in `psql` sane.
package struct BatchValidator: Sendable {
    let limits: HubLimits

    package init(limits: HubLimits) {
        self.limits = limits
    }

    /// Validates `request` against `knownSchemas` (table → columns the tenant has).
    ///
    /// - Returns: the schemas to record: tables seen for the first time and columns newly
    ///   declared for known tables.
    func validate(
        _ request: PushBatch,
        knownSchemas: [String: Set<String>]
    ) throws(HubError) -> [String: Set<String>] {
        try checkBatchID(request.batchID)
        guard request.changes.count <= limits.maximumChangesPerBatch else {
            throw .invalid(
                "batch_too_large",
                "The batch has \(request.changes.count) changes; at most \(limits.maximumChangesPerBatch) are allowed. "
                    + "Split it into smaller batches."
            )
        }
        try Self.check(request.declarations)
        var schemas = knownSchemas
        var additions: [String: Set<String>] = [:]
        // A declaration's columns are declared like those of `schemas`.
        let declared = request.schemas.merging(request.declarations.mapValues { $0.columns.map(\.name) }) { $0 + $1 }
        // Each declared column is a row of the tenant's schema that every later push of the
        // tenant reads: a push of 300,000 made them take seconds, and other tenants waited.
        guard declared.count <= limits.maximumTablesPerPush else {
            throw HubError(
                .unprocessableContent,
                code: "too_many_tables",
                "The push declares \(declared.count) tables; at most \(limits.maximumTablesPerPush) are allowed in one push."
            )
        }
        for (table, columns) in declared {
            try Self.checkTableName(table, what: "table")
            try checkColumnCount(columns.count, of: table)
            for column in columns { try Self.checkIdentifier(column, what: "column") }
            let declared = Set(columns)
            let new = declared.subtracting(schemas[table] ?? [])
            if !new.isEmpty {
                additions[table, default: []].formUnion(new)
                schemas[table, default: []].formUnion(new)
                try checkColumnCount(schemas[table]!.count, of: table)
            }
        }
        var seenKeys = Set<RowKey>(minimumCapacity: request.changes.count)
        var seenIDs = Set<String>(minimumCapacity: request.changes.count)
        for (index, change) in request.changes.enumerated() {
            // Built only for a refusal: formatting it for every change cost more than the checks.
            var place: String { "changes[\(index)]" }
            guard !change.id.isEmpty, change.id.utf8.count <= 128 else {
                throw .invalid("invalid_change_id", "\(place).id must be 1 to 128 bytes (UTF-8).")
            }
            if let origin = change.origin, origin.isEmpty || origin.utf8.count > 128 || origin.utf8.contains(0) {
                throw .invalid("invalid_origin", "\(place).origin must be 1 to 128 bytes (UTF-8) without NUL.")
            }
            guard !change.id.utf8.contains(0), !change.key.utf8.contains(0) else {
                throw .invalid(
                    "invalid_text",
                    "\(place) has the character U+0000 in its id or key, which the hub cannot store."
                )
            }
            guard seenIDs.insert(change.id).inserted else {
                throw .invalid("duplicate_change_id", "\(place).id '\(change.id)' appears twice in the batch.")
            }
            try Self.checkTableName(change.table, what: "\(place).table")
            guard !change.key.isEmpty, change.key.utf8.count <= limits.maximumKeyLength else {
                throw .invalid(
                    "invalid_key",
                    "\(place).key must be 1 to \(limits.maximumKeyLength) bytes (UTF-8); it has \(change.key.utf8.count)."
                )
            }
            guard seenKeys.insert(RowKey(table: change.table, key: change.key)).inserted else {
                throw .invalid(
                    "duplicate_key",
                    "\(place) changes \(change.table)/\(change.key), which an earlier change in the batch also changes; "
                        + "send one change per row per batch."
                )
            }
            if change.table == Self.fileTable { try Self.checkFileName(change, place: place) }
            guard change.baseVersion >= 0 else {
                throw .invalid("invalid_base_version", "\(place).base_version must be 0 or more.")
            }
            if let priority = change.priority, !(1...10).contains(priority) {
                throw .invalid("invalid_priority", "\(place).priority must be 1 to 10 (or left out for 5).")
            }
            switch change.operation {
            case .delete:
                guard change.data == nil else {
                    throw .invalid("unexpected_data", "\(place) is a delete, so it must not carry data.")
                }
            case .upsert:
                guard let columns = change.data?.columns else {
                    throw .invalid("invalid_data", "\(place).data must be a JSON object of the row's columns.")
                }
                if change.partial, change.baseVersion == 0 {
                    throw .invalid(
                        "invalid_partial",
                        "\(place) sends only some columns but has base_version 0; a new row must be sent whole."
                    )
                }
                if schemas[change.table] == nil {
                    // First sight of the table with no declaration: learn its columns from this row.
                    let names = Set(columns.map(\.name))
                    try checkColumnCount(names.count, of: change.table)
                    additions[change.table] = names
                    schemas[change.table] = names
                }
                let known = schemas[change.table]!
                for column in columns {
                    guard known.contains(column.name) else {
                        try Self.checkIdentifier(column.name, what: "\(place).data column")
                        throw HubError(
                            .unprocessableContent,
                            code: "unknown_column",
                            "\(place): table '\(change.table)' has no column '\(column.name)'. Known columns: "
                                + known.sorted().joined(separator: ", ")
                                + ". A node that added the column declares it in the push's \"schemas\"."
                        )
                    }
                    guard column.byteCount <= limits.maximumFieldBytes else {
                        throw HubError(
                            .contentTooLarge,
                            code: "field_too_large",
                            "\(place).data.\(column.name) is \(column.byteCount) bytes; at most "
                                + "\(limits.maximumFieldBytes) are allowed."
                        )
                    }
                    guard !column.containsNullCharacter else {
                        throw .invalid(
                            "invalid_text",
                            "\(place).data.\(column.name) holds the character U+0000, which the hub cannot store; "
                                + "remove it or send the value as base64."
                        )
                    }
                }
            }
        }
        return additions
    }

    /// Refuses a table that would have more than ``HubLimits/maximumColumnsPerTable`` columns.
    private func checkColumnCount(_ count: Int, of table: String) throws(HubError) {
        guard count <= limits.maximumColumnsPerTable else {
            throw HubError(
                .unprocessableContent,
                code: "too_many_columns",
                "Table '\(table)' would have \(count) columns; at most \(limits.maximumColumnsPerTable) are allowed "
                    + "(SQLite's own default limit)."
            )
        }
    }

    /// The nodes' file index, whose key is a file's name.
    static let fileTable = "files"

    /// Refuses a `files` change whose name (its key, and its `name` column when it sends one)
    /// `files put --as` would refuse: the hub must not hand other nodes a name such as
    /// `../../etc/cron.d/x` or one holding terminal escapes.
    static func checkFileName(_ change: PushedChange, place: @autoclosure () -> String) throws(HubError) {
        var names = [change.key]
        if change.operation == .upsert, change.data?.columns?.contains(where: { $0.name == "name" }) == true,
            case .string(let name)? = try? change.data?.value()["name"]
        {
            names.append(name)
        }
        for name in names {
            do {
                try FileName.validate(name)
            } catch {
                throw .invalid("invalid_file_name", "\(place()): \(error.message)")
            }
        }
    }

    /// Refuses a batch id that is empty, longer than 128 bytes, or holds U+0000. Limits count
    /// bytes: counted in characters, one grapheme cluster can be any size.
    func checkBatchID(_ id: String) throws(HubError) {
        guard !id.isEmpty, id.utf8.count <= 128, !id.utf8.contains(0) else {
            throw .invalid("invalid_batch_id", "batch_id must be 1 to 128 bytes (UTF-8), without U+0000.")
        }
    }

    /// Refuses a table name that is not an identifier (``checkIdentifier(_:what:)``), or that
    /// ``ReservedTableName`` reserves: no node tracks such a table, so its rows would be kept and
    /// sent to every node for nothing.
    static func checkTableName(_ name: String, what: String) throws(HubError) {
        try checkIdentifier(name, what: what)
        guard !ReservedTableName.isReserved(name) else {
            throw .invalid(
                "reserved_name",
                "\(what) '\(name)' is reserved: SQLite, GRDB and Outpost keep tables so named for their own "
                    + "bookkeeping, and no node can sync one. Rename the table."
            )
        }
    }

    /// Refuses names that are not SQL-style identifiers of at most 63 characters.
    static func checkIdentifier(_ name: String, what: String) throws(HubError) {
        func isLetter(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        }
        let bytes = name.utf8
        let valid =
            (1...63).contains(bytes.count) && isLetter(bytes.first!)
            && bytes.allSatisfy { isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard valid else {
            throw .invalid(
                "invalid_name",
                "\(what) '\(name.prefix(80))' is not a valid name: use letters, digits and '_', starting with a "
                    + "letter or '_', at most 63 characters."
            )
        }
    }
}
