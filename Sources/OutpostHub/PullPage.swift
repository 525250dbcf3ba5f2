import OutpostCore
import OutpostProtocol

/// One page of a pull as the hub answers it: a ``PullResponse`` whose rows keep their columns
/// as the JSON text the database returned (see ``StoredRow``).
///
/// The text goes into the response as it is, so a pull never builds a tree of values for each
/// row only to encode it again (the same saving as ``PushBatch`` on the way in). Every stored
/// text is valid JSON: pushes are checked before they are stored, and PostgreSQL writes `jsonb`
/// out as JSON.
package struct PullPage: Sendable {
    package var rows: [StoredRow]
    package var cursor: Int64
    package var more: Bool
    /// The tenant's epoch and newest sequence number (see ``PullResponse``).
    package var epoch: Int64 = 0
    package var head: Int64 = 0

    /// The response body: a ``PullResponse`` as JSON, the rows' columns spliced in.
    /// The page as the wire carries it; with `changeIDs` (for a site hub's relay) each row
    /// names the change that wrote it, so the change keeps its id at the next level.
    func body(changeIDs: Bool = false) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(64 + rows.reduce(0) { $0 + 160 + ($1.data?.utf8.count ?? 4) })
        output.append(contentsOf: #"{"rows":["#.utf8)
        for (index, row) in rows.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: #"{"table":"#.utf8)
            JSONValue.appendQuoted(row.table, to: &output)
            output.append(contentsOf: #","key":"#.utf8)
            JSONValue.appendQuoted(row.key, to: &output)
            output.append(contentsOf: #","version":\#(row.version),"data":"#.utf8)
            output.append(contentsOf: (row.data ?? "null").utf8)
            output.append(contentsOf: #","deleted":\#(row.deleted),"hlc":\#(row.hlc),"origin":"#.utf8)
            JSONValue.appendQuoted(row.origin, to: &output)
            output.append(contentsOf: #","sequence":\#(row.sequence)"#.utf8)
            if changeIDs, !row.left {
                output.append(contentsOf: #","change_id":"#.utf8)
                JSONValue.appendQuoted(row.changeID, to: &output)
            }
            if row.left { output.append(contentsOf: #","left":true"#.utf8) }
            output.append(UInt8(ascii: "}"))
        }
        output.append(
            contentsOf: #"],"cursor":\#(cursor),"more":\#(more),"epoch":\#(epoch),"head":\#(head)}"#.utf8
        )
        return String(decoding: output, as: UTF8.self)
    }
}
