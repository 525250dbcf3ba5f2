public import OutpostCore
public import OutpostMerge

/// The three-way merge git runs for a definition file (`*.json merge=outpost-json`): a pure
/// function of the three versions, their stamps and the node's rules.
///
/// Fields only one side changed are taken from it; fields both changed alike are kept; fields
/// both changed differently follow the rules of the file's folder (`agents`, `workflows`,
/// `configs`), deterministically. What the rules leave to a person (strategy `manual`, or a
/// resolution below its approval threshold) comes back as ``Outcome/needsPerson(_:_:)``.
///
/// ```swift
/// let driver = MergeDriver(resolver: ConflictResolver(configuration: rules))
/// switch driver.merge(path: "agents/a1.json", base: base, local: ours, remote: theirs,
///                     localStamp: ourStamp, remoteStamp: theirStamp) { … }
/// ```
public struct MergeDriver: Sendable {
    /// How a merge ended.
    public enum Outcome: Sendable, Equatable {
        /// Merged; the file's new content, canonical.
        case merged(String)
        /// A person must decide; the conflict and the resolver's account, to record.
        case needsPerson(Conflict, Resolution)
        /// A side is not JSON (or the path not a definition): git's line merge should do.
        case notJSON
    }

    public let resolver: ConflictResolver

    public init(resolver: ConflictResolver) {
        self.resolver = resolver
    }

    /// Merges the three versions of the file at `path`.
    ///
    /// - Parameters:
    ///   - base: the common ancestor's content; empty when the file is new on both sides
    ///     (a two-way merge follows).
    ///   - localStamp: when and by which commit this branch last changed the file; "newest"
    ///     rules compare these stamps (the commit hash breaks ties), so every node that merges
    ///     the same commits gets the same file.
    public func merge(
        path: String,
        base: [UInt8],
        local: [UInt8],
        remote: [UInt8],
        localStamp: HybridTimestamp,
        remoteStamp: HybridTimestamp
    ) -> Outcome {
        guard case let (kind, name)? = ItemKind.parse(path: path),
            let localValue = try? JSONValue(parsing: local),
            let remoteValue = try? JSONValue(parsing: remote)
        else { return .notJSON }
        let baseValue: JSONValue?
        if base.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) {
            baseValue = nil
        } else {
            guard let parsed = try? JSONValue(parsing: base) else { return .notJSON }
            baseValue = parsed
        }
        if localValue == remoteValue { return .merged(localValue.encoded(.pretty)) }
        let conflict = Conflict(
            entityType: kind.folder,
            key: name,
            local: localValue,
            remote: remoteValue,
            base: baseValue,
            localStamp: localStamp,
            remoteStamp: remoteStamp
        )
        let resolution = resolver.resolve(conflict)
        guard let value = resolution.value, !resolution.needsApproval else { return .needsPerson(conflict, resolution) }
        return .merged(value.encoded(.pretty))
    }
}
