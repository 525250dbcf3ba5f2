import HTTPTypes
import OutpostCore

extension BatchValidator {
    /// Most columns one declaration may list: SQLite's own default limit on a table's columns.
    static let maximumDeclaredColumns = 2000

    /// Refuses a push's declarations unless each names valid identifiers, gives every column a
    /// plain type (``TableDeclaration/isPlainType(_:)``: other nodes splice it into their
    /// `ALTER TABLE`), lists no column twice (SQLite compares names without case), and has a
    /// primary key made of its own columns.
    ///
    /// - Throws: ``HubError`` 400 `invalid_name` for a name that is not an identifier,
    ///   `reserved_name` for a table name a node keeps for itself (``checkTableName(_:what:)``), 422
    ///   `invalid_declaration` for anything else; the whole batch is refused.
    static func check(_ declarations: [String: TableDeclaration]) throws(HubError) {
        for table in declarations.keys.sorted() {
            try checkTableName(table, what: "declarations: table")
            let declaration = declarations[table]!
            let place = "declarations.\(table)"
            guard (1...maximumDeclaredColumns).contains(declaration.columns.count) else {
                throw refusal("\(place).columns must list 1 to \(maximumDeclaredColumns) columns.")
            }
            var names: [String: String] = [:]
            for (index, column) in declaration.columns.enumerated() {
                try checkIdentifier(column.name, what: "\(place).columns[\(index)].name")
                guard names.updateValue(column.name, forKey: column.name.lowercased()) == nil else {
                    throw refusal("\(place) lists column '\(column.name)' twice (names are compared without case).")
                }
                guard let type = column.type else {
                    throw refusal("\(place).columns[\(index)].type must be a string (empty for no declared type).")
                }
                guard TableDeclaration.isPlainType(type) else {
                    throw refusal(
                        "\(place).columns[\(index)].type '\(type.prefix(80))' is not a plain SQLite type: use at most "
                            + "\(TableDeclaration.maximumTypeBytes) bytes of words (letters, digits, '_') and "
                            + "spaces, optionally ending in (n) or (n, n), without constraints."
                    )
                }
            }
            guard !declaration.primaryKey.isEmpty else {
                throw refusal("\(place).primary_key must name at least one column.")
            }
            var keyColumns = Set<String>()
            for (index, column) in declaration.primaryKey.enumerated() {
                guard names[column.lowercased()] == column, keyColumns.insert(column).inserted else {
                    throw refusal(
                        "\(place).primary_key[\(index)] must be one of the declaration's columns, named once."
                    )
                }
            }
        }
    }

    private static func refusal(_ message: String) -> HubError {
        HubError(.unprocessableContent, code: "invalid_declaration", message)
    }
}
