import OutpostCore

/// Messages for the administrative operations, shared by the backends.
enum HubAdminError {
    static func unknownTenant(_ name: String) -> OutpostError {
        OutpostError(.notFound, "No tenant named '\(name)'.", remedy: .createTenant(name: name))
    }

    static func duplicateTenant(_ name: String) -> OutpostError {
        OutpostError(.alreadyExists, "A tenant named '\(name)' already exists.")
    }

    static func unknownNode(_ id: String) -> OutpostError {
        OutpostError(.notFound, "No node with id '\(id)'.", remedy: .list(.hubNodes))
    }

    static func revokedNode(_ id: String) -> OutpostError {
        OutpostError(
            .failedPrecondition,
            "Node \(id) is revoked; a revocation is final, so it gets no new token. Register the machine as a new node.",
            remedy: .list(.hubNodes)
        )
    }

    /// A hub database a newer Outpost hub upgraded (`what`: the schema it has that this hub
    /// does not know).
    static func newerSchema(_ what: String) -> OutpostError {
        OutpostError(
            .failedPrecondition,
            "The hub's database was upgraded by a newer Outpost hub: it has \(what), which this hub does not "
                + "know. An older hub could lose or misread what the newer one keeps there, so this one does not "
                + "use it. Run the newer hub, or restore a backup of the database this version made."
        )
    }

    static func checkTenantName(_ name: String) throws(OutpostError) {
        let valid =
            (1...63).contains(name.count)
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                    || $0 == "_"
            }
        guard valid else {
            throw OutpostError(
                .invalidInput,
                "Tenant name '\(name.prefix(80))' is not valid: use 1 to 63 letters, digits, '-' or '_'."
            )
        }
    }
}
