import Foundation

/// The version of the sync protocol, carried both ways in the `Outpost-Protocol` header, so a
/// fleet can upgrade one box at a time: hub first, then the nodes (docs/deploy.md).
///
/// Each side serves the other within one version of its own: a hub of version N answers nodes
/// of N − 1, N and N + 1, and a node talks to hubs of N − 1 to N + 1. A message without the
/// header comes from a build before versions were sent, which spoke version 1.
public enum ProtocolVersion {
    /// The version this build speaks. Version 2 adds per-change refusals to push answers (a
    /// change outside the node's scope); a hub answers a version-1 node's refused change by
    /// refusing its batch, which the node splits until the one change is parked.
    public static let current = 2
    /// The first version whose push answers may carry a refused change.
    public static let refusals = 2
    /// The header's name.
    public static let header = "Outpost-Protocol"
    /// The version of a message that carries no header.
    public static let unmarked = 1
    /// The versions this build serves on the other side.
    public static let served: ClosedRange<Int> = (current - 1)...(current + 1)

    /// The version a header's value names; `nil` for a value that is not a number.
    public static func parse(_ value: String?) -> Int? {
        guard let value else { return unmarked }
        return Int(value.trimmingCharacters(in: .whitespaces))
    }
}
